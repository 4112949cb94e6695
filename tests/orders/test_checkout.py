"""Checkout: a cart or lines become an order in one transaction, or nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from omnicanal.inventory.models import Reservation, StockLevel
from omnicanal.platform.clock import utcnow
from tests.builders import auth, make_key, snapshot
from tests.orders.builders import (
    AUTHORISED,
    CAPTURED,
    checkout_body,
    line,
    make_cart,
    make_coupon,
    make_shop,
)


def _reserved(platform, sku: str, location: str) -> int:  # type: ignore[no-untyped-def]
    from omnicanal.catalog.models import Variant
    from omnicanal.network.models import Location

    with platform.db.reading() as session:
        return (
            session.scalar(
                select(StockLevel.reserved)
                .join(Variant, Variant.id == StockLevel.variant_id)
                .join(Location, Location.id == StockLevel.location_id)
                .where(Variant.sku == sku, Location.code == location)
            )
            or 0
        )


def test_a_web_order_is_priced_sourced_reserved_and_allocated_in_one_go(platform, client):
    shop = make_shop(platform)
    response = client.post(
        "/v1/orders",
        json=checkout_body(line(shop.robe, 2), line(shop.pull)),
        headers=auth(shop.web),
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "allocated"
    assert order["channel"] == "web"
    assert order["total_minor"] == 3 * 4990
    assert order["payment"] == {
        "provider": "adyen",
        "reference": "psp_0001",
        "status": "authorised",
    }
    assert [(f["method"], f["location"], f["status"]) for f in order["fulfilments"]] == [
        ("ship", "WH-CENTRE", "allocated"),
        ("ship", "PARIS-01", "allocated"),
    ]
    assert [(h["subject"], h["to_status"]) for h in order["history"]] == [
        ("order", "placed"),
        ("fulfilment", "allocated"),
        ("fulfilment", "allocated"),
        ("order", "allocated"),
    ]
    assert order["sourcing_explanation"]
    assert _reserved(platform, shop.robe, "WH-CENTRE") == 2
    assert _reserved(platform, shop.pull, "PARIS-01") == 1
    with platform.db.reading() as session:
        references = set(session.scalars(select(Reservation.reference)))
    assert references == {order["id"]}
    # The answer, built from what the checkout wrote, is the order as a read of it shows it.
    assert client.get(f"/v1/orders/{order['id']}", headers=auth(shop.web)).json() == order


def test_a_channel_moved_to_other_stores_sources_the_next_order_there(platform, client):
    """The process keeps each channel's fulfilling locations in memory; a change made through
    the API shows at the very next checkout, not when the cache expires."""
    shop = make_shop(platform)
    admin = make_key(platform, "web", scopes=["admin"])
    body = checkout_body(line(shop.robe))
    first = client.post("/v1/orders", json=body, headers=auth(shop.web))

    moved = client.put("/v1/channels/web/locations", json=["LYON-01"], headers=auth(admin))
    second = client.post("/v1/orders", json=body, headers=auth(shop.web))

    assert moved.status_code == 200, moved.text
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert [f["location"] for f in first.json()["fulfilments"]] == ["WH-CENTRE"]
    assert [f["location"] for f in second.json()["fulfilments"]] == ["LYON-01"]


def test_a_till_sale_takes_the_stock_at_once_and_completes(platform, client):
    shop = make_shop(platform)
    response = client.post(
        "/v1/orders",
        json={"lines": [line(shop.jean, 2)], "payment": CAPTURED},
        headers=auth(shop.lyon),
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "completed"
    assert order["location"] == "LYON-01"
    (fulfilment,) = order["fulfilments"]
    assert (fulfilment["method"], fulfilment["status"]) == ("carry_out", "completed")
    assert fulfilment["lines"][0]["status"] == "fulfilled"
    stock = client.get(f"/v1/inventory/{shop.jean}", headers=auth(shop.lyon)).json()
    lyon = next(row for row in stock["locations"] if row["location"] == "LYON-01")
    assert (lyon["on_hand"], lyon["reserved"]) == (4, 0)
    assert client.get(f"/v1/orders/{order['id']}", headers=auth(shop.lyon)).json() == order


def test_an_endless_aisle_order_is_sold_in_a_store_and_sent_from_the_online_network(
    platform, client
):
    shop = make_shop(platform)
    response = client.post(
        "/v1/orders",
        json=checkout_body(line(shop.robe, 1, "endless_aisle")),
        headers=auth(shop.paris),
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["channel"] == "store"
    assert order["location"] == "PARIS-01"
    (fulfilment,) = order["fulfilments"]
    assert (fulfilment["method"], fulfilment["location"]) == ("endless_aisle", "WH-CENTRE")
    assert fulfilment["stock_channel"] == "web"


def test_a_reserve_and_try_hold_lasts_the_days_asked_and_is_paid_later(platform, client):
    shop = make_shop(platform)
    body = {"lines": [line(shop.jean, 1, "reserve_and_try", location="PARIS-01", reserve_days=2)]}
    response = client.post("/v1/orders", json=body, headers=auth(shop.app))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["payment"]["status"] == "pending"
    (fulfilment,) = order["fulfilments"]
    assert (fulfilment["method"], fulfilment["status"]) == ("reserve_and_try", "held")
    due = fulfilment["due_at"]
    assert due is not None
    with platform.db.reading() as session:
        expires = session.scalar(select(Reservation.expires_at))
    assert abs((expires - utcnow()) - timedelta(days=2)) < timedelta(minutes=1)


def test_a_cart_is_checked_out_with_its_coupon_and_closed(platform, client):
    shop = make_shop(platform)
    make_coupon(platform, "BIENVENUE")
    cart_id = make_cart(
        platform, (shop.robe, 1), (shop.jean, 1), customer_ref="CUST-1", coupons=["BIENVENUE"]
    )
    response = client.post(
        "/v1/orders",
        json={
            "cart_id": cart_id,
            "fulfilment_by_sku": {shop.jean: {"method": "pickup", "location": "LYON-01"}},
            "delivery_address": {"city": "Lyon", "latitude": 45.75, "longitude": 4.85},
            "payment": AUTHORISED,
        },
        headers=auth(shop.web),
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["customer_ref"] == "CUST-1"
    assert order["coupons"] == ["BIENVENUE"]
    assert order["discount_minor"] == 998
    assert order["total_minor"] == 2 * 4990 - 998
    assert {(f["method"], f["location"]) for f in order["fulfilments"]} == {
        ("ship", "WH-CENTRE"),
        ("pickup", "LYON-01"),
    }
    cart = client.get(f"/v1/carts/{cart_id}", headers=auth(shop.web)).json()
    assert cart["status"] == "checked_out"
    assert cart["order_id"] == order["id"]
    assert client.get(f"/v1/orders/{order['id']}", headers=auth(shop.web)).json() == order


def test_a_retried_checkout_with_the_same_key_places_one_order(platform, client):
    shop = make_shop(platform)
    headers = auth(shop.web, **{"Idempotency-Key": "checkout-42"})
    body = checkout_body(line(shop.robe))
    first = client.post("/v1/orders", json=body, headers=headers)
    second = client.post("/v1/orders", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    assert _reserved(platform, shop.robe, "WH-CENTRE") == 1


# -- refusals: a clear code and nothing changed -------------------------------------------


def _refused(platform, client, body, key, status, code):  # type: ignore[no-untyped-def]
    before = snapshot(platform)
    response = client.post("/v1/orders", json=body, headers=auth(key))
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.headers["content-type"].startswith("application/problem+json")
    assert snapshot(platform) == before
    return response.json()


def test_an_empty_order_is_refused_as_an_empty_cart(platform, client):
    shop = make_shop(platform)
    _refused(platform, client, checkout_body(), shop.web, 422, "empty_cart")


def test_an_empty_cart_is_refused_and_stays_open(platform, client):
    shop = make_shop(platform)
    cart_id = make_cart(platform, customer_ref="CUST-9")
    body = {"cart_id": cart_id, "payment": AUTHORISED}
    _refused(platform, client, body, shop.web, 422, "empty_cart")


def test_an_unknown_sku_is_refused(platform, client):
    shop = make_shop(platform)
    _refused(platform, client, checkout_body(line("NOPE-42")), shop.web, 404, "unknown_sku")


def test_a_checkout_releases_the_expired_holds_it_needs_and_goes_through(platform, client):
    """Units still counted as held by an expired reservation are free: a checkout that
    needs them releases that reservation and takes them, in its transaction."""
    shop = make_shop(platform)
    held = client.post(
        "/v1/reservations",
        json={"sku": shop.robe, "quantity": 20, "location": "WH-CENTRE"},
        headers=auth(shop.web),
    )
    assert held.status_code == 201, held.text
    with platform.db.transaction() as session:
        session.get(Reservation, held.json()["id"]).expires_at = utcnow() - timedelta(seconds=1)

    response = client.post(
        "/v1/orders", json=checkout_body(line(shop.robe, 20)), headers=auth(shop.web)
    )

    assert response.status_code == 201, response.text
    assert [(f["location"], f["status"]) for f in response.json()["fulfilments"]] == [
        ("WH-CENTRE", "allocated")
    ]
    with platform.db.reading() as session:
        assert session.get(Reservation, held.json()["id"]).status == "expired"
    assert _reserved(platform, shop.robe, "WH-CENTRE") == 20


def test_an_expired_coupon_is_refused(platform, client):
    shop = make_shop(platform)
    past = utcnow() - timedelta(days=10)
    make_coupon(
        platform,
        "ETE2025",
        starts_at=past.isoformat(),
        ends_at=(past + timedelta(days=2)).isoformat(),
    )
    body = checkout_body(line(shop.robe), coupons=["ETE2025"])
    _refused(platform, client, body, shop.web, 409, "coupon_expired")


def test_a_coupon_is_used_once_per_customer(platform, client):
    shop = make_shop(platform)
    make_coupon(platform, "UNEFOIS")
    body = checkout_body(line(shop.robe), coupons=["UNEFOIS"], customer_ref="CUST-7")
    assert client.post("/v1/orders", json=body, headers=auth(shop.web)).status_code == 201
    _refused(platform, client, body, shop.web, 409, "coupon_already_used")


def test_a_pickup_at_a_store_without_click_and_collect_is_refused(platform, client):
    shop = make_shop(platform)
    body = checkout_body(line(shop.pull, 1, "pickup", location="OUTLET"))
    problem = _refused(platform, client, body, shop.web, 409, "pickup_not_available")
    assert "OUTLET does not offer click & collect" in problem["detail"]


def test_more_units_than_the_network_holds_are_refused_with_every_shortfall(platform, client):
    shop = make_shop(platform)
    body = checkout_body(line(shop.robe, 500), line(shop.jean, 1, "pickup", location="PARIS-01"))
    body["lines"][1]["quantity"] = 50
    problem = _refused(platform, client, body, shop.web, 409, "insufficient_stock")
    assert [s["sku"] for s in problem["shortfalls"]] == [shop.robe, shop.jean]


def test_a_pickup_needs_its_store(platform, client):
    shop = make_shop(platform)
    body = checkout_body(line(shop.robe, 1, "pickup"))
    _refused(platform, client, body, shop.web, 422, "location_required")


def test_a_home_delivery_needs_an_address(platform, client):
    shop = make_shop(platform)
    body = checkout_body(line(shop.robe))
    del body["delivery_address"]
    _refused(platform, client, body, shop.web, 422, "delivery_address_required")


def test_an_order_needs_its_payment_reference(platform, client):
    shop = make_shop(platform)
    body = checkout_body(line(shop.robe))
    del body["payment"]
    _refused(platform, client, body, shop.web, 422, "payment_required")


def test_a_card_number_is_never_accepted_as_a_payment_reference(platform, client):
    shop = make_shop(platform)
    body = checkout_body(line(shop.robe))
    body["payment"] = {
        "provider": "adyen",
        "reference": "4111 1111 1111 1111",
        "status": "authorised",
    }
    _refused(platform, client, body, shop.web, 422, "validation_error")


def test_a_web_key_cannot_place_a_store_order(platform, client):
    shop = make_shop(platform)
    body = checkout_body(line(shop.robe), channel="store")
    _refused(platform, client, body, shop.web, 403, "channel_forbidden")


def test_a_till_cannot_sell_over_another_stores_counter(platform, client):
    shop = make_shop(platform)
    body = {"lines": [line(shop.jean, 1, "carry_out", location="PARIS-01")], "payment": CAPTURED}
    _refused(platform, client, body, shop.lyon, 403, "location_forbidden")


def test_a_pickup_at_an_unknown_store_is_refused(platform, client):
    shop = make_shop(platform)
    body = checkout_body(line(shop.robe, 1, "pickup", location="NOWHERE"))
    _refused(platform, client, body, shop.web, 404, "unknown_location")


def test_a_checked_out_cart_cannot_be_checked_out_again(platform, client):
    shop = make_shop(platform)
    cart_id = make_cart(platform, (shop.robe, 1), customer_ref="CUST-3")
    body = {"cart_id": cart_id, "delivery_address": {"city": "Lyon"}, "payment": AUTHORISED}
    assert client.post("/v1/orders", json=body, headers=auth(shop.web)).status_code == 201
    _refused(platform, client, body, shop.web, 409, "cart_not_open")


def test_a_key_without_the_orders_scope_cannot_check_out(platform, client):
    shop = make_shop(platform)
    key = make_key(platform, "web", scopes=["catalog:read"])
    _refused(platform, client, checkout_body(line(shop.robe)), key, 403, "forbidden")


@pytest.mark.parametrize(
    "body",
    [
        {"payment": AUTHORISED},
        {"cart_id": "X", "lines": [], "payment": AUTHORISED},
        {"lines": [{"sku": "A", "quantity": 0}], "payment": AUTHORISED},
    ],
)
def test_a_malformed_checkout_is_a_validation_error(platform, client, body):
    shop = make_shop(platform)
    _refused(platform, client, body, shop.web, 422, "validation_error")


def test_a_failed_checkout_writes_no_event(platform, client):
    from omnicanal.platform.events import OutboxEvent

    shop = make_shop(platform)
    with platform.db.reading() as session:
        events = session.scalar(select(func.count()).select_from(OutboxEvent))
    body = checkout_body(line(shop.robe), line(shop.pull, 1, "pickup", location="OUTLET"))
    assert client.post("/v1/orders", json=body, headers=auth(shop.web)).status_code == 409
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == events
