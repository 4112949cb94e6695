"""Values no database can store, or no calendar holds, are a 4xx problem and change nothing.

Each case was a 500 once: PostgreSQL refuses NUL in text and integers beyond int4/int8,
SQLite integers beyond int8, Python's datetime overflows turning year 1 or 9999 into UTC.
"""

from __future__ import annotations

import json

import pytest

from omnicanal.platform.auth import SCOPES
from tests.builders import auth, make_key, make_location, make_product, receive, snapshot
from tests.inventory.test_bad_input import refused
from tests.orders.builders import checkout_body, line

YEAR_ONE = "0001-01-01T00:00:00+01:00"
YEAR_9999 = "9999-12-31T23:30:00-05:00"


@pytest.fixture
def shop(platform):  # type: ignore[no-untyped-def]
    """A store with stock of one SKU, a web key and a back-office key with every scope."""
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "CHEMISE-LIN")
    receive(platform, sku, "LYON-01", 5)
    return {
        "sku": sku,
        "web": make_key(platform, "web"),
        "admin": make_key(platform, "web", scopes=sorted(SCOPES)),
    }


def refused_body(platform, client, url, token, status, code, body, media="application/json"):  # type: ignore[no-untyped-def]
    """``refused`` for a body sent as raw bytes with its own media type."""
    before = snapshot(platform)
    headers = {**auth(token), "Content-Type": media}
    response = client.post(url, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["title"] and problem["detail"]
    assert snapshot(platform) == before
    return problem


def _product(**fields):  # type: ignore[no-untyped-def]
    product = {
        "code": "PULL-ROSA",
        "name": "Pull Rosa",
        "category": "Pulls",
        "variants": [{"sku": "PULL-ROSA-M", "size": "M"}],
    }
    return {**product, **fields}


@pytest.mark.parametrize("moment", [YEAR_ONE, YEAR_9999])
def test_a_promotion_starting_outside_the_calendar_is_invalid(platform, client, shop, moment):
    """Year 1 and year 9999 with an offset are a 422 naming the field, not an overflow."""
    problem = refused(
        platform,
        client,
        "POST",
        "/v1/promotions",
        shop["admin"],
        422,
        "validation_error",
        json={
            "code": "ETE",
            "name": "Été",
            "kind": "percent_off",
            "percent": 10,
            "starts_at": moment,
        },
    )
    assert problem["field"] == "starts_at"


def test_a_price_override_ending_in_year_9999_is_invalid(platform, client, shop):
    """A price override's period stays within the calendar the database can hold."""
    problem = refused(
        platform,
        client,
        "POST",
        "/v1/pricing/overrides",
        shop["admin"],
        422,
        "validation_error",
        json={
            "sku": shop["sku"],
            "channel": "web",
            "price_minor": 3990,
            "valid_until": YEAR_9999,
            "reason": "soldes",
        },
    )
    assert problem["field"] == "valid_until"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/v1/orders?placed_from={YEAR_ONE}", "query.placed_from"),
        (f"/v1/promotions?active_at={YEAR_9999}", "query.active_at"),
        (f"/v1/pricing/consistency?at={YEAR_ONE}", "query.at"),
        ("/v1/analytics/event-counts?since=0001-01-01", "query.since"),
    ],
)
def test_a_query_date_outside_the_calendar_is_invalid(platform, client, shop, url, field):
    """Dates in query strings are bounded like those in bodies."""
    problem = refused(
        platform, client, "GET", url.replace("+", "%2B"), shop["admin"], 422, "validation_error"
    )
    assert problem["field"] == field


@pytest.mark.parametrize("quantity", [2**31, 2**63])
def test_a_reservation_beyond_any_integer_column_is_invalid(platform, client, shop, quantity):
    """2147483648 overflowed PostgreSQL's integer, 2**63 SQLite's."""
    problem = refused(
        platform,
        client,
        "POST",
        "/v1/reservations",
        shop["web"],
        422,
        "validation_error",
        json={"sku": shop["sku"], "quantity": quantity},
    )
    assert problem["field"] == "quantity"


