"""Returns through the API, any channel to any channel, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from omnicanal.inventory.models import StockMovement
from omnicanal.platform.events import OutboxEvent
from tests.builders import auth, snapshot
from tests.returns.builders import (
    CUSTOMER,
    make_shop,
    on_hand,
    return_body,
    till_order,
    web_order,
)


@pytest.fixture
def shop(platform):  # type: ignore[no-untyped-def]
    return make_shop(platform)


def _events(platform, prefix: str = "return.") -> list[str]:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return list(
            session.scalars(
                select(OutboxEvent.type)
                .where(OutboxEvent.type.startswith(prefix))
                .order_by(OutboxEvent.seq)
            )
        )


def test_a_web_order_returned_in_a_store_is_restocked_in_that_store_and_refunded(
    platform, client, shop
):
    """Bought online, shipped from the warehouse, brought back to Lyon: the dress goes back
    on Lyon's shelf, not the warehouse's, and the card is refunded."""
    order = web_order(client, platform, shop.web, (shop.robe_m, 1), (shop.veste, 1))
    lyon_before = on_hand(platform, shop.robe_m, "LYON-01")
    warehouse_before = on_hand(platform, shop.robe_m, "WH-CENTRE")

    taken = client.post(
        "/v1/returns", json=return_body(order, satisfaction=4), headers=auth(shop.lyon)
    )
    assert taken.status_code == 201, taken.text
    returned = taken.json()
    assert returned["status"] == "received"
    assert returned["purchase_channel"] == "web"
    assert returned["return_channel"] == "store"
    assert returned["location"] == "LYON-01"
    assert returned["value_minor"] == order["lines"][0]["total_minor"]
    assert returned["authorisation"] is None

    inspected = client.post(
        f"/v1/returns/{returned['id']}/inspect", json={}, headers=auth(shop.lyon)
    ).json()
    assert inspected["status"] == "inspected"
    assert inspected["lines"][0]["resellable_quantity"] == 1
    assert on_hand(platform, shop.robe_m, "LYON-01") == lyon_before + 1
    assert on_hand(platform, shop.robe_m, "WH-CENTRE") == warehouse_before

    refunded = client.post(
        f"/v1/returns/{returned['id']}/refund",
        json={"method": "original_payment", "provider": "adyen", "reference": "psp_refund_1"},
        headers=auth(shop.lyon),
    )
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["refund"] == {
        "method": "original_payment",
        "amount_minor": order["lines"][0]["total_minor"],
        "provider": "adyen",
        "reference": "psp_refund_1",
    }
    assert [entry["to_status"] for entry in refunded.json()["history"]] == [
        "received",
        "inspected",
        "refunded",
    ]
    assert {(e["channel"], e["location"]) for e in refunded.json()["history"]} == {
        ("store", "LYON-01")
    }
    paid = client.get(f"/v1/orders/{order['id']}", headers=auth(shop.web)).json()
    assert paid["payment"]["status"] == "partially_refunded"
    assert _events(platform) == ["return.requested", "return.inspected", "return.refunded"]
    with platform.db.reading() as session:
        kinds = session.scalars(
            select(StockMovement.kind).where(StockMovement.reference == returned["id"])
        ).all()
    assert kinds == ["return_restock"]


def test_returning_every_unit_of_an_order_refunds_its_payment_wholly(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 2))
    returned = client.post(
        "/v1/returns", json=return_body(order, (0, 2)), headers=auth(shop.lyon)
    ).json()
    client.post(f"/v1/returns/{returned['id']}/inspect", headers=auth(shop.lyon))
    client.post(
        f"/v1/returns/{returned['id']}/refund",
        json={"method": "original_payment", "reference": "psp_refund_2"},
        headers=auth(shop.lyon),
    )

    paid = client.get(f"/v1/orders/{order['id']}", headers=auth(shop.web)).json()
    assert paid["payment"]["status"] == "refunded"


def test_a_postal_return_is_received_at_the_warehouse_by_its_label_and_refunded_as_credit(
    platform, client, shop
):
    """The web shop authorises a return by post; the warehouse scans the label's token."""
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))

    authorised = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.web)
    )
    assert authorised.status_code == 201, authorised.text
    postal = authorised.json()
    assert postal["status"] == "requested"
    assert postal["location"] is None
    token = postal["authorisation"]["token"]
    assert postal["authorisation"]["label_svg"] == f"/v1/returns/{postal['id']}/label.svg"

    received = client.post("/v1/returns", json={"token": token}, headers=auth(shop.warehouse))
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"
    assert received.json()["location"] == "WH-CENTRE"
    before = on_hand(platform, shop.robe_m, "WH-CENTRE")

    client.post(f"/v1/returns/{postal['id']}/inspect", headers=auth(shop.warehouse))
    refunded = client.post(
        f"/v1/returns/{postal['id']}/refund",
        json={"method": "store_credit"},
        headers=auth(shop.warehouse),
    )

    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "refunded"
    assert on_hand(platform, shop.robe_m, "WH-CENTRE") == before + 1
    credit = client.get(
        "/v1/returns/store-credit", params={"customer_ref": CUSTOMER}, headers=auth(shop.lyon)
    ).json()
    assert credit["balance_minor"] == postal["value_minor"]
    assert [entry["return_id"] for entry in credit["entries"]] == [postal["id"]]
    assert _events(platform) == [
        "return.requested",
        "return.received",
        "return.inspected",
        "return.refunded",
    ]


