"""Bad input gets a 4xx problem with a clear code, and changes nothing at all."""

from __future__ import annotations

import pytest

from tests.builders import auth, make_key, make_location, make_product, receive, snapshot


@pytest.fixture
def shop(platform):  # type: ignore[no-untyped-def]
    """Two stores, a SKU with stock in both, a web key and a Lyon till key."""
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01", latitude=48.8566, longitude=2.3522, city="Paris")
    (sku,) = make_product(platform, "CHEMISE-LIN")
    receive(platform, sku, "LYON-01", 5)
    receive(platform, sku, "PARIS-01", 5)
    return {
        "sku": sku,
        "web": make_key(platform, "web"),
        "lyon": make_key(platform, "store", location="LYON-01"),
    }


def refused(platform, client, method, url, token, status, code, **kwargs):  # type: ignore[no-untyped-def]
    before = snapshot(platform)
    response = client.request(method, url, headers=auth(token) if token else {}, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert snapshot(platform) == before
    return problem


@pytest.mark.parametrize("quantity", [0, -3])
def test_a_reservation_of_zero_or_negative_units_is_invalid(platform, client, shop, quantity):
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


@pytest.mark.parametrize("quantity", [0, -2])
def test_a_receipt_of_zero_or_negative_units_is_invalid(platform, client, shop, quantity):
    refused(
        platform,
        client,
        "POST",
        "/v1/inventory/movements",
        shop["lyon"],
        422,
        "validation_error",
        json={"sku": shop["sku"], "location": "LYON-01", "kind": "receipt", "quantity": quantity},
    )


def test_an_unknown_sku_is_named_in_a_404(platform, client, shop):
    problem = refused(
        platform,
        client,
        "POST",
        "/v1/reservations",
        shop["web"],
        404,
        "unknown_sku",
        json={"sku": "NOPE-42", "quantity": 1},
    )
    assert "NOPE-42" in problem["detail"]


def test_an_unknown_location_is_a_404(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/reservations",
        shop["web"],
        404,
        "unknown_location",
        json={"sku": shop["sku"], "quantity": 1, "location": "ATLANTIS-01"},
    )


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"location": ["LYON-01", "ATLANTIS-01"]}, 404, "unknown_location"),
        ({"channel": "teleshopping"}, 404, "unknown_channel"),
        ({"include_empty": "maybe"}, 422, "validation_error"),
    ],
)
def test_an_availability_read_of_unknown_places_or_a_bad_flag_is_refused(
    platform, client, shop, params, status, code
):
    refused(
        platform,
        client,
        "GET",
        "/v1/availability",
        shop["web"],
        status,
        code,
        params={"sku": shop["sku"], **params},
    )


def test_a_movement_at_an_unknown_location_is_a_404(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/inventory/movements",
        make_key(platform, "store", location="PARIS-01"),
        404,
        "unknown_location",
        json={"sku": shop["sku"], "location": "ATLANTIS-01", "kind": "receipt", "quantity": 1},
    )


def test_a_product_with_a_malformed_gtin_is_refused(platform, client, shop):
    with platform.db.transaction() as session:
        from omnicanal.platform.actors import ChannelKind
        from omnicanal.platform.auth import create_api_key

        _, admin = create_api_key(
            session, channel=ChannelKind.web, name="catalog admin", scopes=["catalog:write"]
        )
    product = {
        "code": "PULL-ROSA",
        "name": "Pull Rosa",
        "category": "Pulls",
        "variants": [{"sku": "PULL-ROSA-M", "gtin": "3761234567891", "size": "M"}],
    }
    problem = refused(
        platform, client, "POST", "/v1/products", admin, 422, "invalid_gtin", json=product
    )
    assert "3761234567891" in problem["detail"]


def test_confirming_a_released_reservation_is_a_conflict(platform, client, shop):
    reservation = client.post(
        "/v1/reservations", json={"sku": shop["sku"], "quantity": 1}, headers=auth(shop["web"])
    ).json()
    client.post(f"/v1/reservations/{reservation['id']}/release", headers=auth(shop["web"]))

    problem = refused(
        platform,
        client,
        "POST",
        f"/v1/reservations/{reservation['id']}/confirm",
        shop["web"],
        409,
        "reservation_not_active",
    )
    assert problem["reservation_status"] == "released"


def test_a_store_key_cannot_reserve_at_another_store(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/reservations",
        shop["lyon"],
        403,
        "location_forbidden",
        json={"sku": shop["sku"], "quantity": 1, "location": "PARIS-01"},
    )


def test_a_store_key_cannot_move_stock_at_another_store(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/inventory/movements",
        shop["lyon"],
        403,
        "location_forbidden",
        json={"sku": shop["sku"], "location": "PARIS-01", "kind": "sale", "quantity": 1},
    )


def test_a_store_key_cannot_release_another_stores_reservation(platform, client, shop):
    paris = make_key(platform, "store", location="PARIS-01")
    held = client.post(
        "/v1/reservations", json={"sku": shop["sku"], "quantity": 1}, headers=auth(paris)
    ).json()
    assert held["location"] == "PARIS-01"

    refused(
        platform,
        client,
        "POST",
        f"/v1/reservations/{held['id']}/release",
        shop["lyon"],
        404,
        "unknown_reservation",
    )


def test_a_store_key_reserves_at_its_own_store_when_none_is_named(platform, client, shop):
    response = client.post(
        "/v1/reservations", json={"sku": shop["sku"], "quantity": 5}, headers=auth(shop["lyon"])
    )
    assert response.json()["location"] == "LYON-01"
    refused(
        platform,
        client,
        "POST",
        "/v1/reservations",
        shop["lyon"],
        409,
        "insufficient_stock",
        json={"sku": shop["sku"], "quantity": 1},
    )


def test_a_web_key_cannot_reserve_for_the_store_channel(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/reservations",
        shop["web"],
        403,
        "channel_forbidden",
        json={"sku": shop["sku"], "quantity": 1, "channel": "store"},
    )


def test_a_request_without_a_key_is_unauthenticated(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/reservations",
        None,
        401,
        "unauthenticated",
        json={"sku": shop["sku"], "quantity": 1},
    )


def test_an_unknown_key_is_unauthenticated(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/reservations",
        "oc_web_forged",
        401,
        "unauthenticated",
        json={"sku": shop["sku"], "quantity": 1},
    )


def test_a_key_without_the_scope_is_forbidden(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/inventory/movements",
        shop["web"],
        403,
        "forbidden",
        json={"sku": shop["sku"], "location": "LYON-01", "kind": "receipt", "quantity": 1},
    )


def test_malformed_json_is_a_400(platform, client, shop):
    before = snapshot(platform)
    response = client.post(
        "/v1/reservations",
        content=b'{"sku": ',
        headers={**auth(shop["web"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert snapshot(platform) == before


def test_a_sale_of_more_than_on_hand_is_refused(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/inventory/movements",
        shop["lyon"],
        409,
        "negative_stock",
        json={"sku": shop["sku"], "location": "LYON-01", "kind": "sale", "quantity": 6},
    )


def test_an_adjustment_without_a_reason_is_invalid(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/inventory/movements",
        shop["lyon"],
        422,
        "validation_error",
        json={"sku": shop["sku"], "location": "LYON-01", "kind": "adjustment", "quantity": -1},
    )


def test_confirming_an_unknown_reservation_is_a_404(platform, client, shop):
    refused(
        platform,
        client,
        "POST",
        "/v1/reservations/01J00000000000000000000000/confirm",
        shop["web"],
        404,
        "unknown_reservation",
    )
