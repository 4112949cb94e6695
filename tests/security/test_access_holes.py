"""The holes a hostile tester found, each closed: no key reaches into what is not its own."""

from __future__ import annotations

from tests.builders import auth, make_key, snapshot
from tests.orders.builders import checkout_body, line, make_shop, place
from tests.security.test_access_matrix import make_world


def test_a_marketplace_key_cannot_cancel_a_web_order(platform, client):
    """It does not even see it: 404, and the order is untouched."""
    world = make_world(platform, client)
    before = snapshot(platform)
    response = client.post(
        f"/v1/orders/{world.orders['web']}/cancel", headers=auth(world.keys["marketplace"])
    )
    assert (response.status_code, response.json()["code"]) == (404, "unknown_order")
    assert snapshot(platform) == before


def test_the_app_key_cannot_cancel_a_paris_pickup_order(platform, client):
    world = make_world(platform, client)
    before = snapshot(platform)
    response = client.post(
        f"/v1/orders/{world.orders['paris']}/cancel", headers=auth(world.keys["app"])
    )
    assert (response.status_code, response.json()["code"]) == (403, "order_forbidden")
    assert snapshot(platform) == before


def test_a_lyon_store_key_cannot_rewrite_a_paris_orders_payment(platform, client):
    world = make_world(platform, client)
    before = snapshot(platform)
    response = client.post(
        f"/v1/orders/{world.orders['paris']}/payment",
        json={"status": "captured"},
        headers=auth(world.keys["lyon"]),
    )
    assert (response.status_code, response.json()["code"]) == (403, "order_forbidden")
    assert snapshot(platform) == before


def test_a_web_orders_reservation_cannot_be_released_behind_the_order(platform, client):
    """The clerk's collect still works afterwards: the units stay held for the customer."""
    shop = make_shop(platform)
    created = client.post(
        "/v1/orders",
        json=checkout_body(line(shop.jean, 1, "pickup", location="LYON-01")),
        headers=auth(shop.web),
    ).json()
    fulfilment = created["fulfilments"][0]
    reservation_id = fulfilment["lines"][0]["reservation_id"]
    marketplace = make_key(platform, "marketplace")
    before = snapshot(platform)
    for key, status, code in (
        (shop.web, 409, "reservation_held_by_order"),
        (marketplace, 404, "unknown_reservation"),
        (shop.lyon, 404, "unknown_reservation"),
    ):
        response = client.post(f"/v1/reservations/{reservation_id}/release", headers=auth(key))
        assert (response.status_code, response.json()["code"]) == (status, code)
    assert snapshot(platform) == before
    path = f"/v1/fulfilments/{fulfilment['id']}"
    for verb in ("pick", "ready", "collect"):
        body = {"pickup_code": fulfilment["pickup_code"]} if verb == "collect" else None
        moved = client.post(f"{path}/{verb}", json=body, headers=auth(shop.lyon))
        assert moved.status_code == 200, moved.text
    assert moved.json()["order_status"] == "completed"


def test_a_marketplace_key_lists_its_own_orders_only_without_others_customers(platform, client):
    world = make_world(platform, client)
    listed = client.get("/v1/orders", headers=auth(world.keys["marketplace"])).json()["items"]
    assert [order["id"] for order in listed] == [world.orders["marketplace"]]
    other = client.get(
        "/v1/orders", params={"channel": "web"}, headers=auth(world.keys["marketplace"])
    ).json()
    assert other["items"] == []


def test_a_key_without_profiles_read_cannot_read_a_persons_cart(platform, client):
    """The web and app keys lack profiles:read: a person's cart is a read of their profile."""
    shop = make_shop(platform)
    for key in (shop.web, shop.app):
        response = client.get("/v1/profiles/01J00000000000000000000000/cart", headers=auth(key))
        assert (response.status_code, response.json()["required_scope"]) == (403, "profiles:read")


def test_a_store_key_cannot_read_another_stores_reservation_or_ledger(platform, client):
    shop = make_shop(platform)
    held = client.post(
        "/v1/reservations", json={"sku": shop.jean, "quantity": 1}, headers=auth(shop.paris)
    ).json()
    read = client.get(f"/v1/reservations/{held['id']}", headers=auth(shop.lyon))
    assert (read.status_code, read.json()["code"]) == (404, "unknown_reservation")
    ledger = client.get(
        f"/v1/inventory/{shop.jean}/movements",
        params={"location": "PARIS-01"},
        headers=auth(shop.lyon),
    )
    assert (ledger.status_code, ledger.json()["code"]) == (403, "location_forbidden")


def test_a_held_item_is_not_bought_without_a_captured_payment(platform, client):
    """The order stays open with its payment pending; nothing changes."""
    shop = make_shop(platform)
    order = place(
        platform, line(shop.jean, 1, "reserve_and_try", location="PARIS-01"), payment=None
    )
    assert order.payment.status == "pending"
    path = f"/v1/fulfilments/{order.fulfilments[0].id}"
    assert client.post(f"{path}/try-on", headers=auth(shop.paris)).status_code == 200
    before = snapshot(platform)
    for body in (None, {"payment": {"provider": "pos", "reference": "r1", "status": "authorised"}}):
        response = client.post(f"{path}/buy", json=body, headers=auth(shop.paris))
        assert (response.status_code, response.json()["code"]) == (409, "payment_not_captured")
    assert snapshot(platform) == before
    view = client.get(f"/v1/orders/{order.id}", headers=auth(shop.web)).json()
    assert (view["status"], view["payment"]["status"]) == ("allocated", "pending")


def test_a_held_item_is_bought_once_the_till_has_captured_the_payment(platform, client):
    shop = make_shop(platform)
    order = place(
        platform, line(shop.jean, 1, "reserve_and_try", location="PARIS-01"), payment=None
    )
    captured = client.post(
        f"/v1/orders/{order.id}/payment", json={"status": "captured"}, headers=auth(shop.paris)
    )
    assert captured.status_code == 200, captured.text
    bought = client.post(f"/v1/fulfilments/{order.fulfilments[0].id}/buy", headers=auth(shop.paris))
    assert (bought.status_code, bought.json()["order_status"]) == (200, "completed")
