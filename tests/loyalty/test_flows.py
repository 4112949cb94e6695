"""Loyalty on every channel, end to end through the API and the bus: earned on the web,
pending until the return window closes, spent in part at the Lyon counter, taken back
exactly when an item comes back or an order is cancelled."""

from __future__ import annotations

from datetime import timedelta

from omnicanal.loyalty import service as loyalty
from omnicanal.platform.clock import utcnow
from tests.builders import auth
from tests.loyalty.builders import (
    CUSTOMER,
    balance,
    enrol,
    give_points,
    hold,
    ledger_kinds,
    make_programme,
    member,
)
from tests.returns.builders import TILL, make_shop, return_body, web_order


def _confirm(platform, *, days: int) -> None:
    with platform.db.transaction() as session:
        loyalty.confirm_due(session, now=utcnow() + timedelta(days=days))


def _refund(client, key: str, order: dict, *picks: tuple[int, int]) -> dict:
    opened = client.post("/v1/returns", json=return_body(order, *picks), headers=auth(key))
    assert opened.status_code == 201, opened.text
    return_id = opened.json()["id"]
    assert client.post(f"/v1/returns/{return_id}/inspect", headers=auth(key)).status_code == 200
    refunded = client.post(
        f"/v1/returns/{return_id}/refund",
        json={"method": "original_payment", "reference": "psp_refund_1"},
        headers=auth(key),
    )
    assert refunded.status_code == 200, refunded.text
    return dict(refunded.json())


def test_a_web_order_earns_pending_points_confirmed_once_its_return_window_closes(platform, client):
    """Two dresses at 49.90 € on the web: 99 points pending; still pending on day 29 after
    delivery, spendable after day 30."""
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.web)

    web_order(client, platform, shop.web, (shop.robe_m, 2))
    platform.relay().drain()

    assert balance(client, shop.web, ines["id"])["pending"] == 99
    assert balance(client, shop.web, ines["id"])["available"] == 0
    _confirm(platform, days=29)
    assert balance(client, shop.web, ines["id"])["pending"] == 99
    _confirm(platform, days=31)
    after = balance(client, shop.web, ines["id"])
    assert (after["available"], after["pending"], after["available_value_minor"]) == (99, 0, 99)
    assert [kind for kind, _, _ in ledger_kinds(client, shop.web, ines["id"])] == [
        "pending",
        "confirm",
    ]


def test_points_spent_in_part_at_the_lyon_counter_pay_part_of_a_till_sale(platform, client):
    """500 points held at the Lyon counter pay 5 € of a 49.90 € sale; the card pays the
    rest; the sale earns on the 44.90 € paid otherwise."""
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.lyon)
    give_points(platform, ines["id"], 800)

    held = hold(client, shop.lyon, ines["id"], points=500)
    assert held.status_code == 201, held.text
    assert balance(client, shop.lyon, ines["id"])["available"] == 300
    assert balance(client, shop.lyon, ines["id"])["held"] == 500
    sale = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "payment": TILL,
            "tenders": [held.json()["tender"]],
        },
        headers=auth(shop.lyon),
    )
    assert sale.status_code == 201, sale.text
    platform.relay().drain()

    redemption = client.get(
        f"/v1/loyalty/redemptions/{held.json()['id']}", headers=auth(shop.lyon)
    ).json()
    assert (redemption["status"], redemption["order_id"]) == ("captured", sale.json()["id"])
    assert (redemption["channel"], redemption["location"]) == ("store", "LYON-01")
    after = balance(client, shop.lyon, ines["id"])
    assert (after["available"], after["held"], after["pending"]) == (300, 0, 44)


def test_returning_one_item_takes_back_exactly_its_points(platform, client):
    """Bought on the web (two dresses and a jacket, 149 points pending), one dress brought
    back to Lyon and refunded: exactly its 49 points go, the rest is confirmed later."""
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.web)
    order = web_order(client, platform, shop.web, (shop.robe_m, 2), (shop.veste, 1))
    platform.relay().drain()
    assert balance(client, shop.web, ines["id"])["pending"] == 99 + 49

    _refund(client, shop.lyon, order, (0, 1))
    platform.relay().drain()

    assert balance(client, shop.web, ines["id"])["pending"] == 148 - 50
    _refund(client, shop.lyon, order, (0, 1))
    platform.relay().drain()
    assert balance(client, shop.web, ines["id"])["pending"] == 49
    _confirm(platform, days=31)
    assert balance(client, shop.web, ines["id"]) | {"held": 0} == {
        "available": 49,
        "pending": 0,
        "held": 0,
        "available_value_minor": 49,
        "currency": "EUR",
    }
    reversed_points = [
        pending
        for kind, _, pending in ledger_kinds(client, shop.web, ines["id"])
        if kind == "reverse"
    ]
    assert reversed_points == [-50, -49]


