"""Examples of the orders API's bodies, shown in the OpenAPI (Swagger UI, ReDoc, clients).

A web checkout of one dress picked up in the Lyon store, and the order it makes. They are
real answers with their ids and times made readable; tests/api/test_openapi_contract.py
checks that each still validates against its model.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CHECKOUT", "ORDER"]

KEY = "key:01JT9Z3B6C7D8E9F0G1H2J3K4M"
ORDER_ID = "01JTA7R1S2T3V4W5X6Y7Z8A9B0"
FULFILMENT_ID = "01JTA7R1S2T3V4W5X6Y7Z8A9B2"
PLACED_AT = "2026-05-04T09:14:00Z"

CHECKOUT: dict[str, Any] = {
    "lines": [
        {
            "sku": "ROBE-LIN-M",
            "quantity": 1,
            "fulfilment": {"method": "pickup", "location": "LYON-01"},
        }
    ],
    "customer_ref": "zoe.martin",
    "currency": "EUR",
    "payment": {"provider": "adyen", "reference": "psp_8815", "status": "authorised"},
}


def _history(subject: str, from_status: str | None, to_status: str) -> dict[str, Any]:
    return {
        "at": PLACED_AT,
        "subject": subject,
        "fulfilment_id": FULFILMENT_ID if subject == "fulfilment" else None,
        "from_status": from_status,
        "to_status": to_status,
        "event": f"{subject}.{to_status}",
        "reason": "",
        "actor": KEY,
        "channel": "web",
    }


ORDER: dict[str, Any] = {
    "id": ORDER_ID,
    "status": "allocated",
    "channel": "web",
    "location": None,
    "customer_ref": "zoe.martin",
    "cart_id": None,
    "currency": "EUR",
    "subtotal_minor": 8900,
    "discount_minor": 0,
    "shipping_minor": 0,
    "shipping_discount_minor": 0,
    "total_minor": 8900,
    "coupons": [],
    "payment": {"provider": "adyen", "reference": "psp_8815", "status": "authorised"},
    "delivery_address": None,
    "placed_by": KEY,
    "placed_at": PLACED_AT,
    "updated_at": PLACED_AT,
    "lines": [
        {
            "id": "01JTA7R1S2T3V4W5X6Y7Z8A9B1",
            "position": 1,
            "sku": "ROBE-LIN-M",
            "quantity": 1,
            "cancelled_quantity": 0,
            "method": "pickup",
            "location": "LYON-01",
            "reserve_days": None,
            "unit_price_minor": 8900,
            "list_price_minor": 8900,
            "price_source": "list",
            "subtotal_minor": 8900,
            "discount_minor": 0,
            "total_minor": 8900,
        }
    ],
    "fulfilments": [
        {
            "id": FULFILMENT_ID,
            "order_id": ORDER_ID,
            "order_status": "allocated",
            "method": "pickup",
            "status": "allocated",
            "location": "LYON-01",
            "stock_channel": "web",
            "distance_km": None,
            "delivery_address": None,
            "due_at": None,
            "carrier": None,
            "tracking_reference": None,
            "ready_at": None,
            "checked_in_at": None,
            "handed_over_at": None,
            "pickup_wait_seconds": None,
            "shipped_at": None,
            "delivered_at": None,
            "replaces": None,
            "pickup_code": "2GHC6Z",
            "allowed_actions": ["pick", "cancel", "reject"],
            "lines": [
                {
                    "id": "01JTA7R1S2T3V4W5X6Y7Z8A9B3",
                    "order_line_id": "01JTA7R1S2T3V4W5X6Y7Z8A9B1",
                    "sku": "ROBE-LIN-M",
                    "quantity": 1,
                    "status": "open",
                    "reservation_id": "01JTA7R1S2T3V4W5X6Y7Z8A9B4",
                    "reason": "",
                }
            ],
            "created_at": PLACED_AT,
            "updated_at": PLACED_AT,
        }
    ],
    "history": [
        _history("order", None, "placed"),
        _history("fulfilment", None, "allocated"),
        _history("order", "placed", "allocated"),
    ],
    "pricing_explanation": [],
    "sourcing_explanation": [
        "Line 1 (1 x ROBE-LIN-M) is picked up at LYON-01, the store the customer chose "
        "(11 units available)."
    ],
    "pricing_reasons": [],
    "sourcing_reasons": [
        {
            "code": "sourcing.picked_up_at_chosen_store",
            "params": {
                "line": "1",
                "quantity": 1,
                "sku": "ROBE-LIN-M",
                "location": "LYON-01",
                "available": 11,
            },
        }
    ],
}
