"""Head office publishes or rejects each review once, with a reason for a rejection, audited;
only published reviews are shown and counted in a product's and a customer's averages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from omnicanal.platform import audit
from omnicanal.platform.events import OutboxEvent
from omnicanal.reviews import service
from tests.builders import auth, snapshot
from tests.returns.builders import Shop, make_shop
from tests.reviews.builders import (
    DRESS,
    JACKET,
    decide,
    head_office_key,
    make_customer,
    submit,
)


@pytest.fixture
def shop(platform, client) -> Shop:  # type: ignore[no-untyped-def]
    """The returns shop; Inès and Zoé known by their app logins and e-mails."""
    made = make_shop(platform)
    make_customer(platform, client)
    make_customer(platform, client, user_id="zoe", email="zoe@example.fr")
    return made


@pytest.fixture
def boss(platform) -> str:  # type: ignore[no-untyped-def]
    return head_office_key(platform)


def events(platform, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return [
            row.data
            for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == kind).order_by(OutboxEvent.seq)
            )
        ]


def test_publishing_a_review_shows_it_and_announces_the_products_new_average(
    platform, client, shop, boss
):
    first = submit(client, shop.web, rating=5)
    decide(client, boss, first["id"])
    second = submit(client, shop.app, rating=4, customer_ref="email:zoe@example.fr")

    published = decide(client, boss, second["id"])

    assert published["status"] == "published"
    assert published["moderated_at"] is not None
    last = events(platform, "review.published")[-1]
    assert (last["review_id"], last["product_average"], last["product_count"]) == (
        second["id"],
        4.5,
        2,
    )
    assert last["actor"].startswith("key:")


def test_a_rejection_needs_one_of_the_reasons(platform, client, shop, boss):
    review = submit(client, shop.web)
    before = snapshot(platform)

    without = client.post(
        f"/v1/reviews/{review['id']}/decision", json={"decision": "reject"}, headers=auth(boss)
    )
    unknown = client.post(
        f"/v1/reviews/{review['id']}/decision",
        json={"decision": "reject", "reason": "pas_aime"},
        headers=auth(boss),
    )
    assert (without.status_code, unknown.status_code) == (422, 422)
    assert snapshot(platform) == before

    rejected = decide(client, boss, review["id"], "reject", "off_topic")

    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "off_topic")
    [event] = events(platform, "review.rejected")
    assert (event["review_id"], event["reason"]) == (review["id"], "off_topic")


def test_a_review_is_decided_once_and_the_decision_is_audited(platform, client, shop, boss):
    review = submit(client, shop.web)
    decide(client, boss, review["id"])
    before = snapshot(platform)

    again = client.post(
        f"/v1/reviews/{review['id']}/decision",
        json={"decision": "reject", "reason": "offensive"},
        headers=auth(boss),
    )

    assert (again.status_code, again.json()["code"]) == (409, "review_decided")
    assert snapshot(platform) == before
    with platform.db.reading() as session:
        [entry] = audit.list_entries(session, what="product_review")
    assert (entry.resource_type, entry.resource_id) == ("product_review", review["id"])
    assert entry.operation == f"product_review:{review['id']}:publish"


def test_an_unknown_review_is_a_404(platform, client, shop, boss):
    response = client.post(
        "/v1/reviews/01NOPE/decision", json={"decision": "publish"}, headers=auth(boss)
    )

    assert (response.status_code, response.json()["code"]) == (404, "unknown_product_review")


def test_only_published_reviews_count_in_a_products_average(platform, client, shop, boss):
    """Five stars published, four published, one star pending, two stars rejected: 4.5 from
    two reviews, the newest first."""
    five = submit(client, shop.web, rating=5)
    four = submit(client, shop.app, rating=4, customer_ref="email:zoe@example.fr")
    make_customer(platform, client, user_id="max", email="max@example.fr")
    make_customer(platform, client, user_id="lou", email="lou@example.fr")
    submit(client, shop.lyon, rating=1, customer_ref="email:max@example.fr")
    two = submit(client, shop.web, rating=2, customer_ref="email:lou@example.fr")
    decide(client, boss, five["id"])
    decide(client, boss, four["id"])
    decide(client, boss, two["id"], "reject", "not_genuine")

    rating = client.get(f"/v1/products/{DRESS}/rating", headers=auth(shop.web)).json()

    assert (rating["average"], rating["count"]) == (4.5, 2)
    assert [review["id"] for review in rating["last"]] == [four["id"], five["id"]]
    unrated = client.get(f"/v1/products/{JACKET}/rating", headers=auth(shop.web)).json()
    assert unrated == {"average": None, "count": 0, "last": []}
    unknown = client.get("/v1/products/PARAPLUIE/rating", headers=auth(shop.web))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_product")


def test_a_customers_average_counts_the_published_reviews_they_wrote(platform, client, shop, boss):
    """Inès: the dress 5 published, the jacket 3 published; Zoé's review is not hers."""
    dress = submit(client, shop.web, product=DRESS, rating=5)
    jacket = submit(client, shop.web, product=JACKET, rating=3)
    zoe = submit(client, shop.web, product=JACKET, rating=1, customer_ref="email:zoe@example.fr")
    for review in (dress, jacket, zoe):
        decide(client, boss, review["id"])

    with platform.db.reading() as session:
        pending_only = service.customer_rating(session, profile_ids=[])
        summary = service.customer_rating(session, profile_ids=[dress["profile_id"]])

    assert (summary.average, summary.count) == (4.0, 2)
    assert [review.id for review in summary.last] == [jacket["id"], dress["id"]]
    assert (pending_only.average, pending_only.count) == (None, 0)


def test_a_profiles_reviews_give_its_average_and_the_reviews_the_caller_may_read(
    platform, client, shop, boss
):
    published = submit(client, shop.web, product=DRESS, rating=4)
    pending = submit(client, shop.web, product=JACKET, rating=2)
    decide(client, boss, published["id"])

    path = f"/v1/profiles/{published['profile_id']}/reviews"
    answer = client.get(path, headers=auth(boss))
    agent = client.get(path, headers=auth(shop.call_centre)).json()

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rating"]["average"], body["rating"]["count"]) == (4.0, 1)
    assert [review["id"] for review in body["reviews"]] == [pending["id"], published["id"]]
    assert agent["rating"] == body["rating"]
    assert [review["id"] for review in agent["reviews"]] == [published["id"]]
    unknown = client.get("/v1/profiles/01NOPE/reviews", headers=auth(shop.call_centre))
    assert unknown.status_code == 404


def test_the_moderation_queue_lists_the_waiting_reviews_oldest_first(platform, client, shop, boss):
    first = submit(client, shop.web, product=DRESS, rating=5)
    second = submit(client, shop.web, product=JACKET, rating=1)
    third = submit(client, shop.lyon, product=DRESS, customer_ref="email:zoe@example.fr")
    decide(client, boss, third["id"])

    queue = client.get(
        "/v1/reviews",
        params={"status": "pending", "updated_since": "2000-01-01T00:00:00Z"},
        headers=auth(boss),
    ).json()
    ones = client.get(
        "/v1/reviews", params={"status": "all", "rating": 1}, headers=auth(boss)
    ).json()
    shown = client.get("/v1/reviews", params={"product_code": DRESS}, headers=auth(shop.web))

    assert [item["id"] for item in queue["items"]] == [first["id"], second["id"]]
    assert (queue["has_more"], queue["next_cursor"]) == (False, None)
    assert [item["id"] for item in ones["items"]] == [second["id"]]
    assert [item["id"] for item in shown.json()["items"]] == [third["id"]]