@pytest.mark.parametrize("quantity", [2**31, 2**63, -(2**63)])
def test_a_stock_movement_beyond_any_integer_column_is_invalid(platform, client, shop, quantity):
    """Adjustments may be negative but stay within the bounds of a quantity."""
    problem = refused(
        platform,
        client,
        "POST",
        "/v1/inventory/movements",
        shop["admin"],
        422,
        "validation_error",
        json={
            "sku": shop["sku"],
            "location": "LYON-01",
            "kind": "adjustment",
            "quantity": quantity,
            "reason": "inventaire",
        },
    )
    assert problem["field"] == "quantity"


def test_a_list_price_beyond_the_largest_amount_is_invalid(platform, client, shop):
    """Amounts in minor units are bounded so that totals still fit their columns."""
    variant = {"sku": "PULL-ROSA-M", "size": "M", "price_minor": 2**31}
    problem = refused(
        platform,
        client,
        "POST",
        "/v1/products",
        shop["admin"],
        422,
        "validation_error",
        json=_product(variants=[variant]),
    )
    assert problem["field"] == "variants.0.price_minor"


def test_a_cart_line_of_two_to_the_63_units_is_invalid(platform, client, shop):
    """A cart's quantity is bounded before pricing multiplies it."""
    refused(
        platform,
        client,
        "POST",
        "/v1/carts",
        shop["web"],
        422,
        "validation_error",
        json={"anonymous_id": "anon-1", "lines": [{"sku": shop["sku"], "quantity": 2**63}]},
    )


def test_a_nul_byte_in_a_body_text_is_invalid(platform, client, shop):
    """PostgreSQL cannot store NUL in text: the edge refuses it on every backend."""
    problem = refused(
        platform,
        client,
        "POST",
        "/v1/products",
        shop["admin"],
        422,
        "validation_error",
        json=_product(name="Pull\x00Rosa"),
    )
    assert problem["field"] == "name"


def test_a_nul_byte_in_a_nested_free_form_text_is_invalid(platform, client, shop):
    """Free-form objects (customer attributes) are checked item by item too."""
    problem = refused(
        platform,
        client,
        "POST",
        "/v1/carts",
        shop["web"],
        422,
        "validation_error",
        json={"anonymous_id": "anon-1", "customer_attributes": {"tier": "gold\x00"}},
    )
    assert problem["field"] == "customer_attributes"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/locations/LYON%0001", "path.code"),
        ("/v1/skus/CHEMISE%00", "path.code"),
        ("/v1/orders?customer_ref=cust%00omer", "query.customer_ref"),
        ("/v1/carts/lookup?anonymous_id=anon%00", "query.anonymous_id"),
    ],
)
def test_a_nul_byte_in_a_path_or_query_parameter_is_invalid(platform, client, shop, url, field):
    """Parameters outside the body are bounded the same way, whatever their declared type."""
    problem = refused(platform, client, "GET", url, shop["admin"], 422, "validation_error")
    assert problem["field"] == field


def test_an_over_long_path_parameter_is_invalid(platform, client, shop):
    """No parameter is longer than the OpenAPI says (200 characters)."""
    refused(
        platform, client, "GET", "/v1/skus/" + "A" * 201, shop["admin"], 422, "validation_error"
    )


def test_a_lone_surrogate_in_a_body_text_is_invalid(platform, client, shop):
    """A lone surrogate cannot be encoded as UTF-8 for the database or the answer."""
    body = '{"sku": "' + shop["sku"] + '", "quantity": 1, "reference": "ref-\\ud800"}'
    problem = refused_body(
        platform, client, "/v1/reservations", shop["web"], 422, "validation_error", body.encode()
    )
    assert problem["field"] == "reference"


def test_json_nested_a_thousand_deep_is_a_400(platform, client, shop):
    """A body too deep for the JSON parser is malformed, not a crash."""
    deep = '{"anonymous_id": "anon-1", "customer_attributes": ' + "[" * 1000 + "]" * 1000 + "}"
    refused_body(platform, client, "/v1/carts", shop["web"], 400, "malformed_json", deep.encode())


