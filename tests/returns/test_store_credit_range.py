"""Store credit beyond 32 bits: a balance that grows past 2^31 - 1 minor units is kept, on
SQLite and PostgreSQL alike (an order may total up to ``MAX_AMOUNT_MINOR``, and a customer's
credit adds up the refunds of as many orders as they bring back)."""

from __future__ import annotations

from omnicanal.platform.bounds import MAX_AMOUNT_MINOR, MAX_INT
from tests.builders import auth, make_dearest_watch
from tests.returns.builders import CUSTOMER, make_shop, return_body, till_order

PRICE = MAX_AMOUNT_MINOR - 1
"""The dearest unit price a one-line order may carry."""
ORDERS = 3


def test_store_credit_adds_up_past_two_to_the_thirty_one_and_keeps_its_ledger(
    platform, client
) -> None:
    """Three orders at the dearest price, each brought back to the counter and refunded as
    store credit: the balance is their sum, above a 32-bit integer, and each ledger line
    says the balance after it."""
    shop = make_shop(platform)
    watch = make_dearest_watch(platform, location="LYON-01", quantity=ORDERS)

    refunded = []
    for _ in range(ORDERS):
        order = till_order(client, shop.lyon, (watch, 1))
        taken = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon))
        assert taken.status_code == 201, taken.text
        returned = taken.json()
        if returned["status"] == "review_pending":  # worth more than the review threshold
            reviewed = client.post(
                f"/v1/returns/{returned['id']}/review",
                json={"decision": "approve"},
                headers=auth(shop.reviewer),
            )
            assert reviewed.status_code == 200, reviewed.text
        inspected = client.post(f"/v1/returns/{returned['id']}/inspect", headers=auth(shop.lyon))
        assert inspected.status_code == 200, inspected.text
        refund = client.post(
            f"/v1/returns/{returned['id']}/refund",
            json={"method": "store_credit"},
            headers=auth(shop.lyon),
        )
        assert refund.status_code == 200, refund.text
        refunded.append(returned["id"])

    credit = client.get(
        "/v1/returns/store-credit", params={"customer_ref": CUSTOMER}, headers=auth(shop.lyon)
    )
    assert credit.status_code == 200, credit.text
    balance = credit.json()
    assert balance["balance_minor"] == ORDERS * PRICE > MAX_INT
    assert [entry["return_id"] for entry in balance["entries"]] == refunded[::-1]
    assert [entry["balance_after_minor"] for entry in balance["entries"]] == [
        n * PRICE for n in range(ORDERS, 0, -1)
    ]
