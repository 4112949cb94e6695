"""Reading Segment-spec messages the way the SDKs send them (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omnicanal.customers.identifiers import make_identifier
from omnicanal.tracking.spec import ParsedMessage, Rejection, parse_message, parse_timestamp

RECEIVED = datetime(2026, 5, 4, 12, 0, 0, tzinfo=UTC)


def read(message, **options) -> ParsedMessage:
    parsed = parse_message(message, received_at=RECEIVED, **options)
    assert isinstance(parsed, ParsedMessage), parsed
    return parsed


def refuse(message, **options) -> Rejection:
    refused = parse_message(message, received_at=RECEIVED, **options)
    assert isinstance(refused, Rejection), refused
    return refused


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-04T10:00:00Z", datetime(2026, 5, 4, 10, tzinfo=UTC)),
        ("2026-05-04T10:00:00.123Z", datetime(2026, 5, 4, 10, 0, 0, 123000, tzinfo=UTC)),
        ("2026-05-04T10:00:00.123456Z", datetime(2026, 5, 4, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-05-04T12:00:00.123456+02:00", datetime(2026, 5, 4, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-05-04T10:00:00.123456789Z", datetime(2026, 5, 4, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-05-04T10:00:00", datetime(2026, 5, 4, 10, tzinfo=UTC)),
        (1777888800, datetime(2026, 5, 4, 10, tzinfo=UTC)),
        (1777888800123, datetime(2026, 5, 4, 10, 0, 0, 123000, tzinfo=UTC)),
    ],
)
def test_timestamps_with_milliseconds_microseconds_or_epochs_are_read_in_utc(text, expected):
    assert parse_timestamp(text, "timestamp") == expected


def test_an_identify_reads_traits_from_traits_and_from_context_traits():
    message = read(
        {
            "type": "identify",
            "userId": "u-1",
            "anonymousId": None,
            "traits": {"first_name": "Léa", "email": "LEA@example.fr"},
            "context": {"traits": {"phone": "06 12 34 56 78", "city": "Lyon"}},
        }
    )

    assert set(message.identifiers) == {
        make_identifier("user_id", "u-1"),
        make_identifier("email", "lea@example.fr"),
        make_identifier("phone", "+33612345678"),
    }
    assert message.traits == {"first_name": "Léa", "city": "Lyon"}


def test_a_track_takes_identifiers_from_context_traits_but_keeps_no_traits():
    message = read(
        {
            "type": "track",
            "event": "Added To Cart",
            "anonymousId": "c1",
            "context": {"traits": {"email": "a@example.fr"}, "device": {"id": "DEV-1"}},
        }
    )

    kinds = {i.kind.value for i in message.identifiers}
    assert kinds == {"anonymous_id", "email", "device_id"}
    assert message.traits == {}
    assert message.name == "Added To Cart"


def test_external_ids_in_the_context_are_identifiers():
    message = read(
        {
            "type": "identify",
            "userId": "u-1",
            "context": {
                "externalIds": [
                    {"id": "C-42", "type": "customer_number", "collection": "users"},
                    {"id": "FID 11", "type": "loyalty_card"},
                    {"id": "x9", "type": "crm_id"},
                ]
            },
        }
    )

    assert {str(i) for i in message.identifiers} == {
        "user_id:u-1",
        "external_id:C-42",
        "loyalty_card:FID11",
        "external_id:crm_id:x9",
    }


def test_the_message_time_is_its_timestamp_when_it_has_one():
    message = read({"type": "page", "anonymousId": "c", "timestamp": "2026-05-04T09:00:00Z"})
    assert message.occurred_at == datetime(2026, 5, 4, 9, tzinfo=UTC)


def test_a_device_clock_running_late_is_corrected_with_sent_at():
    message = read(
        {
            "type": "page",
            "anonymousId": "c",
            "originalTimestamp": "2026-05-04T08:59:00Z",
            "sentAt": "2026-05-04T09:00:00Z",
        }
    )
    assert message.occurred_at == RECEIVED - timedelta(minutes=1)


def test_the_batch_sent_at_applies_when_the_message_has_none():
    message = read(
        {"type": "page", "anonymousId": "c", "originalTimestamp": "2026-05-04T08:00:00Z"},
        batch_sent_at=datetime(2026, 5, 4, 8, 0, 30, tzinfo=UTC),
    )
    assert message.occurred_at == RECEIVED - timedelta(seconds=30)


def test_without_any_time_the_message_happened_when_it_was_received():
    assert read({"type": "screen", "anonymousId": "c"}).occurred_at == RECEIVED


def test_a_message_without_message_id_gets_one():
    message = read({"type": "page", "anonymousId": "c"})
    assert message.message_id.startswith("auto-")


def test_numeric_user_ids_and_message_ids_are_read_as_text():
    message = read({"type": "track", "event": "E", "userId": 42, "messageId": 7})
    assert message.message_id == "7"
    assert str(message.identifiers[0]) == "user_id:42"


def test_an_order_completed_event_carries_its_order_facts():
    message = read(
        {
            "type": "track",
            "userId": "u",
            "event": "Order Completed",
            "properties": {
                "order_id": "W-9",
                "total": "129.90",
                "currency": "eur",
                "products": [{"category": "Robes"}, {"category": "Sacs"}],
            },
        }
    )
    assert message.order is not None
    assert (message.order.order_id, message.order.amount_minor, message.order.currency) == (
        "W-9",
        12990,
        "EUR",
    )
    assert message.order.categories == ("Robes", "Sacs")


def test_an_alias_links_the_previous_id_to_the_user():
    message = read({"type": "alias", "previousId": "old-cookie", "userId": "u-1"})
    assert {str(i) for i in message.identifiers} == {"user_id:u-1", "anonymous_id:old-cookie"}


@pytest.mark.parametrize(
    ("message", "code", "field"),
    [
        ({"type": "track", "event": "E"}, "missing_id", "userId"),
        (
            {"type": "track", "anonymousId": None, "userId": None, "event": "E"},
            "missing_id",
            "userId",
        ),
        ({"type": "track", "anonymousId": "c"}, "missing_event", "event"),
        ({"type": "shout", "anonymousId": "c"}, "invalid_type", "type"),
        (
            {"type": "page", "anonymousId": "c", "timestamp": "yesterday"},
            "invalid_timestamp",
            "timestamp",
        ),
        ({"type": "page", "anonymousId": "c", "properties": [1]}, "invalid_field", "properties"),
        ({"type": "group", "anonymousId": "c"}, "missing_id", "groupId"),
        ({"type": "alias", "userId": "u"}, "missing_id", "previousId"),
        ({"type": "page", "anonymousId": {"a": 1}}, "invalid_id", "anonymousId"),
        (
            {"type": "page", "anonymousId": "c", "messageId": "m" * 101},
            "invalid_field",
            "messageId",
        ),
        ("not an object", "not_an_object", ""),
    ],
)
def test_a_wrong_message_is_refused_with_its_code_field_and_reason(message, code, field):
    refused = refuse(message, index=3)

    assert (refused.index, refused.code, refused.field) == (3, code, field)
    assert refused.reason


def test_a_phone_warning_says_what_was_typed():
    """An invalid phone no longer refuses its message: the warning quotes what was typed."""
    message = read({"type": "identify", "userId": "u", "traits": {"phone": "06 12"}})
    assert [(w.code, w.field) for w in message.warnings] == [("unverified_phone", "traits.phone")]
    assert message.warnings[0].reason.startswith(
        "traits.phone: '06 12' is not a valid phone number (region FR)"
    )


def test_an_empty_phone_trait_is_no_phone_at_all():
    message = read({"type": "identify", "userId": "u", "traits": {"phone": "", "email": " "}})
    assert [str(i) for i in message.identifiers] == ["user_id:u"]


def test_a_message_over_the_size_limit_is_refused():
    refused = refuse(
        {"type": "page", "anonymousId": "c", "properties": {"x": "y" * 500}}, max_bytes=200
    )
    assert refused.code == "message_too_large"


def test_the_route_decides_the_type_of_a_single_message():
    message = read({"anonymousId": "c", "event": "E"}, forced_type="track")
    assert message.type == "track"
