"""Before any batch run has estimated weights, the real-time matcher counts how common each
name is on the base (and counts again as the base grows): two records sharing a rare family
name weigh more than two sharing the most common one, from the first day."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text

from omnicanal.customers.matching import Matcher, PersonRecord
from omnicanal.customers.service import realtime
from omnicanal.customers.service.realtime import Matchers
from tests.customers.support import make_source, relay_and_match, send

GIVEN = ("Jean", "Marie", "Luc", "Anne", "Paul", "Claire", "Hugo", "Léa", "Marc", "Inès")


def _people(family: str, count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "type": "identify",
            "userId": f"{family}-{start + i}",
            "traits": {
                "first_name": GIVEN[(start + i) % len(GIVEN)],
                "last_name": family,
                "email": f"client{start + i}.{family.lower()}@exemple.fr",
            },
        }
        for i in range(count)
    ]


def _names_only(family: str) -> tuple[PersonRecord, PersonRecord]:
    """A till record and an app record of one name, with nothing else to compare."""
    return (
        PersonRecord("till", "Jean", family, street="3 rue Neuve", postcode="69003", city="Lyon"),
        PersonRecord("app", "JEAN", family.upper(), phone="+33612345678"),
    )


def test_a_rare_family_name_shared_weighs_more_than_a_common_one_before_any_fit(platform, client):
    key = make_source(platform, "web")
    send(client, key, *_people("Martin", 40), *_people("Lefebvre-Dubois", 1))

    with platform.db.reading() as session:
        matcher = Matchers().latest(session)

    rare = matcher.score(*_names_only("Lefebvre-Dubois"))
    common = matcher.score(*_names_only("Martin"))
    assert rare.weight > common.weight + 3
    # The defaults alone cannot tell the two apart.
    assert Matcher().score(*_names_only("Lefebvre-Dubois")).weight == pytest.approx(
        Matcher().score(*_names_only("Martin")).weight
    )


def test_the_names_are_counted_again_once_the_base_has_grown_by_a_quarter(
    platform, client, monkeypatch
):
    monkeypatch.setattr(realtime, "TERMS_RECOUNT_SMALL", 0.0)
    key = make_source(platform, "web")
    send(client, key, *_people("Lefebvre-Dubois", 1), *_people("Garnier", 20))
    matchers = Matchers()
    with platform.db.reading() as session:
        first = matchers.latest(session)
        assert matchers.latest(session) is first  # not grown: the same counts

    # The rare name becomes the common one.
    send(client, key, *_people("Lefebvre-Dubois", 60, start=1))
    with platform.db.reading() as session:
        second = matchers.latest(session)

    assert second is not first
    before = first.score(*_names_only("Lefebvre-Dubois")).weight
    after = second.score(*_names_only("Lefebvre-Dubois")).weight
    assert after < before - 2


def test_the_matchers_lane_counts_names_without_holding_the_writers(platform, client, monkeypatch):
    """Counting the names reads every recent person: the lane does it before its
    transaction, so a request writing meanwhile is not kept waiting (on SQLite a write
    transaction holds the database's one write lock)."""
    monkeypatch.setattr(realtime, "TERMS_RECOUNT_SMALL", 0.0)
    key = make_source(platform, "web")
    send(client, key, *_people("Garnier", 20))
    relay_and_match(platform)
    counting = realtime.recent_person_records
    writers: list[threading.Thread] = []
    writer_waited: list[bool] = []

    def count_while_someone_writes(session, *, limit):
        def write() -> None:
            with platform.db.transaction() as other:
                other.execute(text("SELECT 1"))

        writer = threading.Thread(target=write)
        writers.append(writer)
        writer.start()
        writer.join(timeout=5)
        writer_waited.append(writer.is_alive())
        return counting(session, limit=limit)

    monkeypatch.setattr(realtime, "recent_person_records", count_while_someone_writes)
    send(client, key, *_people("Lefebvre-Dubois", 30))
    relay_and_match(platform)
    for writer in writers:
        writer.join()

    assert writer_waited == [False]
