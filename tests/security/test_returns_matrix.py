"""Who may do what with returns, cell by cell: the "returns" rows of the README's "Who may do
what" table, every key against orders placed on every channel, asserted both ways over HTTP
on SQLite and PostgreSQL. A refused cell changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.builders import auth, receive, snapshot
from tests.conftest import restored_world
from tests.returns.builders import make_shop, return_body, till_order, web_order

KEYS = ("web", "app", "call_centre", "lyon", "paris", "marketplace", "other_marketplace")


@dataclass(frozen=True)
class World:
    """The returns shop's keys; one delivered order placed by the web, the call centre and
    the marketplace, one sale at the Paris counter; a return of the web order taken at the
    Lyon counter."""

    keys: dict[str, str]
    orders: dict[str, dict[str, Any]]
    lyon_return: str


def make_world(platform, client) -> World:  # type: ignore[no-untyped-def]
    shop = make_shop(platform)
    receive(platform, shop.veste, "PARIS-01", 2)
    keys = {name: getattr(shop, name) for name in KEYS}
    orders = {
        "web": web_order(client, platform, shop.web, (shop.robe_m, 1), (shop.veste, 1)),
        "call_centre": web_order(client, platform, shop.call_centre, (shop.robe_m, 1)),
        "marketplace": web_order(client, platform, shop.marketplace, (shop.robe_m, 1)),
        "paris": till_order(client, shop.paris, (shop.veste, 1)),
    }
    # The Lyon return takes the web order's second line; the first stays returnable.
    taken = client.post(
        "/v1/returns", json=return_body(orders["web"], (1, 1)), headers=auth(shop.lyon)
    )
    assert taken.status_code == 201, taken.text
    return World(keys=keys, orders=orders, lyon_return=taken.json()["id"])


@pytest.fixture
def world(platform, client, request) -> World:  # type: ignore[no-untyped-def]
    return restored_world(request, platform, lambda: make_world(platform, client))


# What each key reads of the orders (the orders table): the marketplaces their own only.
READS = {
    "web": {"web", "call_centre", "marketplace", "paris"},
    "app": {"web", "call_centre", "marketplace", "paris"},
    "call_centre": {"web", "call_centre", "marketplace", "paris"},
    "lyon": {"web", "call_centre", "marketplace", "paris"},
    "paris": {"web", "call_centre", "marketplace", "paris"},
    "marketplace": {"marketplace"},
    "other_marketplace": set(),
}
# Take a return at a counter: a store's key, at its own store, of any order it reads.
COUNTER = {
    "web": set(),
    "app": set(),
    "call_centre": set(),
    "lyon": {"web", "call_centre", "marketplace", "paris"},
    "paris": {"web", "call_centre", "marketplace", "paris"},
    "marketplace": set(),
    "other_marketplace": set(),
}
# Authorise a postal return: the placing channel (a marketplace: that key), the call centre
# or a store for a first-party order.
POSTAL = {
    "web": {"web"},
    "app": set(),
    "call_centre": {"web", "call_centre", "paris"},
    "lyon": {"web", "call_centre", "paris"},
    "paris": {"web", "call_centre", "paris"},
    "marketplace": {"marketplace"},
    "other_marketplace": set(),
}
CELLS = [(key, order) for order in ("web", "call_centre", "marketplace", "paris") for key in KEYS]


def _refused(response, key: str, order: str, code: str) -> None:  # type: ignore[no-untyped-def]
    if order not in READS[key]:
        assert (response.status_code, response.json()["code"]) == (404, "unknown_order")
    else:
        assert (response.status_code, response.json()["code"]) == (403, code)


@pytest.mark.parametrize(("key", "order"), CELLS)
def test_taking_a_return_at_a_counter_follows_the_table(world, platform, client, key, order):
    body = return_body(world.orders[order], method="counter")
    before = snapshot(platform)
    response = client.post("/v1/returns", json=body, headers=auth(world.keys[key]))
    if order in COUNTER[key]:
        assert response.status_code == 201, response.text
        taken = response.json()
        assert taken["return_channel"] == "store"
        assert taken["authorisation"] is None
        assert taken["location"] == {"lyon": "LYON-01", "paris": "PARIS-01"}[key]
    else:
        _refused(response, key, order, "return_forbidden")
        assert snapshot(platform) == before


@pytest.mark.parametrize(("key", "order"), CELLS)
def test_authorising_a_postal_return_follows_the_table(world, platform, client, key, order):
    body = return_body(world.orders[order], method="post")
    before = snapshot(platform)
    response = client.post("/v1/returns", json=body, headers=auth(world.keys[key]))
    if order in POSTAL[key]:
        assert response.status_code == 201, response.text
        assert response.json()["authorisation"]["token"]
    else:
        _refused(response, key, order, "return_forbidden")
        assert snapshot(platform) == before


# A return taken at Lyon of a web order: Lyon holds it, the web channel and the call centre
# read it as their order's; nobody else sees it.
READ_RETURN = {"lyon", "web", "call_centre"}
# Inspect, refund, exchange, close: the location holding the units only.
HANDLE_RETURN = {"lyon"}


@pytest.mark.parametrize("key", KEYS)
def test_reading_a_return_follows_the_table(world, client, key):
    headers = auth(world.keys[key])
    one = client.get(f"/v1/returns/{world.lyon_return}", headers=headers)
    listed = {item["id"] for item in client.get("/v1/returns", headers=headers).json()["items"]}
    if key in READ_RETURN:
        assert one.status_code == 200
        assert world.lyon_return in listed
    else:
        assert (one.status_code, one.json()["code"]) == (404, "unknown_return")
        assert world.lyon_return not in listed


@pytest.mark.parametrize("key", KEYS)
def test_inspecting_a_return_follows_the_table(world, platform, client, key):
    before = snapshot(platform)
    response = client.post(
        f"/v1/returns/{world.lyon_return}/inspect", json={}, headers=auth(world.keys[key])
    )
    if key in HANDLE_RETURN:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "inspected"
        return
    if key in READ_RETURN:
        assert (response.status_code, response.json()["code"]) == (403, "return_forbidden")
    else:
        assert (response.status_code, response.json()["code"]) == (404, "unknown_return")
    assert snapshot(platform) == before


@pytest.mark.parametrize("key", KEYS)
def test_reviewing_needs_the_review_scope_whoever_reads_the_return(world, platform, client, key):
    """No channel key reviews by default, not even the one holding the return."""
    before = snapshot(platform)
    response = client.post(
        f"/v1/returns/{world.lyon_return}/review",
        json={"decision": "approve"},
        headers=auth(world.keys[key]),
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert response.json()["required_scope"] == "returns:review"
    assert snapshot(platform) == before
