"""``/v1/analytics/pilots``: head office defines and stops pilots, readers watch their verdict;
a till's key defines none; bad input is a 4xx problem that writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from omnicanal.analytics.pilot_models import Pilot
from omnicanal.platform import audit
from tests.analytics.pilot_builders import END, START, flat, identification_history, make_stores
from tests.builders import auth, make_key, make_location

PILOTS = "/v1/analytics/pilots"
BODY = {
    "code": "scan-carte",
    "name": "Scan de la carte en caisse",
    "preset": "customer_identification",
    "stores": ["P1", "P2"],
    "controls": ["C1", "C2"],
    "start": START.isoformat(),
}
COMING = {**BODY, "code": "a-venir", "start": (date.today() + timedelta(days=10)).isoformat()}
"""A pilot still to come, which head office may stop (one that is over may not be)."""


@pytest.fixture
def keys(platform):  # type: ignore[no-untyped-def]
    """A chain of two pilot and two control stores (P1 also in the network, for its till's
    key) with their history, and the keys of the matrix."""
    make_location(platform, "P1")
    make_stores(platform, "P1", "P2", "C1", "C2")
    for store in ("P1", "P2"):
        identification_history(platform, store, flat(0.50) + flat(0.60))
    for store in ("C1", "C2"):
        identification_history(platform, store, flat(0.40, 56))
    return {
        "head_office": make_key(platform, "web", scopes=["analytics:read", "analytics:write"]),
        "reader": make_key(platform, "web", scopes=["analytics:read"]),
        "none": make_key(platform, "web", scopes=["catalog:read"]),
        "till": make_key(
            platform, "store", location="P1", scopes=["analytics:read", "analytics:write"]
        ),
    }


def _count(platform) -> int:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Pilot)) or 0)


def test_head_office_defines_a_pilot_and_a_reader_watches_its_verdict(platform, client, keys):
    """201 with the pilot; the verdict after its end: +10 points, « réussite »."""
    made = client.post(PILOTS, json=BODY, headers=auth(keys["head_office"]))

    assert made.status_code == 201, made.text
    pilot = made.json()
    assert (pilot["metric"], pilot["end"]) == ("store_identification_rate", END.isoformat())
    listed = client.get(PILOTS, headers=auth(keys["reader"]))
    assert [item["id"] for item in listed.json()] == [pilot["id"]]
    one = client.get(f"{PILOTS}/{pilot['id']}", headers=auth(keys["reader"]))
    assert one.status_code == 200 and one.json() == pilot
    judged = client.get(
        f"{PILOTS}/{pilot['id']}/verdict",
        params={"today": (END + timedelta(days=1)).isoformat()},
        headers=auth(keys["reader"]),
    )
    assert judged.status_code == 200, judged.text
    verdict = judged.json()
    assert verdict["effect"] == pytest.approx(0.10)
    assert (verdict["status"], verdict["decision"]) == ("finished", "réussite")
    assert verdict["explanation"].startswith("Réussite")


def test_a_retried_definition_answers_the_same_and_defines_one_pilot(platform, client, keys):
    """Same Idempotency-Key: the first answer, replayed; one pilot, one audit entry."""
    headers = auth(keys["head_office"], **{"Idempotency-Key": "pilote-1"})

    first = client.post(PILOTS, json=BODY, headers=headers)
    second = client.post(PILOTS, json=BODY, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert _count(platform) == 1
    with platform.db.reading() as session:
        entries = audit.list_entries(session, what="pilot", limit=10)
    assert [(entry.resource_type, entry.resource_id) for entry in entries] == [
        ("pilot", first.json()["id"])
    ]


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [
        ("head_office", 201, None),
        ("reader", 403, "forbidden"),
        ("none", 403, "forbidden"),
        ("till", 403, "pilot_forbidden"),
    ],
)
def test_only_head_office_defines_a_pilot(platform, client, keys, key, status, code):
    """``analytics:write`` from a key bound to no store; a till's key is refused even with
    the scope, and a refusal writes nothing."""
    response = client.post(PILOTS, json=BODY, headers=auth(keys[key]))

    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["code"] == code
    assert _count(platform) == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("key", "read", "stop"),
    [
        ("head_office", 200, 200),
        ("reader", 200, 403),
        ("none", 403, 403),
        ("till", 200, 403),
    ],
)
def test_reading_needs_analytics_read_and_stopping_needs_head_office(
    platform, client, keys, key, read, stop
):
    """The matrix the other way: who reads the pilot of P1 and P2, who stops it."""
    pilot = client.post(PILOTS, json=COMING, headers=auth(keys["head_office"])).json()

    got = client.get(f"{PILOTS}/{pilot['id']}", headers=auth(keys[key]))
    judged = client.get(f"{PILOTS}/{pilot['id']}/verdict", headers=auth(keys[key]))
    stopped = client.post(
        f"{PILOTS}/{pilot['id']}/stop", json={"reason": "panne"}, headers=auth(keys[key])
    )

    assert (got.status_code, judged.status_code, stopped.status_code) == (read, read, stop)


def test_a_tills_key_reads_only_the_pilots_of_its_store(platform, client, keys):
    """P1's key sees the pilot of P1, not the one of C1 (403 ``location_forbidden``)."""
    mine = client.post(PILOTS, json=BODY, headers=auth(keys["head_office"])).json()
    other = client.post(
        PILOTS,
        json={**BODY, "code": "autre", "stores": ["C1"], "controls": ["C2"]},
        headers=auth(keys["head_office"]),
    ).json()

    listed = client.get(PILOTS, headers=auth(keys["till"]))
    refused = client.get(f"{PILOTS}/{other['id']}", headers=auth(keys["till"]))

    assert [item["id"] for item in listed.json()] == [mine["id"]]
    assert refused.status_code == 403 and refused.json()["code"] == "location_forbidden"


