"""A location's opening hours: given when it opens or later, refused when they make no sense,
said in French and English, and asked whether the store is open."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from omnicanal.network import service as network
from omnicanal.network.hours import check_opening_hours, hours_lines, hours_on, is_open
from omnicanal.platform.audit import AuditEntry
from omnicanal.platform.events import OutboxEvent
from tests.builders import auth, make_key, make_location, snapshot
from tests.network.test_locations_api import LYON, admin_key

WEEK = {
    "mon": [["10:00", "19:00"]],
    "tue": [["10:00", "19:00"]],
    "wed": [["10:00", "19:00"]],
    "thu": [["10:00", "20:30"]],
    "fri": [["10:00", "19:00"]],
    "sat": [["14:00", "19:00"], ["10:00", "12:30"]],
    "sun": [],
}
PARIS = ZoneInfo("Europe/Paris")


def _store(**more: object) -> dict[str, object]:
    return {
        "code": "LYON-01",
        "name": "Lyon Presqu'île",
        "kind": "store",
        "latitude": LYON[0],
        "longitude": LYON[1],
        **more,
    }


# --- saying them ----------------------------------------------------------------------------


def test_the_week_is_said_in_french_monday_first_with_the_closed_days():
    lines = hours_lines(check_opening_hours(WEEK), language="fr")

    assert lines == [
        "lundi : 10:00\u201319:00",
        "mardi : 10:00\u201319:00",
        "mercredi : 10:00\u201319:00",
        "jeudi : 10:00\u201320:30",
        "vendredi : 10:00\u201319:00",
        "samedi : 10:00\u201312:30, 14:00\u201319:00",
        "dimanche : fermé",
    ]


def test_the_week_is_said_in_english_and_a_day_left_out_is_closed():
    hours = {"mon": [["09:30", "18:00"]]}

    lines = hours_lines(hours, language="en")

    assert lines[0] == "Monday: 09:30\u201318:00"
    assert lines[1:] == [
        f"{day}: closed"
        for day in ("Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    ]


def test_unknown_hours_say_nothing_rather_than_closed():
    assert hours_lines(None, language="fr") == []
    assert hours_on(None, date(2026, 3, 14), language="fr") is None
    assert is_open(None, datetime(2026, 3, 14, 11, 0)) is False


def test_one_days_hours_are_those_of_its_weekday():
    hours = check_opening_hours(WEEK)

    assert hours_on(hours, date(2026, 3, 14), language="fr") == "10:00\u201312:30, 14:00\u201319:00"
    assert hours_on(hours, date(2026, 3, 15), language="fr") == "fermé"
    assert hours_on(hours, date(2026, 3, 15), language="en") == "closed"


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (datetime(2026, 3, 14, 9, 59), False),  # Saturday, before opening
        (datetime(2026, 3, 14, 10, 0), True),  # opening minute
        (datetime(2026, 3, 14, 12, 30), False),  # lunch: the end is not open
        (datetime(2026, 3, 14, 13, 0), False),
        (datetime(2026, 3, 14, 14, 0), True),
        (datetime(2026, 3, 14, 18, 59), True),
        (datetime(2026, 3, 14, 19, 0), False),
        (datetime(2026, 3, 15, 11, 0), False),  # Sunday
        (datetime(2026, 3, 12, 20, 0), True),  # Thursday's late opening
        (datetime(2026, 3, 12, 20, 0, tzinfo=PARIS), True),  # aware: read in its own zone
    ],
)
def test_a_store_is_open_within_its_ranges_only(moment, open_):
    assert is_open(check_opening_hours(WEEK), moment) is open_


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        ({"monday": [["10:00", "19:00"]]}, "'monday' is not a weekday"),
        ({"mon": [["10:00", "19:00"]] * 4}, "mon: at most 3 opening ranges a day"),
        ({"tue": [["19:00", "10:00"]]}, "tue: a range opens before it closes"),
        ({"wed": [["10:00", "10:00"]]}, "wed: a range opens before it closes"),
        ({"thu": [["10h", "19h"]]}, "thu: '10h' is not a time written HH:MM"),
        ({"fri": [["24:00", "25:00"]]}, "fri: '24:00' is not a time written HH:MM"),
        ({"sat": [["10:00"]]}, "sat: a range is two times"),
        (
            {"sun": [["10:00", "13:00"], ["12:00", "18:00"]]},
            "sun: the ranges 10:00\u201313:00 and 12:00\u201318:00 overlap",
        ),
        ("10:00-19:00", "opening hours are an object by weekday"),
    ],
)
def test_hours_that_make_no_sense_are_refused_with_a_sentence(hours, said):
    with pytest.raises(ValueError, match=said):
        check_opening_hours(hours)


# --- through the API --------------------------------------------------------------------------


def test_a_store_opens_with_its_hours_and_shows_them(platform, client):
    token = admin_key(platform)

    created = client.post("/v1/locations", json=_store(opening_hours=WEEK), headers=auth(token))

    assert created.status_code == 201, created.text
    shown = client.get("/v1/locations/LYON-01", headers=auth(token)).json()
    assert shown["opening_hours"]["sat"] == [["10:00", "12:30"], ["14:00", "19:00"]]
    assert shown["opening_hours"]["sun"] == []
    with platform.db.reading() as session:
        assert network.get_location(session, "LYON-01").opening_hours == shown["opening_hours"]
        opened = session.scalars(
            select(OutboxEvent.data).where(OutboxEvent.type == "network.location_opened")
        ).one()
    assert opened["opening_hours"] == shown["opening_hours"]


def test_a_store_without_hours_reads_null(platform, client):
    token = admin_key(platform)

    client.post("/v1/locations", json=_store(), headers=auth(token))

    assert client.get("/v1/locations/LYON-01", headers=auth(token)).json()["opening_hours"] is None
    with platform.db.reading() as session:
        assert network.get_location(session, "LYON-01").opening_hours is None


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        ({"lundi": [["10:00", "19:00"]]}, "'lundi' is not a weekday"),
        (
            {
                "mon": [
                    ["10:00", "12:00"],
                    ["13:00", "14:00"],
                    ["15:00", "16:00"],
                    ["17:00", "18:00"],
                ]
            },
            "at most 3",
        ),
        ({"mon": [["19:00", "10:00"]]}, "opens before it closes"),
        ({"mon": [["9:00", "19:00"]]}, "is not a time written HH:MM"),
        ({"mon": "10:00-19:00"}, "opening_hours"),
    ],
)
def test_a_store_with_senseless_hours_is_not_opened(platform, client, hours, said):
    token = admin_key(platform)
    before = snapshot(platform)

    refused = client.post("/v1/locations", json=_store(opening_hours=hours), headers=auth(token))

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "validation_error"
    assert problem["field"].startswith("opening_hours")
    assert said in problem["detail"]
    assert snapshot(platform) == before


def test_the_hours_change_later_with_an_event_and_an_audit_entry(platform, client):
    token = admin_key(platform)
    client.post("/v1/locations", json=_store(), headers=auth(token))

    changed = client.patch(
        "/v1/locations/LYON-01", json={"opening_hours": WEEK}, headers=auth(token)
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["opening_hours"]["thu"] == [["10:00", "20:30"]]
    assert changed.json()["name"] == "Lyon Presqu'île"
    with platform.db.reading() as session:
        updated = session.scalars(
            select(OutboxEvent.data).where(OutboxEvent.type == "network.location_updated")
        ).one()
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.operation == "update_location:LYON-01")
        ).one()
    assert updated["changed"] == ["opening_hours"]
    assert (audited.resource_type, audited.resource_id) == ("location", "LYON-01")


def test_the_same_hours_again_change_nothing_and_null_forgets_them(platform, client):
    token = admin_key(platform)
    client.post("/v1/locations", json=_store(opening_hours=WEEK), headers=auth(token))

    again = client.patch("/v1/locations/LYON-01", json={"opening_hours": WEEK}, headers=auth(token))
    forgotten = client.patch(
        "/v1/locations/LYON-01", json={"opening_hours": None}, headers=auth(token)
    )

    assert again.status_code == forgotten.status_code == 200
    assert forgotten.json()["opening_hours"] is None
    with platform.db.reading() as session:
        changes = session.scalars(
            select(OutboxEvent.data).where(OutboxEvent.type == "network.location_updated")
        ).all()
    assert [change["changed"] for change in changes] == [["opening_hours"]]


def test_a_name_and_a_time_zone_change_and_an_unknown_zone_is_refused(platform, client):
    token = admin_key(platform)
    client.post("/v1/locations", json=_store(), headers=auth(token))

    renamed = client.patch(
        "/v1/locations/LYON-01",
        json={"name": "Lyon République", "timezone": "Europe/Paris"},
        headers=auth(token),
    )
    before = snapshot(platform)
    refused = client.patch(
        "/v1/locations/LYON-01", json={"timezone": "Europe/Lyon"}, headers=auth(token)
    )

    assert renamed.json()["name"] == "Lyon République"
    assert refused.status_code == 422
    assert refused.json()["field"] == "timezone"
    assert snapshot(platform) == before


def test_changing_an_unknown_location_is_a_404_and_bad_hours_a_422(platform, client):
    token = admin_key(platform)
    client.post("/v1/locations", json=_store(), headers=auth(token))
    before = snapshot(platform)

    unknown = client.patch("/v1/locations/NOPE", json={"name": "x"}, headers=auth(token))
    senseless = client.patch(
        "/v1/locations/LYON-01",
        json={"opening_hours": {"mon": [["10:00", "19:00"], ["18:00", "20:00"]]}},
        headers=auth(token),
    )
    unexpected = client.patch(
        "/v1/locations/LYON-01", json={"kind": "warehouse"}, headers=auth(token)
    )

    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_location"
    assert senseless.status_code == 422
    assert "overlap" in senseless.json()["detail"]
    assert unexpected.status_code == 422
    assert snapshot(platform) == before


def test_a_store_key_changes_its_own_stores_hours_only(platform, client):
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01", city="Paris")
    lyon = make_key(platform, "store", location="LYON-01", scopes=["network:read", "network:write"])
    before = snapshot(platform)

    other = client.patch("/v1/locations/PARIS-01", json={"opening_hours": WEEK}, headers=auth(lyon))

    assert other.status_code == 403
    assert other.json()["code"] == "location_forbidden"
    assert snapshot(platform) == before
    own = client.patch("/v1/locations/LYON-01", json={"opening_hours": WEEK}, headers=auth(lyon))
    assert own.status_code == 200, own.text


def test_a_key_without_the_network_write_scope_changes_nothing(platform, client):
    make_location(platform, "LYON-01")
    reader = make_key(platform, "web")
    before = snapshot(platform)

    refused = client.patch(
        "/v1/locations/LYON-01", json={"opening_hours": WEEK}, headers=auth(reader)
    )

    assert refused.status_code == 403
    assert snapshot(platform) == before


def test_a_retried_change_is_answered_once(platform, client):
    token = admin_key(platform)
    client.post("/v1/locations", json=_store(), headers=auth(token))
    headers = auth(token, **{"Idempotency-Key": "hours-1"})

    first = client.patch("/v1/locations/LYON-01", json={"opening_hours": WEEK}, headers=headers)
    second = client.patch("/v1/locations/LYON-01", json={"opening_hours": WEEK}, headers=headers)

    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"


def test_the_demo_stores_have_hours_and_its_warehouses_none():
    from omnicanal.demo.retailer import STORES, WAREHOUSES, store_hours

    for site in STORES:
        hours = store_hours(site)
        assert hours is not None
        assert check_opening_hours(hours) == hours
    assert all(store_hours(site) is None for site in WAREHOUSES)