def test_a_label_scanned_twice_is_received_once(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    postal = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.web)
    ).json()
    token = postal["authorisation"]["token"]
    client.post("/v1/returns", json={"token": token}, headers=auth(shop.warehouse))

    again = client.post("/v1/returns", json={"token": token}, headers=auth(shop.warehouse))

    assert again.status_code == 409
    assert again.json()["code"] == "invalid_return_transition"


def test_a_forged_label_is_refused_and_changes_nothing(platform, client, shop):
    web_order(client, platform, shop.web, (shop.robe_m, 1))
    before = snapshot(platform)

    forged = client.post(
        "/v1/returns", json={"token": "eyJyZXR1cm5faWQiOiJYIn0.aaaa.bbbb"}, headers=auth(shop.lyon)
    )

    assert forged.status_code == 422
    assert forged.json()["code"] == "invalid_return_token"
    assert snapshot(platform) == before


def test_an_exchange_at_lyon_swaps_an_m_for_an_l_in_one_operation(platform, client, shop):
    """M back on Lyon's shelf, L out of it, a new sale, no money moves (same price)."""
    order = till_order(client, shop.lyon, (shop.robe_m, 1))
    m_before = on_hand(platform, shop.robe_m, "LYON-01")
    l_before = on_hand(platform, shop.robe_l, "LYON-01")
    returned = client.post(
        "/v1/returns", json=return_body(order, reason="too_small"), headers=auth(shop.lyon)
    ).json()

    exchanged = client.post(
        f"/v1/returns/{returned['id']}/exchange",
        json={"lines": [{"sku": shop.robe_l, "quantity": 1}]},
        headers=auth(shop.lyon),
    )

    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert body["status"] == "exchanged"
    assert body["price_difference_minor"] == 0
    assert on_hand(platform, shop.robe_m, "LYON-01") == m_before + 1
    assert on_hand(platform, shop.robe_l, "LYON-01") == l_before - 1
    sale = client.get(f"/v1/orders/{body['exchange_order_id']}", headers=auth(shop.lyon)).json()
    assert [(line["sku"], line["quantity"]) for line in sale["lines"]] == [(shop.robe_l, 1)]
    assert sale["customer_ref"] == CUSTOMER
    assert sale["status"] == "completed"
    assert _events(platform) == ["return.requested", "return.inspected", "return.exchanged"]


