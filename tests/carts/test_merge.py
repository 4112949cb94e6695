"""An anonymous cart follows the visitor who signs in; the till opens the customer's cart."""

from __future__ import annotations

from sqlalchemy import select

from omnicanal.platform.events import OutboxEvent
from tests.builders import auth, make_key, make_location, snapshot
from tests.pricing.builders import make_promotion, make_sku


def given_a_shop(platform):  # type: ignore[no-untyped-def]
    make_location(platform, "LYON-01")
    make_sku(platform, "ROBE-M", 4990)
    make_sku(platform, "JEAN-40", 7990, category="Jeans")
    make_sku(platform, "SAC-U", 12900, category="Sacs")
    return make_key(platform, "web"), make_key(platform, "store", location="LYON-01")


def new_cart(client, key, **body):  # type: ignore[no-untyped-def]
    response = client.post("/v1/carts", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


def merge(client, key, **body):  # type: ignore[no-untyped-def]
    return client.post("/v1/carts/merge", json=body, headers=auth(key))


def quantities(cart):  # type: ignore[no-untyped-def]
    return {line["sku"]: line["quantity"] for line in cart["lines"]}


def test_an_anonymous_cart_merges_into_the_customers_open_cart(platform, client):
    web, _ = given_a_shop(platform)
    make_promotion(platform, "CINQ", "percent_off", percent=5, requires_coupon=True)
    make_promotion(platform, "PORT", "free_shipping", requires_coupon=True)
    mine = new_cart(
        client,
        web,
        customer_ref="C-1",
        lines=[{"sku": "ROBE-M", "quantity": 1}, {"sku": "SAC-U", "quantity": 1}],
        coupons=["CINQ"],
    )
    anonymous = new_cart(
        client,
        web,
        anonymous_id="cookie-9",
        lines=[{"sku": "ROBE-M", "quantity": 2}, {"sku": "JEAN-40", "quantity": 1}],
        coupons=["PORT", "CINQ"],
    )

    merged = merge(client, web, anonymous_id="cookie-9", customer_ref="C-1")

    assert merged.status_code == 200, merged.text
    target = merged.json()
    assert target["id"] == mine["id"]
    assert quantities(target) == {"ROBE-M": 3, "SAC-U": 1, "JEAN-40": 1}
    assert target["coupons"] == ["CINQ", "PORT"]
    source = client.get(f"/v1/carts/{anonymous['id']}", headers=auth(web)).json()
    assert (source["status"], source["merged_into"]) == ("merged", mine["id"])
    assert quantities(source) == {"ROBE-M": 2, "JEAN-40": 1}
    with platform.db.reading() as session:
        event = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "cart.merged")).one()
    assert event.subject == f"carts/{anonymous['id']}"
    assert event.data["into"] == mine["id"]
    assert event.data["lines"] == [
        {"sku": "ROBE-M", "quantity": 2},
        {"sku": "JEAN-40", "quantity": 1},
    ]


def test_without_an_open_cart_the_customer_simply_gets_the_anonymous_one(platform, client):
    web, _ = given_a_shop(platform)
    anonymous = new_cart(
        client, web, anonymous_id="cookie-9", lines=[{"sku": "ROBE-M", "quantity": 1}]
    )

    merged = merge(
        client,
        web,
        anonymous_id="cookie-9",
        customer_ref="C-2",
        customer_attributes={"tier": "gold"},
    ).json()

    assert merged["id"] == anonymous["id"]
    assert (merged["status"], merged["customer_ref"]) == ("open", "C-2")
    assert merged["anonymous_id"] == "cookie-9"
    assert merged["customer_attributes"] == {"tier": "gold"}
    with platform.db.reading() as session:
        types = list(
            session.scalars(
                select(OutboxEvent.type).where(OutboxEvent.subject == f"carts/{anonymous['id']}")
            )
        )
    assert types == ["cart.created", "cart.assigned"]


def test_merging_twice_changes_nothing_the_second_time(platform, client):
    web, _ = given_a_shop(platform)
    new_cart(client, web, customer_ref="C-1", lines=[{"sku": "ROBE-M", "quantity": 1}])
    new_cart(client, web, anonymous_id="cookie-9", lines=[{"sku": "ROBE-M", "quantity": 1}])
    first = merge(client, web, anonymous_id="cookie-9", customer_ref="C-1").json()
    before = snapshot(platform)

    second = merge(client, web, anonymous_id="cookie-9", customer_ref="C-1")

    assert second.status_code == 200
    assert quantities(second.json()) == quantities(first) == {"ROBE-M": 2}
    assert snapshot(platform) == before


def test_merging_with_no_cart_on_either_side_is_a_problem(platform, client):
    web, _ = given_a_shop(platform)

    response = merge(client, web, anonymous_id="cookie-0", customer_ref="C-0")

    assert (response.status_code, response.json()["code"]) == (404, "no_open_cart")


def test_carts_in_different_currencies_are_not_merged_and_nothing_changes(platform, client):
    web, _ = given_a_shop(platform)
    new_cart(client, web, customer_ref="C-1", currency="EUR")
    new_cart(client, web, anonymous_id="cookie-9", currency="GBP")
    before = snapshot(platform)

    response = merge(client, web, anonymous_id="cookie-9", customer_ref="C-1")

    assert (response.status_code, response.json()["code"]) == (409, "cart_currency_mismatch")
    assert snapshot(platform) == before


def test_a_merged_cart_can_no_longer_change(platform, client):
    web, _ = given_a_shop(platform)
    new_cart(client, web, customer_ref="C-1")
    anonymous = new_cart(client, web, anonymous_id="cookie-9")
    merge(client, web, anonymous_id="cookie-9", customer_ref="C-1")

    response = client.post(
        f"/v1/carts/{anonymous['id']}/lines",
        json={"sku": "ROBE-M", "quantity": 1},
        headers=auth(web),
    )

    assert (response.status_code, response.json()["code"]) == (409, "cart_not_open")


def test_the_till_opens_the_customers_most_recently_updated_open_cart(platform, client):
    web, store = given_a_shop(platform)
    older = new_cart(client, web, customer_ref="C-5", lines=[{"sku": "ROBE-M", "quantity": 1}])
    newer = new_cart(client, web, customer_ref="C-5", lines=[{"sku": "SAC-U", "quantity": 1}])
    client.post(
        f"/v1/carts/{older['id']}/lines", json={"sku": "JEAN-40", "quantity": 1}, headers=auth(web)
    )

    found = client.get("/v1/carts/lookup", params={"customer_ref": "C-5"}, headers=auth(store))

    assert found.status_code == 200, found.text
    assert found.json()["id"] == older["id"] != newer["id"]
    assert found.json()["priced"]["channel"] == "store"
    assert found.json()["priced"]["total_minor"] == 4990 + 7990
    nobody = client.get("/v1/carts/lookup", params={"customer_ref": "C-404"}, headers=auth(store))
    assert (nobody.status_code, nobody.json()["code"]) == (404, "no_open_cart")
    neither = client.get("/v1/carts/lookup", headers=auth(store))
    assert (neither.status_code, neither.json()["code"]) == (422, "missing_cart_owner")
