"""The triggers through the API: the defaults every retailer starts with, read with
``engagement:read``, created and changed by head office only, bad settings refused without
changing anything."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from omnicanal.engagement.models import TRIGGER_KINDS, PolicySettings, Segment, Trigger
from omnicanal.engagement.triggers import ensure_defaults
from omnicanal.platform.audit import AuditEntry
from tests.builders import auth, make_key, snapshot


@pytest.fixture
def keys(platform):
    """A head-office key (read and admin), a reader, a web key and a marketplace key that
    was given the engagement scopes."""
    return {
        "admin": make_key(platform, "call_centre", scopes=["engagement:read", "engagement:admin"]),
        "reader": make_key(platform, "call_centre", scopes=["engagement:read"]),
        "web": make_key(platform, "web"),
        "marketplace": make_key(
            platform, "marketplace", scopes=["engagement:read", "engagement:admin"]
        ),
    }


def _trigger(client, key, code):
    response = client.get(f"/v1/engagement/triggers/{code}", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_every_retailer_starts_with_one_trigger_per_kind(client, keys):
    """Marketing kinds need consent, the others rest on the contract; the abandoned cart
    waits three hours and offers 10 % for a week; the pickup goes by SMS first."""
    response = client.get("/v1/engagement/triggers", headers=auth(keys["reader"]))

    assert response.status_code == 200, response.text
    found = {row["kind"]: row for row in response.json()}
    assert list(found) == list(TRIGGER_KINDS)
    cart = found["abandoned_cart"]
    assert (cart["code"], cart["purpose"], cart["delay_minutes"]) == (
        "ABANDONED_CART",
        "marketing",
        180,
    )
    assert cart["coupon"] == {"percent": 10, "valid_days": 7}
    assert found["pickup_ready"]["channels"] == ["sms", "email"]
    assert found["pickup_ready"]["purpose"] == "transactional"
    assert found["reservation_expiring"]["settings"] == {"hours_before": 2}
    assert found["review_request"]["delay_minutes"] == 7 * 24 * 60
    assert found["win_back"]["settings"] == {"days": 120}
    assert {row["purpose"] for row in found.values() if row["kind"] in ("back_in_stock",)} == {
        "marketing"
    }


def test_the_defaults_are_made_once_however_often_asked(platform):
    with platform.db.transaction() as session:
        ensure_defaults(session)
        ensure_defaults(session)
    with platform.db.transaction() as session:
        ensure_defaults(session)
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Trigger)) == len(TRIGGER_KINDS)
        policy = session.get(PolicySettings, "default")
    assert policy is not None
    assert policy.suppression_days["returned"] == 14


def test_head_office_changes_a_trigger_and_the_change_is_audited(platform, client, keys):
    response = client.put(
        "/v1/engagement/triggers/ABANDONED_CART",
        json={
            "delay_minutes": 60,
            "channels": ["email", "sms"],
            "coupon": {"amount_minor": 500, "valid_days": 3},
        },
        headers=auth(keys["admin"]),
    )

    assert response.status_code == 200, response.text
    changed = _trigger(client, keys["reader"], "ABANDONED_CART")
    assert (changed["delay_minutes"], changed["channels"]) == (60, ["email", "sms"])
    assert changed["coupon"] == {"amount_minor": 500, "valid_days": 3}
    assert changed["purpose"] == "marketing"
    with platform.db.reading() as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.resource_type == "message_trigger")
        )
    assert entry is not None and entry.resource_id == "ABANDONED_CART"


def test_a_trigger_is_switched_off_and_its_coupon_removed(client, keys):
    response = client.put(
        "/v1/engagement/triggers/ABANDONED_CART",
        json={"active": False, "coupon": None},
        headers=auth(keys["admin"]),
    )

    assert response.status_code == 200, response.text
    changed = _trigger(client, keys["reader"], "ABANDONED_CART")
    assert (changed["active"], changed["coupon"], changed["delay_minutes"]) == (False, None, 180)


@pytest.mark.parametrize("who", ["reader", "web", "marketplace"])
def test_only_head_office_changes_a_trigger(platform, client, keys, who):
    client.get("/v1/engagement/triggers", headers=auth(keys["admin"]))
    before = snapshot(platform)

    response = client.put(
        "/v1/engagement/triggers/ABANDONED_CART",
        json={"delay_minutes": 1},
        headers=auth(keys[who]),
    )

    assert response.status_code == 403, response.text
    assert snapshot(platform) == before
    assert _trigger(client, keys["reader"], "ABANDONED_CART")["delay_minutes"] == 180


@pytest.mark.parametrize("who", ["web", "marketplace"])
def test_a_channel_key_reads_no_trigger(client, keys, who):
    response = client.get("/v1/engagement/triggers", headers=auth(keys[who]))

    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    ("code", "body", "status", "problem"),
    [
        ("ABANDONED_CART", {"delay_minutes": -1}, 422, "validation_error"),
        ("ABANDONED_CART", {"delay_minutes": 10**9}, 422, "validation_error"),
        ("ABANDONED_CART", {"channels": []}, 422, "validation_error"),
        ("ABANDONED_CART", {"channels": ["email", "email"]}, 422, "validation_error"),
        ("ABANDONED_CART", {"channels": ["pigeon"]}, 422, "validation_error"),
        ("ABANDONED_CART", {"purpose": "transactional"}, 422, "validation_error"),
        ("ABANDONED_CART", {"active": None}, 422, "validation_error"),
        ("ABANDONED_CART", {"coupon": {"percent": 10, "amount_minor": 5}}, 422, "validation_error"),
        ("ABANDONED_CART", {"coupon": {"percent": 150}}, 422, "validation_error"),
        ("ABANDONED_CART", {"coupon": {"percent": 10, "valid_days": 0}}, 422, "validation_error"),
        ("ABANDONED_CART", {"settings": {"days": 3}}, 422, "invalid_trigger"),
        ("ABANDONED_CART", {"segment_code": "NOBODY"}, 422, "unknown_segment"),
        ("ABANDONED_CART", {"name": "x\x00y"}, 422, "validation_error"),
        ("PICKUP_READY", {"coupon": {"percent": 10}}, 422, "invalid_trigger"),
        ("RESERVATION_EXPIRING", {"settings": {"hours_before": 0}}, 422, "invalid_trigger"),
        ("WIN_BACK", {"settings": {"days": 100_000}}, 422, "invalid_trigger"),
        ("NO_SUCH_TRIGGER", {"delay_minutes": 5}, 404, "unknown_trigger"),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(
    platform, client, keys, code, body, status, problem
):
    client.get("/v1/engagement/triggers", headers=auth(keys["admin"]))
    before = snapshot(platform)

    response = client.put(f"/v1/engagement/triggers/{code}", json=body, headers=auth(keys["admin"]))

    assert response.status_code == status, response.text
    assert response.json()["code"] == problem
    assert snapshot(platform) == before


def test_head_office_adds_a_trigger_for_a_segment(platform, client, keys):
    with platform.db.transaction() as session:
        session.add(Segment(code="VIP", name="Best customers", rules=[]))
    body = {
        "code": "ABANDONED_CART_VIP",
        "kind": "abandoned_cart",
        "name": "Relance VIP",
        "purpose": "marketing",
        "channels": ["email"],
        "delay_minutes": 30,
        "segment_code": "VIP",
        "coupon": {"percent": 15, "valid_days": 14},
    }
    headers = auth(keys["admin"], **{"Idempotency-Key": "vip-1"})

    first = client.post("/v1/engagement/triggers", json=body, headers=headers)
    again = client.post("/v1/engagement/triggers", json=body, headers=headers)
    twice = client.post("/v1/engagement/triggers", json=body, headers=auth(keys["admin"]))

    assert first.status_code == 201, first.text
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
    assert (twice.status_code, twice.json()["code"]) == (409, "trigger_exists")
    added = _trigger(client, keys["reader"], "ABANDONED_CART_VIP")
    assert (added["segment_code"], added["coupon"]["percent"]) == ("VIP", 15)


@pytest.mark.parametrize(
    ("kind", "purpose"),
    [("abandoned_cart", "transactional"), ("pickup_ready", "marketing"), ("win_back", "profiling")],
)
def test_a_kind_keeps_its_purpose(platform, client, keys, kind, purpose):
    """A promotion never travels as a service message, nor a service message as a
    promotion the person may have refused."""
    client.get("/v1/engagement/triggers", headers=auth(keys["admin"]))
    before = snapshot(platform)

    response = client.post(
        "/v1/engagement/triggers",
        json={
            "code": "OTHER",
            "kind": kind,
            "name": "Autre",
            "purpose": purpose,
            "channels": ["email"],
        },
        headers=auth(keys["admin"]),
    )

    assert response.status_code == 422, response.text
    assert response.json()["code"] in ("invalid_trigger", "validation_error")
    assert snapshot(platform) == before
