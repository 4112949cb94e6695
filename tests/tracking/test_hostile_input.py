"""Hostile input to the tracking API: a clear 400 with a code, never a 500; a refused message
stores nothing, and a batch keeps its good messages and names the bad ones by index."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.builders import snapshot
from tests.customers.support import basic, make_source

GOOD = {"type": "page", "anonymousId": "c-good", "name": "Accueil", "messageId": "good-1"}


def track(**fields: Any) -> dict[str, Any]:
    return {"type": "track", "anonymousId": "c-1", "event": "Viewed", **fields}


# (a test id, the message as JSON text, the code it gets, the field it names)
BAD_MESSAGES = [
    (
        "year 1 at +01:00",
        json.dumps(track(timestamp="0001-01-01T00:00:00+01:00")),
        "invalid_timestamp",
        "timestamp",
    ),
    (
        "year 9999 at -01:00",
        json.dumps(track(timestamp="9999-12-31T23:59:59-01:00")),
        "invalid_timestamp",
        "timestamp",
    ),
    (
        "year 9999 at +01:00",
        json.dumps(track(timestamp="9999-12-31T23:59:59+01:00")),
        "invalid_timestamp",
        "timestamp",
    ),
    (
        "an original timestamp of year 1",
        json.dumps(track(originalTimestamp="0001-01-01T00:00:00+01:00")),
        "invalid_timestamp",
        "originalTimestamp",
    ),
    (
        "a nanosecond epoch far in the future",
        json.dumps(track(timestamp=10**18 * 9)),
        "invalid_timestamp",
        "timestamp",
    ),
    (
        "a negative millisecond epoch",
        json.dumps(track(timestamp=-(10**17))),
        "invalid_timestamp",
        "timestamp",
    ),
    (
        "an epoch beyond 64 bits",
        json.dumps(track(timestamp=10**30)),
        "number_out_of_range",
        "timestamp",
    ),
    (
        "2^63 in a property",
        json.dumps(track(properties={"count": 2**63})),
        "number_out_of_range",
        "properties.count",
    ),
    (
        "2^70 in an identify trait",
        json.dumps({"type": "identify", "userId": "u-1", "traits": {"age": 2**70}}),
        "number_out_of_range",
        "traits.age",
    ),
    (
        "an order total beyond 64 bits",
        json.dumps(track(event="Order Completed", properties={"order_id": "o-1", "total": 2**63})),
        "number_out_of_range",
        "properties.total",
    ),
    (
        "an order total of 1e300",
        json.dumps(track(event="Order Completed", properties={"order_id": "o-1", "total": 1e300})),
        "amount_out_of_range",
        "properties.total",
    ),
    (
        "an order revenue of a hundred thousand billions written as text",
        json.dumps(
            track(event="Order Completed", properties={"order_id": "o-1", "revenue": "1e17"})
        ),
        "amount_out_of_range",
        "properties.revenue",
    ),
    (
        "a number that overflows to infinity",
        '{"type": "track", "anonymousId": "c-1", "event": "Viewed", "properties": {"x": 1e400}}',
        "number_out_of_range",
        "properties.x",
    ),
    ("a NUL in the event name", json.dumps(track(event="Viewed\u0000")), "invalid_text", "event"),
    (
        "a NUL in a property",
        json.dumps(track(properties={"colour": "noir\u0000"})),
        "invalid_text",
        "properties.colour",
    ),
    (
        "a NUL in a property name",
        json.dumps(track(properties={"col\u0000our": "noir"})),
        "invalid_text",
        "properties",
    ),
    (
        "a NUL in the messageId",
        json.dumps(track(messageId="m\u0000")),
        "invalid_text",
        "messageId",
    ),
    (
        "a NUL in a trait",
        json.dumps({"type": "identify", "userId": "u-1", "traits": {"first_name": "Ali\u0000"}}),
        "invalid_text",
        "traits.first_name",
    ),
    (
        "a lone surrogate in the event name",
        '{"type": "track", "anonymousId": "c-1", "event": "Viewed \\ud800"}',
        "invalid_text",
        "event",
    ),
    (
        "a lone surrogate in a property name",
        '{"type": "track", "anonymousId": "c-1", "event": "V", "properties": {"\\udc00": 1}}',
        "invalid_text",
        "properties",
    ),
    (
        "a property nested 40 levels deep",
        json.dumps(track(properties={"x": json.loads("[" * 40 + "]" * 40)})),
        "too_deep",
        "properties.x" + "[0]" * 30,
    ),
    (
        "a 64 KiB property",
        json.dumps(track(properties={"note": "x" * 65_536})),
        "message_too_large",
        "",
    ),
]


def post(client, key: str, route: str, text: str):  # type: ignore[no-untyped-def]
    return client.post(
        route,
        content=text.encode(),
        headers={**basic(key), "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [case[1:] for case in BAD_MESSAGES],
    ids=[case[0] for case in BAD_MESSAGES],
)
def test_a_single_hostile_message_is_a_400_with_its_code_and_stores_nothing(
    platform, client, text, code, field
):
    """POST /v1/track (or /v1/identify) with a hostile value: 400, its code and field."""
    key = make_source(platform)
    route = "/v1/identify" if '"identify"' in text else "/v1/track"
    before = snapshot(platform)

    response = post(client, key, route, text)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["rejected"][0]["field"] == field
    assert problem["detail"]
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [case[1:] for case in BAD_MESSAGES],
    ids=[case[0] for case in BAD_MESSAGES],
)
def test_a_batch_stores_its_good_messages_and_names_the_hostile_one_by_index(
    platform, client, text, code, field
):
    """A Segment SDK retries a batch answered 500 forever: the good message is kept."""
    key = make_source(platform)
    body = '{"batch": [' + json.dumps(GOOD) + ", " + text + "]}"

    response = post(client, key, "/v1/batch", body)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["accepted"] == 1
    assert [(r["index"], r["code"], r["field"]) for r in answer["rejected"]] == [(1, code, field)]
    assert snapshot(platform)["tracking_messages"] == 1


@pytest.mark.parametrize("route", ["/v1/batch", "/v1/identify", "/v1/track"])
def test_json_nested_a_thousand_deep_is_refused_before_it_is_parsed(platform, client, route):
    """A body nested 1,000 levels deep is a 400 json_too_deep, not a recursion error."""
    key = make_source(platform)
    nested = "[" * 1000 + "]" * 1000
    text = (
        '{"batch": ' + nested + "}"
        if route == "/v1/batch"
        else '{"type": "identify", "userId": "u-1", "traits": {"a": ' + nested + "}}"
    )
    before = snapshot(platform)

    response = post(client, key, route, text)

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "json_too_deep"
    assert snapshot(platform) == before


def test_brackets_inside_strings_do_not_count_as_nesting(platform, client):
    """A property whose text is a thousand brackets is an ordinary string."""
    key = make_source(platform)

    response = post(client, key, "/v1/track", json.dumps(track(properties={"note": "[{" * 1000})))

    assert response.status_code == 200, response.text
    assert snapshot(platform)["tracking_messages"] == 1


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(platform, client, constant):
    """Python's reader takes NaN and Infinity; JSON (and PostgreSQL) does not."""
    key = make_source(platform)
    text = '{"batch": [' + json.dumps(GOOD)[:-1] + ', "properties": {"x": ' + constant + "}}]}"
    before = snapshot(platform)

    response = post(client, key, "/v1/batch", text)

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "malformed_json"
    assert snapshot(platform) == before


def test_a_write_key_with_a_lone_surrogate_is_an_unknown_key(platform, client):
    """A writeKey in the body that no UTF-8 text can be is answered 401, not 500."""
    make_source(platform)
    before = snapshot(platform)

    response = client.post(
        "/v1/batch",
        content=('{"writeKey": "wk_\\ud800", "batch": [' + json.dumps(GOOD) + "]}").encode(),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 401, response.text
    assert response.json()["code"] == "unknown_write_key"
    assert snapshot(platform) == before


def test_a_refused_message_id_with_a_lone_surrogate_is_not_echoed(platform, client):
    """The answer names the message by index; its unprintable messageId is left out."""
    key = make_source(platform)
    body = '{"batch": [' + json.dumps(GOOD) + ', {"type": "track", "messageId": "m\\udfff"}]}'

    response = post(client, key, "/v1/batch", body)

    assert response.status_code == 200, response.text
    (rejected,) = response.json()["rejected"]
    assert (rejected["index"], rejected["messageId"]) == (1, None)
