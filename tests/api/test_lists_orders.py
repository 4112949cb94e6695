"""``GET /v1/orders``, ``/v1/fulfilments``, ``/v1/returns`` and ``/v1/carts``: one pagination
(``limit``, ``starting_after``, ``updated_since``) over what each key may read, so that a
connector pages through every item once and then syncs what changed since its last visit."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from omnicanal.platform.clock import utcnow
from tests.builders import auth, make_key, make_location, receive
from tests.orders.builders import checkout_body, line, make_shop, place
from tests.returns import builders as returns


def read_all(client: TestClient, path: str, key: str, **params: Any) -> list[str]:
    """Every page of a list, following ``next_cursor`` while ``has_more``; the ids in order."""
    ids: list[str] = []
    params = {"limit": 2, **params}
    while True:
        response = client.get(path, params=params, headers=auth(key))
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= params["limit"]
        assert all(item["updated_at"] for item in page["items"])
        ids += [item["id"] for item in page["items"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return ids
        params["starting_after"] = page["next_cursor"]


def test_orders_are_paged_once_each_and_synced_from_a_moment(platform, client):
    """Three pages of orders hold each order once; after a moment, only the cancelled ones
    come back, oldest change first; the old ``after`` still pages; a marketplace key lists
    only the orders it placed."""
    shop = make_shop(platform)
    placed = [place(platform, line(shop.robe), customer_ref="CUST-L").id for _ in range(5)]
    make_location(platform, "WH-MKP", kind="warehouse", channels=("marketplace",))
    receive(platform, shop.robe, "WH-MKP", 1)
    market = make_key(platform, "marketplace")
    sold = client.post("/v1/orders", json=checkout_body(line(shop.robe)), headers=auth(market))
    assert sold.status_code == 201, sold.text

    assert read_all(client, "/v1/orders", shop.app, customer_ref="CUST-L") == placed[::-1]
    assert read_all(client, "/v1/orders", shop.app)[0] == sold.json()["id"]
    assert read_all(client, "/v1/orders", market) == [sold.json()["id"]]
    mine = {"customer_ref": "CUST-L", "limit": 2}
    first = client.get("/v1/orders", params=mine, headers=auth(shop.web)).json()
    by_alias = client.get(
        "/v1/orders", params={**mine, "after": first["next_cursor"]}, headers=auth(shop.web)
    ).json()
    assert [item["id"] for item in by_alias["items"]] == placed[::-1][2:4]

    moment = utcnow()
    for order_id in (placed[3], placed[1]):
        cancelled = client.post(f"/v1/orders/{order_id}/cancel", headers=auth(shop.web))
        assert cancelled.status_code == 200, cancelled.text

    since = {"updated_since": moment.isoformat(), "limit": 1}
    assert read_all(client, "/v1/orders", shop.web, **since) == [placed[3], placed[1]]
    assert read_all(client, "/v1/orders", market, **since) == []


def test_fulfilments_are_paged_for_the_keys_store_and_synced_from_a_moment(platform, client):
    """A store key pages through its own store's fulfilments only; after a moment, only the
    one made ready comes back; a cursor not made by the list is a 422."""
    shop = make_shop(platform)
    orders = [place(platform, line(shop.jean, 1, "pickup", location="LYON-01")) for _ in range(3)]
    paris = place(platform, line(shop.jean, 1, "pickup", location="PARIS-01"))
    at_lyon = [order.fulfilments[0].id for order in orders]

    assert read_all(client, "/v1/fulfilments", shop.lyon) == at_lyon[::-1]
    assert read_all(client, "/v1/fulfilments", shop.paris) == [paris.fulfilments[0].id]
    assert len(read_all(client, "/v1/fulfilments", shop.web, method="pickup")) == 4

    moment = utcnow()
    for verb in ("pick", "ready"):
        moved = client.post(f"/v1/fulfilments/{at_lyon[1]}/{verb}", headers=auth(shop.lyon))
        assert moved.status_code == 200, moved.text

    since = {"updated_since": moment.isoformat()}
    assert read_all(client, "/v1/fulfilments", shop.lyon, **since) == [at_lyon[1]]
    assert read_all(client, "/v1/fulfilments", shop.paris, **since) == []
    [synced] = client.get("/v1/fulfilments", params=since, headers=auth(shop.lyon)).json()["items"]
    assert synced["status"] == "ready_for_pickup"
    for garbage in ({"starting_after": "c.!!!"}, {**since, "starting_after": at_lyon[0]}):
        refused = client.get("/v1/fulfilments", params=garbage, headers=auth(shop.lyon))
        assert refused.status_code == 422
        assert (refused.json()["code"], refused.json()["field"]) == (
            "invalid_cursor",
            "starting_after",
        )


def test_returns_are_paged_for_whoever_reads_them_and_synced_from_a_moment(platform, client):
    """Returns of a web order: the web key pages through all three, Lyon's key the two taken
    at its counter, the app key none; after a moment, only the parcel received comes back."""
    shop = returns.make_shop(platform)
    order = returns.web_order(client, platform, shop.web, (shop.robe_m, 3))
    taken = [
        client.post("/v1/returns", json=returns.return_body(order), headers=auth(shop.lyon))
        for _ in range(2)
    ]
    postal = client.post(
        "/v1/returns", json=returns.return_body(order, method="post"), headers=auth(shop.web)
    )
    assert [r.status_code for r in (*taken, postal)] == [201, 201, 201], postal.text
    opened = [r.json()["id"] for r in (*taken, postal)]

    assert read_all(client, "/v1/returns", shop.web) == opened[::-1]
    assert read_all(client, "/v1/returns", shop.lyon) == opened[1::-1]
    assert read_all(client, "/v1/returns", shop.app) == []
    first = client.get("/v1/returns", params={"limit": 1}, headers=auth(shop.web)).json()
    by_alias = client.get(
        "/v1/returns", params={"limit": 1, "after": first["next_cursor"]}, headers=auth(shop.web)
    ).json()
    assert [item["id"] for item in by_alias["items"]] == [opened[1]]

    moment = utcnow()
    token = postal.json()["authorisation"]["token"]
    received = client.post("/v1/returns", json={"token": token}, headers=auth(shop.warehouse))
    assert received.status_code == 200, received.text

    since = {"updated_since": moment.isoformat()}
    assert read_all(client, "/v1/returns", shop.web, **since) == [opened[2]]
    assert read_all(client, "/v1/returns", shop.lyon, **since) == []
    garbage = client.get("/v1/returns", params={**since, "after": "x"}, headers=auth(shop.web))
    assert (garbage.status_code, garbage.json()["code"]) == (422, "invalid_cursor")


def new_cart(client: TestClient, key: str, **body: Any) -> str:
    response = client.post("/v1/carts", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_carts_are_listed_for_their_own_channel_and_synced_from_a_moment(platform, client):
    """A channel key pages through the carts its channel opened (a store key: its store's),
    not another channel's, even a known customer's; a marketplace has none; after a moment,
    only the cart given a line comes back."""
    shop = make_shop(platform)
    web = [new_cart(client, shop.web, customer_ref=f"CUST-{n}") for n in range(3)]
    at_lyon = new_cart(client, shop.lyon, customer_ref="CUST-0")
    new_cart(client, shop.app, anonymous_id="visitor-1")

    assert read_all(client, "/v1/carts", shop.web) == web[::-1]
    assert read_all(client, "/v1/carts", shop.lyon) == [at_lyon]
    assert read_all(client, "/v1/carts", shop.paris) == []
    assert read_all(client, "/v1/carts", shop.web, customer_ref="CUST-0") == [web[0]]
    assert read_all(client, "/v1/carts", shop.web, status="merged") == []
    market_key = make_key(platform, "marketplace", scopes=["carts:read"])
    market = client.get("/v1/carts", headers=auth(market_key))
    assert (market.status_code, market.json()["code"]) == (403, "cart_forbidden")

    moment = utcnow()
    added = client.post(
        f"/v1/carts/{web[1]}/lines", json={"sku": shop.robe, "quantity": 2}, headers=auth(shop.web)
    )
    assert added.status_code == 200, added.text

    since = {"updated_since": moment.isoformat()}
    assert read_all(client, "/v1/carts", shop.web, **since) == [web[1]]
    assert read_all(client, "/v1/carts", shop.lyon, **since) == []
    [synced] = client.get("/v1/carts", params=since, headers=auth(shop.web)).json()["items"]
    assert ([(i["sku"], i["quantity"]) for i in synced["lines"]], synced["priced"]) == (
        [(shop.robe, 2)],
        None,
    )
