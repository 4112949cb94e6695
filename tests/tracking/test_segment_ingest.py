"""Taking in messages the way Segment does: an invalid identifier is kept aside with a warning
and the rest of the message is stored, wrong clocks are clamped, traits are bounded, and a
batch is held to Segment's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from omnicanal.customers.models import ProfileTrait
from omnicanal.platform.clock import utcnow
from omnicanal.tracking.models import TrackingMessage
from omnicanal.tracking.spec import TIME_FLOOR, parse_message
from tests.builders import snapshot
from tests.customers.support import basic, make_source, profile_by, profiles_key, send


def _traits(profile: dict[str, Any]) -> dict[str, Any]:
    return {trait["name"]: trait["value"] for trait in profile["traits"]}


def _identifiers(profile: dict[str, Any]) -> set[tuple[str, str]]:
    return {(i["kind"], i["value"]) for i in profile["identifiers"]}


def test_an_invalid_phone_keeps_the_rest_of_the_identify_with_a_warning(platform, client):
    """Finding: one bad phone refused the whole identify and lost its e-mail, name, address."""
    key = make_source(platform, "store")
    headers = profiles_key(platform)

    answer = send(
        client,
        key,
        {
            "type": "identify",
            "userId": "till-1",
            "messageId": "m-1",
            "traits": {
                "email": "lea.martin@orange.fr",
                "phone": "0000000000",
                "first_name": "Léa",
                "address": {"city": "Lyon"},
            },
        },
    )

    assert answer["accepted"] == 1
    assert answer["rejected"] == []
    assert [(w["index"], w["messageId"], w["code"], w["field"]) for w in answer["warnings"]] == [
        (0, "m-1", "unverified_phone", "traits.phone")
    ]
    profile = profile_by(client, headers, email="lea.martin@orange.fr")
    assert _traits(profile)["first_name"] == "Léa"
    assert _traits(profile)["address"] == {"city": "Lyon"}
    assert _traits(profile)["phone_unverified"] == "0000000000"
    assert ("phone", "+330000000000") not in _identifiers(profile)
    assert {kind for kind, _ in _identifiers(profile)} == {"user_id", "email"}


def test_an_email_with_an_accent_is_kept_unverified_and_links_nobody(platform, client):
    """Two people given the same invalid e-mail stay two people: an unverified value never
    links."""
    key = make_source(platform, "store")
    headers = profiles_key(platform)
    accented = "andré.dupont@laposte.net"

    answer = send(
        client,
        key,
        {
            "type": "identify",
            "userId": "a",
            "traits": {"email": accented, "phone": "06 71 23 45 89"},
        },
        {"type": "identify", "userId": "b", "traits": {"email": accented}},
    )

    assert [(w["index"], w["code"]) for w in answer["warnings"]] == [
        (0, "unverified_email"),
        (1, "unverified_email"),
    ]
    first = profile_by(client, headers, user_id="a")
    second = profile_by(client, headers, user_id="b")
    assert first["id"] != second["id"]
    assert ("phone", "+33671234589") in _identifiers(first)
    assert _traits(second)["email_unverified"] == accented


def test_the_warnings_of_a_stored_message_are_kept_with_it(platform, client):
    """The message's row says what was set aside, for whoever audits the source later."""
    key = make_source(platform)

    send(client, key, {"type": "identify", "userId": "u", "traits": {"phone": "07 12"}})

    with platform.db.reading() as session:
        warnings = session.scalar(select(TrackingMessage.warnings))
    assert [w["code"] for w in warnings] == ["unverified_phone"]


def test_an_identify_dated_in_the_future_does_not_pin_its_traits(platform, client):
    """Finding: an identify dated far ahead won every later trait update, forever."""
    key = make_source(platform)
    headers = profiles_key(platform)

    first = send(
        client,
        key,
        {
            "type": "identify",
            "userId": "u-9",
            "timestamp": "2150-01-01T00:00:00Z",
            "traits": {"first_name": "Futur"},
        },
    )
    send(client, key, {"type": "identify", "userId": "u-9", "traits": {"first_name": "Présent"}})

    assert [(w["code"], w["field"]) for w in first["warnings"]] == [
        ("timestamp_in_future", "timestamp")
    ]
    assert _traits(profile_by(client, headers, user_id="u-9"))["first_name"] == "Présent"


def test_an_order_dated_in_the_future_gives_no_negative_recency(platform, client):
    """Finding: an order dated far ahead gave a recency of minus hundreds of thousands of
    days."""
    key = make_source(platform)
    headers = profiles_key(platform)

    send(
        client,
        key,
        {"type": "identify", "userId": "u-7", "traits": {"email": "olivier.r@orange.fr"}},
        {
            "type": "track",
            "userId": "u-7",
            "event": "Order Completed",
            "timestamp": "2199-06-01T00:00:00Z",
            "properties": {"order_id": "o-1", "total": 20, "currency": "EUR"},
        },
    )

    computed = profile_by(client, headers, user_id="u-7")["computed"]
    assert computed["orders"] == 1
    assert computed["recency_days"] == 0


