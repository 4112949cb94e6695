"""A refused loyalty request changes nothing; a retried one answers the same without
spending twice."""

from __future__ import annotations

import pytest

from tests.builders import auth, snapshot
from tests.loyalty.builders import (
    CUSTOMER,
    admin_key,
    balance,
    enrol,
    give_points,
    hold,
    make_programme,
)
from tests.returns.builders import TILL, make_shop


@pytest.fixture
def scene(platform, client):
    shop = make_shop(platform)
    make_programme(platform)
    member = enrol(client, shop.lyon)
    give_points(platform, member["id"], 100)
    return shop, member


@pytest.mark.parametrize(
    "body",
    [
        {"points": 10, "amount_minor": 10},
        {"points": 0},
        {"points": -5},
        {"points": 10**12},
        {"amount_minor": 10, "card_number": "FID-0001"},
        {"points": 10, "extra": True},
        {"points": "dix"},
    ],
)
def test_a_malformed_redemption_is_refused_and_changes_nothing(platform, client, scene, body):
    shop, member = scene
    if "card_number" not in body:
        body = {"member_id": member["id"], **body}
    before = snapshot(platform)

    response = client.post("/v1/loyalty/redemptions", json=body, headers=auth(shop.lyon))

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert snapshot(platform) == before


def test_more_points_than_available_is_refused_and_changes_nothing(platform, client, scene):
    shop, member = scene
    before = snapshot(platform)

    response = hold(client, shop.lyon, member["id"], points=101)
    taken = client.post(
        f"/v1/loyalty/members/{member['id']}/adjustments",
        json={"points": -101, "reason": "erreur"},
        headers=auth(admin_key(platform)),
    )

    assert (response.status_code, response.json()["code"]) == (409, "insufficient_points")
    assert response.json()["available"] == 100
    assert (taken.status_code, taken.json()["code"]) == (409, "insufficient_points")
    before.pop("api_keys")
    after = snapshot(platform)
    after.pop("api_keys")
    assert after == before


def test_an_unknown_member_or_programme_is_a_404(platform, client, scene):
    shop, _ = scene

    unknown_member = hold(client, shop.lyon, "01JQ7Z0000000000000000NONE", points=1)
    unknown_programme = client.post(
        "/v1/loyalty/members",
        json={"programme": "NOPE", "card_number": "FID9"},
        headers=auth(shop.lyon),
    )
    nobody = client.post("/v1/loyalty/members", json={"programme": "CLUB"}, headers=auth(shop.lyon))

    assert (unknown_member.status_code, unknown_member.json()["code"]) == (404, "unknown_member")
    assert (unknown_programme.status_code, unknown_programme.json()["code"]) == (
        404,
        "unknown_programme",
    )
    assert (nobody.status_code, nobody.json()["code"]) == (422, "nobody_to_enrol")


def test_tenders_worth_more_than_the_order_are_refused_and_nothing_is_placed(
    platform, client, scene
):
    shop, member = scene
    held = hold(client, shop.lyon, member["id"], points=100).json()
    before = snapshot(platform)

    response = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "payment": TILL,
            "tenders": [{**held["tender"], "amount_minor": 5000}],
        },
        headers=auth(shop.lyon),
    )
    short = client.post(
        "/v1/orders",
        json={"lines": [{"sku": shop.robe_m, "quantity": 1}], "tenders": [held["tender"]]},
        headers=auth(shop.lyon),
    )

    assert (response.status_code, response.json()["code"]) == (422, "tenders_exceed_total")
    assert (short.status_code, short.json()["code"]) == (422, "payment_required")
    assert snapshot(platform) == before


def test_a_retried_redemption_holds_the_points_once(platform, client, scene):
    shop, member = scene

    first = hold(client, shop.lyon, member["id"], points=60, idempotency_key="till-42-1")
    again = hold(client, shop.lyon, member["id"], points=60, idempotency_key="till-42-1")
    other = hold(client, shop.lyon, member["id"], points=30, idempotency_key="till-42-1")

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    assert balance(client, shop.lyon, member["id"])["available"] == 40