def test_json_nested_deeper_than_the_bound_is_invalid(platform, client, shop):
    """Free-form values nest at most 32 lists or objects deep."""
    nested: object = "or"
    for _ in range(40):
        nested = [nested]
    refused(
        platform,
        client,
        "POST",
        "/v1/promotions",
        shop["admin"],
        422,
        "validation_error",
        json={
            "code": "ETE",
            "name": "Été",
            "kind": "percent_off",
            "percent": 10,
            "customer_conditions": {"tier": nested},
        },
    )


def test_not_a_number_is_refused_where_a_coordinate_is_expected(platform, client, shop):
    """NaN parses in Python's JSON but is no coordinate (nor valid JSON to answer with)."""
    location = {
        "code": "NANTES-01",
        "name": "Nantes",
        "kind": "store",
        "latitude": "NaN",
        "longitude": -1.55,
    }
    body = json.dumps(location).replace('"NaN"', "NaN")
    refused_body(
        platform, client, "/v1/locations", shop["admin"], 422, "validation_error", body.encode()
    )


def test_a_body_that_is_not_json_is_a_415(platform, client, shop):
    """A body sent as text or a form is refused as such, not as missing fields."""
    refused_body(
        platform,
        client,
        "/v1/reservations",
        shop["web"],
        415,
        "unsupported_media_type",
        b"sku=CHEMISE-LIN-M&quantity=1",
        media="application/x-www-form-urlencoded",
    )


def test_a_body_over_one_megabyte_is_a_413(platform, client, shop):
    """The REST API reads at most 1 MiB of body."""
    body = json.dumps({"sku": shop["sku"], "quantity": 1, "reference": "x" * 1_100_000})
    refused_body(
        platform, client, "/v1/reservations", shop["web"], 413, "payload_too_large", body.encode()
    )


@pytest.mark.parametrize("key", ["k" * 201, "two words", "clé"])
def test_an_idempotency_key_outside_its_limits_is_invalid(platform, client, shop, key):
    """Idempotency keys are 1 to 200 visible ASCII characters, as the OpenAPI says."""
    before = snapshot(platform)
    response = client.post(
        "/v1/reservations",
        json={"sku": shop["sku"], "quantity": 1},
        headers={**auth(shop["web"]), "Idempotency-Key": key.encode()},
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "header.Idempotency-Key"
    assert snapshot(platform) == before


def test_a_wrong_method_is_a_405_problem_with_allow(platform, client, shop):
    """A 405 says which methods the address takes."""
    response = client.delete("/v1/reservations", headers=auth(shop["web"]))
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"
    assert response.headers["allow"] == "POST"


def test_the_openapi_states_the_bounds_and_the_edge_responses(client):
    """Parameters carry their maximum length; bodies their 400, 413 and 415 answers."""
    spec = client.get("/openapi.json").json()
    movements = spec["paths"]["/v1/inventory/{sku}/movements"]["get"]
    sku = next(p for p in movements["parameters"] if p["name"] == "sku")
    assert sku["schema"]["maxLength"] == 200
    checkout = spec["paths"]["/v1/orders"]["post"]
    assert {"400", "409", "413", "415", "422"} <= set(checkout["responses"])
    key = next(p for p in checkout["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"]["anyOf"][0]["maxLength"] == 200
    reservation = spec["components"]["schemas"]["ReservationIn"]["properties"]["quantity"]
    assert reservation["maximum"] == 100_000


def test_an_order_beyond_the_largest_amount_is_refused(platform, client, shop):
    """Each price fits, their sum would not: the checkout says so before writing anything."""
    variant = {"sku": "MONTRE-OR-U", "size": "U", "price_minor": 1_000_000_000}
    created = client.post(
        "/v1/products",
        json=_product(code="MONTRE-OR", variants=[variant]),
        headers=auth(shop["admin"]),
    )
    assert created.status_code == 201, created.text
    receive(platform, "MONTRE-OR-U", "LYON-01", 3)

    problem = refused(
        platform,
        client,
        "POST",
        "/v1/orders",
        shop["web"],
        422,
        "order_too_large",
        json=checkout_body(line("MONTRE-OR-U", 2)),
    )
    assert problem["field"] == "lines"