def test_an_exchange_for_a_dearer_item_needs_the_difference_paid(platform, client, shop):
    """Nothing happens until the customer's payment of the difference is sent."""
    order = till_order(client, shop.lyon, (shop.robe_m, 1))
    returned = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon)).json()
    before = snapshot(platform)
    dearer = {"lines": [{"sku": shop.robe_l, "quantity": 1}, {"sku": shop.veste, "quantity": 1}]}

    unpaid = client.post(
        f"/v1/returns/{returned['id']}/exchange", json=dearer, headers=auth(shop.lyon)
    )

    assert unpaid.status_code == 422
    assert unpaid.json()["code"] == "payment_required"
    assert snapshot(platform) == before
    paid = client.post(
        f"/v1/returns/{returned['id']}/exchange",
        json={**dearer, "payment": {**_till(), "reference": "pos_0002"}},
        headers=auth(shop.lyon),
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["price_difference_minor"] == 4990


def _till() -> dict[str, str]:
    return {"provider": "adyen-pos", "reference": "pos_0001", "status": "captured"}


def test_a_worn_return_waits_for_review_then_goes_on_once_approved(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    body = return_body(order)
    body["lines"][0]["condition"] = "worn"

    pending = client.post("/v1/returns", json=body, headers=auth(shop.lyon)).json()

    assert pending["status"] == "review_pending"
    assert pending["review_reasons"] == [
        {"code": "worn", "params": {"order_line_id": order["lines"][0]["id"]}}
    ]
    refused_to_store = client.post(
        f"/v1/returns/{pending['id']}/review",
        json={"decision": "approve"},
        headers=auth(shop.lyon),
    )
    assert refused_to_store.status_code == 403
    too_early = client.post(f"/v1/returns/{pending['id']}/inspect", headers=auth(shop.lyon))
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "invalid_return_transition"

    approved = client.post(
        f"/v1/returns/{pending['id']}/review",
        json={"decision": "approve", "note": "cliente fidèle"},
        headers=auth(shop.reviewer),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    inspected = client.post(f"/v1/returns/{pending['id']}/inspect", headers=auth(shop.lyon))
    assert inspected.json()["status"] == "inspected"
    assert _events(platform) == [
        "return.requested",
        "return.review_requested",
        "return.approved",
        "return.inspected",
    ]


def test_a_refused_return_gives_its_units_back_to_the_order(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    body = return_body(order)
    body["lines"][0]["condition"] = "damaged"
    pending = client.post("/v1/returns", json=body, headers=auth(shop.lyon)).json()

    refused = client.post(
        f"/v1/returns/{pending['id']}/review",
        json={"decision": "refuse", "note": "porté"},
        headers=auth(shop.reviewer),
    )

    assert refused.json()["status"] == "refused"
    again = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon))
    assert again.status_code == 201, again.text


def test_a_refund_is_made_once_even_when_retried(platform, client, shop):
    """The same Idempotency-Key replays the answer; another refund is a 409; the credit is
    given once."""
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    returned = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon)).json()
    client.post(f"/v1/returns/{returned['id']}/inspect", headers=auth(shop.lyon))
    url = f"/v1/returns/{returned['id']}/refund"
    headers = auth(shop.lyon, **{"Idempotency-Key": "refund-1"})

    first = client.post(url, json={"method": "store_credit"}, headers=headers)
    replay = client.post(url, json={"method": "store_credit"}, headers=headers)
    other = client.post(url, json={"method": "store_credit"}, headers=auth(shop.lyon))

    assert first.status_code == 200
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert other.status_code == 409
    assert other.json()["code"] == "return_already_refunded"
    credit = client.get(
        "/v1/returns/store-credit", params={"customer_ref": CUSTOMER}, headers=auth(shop.lyon)
    ).json()
    assert credit["balance_minor"] == returned["value_minor"]
    assert _events(platform).count("return.refunded") == 1


def test_no_more_units_come_back_than_the_customer_received(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 2))
    first = client.post("/v1/returns", json=return_body(order, (0, 1)), headers=auth(shop.lyon))
    assert first.status_code == 201
    before = snapshot(platform)

    too_many = client.post("/v1/returns", json=return_body(order, (0, 2)), headers=auth(shop.paris))

    assert too_many.status_code == 409
    assert too_many.json()["code"] == "return_quantity_exceeded"
    assert too_many.json()["shortfalls"] == [
        {"order_line_id": order["lines"][0]["id"], "requested": 2, "returnable": 1}
    ]
    assert snapshot(platform) == before
    rest = client.post("/v1/returns", json=return_body(order, (0, 1)), headers=auth(shop.paris))
    assert rest.status_code == 201


