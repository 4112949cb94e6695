"""Who may do what, cell by cell: every (key kind, resource, operation) of the README's
"Who may do what" table, asserted both ways over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.builders import auth, make_key, make_location, receive, snapshot
from tests.conftest import restored_world
from tests.orders.builders import AUTHORISED, checkout_body, line, make_shop

KEYS = ("web", "app", "call_centre", "lyon", "paris", "marketplace", "other_marketplace")


@dataclass(frozen=True)
class World:
    """make_shop's network and keys, a marketplace warehouse, two marketplace keys, and one
    order placed by each of the web, the Paris store, the marketplace and the call centre."""

    keys: dict[str, str]
    orders: dict[str, str]
    robe: str
    jean: str
    pull: str


def _place(client, key: str, body: dict) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/v1/orders", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def make_world(platform, client) -> World:  # type: ignore[no-untyped-def]
    shop = make_shop(platform)
    make_location(platform, "WH-MKP", kind="warehouse", channels=("marketplace",))
    receive(platform, shop.robe, "WH-MKP", 10)
    keys = {
        "web": shop.web,
        "app": shop.app,
        "call_centre": shop.call_centre,
        "lyon": shop.lyon,
        "paris": shop.paris,
        "marketplace": make_key(platform, "marketplace"),
        "other_marketplace": make_key(platform, "marketplace"),
    }
    orders = {
        "web": _place(client, keys["web"], checkout_body(line(shop.pull))),
        "paris": _place(
            client,
            keys["paris"],
            {
                "lines": [line(shop.jean, 1, "pickup", location="PARIS-01")],
                "payment": AUTHORISED,
            },
        ),
        "marketplace": _place(client, keys["marketplace"], checkout_body(line(shop.robe))),
        "call_centre": _place(client, keys["call_centre"], checkout_body(line(shop.pull))),
    }
    return World(keys=keys, orders=orders, robe=shop.robe, jean=shop.jean, pull=shop.pull)


@pytest.fixture
def world(platform, client, request) -> World:  # type: ignore[no-untyped-def]
    return restored_world(request, platform, lambda: make_world(platform, client))


# -- orders: read ----------------------------------------------------------------------------

READS = {
    "web": {"web", "paris", "marketplace", "call_centre"},
    "app": {"web", "paris", "marketplace", "call_centre"},
    "call_centre": {"web", "paris", "marketplace", "call_centre"},
    "lyon": {"web", "paris", "marketplace", "call_centre"},
    "paris": {"web", "paris", "marketplace", "call_centre"},
    "marketplace": {"marketplace"},
    "other_marketplace": set(),
}


@pytest.mark.parametrize("key", KEYS)
def test_each_key_reads_exactly_the_orders_of_the_table(world, client, key):
    """First-party keys read every order; a marketplace key its own only, the others are
    missing from its list and a 404 one by one."""
    listed = client.get("/v1/orders", headers=auth(world.keys[key])).json()["items"]
    ids = {o["id"] for o in listed}
    visible = {kind for kind, order_id in world.orders.items() if order_id in ids}
    assert visible == READS[key]
    assert len(listed) == len(READS[key])
    for kind, order_id in world.orders.items():
        response = client.get(f"/v1/orders/{order_id}", headers=auth(world.keys[key]))
        expected = 200 if kind in READS[key] else 404
        assert response.status_code == expected, (key, kind)
        if expected == 404:
            assert response.json()["code"] == "unknown_order"


# -- orders: cancel and payment ---------------------------------------------------------------

CANCEL = {
    # order placed by → keys that may cancel it (the rest: 403, or 404 if they cannot read it)
    "web": {"web", "call_centre"},
    "paris": {"paris", "call_centre"},
    "marketplace": {"marketplace"},
    "call_centre": {"call_centre"},
}
PAYMENT = {
    # as cancel, plus the store where a fulfilment of the order is (the web and call centre
    # orders ship from PARIS-01, the Paris order is collected there)
    "web": {"web", "call_centre", "paris"},
    "paris": {"paris", "call_centre"},
    "marketplace": {"marketplace"},
    "call_centre": {"call_centre", "paris"},
}
CELLS = [(key, order) for order in CANCEL for key in KEYS]


def _refusal(key: str, order: str) -> tuple[int, str]:
    if order not in READS[key]:
        return 404, "unknown_order"
    return 403, "order_forbidden"


@pytest.mark.parametrize(("key", "order"), CELLS)
def test_cancelling_an_order_follows_the_table(world, platform, client, key, order):
    """The placing channel (its store, its marketplace key) or the call centre cancels."""
    order_id = world.orders[order]
    before = snapshot(platform)
    response = client.post(f"/v1/orders/{order_id}/cancel", headers=auth(world.keys[key]))
    if key in CANCEL[order]:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"
    else:
        status, code = _refusal(key, order)
        assert (response.status_code, response.json()["code"]) == (status, code)
        assert snapshot(platform) == before


@pytest.mark.parametrize(("key", "order"), CELLS)
def test_recording_a_payment_follows_the_table(world, platform, client, key, order):
    """Cancellers record payments, and so does a store holding one of the order's fulfilments."""
    order_id = world.orders[order]
    fulfilments = client.get(f"/v1/orders/{order_id}", headers=auth(world.keys["web"]))
    assert {f["location"] for f in fulfilments.json()["fulfilments"]} == (
        {"WH-MKP"} if order == "marketplace" else {"PARIS-01"}
    )
    before = snapshot(platform)
    response = client.post(
        f"/v1/orders/{order_id}/payment",
        json={"status": "captured"},
        headers=auth(world.keys[key]),
    )
    if key in PAYMENT[order]:
        assert response.status_code == 200, response.text
        assert response.json()["payment"]["status"] == "captured"
    else:
        status, code = _refusal(key, order)
        assert (response.status_code, response.json()["code"]) == (status, code)
        assert snapshot(platform) == before


