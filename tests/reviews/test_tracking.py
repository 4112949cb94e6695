"""Reviews arriving as Segment ``Product Reviewed`` messages through the tracking API: taken
from the sources that may say who the customer is, refused like the API refuses them, never
written in a customer's name from the web shop's public key."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from omnicanal.reviews.models import ProductReview
from omnicanal.tracking import service as tracking
from omnicanal.tracking.models import TrackingMessage
from omnicanal.tracking.service import SourceKind
from tests.builders import snapshot
from tests.customers.support import basic, make_source, send
from tests.returns.builders import Shop, make_shop, web_order
from tests.reviews.builders import DRESS, INES, make_customer, profile_of, submit


@pytest.fixture
def shop(platform, client) -> Shop:  # type: ignore[no-untyped-def]
    made = make_shop(platform)
    make_customer(platform, client)
    return made


def reviewed(
    product: Any = DRESS, rating: Any = 5, *, user_id: str | None = "ines", **more: Any
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "track",
        "event": "Product Reviewed",
        "properties": {
            "product_id": product,
            "review_id": "rv-1",
            "review_body": "Très jolie robe.",
            "rating": rating,
            **more,
        },
    }
    if user_id is not None:
        message["userId"] = user_id
    else:
        message["anonymousId"] = "cookie-1"
    return message


def reviews(platform) -> list[ProductReview]:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        rows = session.scalars(select(ProductReview).order_by(ProductReview.submitted_at)).all()
        session.expunge_all()
        return list(rows)


def test_the_apps_message_of_a_logged_in_customer_is_her_pending_review(platform, client, shop):
    web_order(client, platform, shop.web, (shop.robe_m, 1), customer_ref=INES)

    answer = send(client, make_source(platform, "app"), reviewed(review_title="Superbe"))

    assert (answer["accepted"], answer["warnings"]) == (1, [])
    [review] = reviews(platform)
    assert review.profile_id == profile_of(platform, INES)
    assert (review.status, review.rating, review.title, review.text) == (
        "pending",
        5,
        "Superbe",
        "Très jolie robe.",
    )
    assert (review.channel, review.source, review.external_ref) == ("app", "tracking", "rv-1")
    assert review.verified_purchase is True


def test_a_tills_message_is_a_review_at_its_store(platform, client, shop):
    """The till knows Inès by her loyalty card only: the message joins her to it."""
    with platform.db.transaction() as session:
        _, write_key = tracking.create_source(
            session, kind=SourceKind.store, name="Caisse 1", location_code="LYON-01"
        )
    send(
        client,
        make_source(platform, "app", name="app login"),
        {"type": "identify", "userId": "ines", "traits": {"loyalty_card": "FID-77"}},
    )
    message = reviewed(user_id=None, rating=4)
    message["context"] = {"traits": {"loyalty_card": "FID-77"}}

    send(client, write_key, message)

    [review] = reviews(platform)
    assert (review.channel, review.location_code, review.rating) == ("store", "LYON-01", 4)
    assert review.profile_id == profile_of(platform, INES)


def test_the_web_shops_public_key_never_writes_a_review_in_a_customers_name(platform, client, shop):
    """Anyone may send with the key every page holds: the message is stored, as Segment
    would, and the answer says the review was not taken."""
    answer = send(client, make_source(platform, "web"), reviewed())

    assert answer["accepted"] == 1
    [warning] = answer["warnings"]
    assert (warning["code"], warning["field"]) == ("untrusted_review_source", "userId")
    assert reviews(platform) == []
    with platform.db.reading() as session:
        [stored] = session.scalars(
            select(TrackingMessage).where(TrackingMessage.type == "track")
        ).all()
        assert stored.warnings is not None
        assert stored.warnings[0]["code"] == "untrusted_review_source"


@pytest.mark.parametrize(
    ("message", "code", "field"),
    [
        (reviewed(rating=7), "invalid_rating", "properties.rating"),
        (reviewed(rating="bien"), "invalid_rating", "properties.rating"),
        (reviewed(product=None), "missing_product", "properties.sku"),
        (reviewed(review_body="x" * 5001), "review_too_long", "properties.review_body"),
        (reviewed(review_body="Bien\u202eetneg"), "invalid_review_text", "properties.review_body"),
        (reviewed(review_body="Bien\u0000"), "invalid_text", "properties.review_body"),
    ],
)
def test_a_hostile_review_message_is_refused_and_nothing_is_stored(
    platform, client, shop, message, code, field
):
    write_key = make_source(platform, "app")
    before = snapshot(platform)

    response = client.post("/v1/track", json=message, headers=basic(write_key))

    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert snapshot(platform) == before


def test_a_batch_keeps_its_good_review_and_lists_the_refused_one(platform, client, shop):
    response = client.post(
        "/v1/batch",
        json={"batch": [reviewed(rating=9), reviewed(rating=3)]},
        headers=basic(make_source(platform, "app")),
    )

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert [r["index"] for r in response.json()["rejected"]] == [0]
    assert [review.rating for review in reviews(platform)] == [3]


@pytest.mark.parametrize(
    ("product", "code", "field"),
    [("PARAPLUIE", "unknown_product", "properties.product_id")],
)
def test_a_review_of_an_unknown_product_is_a_warning_and_the_message_is_stored(
    platform, client, shop, product, code, field
):
    answer = send(client, make_source(platform, "app"), reviewed(product=product))

    assert answer["accepted"] == 1
    assert [(w["code"], w["field"]) for w in answer["warnings"]] == [(code, field)]
    assert reviews(platform) == []


def test_a_review_sent_again_is_taken_once(platform, client, shop):
    """The API took Inès's review; the same review from the app is a warning; the app's
    message sent twice is one message."""
    submit(client, shop.web)
    write_key = make_source(platform, "app")
    message = {**reviewed(), "messageId": "m-1"}

    first = send(client, write_key, message)
    repeat = send(client, write_key, message)

    assert [w["code"] for w in first["warnings"]] == ["already_reviewed"]
    assert (repeat["accepted"], repeat["duplicates"]) == (0, 1)
    assert len(reviews(platform)) == 1