def test_a_return_after_the_window_takes_the_points_back_from_the_balance(platform, client):
    """Points already confirmed and partly spent: the return takes what is left of them,
    and says how many it could not collect."""
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.web)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    platform.relay().drain()
    _confirm(platform, days=31)
    assert hold(client, shop.lyon, ines["id"], points=40).status_code == 201

    _refund(client, shop.lyon, order, (0, 1))
    platform.relay().drain()

    after = balance(client, shop.web, ines["id"])
    assert (after["available"], after["held"]) == (0, 40)
    reversals = [e for e in ledger_kinds(client, shop.web, ines["id"]) if e[0] == "reverse"]
    assert reversals == [("reverse", -9, 0)]


def test_a_cancelled_order_gives_back_its_points_and_the_points_that_paid_it(platform, client):
    """A pickup paid partly with points, cancelled before it is ready: nothing earned stays,
    the points that paid it are the member's again."""
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.web)
    give_points(platform, ines["id"], 300)
    held = hold(client, shop.web, ines["id"], amount_minor=300).json()
    placed = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "fulfilment": {"method": "pickup", "location": "LYON-01"},
            "payment": {"provider": "adyen", "reference": "psp_9", "status": "authorised"},
            "tenders": [held["tender"]],
        },
        headers=auth(shop.web),
    ).json()
    platform.relay().drain()
    assert balance(client, shop.web, ines["id"])["pending"] == 46

    cancelled = client.post(
        f"/v1/orders/{placed['id']}/cancel", json={"reason": "plus besoin"}, headers=auth(shop.web)
    )
    assert cancelled.status_code == 200, cancelled.text
    platform.relay().drain()

    after = balance(client, shop.web, ines["id"])
    assert (after["available"], after["pending"], after["held"]) == (300, 0, 0)
    redemption = client.get(f"/v1/loyalty/redemptions/{held['id']}", headers=auth(shop.web))
    assert redemption.json()["status"] == "released"
    assert redemption.json()["release_reason"] == "order_cancelled"


def test_an_order_paid_with_points_alone_needs_no_payment(platform, client):
    """Points worth the whole total pay it: the order's payment is the loyalty tender,
    captured."""
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.lyon)
    give_points(platform, ines["id"], 5000)
    held = hold(client, shop.lyon, ines["id"], amount_minor=4990).json()

    sale = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "tenders": [held["tender"]],
        },
        headers=auth(shop.lyon),
    )
    platform.relay().drain()

    assert sale.status_code == 201, sale.text
    assert sale.json()["payment"] == {
        "provider": "loyalty",
        "reference": held["id"],
        "status": "captured",
    }
    assert balance(client, shop.lyon, ines["id"]) | {} == {
        "available": 10,
        "pending": 0,
        "held": 0,
        "available_value_minor": 10,
        "currency": "EUR",
    }


def test_a_member_joins_by_card_and_is_found_by_it_and_by_their_profile(platform, client):
    shop = make_shop(platform)
    make_programme(platform)

    joined = enrol(client, shop.lyon, customer_ref="user_id:ines-app", card_number="fid 0042")

    assert joined["card_number"] == "FID0042"
    assert (joined["joined_channel"], joined["joined_location"]) == ("store", "LYON-01")
    by_card = client.get(
        "/v1/loyalty/members",
        params={"card_number": "FID-0042", "programme": "CLUB"},
        headers=auth(shop.web),
    )
    by_profile = client.get(
        "/v1/loyalty/members", params={"profile_id": joined["profile_id"]}, headers=auth(shop.app)
    )
    assert by_card.json()["id"] == by_profile.json()["id"] == joined["id"]
    again = client.post(
        "/v1/loyalty/members",
        json={"programme": "CLUB", "customer_ref": "user_id:ines-app"},
        headers=auth(shop.web),
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_member"
    assert member(client, shop.web, joined["id"])["balance"]["available"] == 0