def test_a_wrong_device_clock_is_corrected_and_never_goes_back_before_the_floor(platform, client):
    """Finding: originalTimestamp 2000 sent at 2999 was stored as the year 1027; the skew
    correction is clamped to the floor instead."""
    key = make_source(platform)

    answer = send(
        client,
        key,
        {
            "type": "track",
            "anonymousId": "c-1",
            "event": "Viewed",
            "originalTimestamp": "2000-01-01T00:00:00Z",
            "sentAt": "2199-01-01T00:00:00Z",
        },
    )

    assert [(w["code"], w["field"]) for w in answer["warnings"]] == [
        ("timestamp_too_old", "originalTimestamp")
    ]
    with platform.db.reading() as session:
        assert session.scalar(select(TrackingMessage.occurred_at)) == TIME_FLOOR


def test_skew_is_corrected_from_sent_at_as_segment_documents():
    """timestamp = receivedAt - (sentAt - originalTimestamp): a device an hour ahead."""
    received = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    message = parse_message(
        {
            "type": "page",
            "anonymousId": "c",
            "originalTimestamp": "2026-05-01T12:50:00Z",
            "sentAt": "2026-05-01T13:00:00Z",
        },
        received_at=received,
    )

    assert message.occurred_at == received - timedelta(minutes=10)
    assert message.warnings == ()


def test_traits_nested_deeper_than_the_bound_refuse_their_message_only(platform, client):
    """Finding: a trait nested 300 deep was accepted and every read of the profile failed;
    now it is a 400 for that message, the others of the batch are stored."""
    key = make_source(platform)
    deep: Any = "x"
    for _ in range(8):
        deep = {"a": deep}

    answer = send(
        client,
        key,
        {"type": "identify", "userId": "victim", "traits": {"email": "victor.v@orange.fr"}},
        {"type": "identify", "userId": "victim", "traits": {"poison": deep}},
    )

    assert answer["accepted"] == 1
    assert [(r["index"], r["code"], r["field"]) for r in answer["rejected"]] == [
        (1, "traits_too_deep", "traits")
    ]
    before = snapshot(platform)
    single = client.post(
        "/v1/identify", json={"userId": "victim", "traits": {"poison": deep}}, headers=basic(key)
    )
    assert single.status_code == 400
    assert single.json()["code"] == "traits_too_deep"
    assert snapshot(platform) == before


def test_traits_over_the_size_bound_are_refused(platform, client):
    """Traits over 16 KiB are a 400 naming the traits, and nothing is stored."""
    key = make_source(platform)
    before = snapshot(platform)

    response = client.post(
        "/v1/identify",
        json={"userId": "u", "traits": {f"t{i}": "y" * 900 for i in range(20)}},
        headers=basic(key),
    )

    assert response.status_code == 400
    assert response.json()["code"] == "traits_too_large"
    assert snapshot(platform) == before


def test_a_profile_whose_stored_trait_nests_too_deep_still_reads(platform, client):
    """A trait stored before the bound existed does not break every read of its profile."""
    key = make_source(platform)
    headers = profiles_key(platform)
    send(client, key, {"type": "identify", "userId": "old", "traits": {"note": "x"}})
    deep: Any = "x"
    for _ in range(300):
        deep = {"a": deep}
    with platform.db.transaction() as session:
        session.execute(update(ProfileTrait).values(value=deep))

    profile = profile_by(client, headers, user_id="old")

    assert "note" in _traits(profile)


def test_a_batch_over_the_message_limit_is_a_400_and_stores_nothing(platform, client):
    """Segment's limit: 2,500 messages per batch."""
    key = make_source(platform)
    before = snapshot(platform)
    batch = [{"type": "page", "anonymousId": "c"} for _ in range(2_501)]

    response = client.post("/v1/batch", json={"batch": batch}, headers=basic(key))

    assert response.status_code == 400
    assert response.json()["code"] == "batch_too_many_messages"
    assert snapshot(platform) == before


def test_a_request_over_500_kb_is_a_413(platform, client):
    """Segment's limit: 500 KB per batch request."""
    key = make_source(platform)
    before = snapshot(platform)
    body = json.dumps({"batch": [{"type": "page", "anonymousId": "c", "name": "x" * 30_000}] * 18})

    response = client.post(
        "/v1/batch",
        content=body,
        headers={**basic(key), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    assert snapshot(platform) == before


def test_a_message_dated_within_the_skew_keeps_its_time():
    """A message a few minutes ahead (a till's clock) is not corrected."""
    received = utcnow()
    ahead = received + timedelta(minutes=5)

    message = parse_message(
        {"type": "page", "anonymousId": "c", "timestamp": ahead.isoformat()}, received_at=received
    )

    assert message.occurred_at == ahead
    assert message.warnings == ()