def test_stopping_a_pilot_records_why_and_cannot_happen_twice(platform, client, keys):
    """200 with the reason; a second stop is 409 ``pilot_already_stopped``; a pilot that is
    over keeps its verdict (409 ``pilot_already_over``)."""
    pilot = client.post(PILOTS, json=COMING, headers=auth(keys["head_office"])).json()
    over = client.post(PILOTS, json=BODY, headers=auth(keys["head_office"])).json()
    url = f"{PILOTS}/{pilot['id']}/stop"

    first = client.post(
        url, json={"reason": "Lecteurs en panne"}, headers=auth(keys["head_office"])
    )
    again = client.post(url, json={"reason": "encore"}, headers=auth(keys["head_office"]))

    assert first.status_code == 200 and first.json()["stop_reason"] == "Lecteurs en panne"
    assert again.status_code == 409 and again.json()["code"] == "pilot_already_stopped"
    late = client.post(
        f"{PILOTS}/{over['id']}/stop",
        json={"reason": "trop tard"},
        headers=auth(keys["head_office"]),
    )
    assert late.status_code == 409 and late.json()["code"] == "pilot_already_over"


def test_the_presets_are_the_seeds_three_tests(client, keys):
    """Real-time availability, customer identification, consistent messages, in French."""
    response = client.get(f"{PILOTS}/presets", headers=auth(keys["reader"]))

    assert response.status_code == 200
    assert [(item["code"], item["metric"]) for item in response.json()] == [
        ("realtime_availability", "reservation_failure_rate"),
        ("customer_identification", "store_identification_rate"),
        ("consistent_messages", "messages_withdrawn_share"),
    ]
    assert response.json()[0]["name"] == "Test de disponibilité en temps réel"
    assert response.json()[0]["days"] == 7


def test_the_controls_route_ranks_the_other_stores(client, keys):
    """The two controls of the chain, the same distance from P1 and P2's profile."""
    response = client.get(
        f"{PILOTS}/controls",
        params={
            "stores": "P1,P2",
            "metric": "store_identification_rate",
            "start": "2026-01-05",
            "end": "2026-02-01",
        },
        headers=auth(keys["head_office"]),
    )
    refused = client.get(
        f"{PILOTS}/controls",
        params={"stores": "P1", "metric": "store_identification_rate"},
        headers=auth(keys["till"]),
    )

    assert response.status_code == 200, response.text
    assert [choice["store"] for choice in response.json()] == ["C1", "C2"]
    assert response.json()[0]["reason"].startswith("Niveau 40,0")
    assert refused.status_code == 403 and refused.json()["code"] == "pilot_forbidden"


@pytest.mark.parametrize(
    "changes",
    [
        {"success_threshold": 10**400},
        {"success_threshold": 1e300},
        {"stop_threshold": "NaN"},
        {"start": "9999-01-01"},
        {"start": "1066-10-14"},
        {"name": "scan\x00carte"},
        {"code": "avec espace"},
        {"stores": []},
        {"stores": [f"S{n}" for n in range(51)]},
        {"control_count": 2**63},
        {"minimum_days": -1},
        {"surprise": True},
    ],
)
def test_a_hostile_definition_is_a_422_that_writes_nothing(platform, client, keys, changes):
    """Huge numbers, NaN, far dates, NUL, too many stores, unknown fields: a problem, no row."""
    response = client.post(PILOTS, json={**BODY, **changes}, headers=auth(keys["head_office"]))

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert _count(platform) == 0


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        (f"{PILOTS}/01NOPE", {}, 404),
        (f"{PILOTS}/01NOPE/verdict", {}, 404),
        (f"{PILOTS}/01NOPE/verdict", {"today": "99999-01-01"}, 422),
        (f"{PILOTS}/controls", {"stores": "P1", "metric": "x" * 61}, 422),
        (f"{PILOTS}/controls", {"stores": "P1", "metric": "bonheur"}, 422),
        (f"{PILOTS}/controls", {"stores": "P1", "metric": "sales", "count": 10**30}, 422),
        (f"{PILOTS}/controls", {"stores": ",", "metric": "sales"}, 422),
        (f"{PILOTS}/controls", {"stores": "NOPE", "metric": "sales"}, 422),
        (
            f"{PILOTS}/controls",
            {"stores": "P1", "metric": "sales", "start": "1900-01-01", "end": "2100-01-01"},
            422,
        ),
    ],
)
def test_a_hostile_read_is_a_4xx_problem(client, keys, url, params, status):
    """Unknown pilots, far or malformed dates, unknown metrics or stores: never a 500."""
    response = client.get(url, params=params, headers=auth(keys["head_office"]))

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_stop_without_a_reason_is_refused(platform, client, keys):
    """An empty or over-long reason is a 422; the pilot runs on."""
    pilot = client.post(PILOTS, json=COMING, headers=auth(keys["head_office"])).json()
    url = f"{PILOTS}/{pilot['id']}/stop"

    empty = client.post(url, json={"reason": ""}, headers=auth(keys["head_office"]))
    long = client.post(url, json={"reason": "x" * 501}, headers=auth(keys["head_office"]))

    assert (empty.status_code, long.status_code) == (422, 422)
    assert (
        client.get(f"{PILOTS}/{pilot['id']}", headers=auth(keys["reader"])).json()["stopped_at"]
        is None
    )
