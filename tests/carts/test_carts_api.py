"""Carts through the HTTP API: created by any channel, changed, priced live, refused cleanly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from omnicanal.carts import service as carts
from omnicanal.carts.errors import CartNotOpen
from omnicanal.carts.schemas import CartIn, CartLineIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import OutboxEvent
from omnicanal.pricing.models import Promotion
from tests.builders import auth, make_key, make_location, snapshot
from tests.pricing.builders import make_promotion, make_sku

CHECKOUT = Actor(key_id=None, channel="web", name="checkout-test", scopes=frozenset({"*"}))


def given_a_shop(platform):  # type: ignore[no-untyped-def]
    make_location(platform, "LYON-01")
    make_sku(platform, "ROBE-M", 4990)
    make_sku(platform, "JEAN-40", 7990, category="Jeans")
    return make_key(platform, "web"), make_key(platform, "store", location="LYON-01")


def cart_events(platform, cart_id):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return list(
            session.scalars(
                select(OutboxEvent.type)
                .where(OutboxEvent.subject == f"carts/{cart_id}")
                .order_by(OutboxEvent.seq)
            )
        )


def new_cart(client, key, **body):  # type: ignore[no-untyped-def]
    response = client.post("/v1/carts", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


def test_an_anonymous_cart_is_created_with_its_lines_and_priced_live(platform, client):
    web, _ = given_a_shop(platform)

    cart = new_cart(client, web, anonymous_id="cookie-42", lines=[{"sku": "ROBE-M", "quantity": 2}])

    assert (cart["status"], cart["channel"], cart["anonymous_id"]) == ("open", "web", "cookie-42")
    assert cart["customer_ref"] is None
    assert [(line["sku"], line["quantity"]) for line in cart["lines"]] == [("ROBE-M", 2)]
    assert cart["priced"]["total_minor"] == 9980
    assert cart_events(platform, cart["id"]) == ["cart.created"]


def test_lines_are_added_changed_and_removed_each_with_its_event(platform, client):
    web, _ = given_a_shop(platform)
    cart = new_cart(client, web, customer_ref="C-1")
    assert cart["priced"] is None
    path = f"/v1/carts/{cart['id']}/lines"

    client.post(path, json={"sku": "ROBE-M", "quantity": 1}, headers=auth(web))
    again = client.post(path, json={"sku": "ROBE-M", "quantity": 2}, headers=auth(web)).json()
    assert again["lines"][0]["quantity"] == 3
    client.post(path, json={"sku": "JEAN-40", "quantity": 1}, headers=auth(web))
    changed = client.patch(f"{path}/JEAN-40", json={"quantity": 2}, headers=auth(web)).json()
    assert changed["priced"]["total_minor"] == 3 * 4990 + 2 * 7990
    removed = client.delete(f"{path}/ROBE-M", headers=auth(web))

    assert removed.status_code == 200, removed.text
    assert [(line["sku"], line["quantity"]) for line in removed.json()["lines"]] == [("JEAN-40", 2)]
    assert cart_events(platform, cart["id"]) == [
        "cart.created",
        "cart.line_added",
        "cart.line_added",
        "cart.line_added",
        "cart.line_changed",
        "cart.line_removed",
    ]


@pytest.mark.parametrize(
    ("method", "suffix", "body", "status", "code"),
    [
        ("post", "", {"sku": "NOPE", "quantity": 1}, 404, "unknown_sku"),
        ("post", "", {"sku": "ROBE-M", "quantity": 0}, 422, "validation_error"),
        ("post", "", {"sku": "ROBE-M", "quantity": -2}, 422, "validation_error"),
        ("post", "", {"sku": "SANS-PRIX", "quantity": 1}, 409, "missing_price"),
        ("patch", "/ROBE-M", {"quantity": 0}, 422, "validation_error"),
        ("patch", "/JEAN-40", {"quantity": 1}, 404, "cart_line_not_found"),
        ("delete", "/JEAN-40", None, 404, "cart_line_not_found"),
    ],
)
def test_a_bad_line_change_is_a_problem_and_changes_nothing(
    platform, client, method, suffix, body, status, code
):
    web, _ = given_a_shop(platform)
    make_sku(platform, "SANS-PRIX", None)
    cart = new_cart(client, web, lines=[{"sku": "ROBE-M", "quantity": 1}])
    before = snapshot(platform)

    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(
        f"/v1/carts/{cart['id']}/lines{suffix}", headers=auth(web), **kwargs
    )

    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert snapshot(platform) == before
    unchanged = client.get(f"/v1/carts/{cart['id']}", headers=auth(web)).json()
    assert unchanged["lines"] == cart["lines"]


def test_a_cart_with_an_unknown_sku_is_not_created(platform, client):
    web, _ = given_a_shop(platform)
    before = snapshot(platform)

    response = client.post(
        "/v1/carts", json={"lines": [{"sku": "NOPE", "quantity": 1}]}, headers=auth(web)
    )

    assert (response.status_code, response.json()["code"]) == (404, "unknown_sku")
    assert snapshot(platform) == before


def test_an_unknown_cart_is_a_problem(platform, client):
    web, _ = given_a_shop(platform)

    assert client.get("/v1/carts/NOPE", headers=auth(web)).json()["code"] == "unknown_cart"


def test_a_cart_is_priced_for_the_channel_that_reads_it_with_the_explanation(platform, client):
    web, store = given_a_shop(platform)
    make_promotion(platform, "SOLDES", "percent_off", percent=20, name="Soldes")
    cart = new_cart(
        client, web, customer_ref="client-42", lines=[{"sku": "JEAN-40", "quantity": 1}]
    )

    by_web = client.get(f"/v1/carts/{cart['id']}", headers=auth(web)).json()["priced"]
    by_store = client.get(f"/v1/carts/{cart['id']}", headers=auth(store)).json()["priced"]

    assert (by_web["channel"], by_store["channel"]) == ("web", "store")
    assert by_web["total_minor"] == by_store["total_minor"] == 6392
    assert (
        by_web["explanation"]
        == by_store["explanation"]
        == ["Soldes (SOLDES): 20% off the cart: -15,98 EUR"]
    )


def test_coupons_are_added_and_removed_and_an_unknown_one_changes_nothing(platform, client):
    web, _ = given_a_shop(platform)
    make_promotion(platform, "MERCI", "percent_off", percent=10, requires_coupon=True)
    cart = new_cart(client, web, lines=[{"sku": "ROBE-M", "quantity": 1}])
    coupons = f"/v1/carts/{cart['id']}/coupons"

    added = client.post(coupons, json={"code": "merci"}, headers=auth(web)).json()
    assert added["coupons"] == ["MERCI"]
    assert added["priced"]["coupons"] == ["MERCI"]
    assert added["priced"]["total_minor"] == 4491
    before = snapshot(platform)
    unknown = client.post(coupons, json={"code": "NOPE"}, headers=auth(web))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_coupon")
    assert snapshot(platform) == before
    removed = client.delete(f"{coupons}/MERCI", headers=auth(web)).json()

    assert removed["coupons"] == []
    assert removed["priced"]["total_minor"] == 4990
    assert cart_events(platform, cart["id"])[-2:] == ["cart.coupon_added", "cart.coupon_removed"]


def test_a_coupon_that_expires_while_in_the_cart_is_ignored_and_explained(platform, client):
    web, _ = given_a_shop(platform)
    make_promotion(platform, "BREF", "percent_off", percent=10, requires_coupon=True)
    cart = new_cart(client, web, lines=[{"sku": "ROBE-M", "quantity": 1}], coupons=["BREF"])
    with platform.db.transaction() as session:
        promotion = session.scalars(select(Promotion)).one()
        promotion.ends_at = utcnow() - timedelta(seconds=1)

    priced = client.get(f"/v1/carts/{cart['id']}", headers=auth(web)).json()["priced"]

    assert priced["total_minor"] == 4990
    assert priced["coupons"] == []
    assert priced["notes"][0].startswith("Coupon BREF ignored: Coupon BREF expired on")


def test_the_same_line_added_twice_with_one_idempotency_key_is_added_once(platform, client):
    web, _ = given_a_shop(platform)
    cart = new_cart(client, web)
    headers = auth(web, **{"Idempotency-Key": "add-robe-1"})

    for _ in range(2):
        response = client.post(
            f"/v1/carts/{cart['id']}/lines", json={"sku": "ROBE-M", "quantity": 1}, headers=headers
        )
        assert response.status_code == 200

    assert response.headers["Idempotent-Replayed"] == "true"
    lines = client.get(f"/v1/carts/{cart['id']}", headers=auth(web)).json()["lines"]
    assert [line["quantity"] for line in lines] == [1]


def test_checking_out_closes_an_open_cart_once(platform, client):
    web, _ = given_a_shop(platform)
    cart = new_cart(client, web, lines=[{"sku": "ROBE-M", "quantity": 1}])

    with platform.db.transaction() as session:
        carts.mark_checked_out(session, cart_id=cart["id"], order_id="ORDER-1", actor=CHECKOUT)
    before = snapshot(platform)
    with pytest.raises(CartNotOpen), platform.db.transaction() as session:
        carts.mark_checked_out(session, cart_id=cart["id"], order_id="ORDER-2", actor=CHECKOUT)

    assert snapshot(platform) == before
    closed = client.get(f"/v1/carts/{cart['id']}", headers=auth(web)).json()
    assert (closed["status"], closed["order_id"], closed["priced"]) == (
        "checked_out",
        "ORDER-1",
        None,
    )
    assert cart_events(platform, cart["id"])[-1] == "cart.checked_out"
    refused = client.post(
        f"/v1/carts/{cart['id']}/lines", json={"sku": "ROBE-M", "quantity": 1}, headers=auth(web)
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "cart_not_open")


def test_get_cart_gives_the_checkout_the_cart_priced_for_a_channel(platform):
    given_a_shop(platform)
    with platform.db.transaction() as session:
        created = carts.create_cart(
            session,
            data=CartIn(customer_ref="C-9", lines=[CartLineIn(sku="ROBE-M", quantity=2)]),
            actor=CHECKOUT,
            currency="EUR",
        )

    with platform.db.reading() as session:
        cart = carts.get_cart(session, cart_id=created.id, channel="store")

    assert cart.priced is not None
    assert (cart.priced.channel, cart.priced.total_minor) == ("store", 9980)
    assert cart.customer_ref == "C-9"


def test_get_cart_without_prices_skips_the_pricing(platform):
    """The checkout re-prices the lines itself; it may read the cart without pricing it."""
    given_a_shop(platform)
    with platform.db.transaction() as session:
        created = carts.create_cart(
            session,
            data=CartIn(lines=[CartLineIn(sku="ROBE-M", quantity=1)]),
            actor=CHECKOUT,
            currency="EUR",
        )

    with platform.db.reading() as session:
        cart = carts.get_cart(session, cart_id=created.id, with_prices=False)

    assert cart.priced is None
    assert [(line.sku, line.quantity) for line in cart.lines] == [("ROBE-M", 1)]
