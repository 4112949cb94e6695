"""The real-time matcher estimates its own weights as the base grows (docs/adr/0045): once
the base has enough named people, and again each time it has doubled, on the people as their
messages recorded them, not on the profiles it has already merged."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from omnicanal.customers.service import matching
from omnicanal.customers.service.realtime import (
    MATCHING,
    Matchers,
    estimate_weights,
    estimate_weights_job,
)
from omnicanal.customers.wiring import background
from omnicanal.platform.config import Settings
from omnicanal.platform.jobs import ignore_report
from tests.customers.generator import SOURCES, MessySet, Record, generate
from tests.customers.support import make_source, relay_and_match, send

LEAST = 60  # the tests' base is smaller than a retailer's first thousand people


@pytest.fixture
def keys(platform: Any) -> dict[str, str]:
    return {kind: make_source(platform, kind) for kind in SOURCES}


def _messy(people: int, seed: int) -> MessySet:
    return generate(people, seed, until=datetime.now(UTC) - timedelta(days=1))


def _send(client: Any, keys: dict[str, str], records: list[Record]) -> None:
    """The records in time order, fifty at a time, one batch per source."""
    for start in range(0, len(records), 50):
        by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records[start : start + 50]:
            by_source[record.source].append(record.message)
        for source, messages in by_source.items():
            send(client, keys[source], *messages)


def _estimate(platform: Any, **options: Any) -> int:
    return estimate_weights(platform.db, ignore_report, least=LEAST, **options)


def _latest(platform: Any) -> tuple[int | None, Any]:
    with platform.db.reading() as session:
        model_id = matching.latest_model_id(session)
        model = matching.load_model(session, model_id) if model_id else None
        return matching.latest_model_records(session), model


def test_no_weights_are_estimated_before_the_base_has_enough_named_people(platform, client, keys):
    _send(client, keys, list(_messy(20, 4).records))

    assert _estimate(platform) == 0
    assert _latest(platform) == (None, None)


def test_weights_are_estimated_once_the_base_is_big_enough_and_again_when_it_has_doubled(
    platform, client, keys
):
    messy = _messy(160, 3)
    first = {person.person_id for person in messy.people[:70]}
    _send(client, keys, [r for r in messy.records if r.person_id in first])
    with platform.db.reading() as session:
        base = matching.named_people(session)
    assert base >= LEAST

    assert _estimate(platform) == 1
    fitted_on, model = _latest(platform)
    assert fitted_on == base
    with platform.db.reading() as session:
        # The real-time matcher scores with them from its next batch.
        assert Matchers().latest(session).model.prior == model.prior
    assert _estimate(platform) == 0  # the base has not doubled

    _send(client, keys, [r for r in messy.records if r.person_id not in first])
    with platform.db.reading() as session:
        grown = matching.named_people(session)
    assert grown >= 2 * base
    assert _estimate(platform) == 1
    assert _latest(platform)[0] == grown
    assert _estimate(platform) == 0


def test_the_weights_are_estimated_on_the_records_as_they_came_not_on_merged_profiles(
    platform, client
):
    web, store = make_source(platform, "web"), make_source(platform, "store")
    send(
        client,
        web,
        {
            "type": "identify",
            "anonymousId": "visitor-1",
            "traits": {"first_name": "Hélène", "last_name": "Garnier", "email": "hg@exemple.fr"},
        },
    )
    send(
        client,
        store,
        {
            "type": "identify",
            "anonymousId": "till-1",
            "traits": {
                "first_name": "HELENE",
                "last_name": "GARNIER",
                "phone": "06 12 34 56 78",
                "birthday": "1980-05-04",
            },
        },
        {
            "type": "identify",
            "anonymousId": "till-2",
            "traits": {"email": "hg@exemple.fr", "phone": "0612345678"},
        },
    )

    with platform.db.reading() as session:
        merged = matching.person_records(session)
        recorded = matching.person_records_as_recorded(session, limit=10)
    assert len(merged) == 1
    assert sorted((r.given_name, r.email, r.phone, r.birth_date) for r in recorded) == [
        ("HELENE", None, "+33612345678", datetime(1980, 5, 4).date()),
        ("Hélène", "hg@exemple.fr", None, None),
    ]


def test_an_estimate_after_the_matcher_has_merged_finds_duplicates_as_often_as_before(
    platform, client, keys
):
    """Estimated on the merged profiles, each estimate would find one person's records rarer
    than the last (the duplicates it merged are gone) and the matcher would merge less."""
    _send(client, keys, list(_messy(200, 5).records))
    assert _estimate(platform) == 1
    before = _latest(platform)[1].prior
    with platform.db.reading() as session:
        roots = matching.named_people(session)

    relay_and_match(platform)  # the real-time matcher merges with those weights
    with platform.db.reading() as session:
        assert matching.named_people(session) < roots * 0.95

    assert _estimate(platform, growth=0.0) == 1  # again, now
    assert _latest(platform)[1].prior == pytest.approx(before, rel=0.1)


def test_the_estimate_runs_in_the_matchers_lane_on_either_bus():
    for bus_url in ("memory://", "nats://127.0.0.1:4222"):
        jobs = background(Settings(bus_url=bus_url)).jobs
        estimate = [job for job in jobs if job.name == estimate_weights_job().name]
        assert [job.group for job in estimate] == [MATCHING]