# -- reservations -----------------------------------------------------------------------------

RESERVATION_OWNERS = ("web", "paris", "marketplace")


def _reserve(client, world: World, owner: str) -> str:  # type: ignore[no-untyped-def]
    sku = world.jean if owner == "paris" else world.robe
    response = client.post(
        "/v1/reservations", json={"sku": sku, "quantity": 1}, headers=auth(world.keys[owner])
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize(("key", "owner"), [(k, o) for o in RESERVATION_OWNERS for k in KEYS])
def test_a_reservation_is_read_and_released_by_the_key_that_made_it_only(
    world, platform, client, key, owner
):
    """Its channel, its store for a store key, its very key for a marketplace: the others do
    not see it (404) and cannot release it."""
    reservation_id = _reserve(client, world, owner)
    path = f"/v1/reservations/{reservation_id}"
    mine = key == owner
    read = client.get(path, headers=auth(world.keys[key]))
    assert read.status_code == (200 if mine else 404), (key, owner)
    before = snapshot(platform)
    released = client.post(f"{path}/release", headers=auth(world.keys[key]))
    if mine:
        assert released.status_code == 200, released.text
        assert released.json()["status"] == "released"
    else:
        assert (released.status_code, released.json()["code"]) == (404, "unknown_reservation")
        assert snapshot(platform) == before


@pytest.mark.parametrize("operation", ["release", "confirm"])
@pytest.mark.parametrize("key", KEYS)
def test_an_orders_reservation_changes_through_the_order_only(
    world, platform, client, key, operation
):
    """Even the placing key gets 409 reservation_held_by_order; others do not see it at all."""
    order = client.get(f"/v1/orders/{world.orders['web']}", headers=auth(world.keys["web"])).json()
    reservation_id = order["fulfilments"][0]["lines"][0]["reservation_id"]
    before = snapshot(platform)
    response = client.post(
        f"/v1/reservations/{reservation_id}/{operation}", headers=auth(world.keys[key])
    )
    if key == "web":
        assert (response.status_code, response.json()["code"]) == (409, "reservation_held_by_order")
    else:
        assert (response.status_code, response.json()["code"]) == (404, "unknown_reservation")
    assert snapshot(platform) == before


# -- carts ------------------------------------------------------------------------------------

CART_KEYS = ("web", "app", "call_centre", "lyon", "paris", "marketplace")
CARTS = {
    # cart → keys that may read and change it
    "anonymous_web": {"web"},
    "customer_web": {"web", "app", "call_centre", "lyon", "paris"},
    "anonymous_paris": {"paris"},
}


@pytest.mark.parametrize(("key", "cart"), [(k, c) for c in CARTS for k in CART_KEYS])
def test_a_cart_is_read_and_changed_as_the_table_says(world, platform, client, key, cart):
    """A customer's cart follows them on every first-party channel; an anonymous cart stays
    with the channel (and store) that opened it; a marketplace has none."""
    keys = dict(world.keys)
    keys["marketplace"] = make_key(
        platform, "marketplace", scopes=["carts:read", "carts:write", "pricing:read"]
    )
    opener = "paris" if cart == "anonymous_paris" else "web"
    body: dict = {"lines": [{"sku": world.pull, "quantity": 1}]}
    body |= {"customer_ref": "client-42"} if cart == "customer_web" else {"anonymous_id": "c-1"}
    created = client.post("/v1/carts", json=body, headers=auth(keys[opener]))
    assert created.status_code == 201, created.text
    path = f"/v1/carts/{created.json()['id']}"

    read = client.get(path, headers=auth(keys[key]))
    before = snapshot(platform)
    changed = client.post(
        f"{path}/lines", json={"sku": world.robe, "quantity": 1}, headers=auth(keys[key])
    )

    if key in CARTS[cart]:
        assert (read.status_code, changed.status_code) == (200, 200), (read.text, changed.text)
    else:
        assert (read.status_code, read.json()["code"]) == (403, "cart_forbidden")
        assert (changed.status_code, changed.json()["code"]) == (403, "cart_forbidden")
        assert snapshot(platform) == before


# -- ledger and fulfilment queues ------------------------------------------------------------


@pytest.mark.parametrize("key", ["lyon", "paris"])
def test_a_store_key_reads_its_own_stores_ledger_only(world, client, key):
    """Its store's movements, never another's (403 location_forbidden when it asks)."""
    own, other = ("LYON-01", "PARIS-01") if key == "lyon" else ("PARIS-01", "LYON-01")
    token = world.keys[key]
    rows = client.get(f"/v1/inventory/{world.jean}/movements", headers=auth(token)).json()["items"]
    assert rows and {row["location"] for row in rows} == {own}
    refused = client.get(
        f"/v1/inventory/{world.jean}/movements", params={"location": other}, headers=auth(token)
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "location_forbidden")


def test_first_party_head_office_style_keys_read_every_ledger_and_stock_stays_public(world, client):
    """The web key reads every location's movements; every key reads stock levels."""
    rows = client.get(f"/v1/inventory/{world.jean}/movements", headers=auth(world.keys["web"]))
    assert {row["location"] for row in rows.json()["items"]} == {"LYON-01", "PARIS-01"}
    for key in ("lyon", "marketplace", "app"):
        stock = client.get(f"/v1/inventory/{world.jean}", headers=auth(world.keys[key]))
        assert {row["location"] for row in stock.json()["locations"]} >= {"LYON-01", "PARIS-01"}


@pytest.mark.parametrize("key", KEYS)
def test_each_key_lists_the_fulfilments_of_the_table(world, client, key):
    """A store key its store's queue; a marketplace key its orders'; the others every one."""
    listed = client.get("/v1/fulfilments", headers=auth(world.keys[key])).json()["items"]
    ids = {f["order_id"] for f in listed}
    orders = {kind for kind, order_id in world.orders.items() if order_id in ids}
    if key == "lyon":
        assert listed == []
    elif key == "paris":
        assert orders == {"web", "paris", "call_centre"}
        assert {f["location"] for f in listed} == {"PARIS-01"}
    else:
        assert orders == READS[key]
