"""Sending a review from any channel: through the API with the reviewer named by a
reference, marked a verified purchase when they bought the product, once per customer and
product; hostile or wrong input refused with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from omnicanal.platform.events import OutboxEvent
from tests.builders import auth, snapshot
from tests.returns.builders import CARD, DELIVERY, Shop, make_shop, till_order, web_order
from tests.reviews.builders import DRESS, INES, JACKET, make_customer, review_body, submit


@pytest.fixture
def shop(platform, client) -> Shop:  # type: ignore[no-untyped-def]
    """The returns shop, and Inès known by her app login and e-mail."""
    made = make_shop(platform)
    make_customer(platform, client)
    return made


def submitted_events(platform) -> list[dict]:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return [
            row.data
            for row in session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == "review.submitted")
                .order_by(OutboxEvent.seq)
            )
        ]


def test_a_web_review_waits_for_moderation_and_names_its_reviewer(platform, client, shop):
    review = submit(client, shop.web, rating=4)

    assert review["status"] == "pending"
    assert review["rating"] == 4
    assert review["title"] == "Parfaite"
    assert review["product_code"] == DRESS
    assert review["product_name"] == f"Produit {DRESS}"
    assert (review["channel"], review["location"], review["source"]) == ("web", None, "api")
    assert review["verified_purchase"] is False
    assert review["profile_id"] is not None
    [event] = submitted_events(platform)
    assert event["review_id"] == review["id"]
    assert event["profile_id"] == review["profile_id"]
    assert "text" not in event and "title" not in event


def test_a_customer_who_bought_the_product_on_any_channel_is_a_verified_purchase(
    platform, client, shop
):
    """Inès bought the dress at the Lyon counter; her review from the app is verified, her
    review of the jacket she never bought is not."""
    till_order(client, shop.lyon, (shop.robe_l, 1), customer_ref=INES)

    dress = submit(client, shop.app, product=DRESS)
    jacket = submit(client, shop.app, product=JACKET)

    assert dress["verified_purchase"] is True
    assert jacket["verified_purchase"] is False


def test_a_cancelled_order_is_no_purchase(platform, client, shop):
    response = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": INES,
            "delivery_address": DELIVERY,
            "payment": CARD,
            "fulfilment": {"method": "ship"},
        },
        headers=auth(shop.web),
    )
    assert response.status_code == 201, response.text
    cancelled = client.post(
        f"/v1/orders/{response.json()['id']}/cancel", json={}, headers=auth(shop.web)
    )
    assert cancelled.status_code == 200, cancelled.text

    review = submit(client, shop.web, product=DRESS)

    assert review["verified_purchase"] is False


def test_a_bare_reference_or_the_profile_id_names_the_same_reviewer(platform, client, shop):
    """An order filed under her bare e-mail counts, and a review by profile id is hers."""
    web_order(client, platform, shop.web, (shop.robe_m, 1), customer_ref="ines@example.fr")
    first = submit(client, shop.web, product=DRESS, customer_ref="user_id:ines")

    by_profile = client.post(
        "/v1/reviews",
        json={**review_body(JACKET), "customer_ref": None, "profile_id": first["profile_id"]},
        headers=auth(shop.web),
    )

    assert first["verified_purchase"] is True
    assert by_profile.status_code == 201, by_profile.text
    assert by_profile.json()["profile_id"] == first["profile_id"]


def test_a_store_review_is_of_its_store(platform, client, shop):
    review = submit(client, shop.lyon)

    assert (review["channel"], review["location"]) == ("store", "LYON-01")


def test_a_second_review_of_the_same_product_is_refused_while_the_first_is_live(
    platform, client, shop
):
    first = submit(client, shop.web)
    before = snapshot(platform)

    again = client.post(
        "/v1/reviews", json=review_body(customer_ref="user_id:ines"), headers=auth(shop.app)
    )

    assert again.status_code == 409
    assert again.json()["code"] == "already_reviewed"
    assert again.json()["review_id"] == first["id"]
    assert snapshot(platform) == before


def test_a_retry_with_the_same_idempotency_key_is_the_same_review(platform, client, shop):
    headers = auth(shop.web, **{"Idempotency-Key": "avis-1"})
    first = client.post("/v1/reviews", json=review_body(), headers=headers)
    again = client.post("/v1/reviews", json=review_body(), headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(submitted_events(platform)) == 1


HOSTILE = [
    ({"rating": 0}, "rating"),
    ({"rating": 6}, "rating"),
    ({"rating": 4.5}, "rating"),
    ({"rating": "cinq"}, "rating"),
    ({"rating": True}, "rating"),
    ({"rating": None}, "rating"),
    ({"title": "x" * 151}, "title"),
    ({"text": "x" * 5001}, "text"),
    ({"text": "Bien\u0000"}, "text"),
    ({"text": "Bien \u202egnitseretni"}, "text"),
    ({"title": "Rouge\x1b[31m"}, "title"),
    ({"title": ["Parfaite"]}, "title"),
    ({"product_code": "R" * 61}, "product_code"),
    ({"product_code": ""}, "product_code"),
    ({"customer_ref": "c" * 201}, "customer_ref"),
    ({"profile_id": "01PROFILE"}, "body"),
    ({"customer_ref": None}, "body"),
    ({"stars": 5}, "stars"),
]


@pytest.mark.parametrize(("change", "field"), HOSTILE)
def test_hostile_or_malformed_input_is_a_422_naming_its_field_and_writes_nothing(
    platform, client, shop, change, field
):
    before = snapshot(platform)

    response = client.post("/v1/reviews", json={**review_body(), **change}, headers=auth(shop.web))

    assert response.status_code == 422, response.text
    assert field in str(response.json()), response.text
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"product_code": "PARAPLUIE"}, 404, "unknown_product"),
        ({"customer_ref": "email:personne@example.fr"}, 422, "unknown_reviewer"),
        ({"customer_ref": "pas une référence"}, 422, "unknown_reviewer"),
    ],
)
def test_an_unknown_product_or_customer_is_refused_and_writes_nothing(
    platform, client, shop, change, status, code
):
    before = snapshot(platform)

    response = client.post("/v1/reviews", json=review_body(**change), headers=auth(shop.web))

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert snapshot(platform) == before


def test_a_product_may_be_named_by_one_of_its_skus(platform, client, shop):
    review = submit(client, shop.web, product=shop.robe_m)

    assert review["product_code"] == DRESS
