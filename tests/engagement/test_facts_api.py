"""``POST /v1/engagement/facts`` and ``GET /v1/engagement/measures``: who may, both ways, and
hostile input, which gets a 4xx problem and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from omnicanal.engagement import consents
from omnicanal.engagement.models import Fact
from omnicanal.engagement.policy import Candidate, Outcome, decide
from omnicanal.engagement.situation import rules_of, situation_for
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from tests.builders import auth, make_key, make_location, snapshot
from tests.conftest import restored_world
from tests.engagement.fact_builders import INES, make_person

FACTS = "/v1/engagement/facts"
MEASURES = "/v1/engagement/measures"


@dataclass(frozen=True)
class World:
    ines: str
    keys: dict[str, str]


@pytest.fixture
def world(platform, request) -> World:  # type: ignore[no-untyped-def]
    """Lyon and Paris; Inès; a key per channel, some given the engagement scopes by hand."""

    def build() -> World:
        make_location(platform, "LYON-01")
        make_location(platform, "PARIS-01", city="Paris")
        both = ["engagement:read", "engagement:write"]
        keys = {
            "call_centre": make_key(platform, "call_centre"),
            "lyon": make_key(platform, "store", location="LYON-01"),
            "paris": make_key(platform, "store", location="PARIS-01"),
            "web": make_key(platform, "web"),
            "web_scoped": make_key(platform, "web", scopes=both),
            "app_scoped": make_key(platform, "app", scopes=both),
            "marketplace_scoped": make_key(platform, "marketplace", scopes=both),
            "lyon_reader": make_key(platform, "store", location="LYON-01", scopes=both),
        }
        return World(ines=make_person(platform), keys=keys)

    return restored_world(request, platform, build)


def complaint(**more: Any) -> dict[str, Any]:
    return {"kind": "complaint", "customer_ref": f"email:{INES}", **more}


def facts_in(platform) -> list[Fact]:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        found = list(session.scalars(select(Fact).order_by(Fact.recorded_at)))
        for fact in found:
            session.expunge(fact)
    return found


def refused(platform, client, method, url, token, status, code, headers=None, **kwargs):  # type: ignore[no-untyped-def]
    before = snapshot(platform)
    sent = {**(auth(token) if token else {}), **(headers or {})}
    response = client.request(method, url, headers=sent, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["title"] and problem["detail"]
    assert snapshot(platform) == before
    return problem


# Who may report --------------------------------------------------------------------------

REPORTERS = [
    ("call_centre", {}, 201, None),
    ("call_centre", {"location": "PARIS-01"}, 201, "PARIS-01"),
    ("lyon", {}, 201, "LYON-01"),
    ("lyon", {"location": "LYON-01"}, 201, "LYON-01"),
    ("lyon", {"location": "PARIS-01"}, 403, "location_forbidden"),
    ("paris", {}, 201, "PARIS-01"),
    ("web", {}, 403, "forbidden"),
    ("web_scoped", {}, 403, "engagement_forbidden"),
    ("app_scoped", {}, 403, "engagement_forbidden"),
    ("marketplace_scoped", {}, 403, "engagement_forbidden"),
]


@pytest.mark.parametrize(("reporter", "more", "status", "expected"), REPORTERS)
def test_each_key_reports_exactly_what_its_row_says(
    platform, client, world, reporter, more, status, expected
):
    token = world.keys[reporter]
    if status != 201:
        refused(platform, client, "POST", FACTS, token, status, expected, json=complaint(**more))
        assert facts_in(platform) == []
        return
    response = client.post(FACTS, json=complaint(**more), headers=auth(token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["profile_id"], body["location_code"]) == (
        "complaint",
        world.ines,
        expected,
    )
    (fact,) = facts_in(platform)
    assert (fact.id, fact.profile_id, fact.location_code) == (body["id"], world.ines, expected)


def test_no_key_reports_without_credentials(platform, client, world):
    refused(platform, client, "POST", FACTS, None, 401, "unauthenticated", json=complaint())


def test_a_reported_fact_keeps_who_reported_it_where_and_when(platform, client, world):
    happened = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    response = client.post(
        FACTS,
        json={
            "kind": "refused_delivery",
            "profile_id": world.ines,
            "subject": "orders/01JQ7Z0000000000000000ORDR",
            "occurred_at": happened.isoformat(),
            "note": "colis refusé à la livraison",
        },
        headers=auth(world.keys["call_centre"]),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["channel"] == "call_centre"
    assert body["subject"] == "orders/01JQ7Z0000000000000000ORDR"
    assert datetime.fromisoformat(body["occurred_at"]) == happened
    assert body["detail"]["note"] == "colis refusé à la livraison"
    assert body["detail"]["reported_by"].startswith("key:")


def test_a_report_repeated_with_its_idempotency_key_is_recorded_once(platform, client, world):
    headers = auth(world.keys["lyon"], **{"Idempotency-Key": "plainte-42"})
    first = client.post(FACTS, json=complaint(), headers=headers)
    again = client.post(FACTS, json=complaint(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(facts_in(platform)) == 1
    refused(
        platform,
        client,
        "POST",
        FACTS,
        world.keys["lyon"],
        409,
        "idempotency_key_reused",
        json=complaint(kind="dispute_opened"),
        headers={"Idempotency-Key": "plainte-42"},
    )


def test_a_reported_complaint_holds_marketing_back_while_a_receipt_still_goes(
    platform, client, world
):
    """The call centre's complaint reaches the policy at once: the next marketing e-mail to
    Inès is withheld, a transactional one is not."""
    now = utcnow()
    with platform.db.transaction() as session:
        consents.record_consent(
            session,
            profile_id=world.ines,
            purpose="marketing",
            channel="email",
            granted=True,
            source="web_form",
            actor=OPERATOR,
            occurred_at=now - timedelta(days=60),
        )
    response = client.post(FACTS, json=complaint(), headers=auth(world.keys["call_centre"]))
    assert response.status_code == 201, response.text

    def asked(purpose: str) -> tuple[Outcome, str]:
        candidate = Candidate(
            kind="win_back",
            purpose=purpose,
            channel="email",
            subject=f"profiles/{world.ines}",
            profile_id=world.ines,
            reason_since=now - timedelta(days=90),
            due_at=now,
        )
        with platform.db.reading() as session:
            situation = situation_for(
                session,
                profile_id=world.ines,
                candidate=candidate,
                now=utcnow(),
                business_time_zone="UTC",
            )
            rules = rules_of(session)
        # Judged at noon, out of quiet hours, whatever the time the test runs: the next noon,
        # so the complaint (reported now) is never in the future of the decision.
        noon = situation.now.replace(hour=12, minute=0, second=0, microsecond=0)
        if noon < situation.now:
            noon += timedelta(days=1)
        decision = decide(candidate, replace(situation, now=noon), rules)
        return decision.outcome, decision.reason

    assert asked("marketing") == (Outcome.withhold, "complaint_recently")
    assert asked("transactional") == (Outcome.send, "allowed")


# Hostile input ---------------------------------------------------------------------------

BAD_BODIES = [
    ({"kind": "happy", "customer_ref": f"email:{INES}"}, "kind"),
    ({"kind": "returned", "customer_ref": f"email:{INES}"}, "kind"),
    ({"kind": "complaint"}, None),
    ({"kind": "complaint", "customer_ref": f"email:{INES}", "profile_id": "X"}, None),
    (complaint(note="a\x00b"), "note"),
    (complaint(note="x" * 501), "note"),
    (complaint(customer_ref="y" * 201), "customer_ref"),
    (complaint(subject="orders/../../etc"), "subject"),
    (complaint(subject="profiles/01JQ7Z0000000000000000PRF1"), "subject"),
    (complaint(occurred_at="0001-01-01T00:00:00+01:00"), "occurred_at"),
    (complaint(occurred_at="9999-12-31T23:59:59Z"), "occurred_at"),
    (complaint(occurred_at="hier"), "occurred_at"),
    (complaint(location=""), "location"),
    (complaint(extra=1), "extra"),
    ([complaint()], None),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_a_malformed_report_is_refused_and_changes_nothing(platform, client, world, body, field):
    problem = refused(
        platform,
        client,
        "POST",
        FACTS,
        world.keys["call_centre"],
        422,
        "validation_error",
        json=body,
    )
    if field is not None:
        assert field in str(problem)


def test_a_report_dated_in_the_future_is_refused(platform, client, world):
    later = (utcnow() + timedelta(hours=2)).isoformat()
    problem = refused(
        platform,
        client,
        "POST",
        FACTS,
        world.keys["call_centre"],
        422,
        "fact_in_future",
        json=complaint(occurred_at=later),
    )
    assert problem["field"] == "occurred_at"


@pytest.mark.parametrize(
    "who",
    [
        {"customer_ref": "email:personne@example.fr"},
        {"customer_ref": "phone:not a phone"},
        {"profile_id": "01JQ7Z0000000000000000NOPE"},
    ],
)
def test_a_report_about_nobody_known_is_refused(platform, client, world, who):
    refused(
        platform,
        client,
        "POST",
        FACTS,
        world.keys["call_centre"],
        422,
        "unknown_customer",
        json={"kind": "complaint", **who},
    )


def test_a_report_at_an_unknown_store_is_refused(platform, client, world):
    refused(
        platform,
        client,
        "POST",
        FACTS,
        world.keys["call_centre"],
        404,
        "unknown_location",
        json=complaint(location="NULLE-PART"),
    )


def test_a_body_that_is_not_json_is_refused(platform, client, world):
    before = snapshot(platform)
    response = client.post(
        FACTS,
        content=b"\xff\xfe not json",
        headers=auth(world.keys["call_centre"], **{"Content-Type": "application/json"}),
    )
    assert 400 <= response.status_code < 500
    assert snapshot(platform) == before


# Measures --------------------------------------------------------------------------------

READERS = [
    ("call_centre", 200, None),
    ("lyon_reader", 200, None),
    ("lyon", 403, "forbidden"),
    ("web", 403, "forbidden"),
    ("web_scoped", 200, None),
    ("marketplace_scoped", 403, "engagement_forbidden"),
]


@pytest.mark.parametrize(("reader", "status", "code"), READERS)
def test_each_key_reads_the_measures_exactly_as_its_row_says(
    platform, client, world, reader, status, code
):
    response = client.get(MEASURES, headers=auth(world.keys[reader]))
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["code"] == code
    else:
        body = response.json()
        assert (body["sent"], body["unjust"], body["unjust_messages"]) == (0, 0, [])
        assert len(body["days"]) in (30, 31)


def test_the_measures_cover_the_period_asked(platform, client, world):
    response = client.get(
        MEASURES,
        params={"since": "2026-03-01T00:00:00+01:00", "until": "2026-03-08T00:00:00+01:00"},
        headers=auth(world.keys["call_centre"]),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["time_zone"] == "Europe/Paris"
    assert [day["day"] for day in body["days"]] == [f"2026-03-0{n}" for n in range(1, 8)]
    assert datetime.fromisoformat(body["since"]) == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"since": "2026-03-08T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "invalid_period"),
        ({"since": "2026-03-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "invalid_period"),
        ({"since": "2024-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "invalid_period"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "validation_error"),
        ({"until": "demain"}, "validation_error"),
        ({"since": "2026-03-01T00:00:00Z\x00"}, "validation_error"),
    ],
)
def test_a_bad_period_is_refused(platform, client, world, params, code):
    refused(platform, client, "GET", MEASURES, world.keys["call_centre"], 422, code, params=params)