def test_a_cancelled_return_may_be_taken_again(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    postal = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.web)
    ).json()

    cancelled = client.post(
        f"/v1/returns/{postal['id']}/cancel",
        json={"note": "la cliente garde la robe"},
        headers=auth(shop.web),
    )

    assert cancelled.json()["status"] == "cancelled"
    assert (
        client.post(
            "/v1/returns", json={"token": postal["authorisation"]["token"]}, headers=auth(shop.lyon)
        ).json()["code"]
        == "invalid_return_transition"
    )
    assert (
        client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon)).status_code
        == 201
    )


def test_an_order_not_yet_delivered_has_nothing_to_return(platform, client, shop):
    body = {
        "lines": [{"sku": shop.robe_m, "quantity": 1}],
        "delivery_address": {"name": "Inès", "city": "Lyon"},
        "payment": {"provider": "adyen", "reference": "psp_9", "status": "authorised"},
        "fulfilment": {"method": "ship"},
    }
    order = client.post("/v1/orders", json=body, headers=auth(shop.web)).json()

    refused = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon))

    assert refused.status_code == 409
    assert refused.json()["code"] == "nothing_to_return"


def test_a_store_lists_the_returns_at_its_counter(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 2))
    at_lyon = client.post(
        "/v1/returns", json=return_body(order, (0, 1)), headers=auth(shop.lyon)
    ).json()
    at_paris = client.post(
        "/v1/returns", json=return_body(order, (0, 1)), headers=auth(shop.paris)
    ).json()

    lyon = client.get("/v1/returns", headers=auth(shop.lyon)).json()
    every = client.get("/v1/returns", params={"order_id": order["id"]}, headers=auth(shop.web))
    received = client.get(
        "/v1/returns", params={"status": "received", "location": "PARIS-01"}, headers=auth(shop.web)
    )

    assert [item["id"] for item in lyon["items"]] == [at_lyon["id"]]
    assert {item["id"] for item in every.json()["items"]} == {at_lyon["id"], at_paris["id"]}
    assert [item["id"] for item in received.json()["items"]] == [at_paris["id"]]


def test_an_exchange_for_less_gives_the_difference_back_as_store_credit(platform, client, shop):
    """Two dresses back, one taken: the customer keeps the difference as store credit."""
    order = web_order(client, platform, shop.web, (shop.robe_m, 2))
    returned = client.post(
        "/v1/returns", json=return_body(order, (0, 2)), headers=auth(shop.lyon)
    ).json()

    exchanged = client.post(
        f"/v1/returns/{returned['id']}/exchange",
        json={"lines": [{"sku": shop.robe_l, "quantity": 1}]},
        headers=auth(shop.lyon),
    ).json()

    assert exchanged["price_difference_minor"] == 4990 - returned["value_minor"]
    assert exchanged["refund"]["method"] == "store_credit"
    assert exchanged["refund"]["amount_minor"] == returned["value_minor"] - 4990
    credit = client.get(
        "/v1/returns/store-credit", params={"customer_ref": CUSTOMER}, headers=auth(shop.lyon)
    ).json()
    assert credit["balance_minor"] == returned["value_minor"] - 4990


def test_an_exchange_may_send_the_new_item_home(platform, client, shop):
    """The new item is sent home instead of carried out, in the same go."""
    order = till_order(client, shop.lyon, (shop.veste, 1))
    returned = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon)).json()
    lyon_l = on_hand(platform, shop.robe_l, "LYON-01")

    exchanged = client.post(
        f"/v1/returns/{returned['id']}/exchange",
        json={
            "lines": [{"sku": shop.robe_l, "quantity": 1}],
            "fulfilment": {"method": "ship"},
            "delivery_address": {"name": "Inès Martin", "city": "Lyon"},
        },
        headers=auth(shop.lyon),
    )

    assert exchanged.status_code == 200, exchanged.text
    sale = client.get(
        f"/v1/orders/{exchanged.json()['exchange_order_id']}", headers=auth(shop.lyon)
    ).json()
    assert [f["method"] for f in sale["fulfilments"]] == ["ship"]
    assert on_hand(platform, shop.robe_l, "LYON-01") == lyon_l
