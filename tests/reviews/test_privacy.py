"""A person's reviews in their rights: exported with everything else, erased with them
(the rows, the words in the event log), and the product's average without them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from omnicanal.platform.events import OutboxEvent
from omnicanal.reviews.models import ProductReview
from tests.builders import auth, make_key
from tests.returns.builders import Shop, make_shop
from tests.reviews.builders import DRESS, JACKET, decide, head_office_key, make_customer, submit


@pytest.fixture
def shop(platform, client) -> Shop:  # type: ignore[no-untyped-def]
    made = make_shop(platform)
    make_customer(platform, client)
    make_customer(platform, client, user_id="zoe", email="zoe@example.fr")
    return made


@pytest.fixture
def privacy(platform) -> str:  # type: ignore[no-untyped-def]
    return make_key(platform, "call_centre", scopes=["privacy:export", "privacy:erase"])


@pytest.fixture
def written(platform, client, shop) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """Inès: the dress (5, published) and the jacket (2, pending); Zoé: the dress (3,
    published)."""
    boss = head_office_key(platform)
    made = {
        "ines_dress": submit(client, shop.web, product=DRESS, rating=5),
        "ines_jacket": submit(client, shop.web, product=JACKET, rating=2),
        "zoe_dress": submit(
            client, shop.app, product=DRESS, rating=3, customer_ref="email:zoe@example.fr"
        ),
    }
    decide(client, boss, made["ines_dress"]["id"])
    decide(client, boss, made["zoe_dress"]["id"])
    return made


def test_the_export_holds_her_reviews_and_not_anyone_elses(platform, client, written, privacy):
    ines = written["ines_dress"]["profile_id"]

    export = client.get(
        f"/v1/profiles/{ines}/export", params={"format": "json"}, headers=auth(privacy)
    ).json()

    rows = export["product_reviews"]
    assert [row["id"] for row in rows] == [
        written["ines_dress"]["id"],
        written["ines_jacket"]["id"],
    ]
    assert rows[0]["text"] == "Tombe très bien, tissu agréable."
    assert {row["status"] for row in rows} == {"published", "pending"}


def test_erasing_her_deletes_her_reviews_their_words_in_the_events_and_her_stars(
    platform, client, shop, written, privacy
):
    ines = written["ines_dress"]["profile_id"]
    assert (
        client.get(f"/v1/products/{DRESS}/rating", headers=auth(shop.web)).json()["average"] == 4.0
    )

    erased = client.post(f"/v1/profiles/{ines}/erase", headers=auth(privacy))

    assert erased.status_code == 200, erased.text
    assert erased.json()["counts"]["product_reviews"] == 2
    with platform.db.reading() as session:
        left = session.scalars(select(ProductReview.id)).all()
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.type.like("review.%"))).all()
    assert left == [written["zoe_dress"]["id"]]
    hers = {written["ines_dress"]["id"], written["ines_jacket"]["id"]}
    for event in events:
        if event.data["review_id"] in hers:
            assert event.data["profile_id"] is None
    assert ines not in json.dumps([event.data for event in events])
    rating = client.get(f"/v1/products/{DRESS}/rating", headers=auth(shop.web)).json()
    assert (rating["average"], rating["count"]) == (3.0, 1)
