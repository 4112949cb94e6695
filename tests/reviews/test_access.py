"""Who may send, read and moderate reviews, both ways: every first-party key sends for any
customer, a marketplace for its own orders' customers only; a pending review is its sender's
and head office's; only head office decides. A refused request changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.builders import auth, make_key, snapshot
from tests.conftest import restored_world
from tests.returns.builders import Shop, make_shop, web_order
from tests.reviews.builders import INES, decide, head_office_key, make_customer, review_body

ALLOWED, FORBIDDEN, HIDDEN = 201, 403, 404


@dataclass(frozen=True)
class World:
    shop: Shop
    boss: str

    def key(self, name: str) -> str:
        return self.boss if name == "boss" else str(getattr(self.shop, name))


@pytest.fixture
def world(platform, client, request) -> World:  # type: ignore[no-untyped-def]
    """The returns shop; Inès bought on the first marketplace, Zoé on the web only; built
    once per backend, restored for each cell."""

    def build() -> World:
        shop = make_shop(platform)
        make_customer(platform, client)
        make_customer(platform, client, user_id="zoe", email="zoe@example.fr")
        web_order(client, platform, shop.marketplace, (shop.robe_m, 1), customer_ref=INES)
        web_order(client, platform, shop.web, (shop.veste, 1), customer_ref="email:zoe@example.fr")
        return World(shop=shop, boss=head_office_key(platform))

    return restored_world(request, platform, build)


SENDERS = [
    ("web", INES, ALLOWED),
    ("app", INES, ALLOWED),
    ("call_centre", INES, ALLOWED),
    ("lyon", INES, ALLOWED),
    ("paris", "email:zoe@example.fr", ALLOWED),
    ("marketplace", INES, ALLOWED),
    ("marketplace", "email:zoe@example.fr", FORBIDDEN),
    ("marketplace", "email:personne@example.fr", FORBIDDEN),
    ("other_marketplace", INES, FORBIDDEN),
]


@pytest.mark.parametrize(("sender", "customer", "expected"), SENDERS)
def test_each_key_sends_the_reviews_of_exactly_the_customers_of_its_row(
    platform, client, world, sender, customer, expected
):
    """A marketplace sends for the customers of its own orders; a customer it never sold to
    and a customer who does not exist get the same 403."""
    before = snapshot(platform)

    response = client.post(
        "/v1/reviews", json=review_body(customer_ref=customer), headers=auth(world.key(sender))
    )

    assert response.status_code == expected, response.text
    if expected == FORBIDDEN:
        assert response.json()["code"] == "review_forbidden"
        assert snapshot(platform) == before


def test_a_key_without_the_reviews_scopes_is_refused(platform, client, world):
    narrow = make_key(platform, "web", scopes=["catalog:read"])
    before = snapshot(platform)

    sent = client.post("/v1/reviews", json=review_body(), headers=auth(narrow))
    listed = client.get("/v1/reviews", headers=auth(narrow))

    assert (sent.status_code, listed.status_code) == (403, 403)
    assert snapshot(platform) == before


# sender of a pending review → reader → expected
READERS = [
    ("lyon", "lyon", 200),
    ("lyon", "paris", HIDDEN),
    ("lyon", "web", HIDDEN),
    ("lyon", "marketplace", HIDDEN),
    ("lyon", "boss", 200),
    ("marketplace", "marketplace", 200),
    ("marketplace", "other_marketplace", HIDDEN),
    ("marketplace", "web", HIDDEN),
    ("web", "web", 200),
    ("web", "app", HIDDEN),
]


@pytest.mark.parametrize(("sender", "reader", "expected"), READERS)
def test_a_pending_review_is_read_by_its_sender_and_head_office_only(
    platform, client, world, sender, reader, expected
):
    review = _send(client, world, sender)

    response = client.get(f"/v1/reviews/{review['id']}", headers=auth(world.key(reader)))

    assert response.status_code == expected, response.text
    if expected == HIDDEN:
        assert response.json()["code"] == "unknown_product_review"


def _send(client: Any, world: World, sender: str) -> dict[str, Any]:
    response = client.post("/v1/reviews", json=review_body(), headers=auth(world.key(sender)))
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("reader", "sees_reviewer"),
    [("web", True), ("paris", True), ("marketplace", False), ("other_marketplace", False)],
)
def test_a_published_review_is_anyones_but_a_marketplace_does_not_learn_who_wrote_it(
    platform, client, world, reader, sees_reviewer
):
    review = _send(client, world, "lyon")
    decide(client, world.boss, review["id"])

    answer = client.get(f"/v1/reviews/{review['id']}", headers=auth(world.key(reader)))
    rating = client.get("/v1/products/ROBE-ALMA/rating", headers=auth(world.key(reader)))

    assert answer.status_code == 200
    assert (answer.json()["profile_id"] is not None) is sees_reviewer
    assert (rating.json()["last"][0]["profile_id"] is not None) is sees_reviewer


def test_a_marketplace_knows_the_reviewer_of_the_reviews_it_sent(platform, client, world):
    review = _send(client, world, "marketplace")
    decide(client, world.boss, review["id"])

    mine = client.get(f"/v1/reviews/{review['id']}", headers=auth(world.shop.marketplace))

    assert mine.json()["profile_id"] == review["profile_id"] is not None


@pytest.mark.parametrize("moderator", ["web", "app", "call_centre", "lyon", "marketplace"])
def test_no_channel_key_moderates_reviews(platform, client, world, moderator):
    review = _send(client, world, "web")
    before = snapshot(platform)

    response = client.post(
        f"/v1/reviews/{review['id']}/decision",
        json={"decision": "publish"},
        headers=auth(world.key(moderator)),
    )
    queue = client.get(
        "/v1/reviews", params={"status": "pending"}, headers=auth(world.key(moderator))
    )

    assert response.status_code == 403
    assert (queue.status_code, queue.json()["code"]) == (403, "review_forbidden")
    assert snapshot(platform) == before


def test_a_marketplace_given_the_moderation_scope_still_does_not_moderate(platform, client, world):
    scoped = make_key(platform, "marketplace", scopes=["reviews:read", "reviews:moderate"])
    review = _send(client, world, "web")
    before = snapshot(platform)

    response = client.post(
        f"/v1/reviews/{review['id']}/decision", json={"decision": "publish"}, headers=auth(scoped)
    )

    assert (response.status_code, response.json()["code"]) == (403, "review_forbidden")
    assert snapshot(platform) == before


def test_a_profiles_reviews_need_the_profiles_scope(platform, client, world):
    review = _send(client, world, "web")

    web = client.get(f"/v1/profiles/{review['profile_id']}/reviews", headers=auth(world.shop.web))
    store = client.get(
        f"/v1/profiles/{review['profile_id']}/reviews", headers=auth(world.shop.lyon)
    )

    assert (web.status_code, store.status_code) == (403, 200)
