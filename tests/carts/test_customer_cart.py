"""A person's open cart, found by trying the references their cart may be filed under."""

from __future__ import annotations

import pytest

from omnicanal.carts import service as carts
from omnicanal.carts.errors import NoOpenCart
from tests.builders import auth, make_key, make_location, make_product
from tests.customers.support import make_source, send
from tests.orders.builders import make_cart


def test_the_strongest_reference_with_an_open_cart_wins(platform):
    make_location(platform, "LYON")
    (sku,) = make_product(platform, "ROBE")
    by_email = make_cart(platform, (sku, 1), customer_ref="zoe@example.fr")
    by_login = make_cart(platform, (sku, 2), customer_ref="zoe")

    with platform.db.reading() as session:
        cart = carts.find_open_cart_among(
            session, customer_refs=["zoe", "zoe@example.fr", "nobody"]
        )
        fallback = carts.find_open_cart_among(session, customer_refs=["nobody", "zoe@example.fr"])

    assert cart.id == by_login
    assert fallback.id == by_email


def test_no_open_cart_under_any_reference_is_said_so(platform):
    with platform.db.reading() as session, pytest.raises(NoOpenCart):
        carts.find_open_cart_among(session, customer_refs=["nobody"])


def test_the_api_gives_a_profiles_cart_filed_under_their_email(platform, client):
    make_location(platform, "LYON")
    (sku,) = make_product(platform, "ROBE")
    send(
        client,
        make_source(platform, "web"),
        {
            "type": "identify",
            "userId": "zoe",
            "traits": {"email": "zoe@example.fr"},
            "timestamp": "2026-02-02T11:00:00Z",
        },
    )
    cart_id = make_cart(platform, (sku, 1), customer_ref="zoe@example.fr")
    till = make_key(platform, "store", location="LYON")
    profile = client.get(
        "/v1/profiles/lookup", params={"user_id": "zoe"}, headers=auth(till)
    ).json()

    response = client.get(f"/v1/profiles/{profile['id']}/cart", headers=auth(till))
    missing = client.get("/v1/profiles/01JUNKNOWN000000000000000/cart", headers=auth(till))

    assert response.status_code == 200, response.text
    assert response.json()["id"] == cart_id
    assert response.json()["priced"]["total_minor"] == 4990
    assert missing.status_code == 404


def test_the_api_gives_a_cart_filed_under_the_kind_and_value_of_an_identifier(platform, client):
    """A cart filed as ``email:…`` (the form the orders and the messages use) is hers too."""
    make_location(platform, "LYON")
    (sku,) = make_product(platform, "ROBE")
    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "userId": "zoe", "traits": {"email": "zoe@example.fr"}},
    )
    cart_id = make_cart(platform, (sku, 1), customer_ref="email:zoe@example.fr")
    till = make_key(platform, "store", location="LYON")
    profile = client.get(
        "/v1/profiles/lookup", params={"user_id": "zoe"}, headers=auth(till)
    ).json()

    response = client.get(f"/v1/profiles/{profile['id']}/cart", headers=auth(till))

    assert response.status_code == 200, response.text
    assert response.json()["id"] == cart_id
