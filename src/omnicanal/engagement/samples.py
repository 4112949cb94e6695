"""Typical data for a message: what a template is tried with before it is saved, and what a
preview shows for a customer who has no cart, parcel or return of their own yet.

Camille Martin, a dress and a pair of trainers, the Lyon store and its hours, a 10 % coupon:
the same keys :func:`contexts.context_for` gives, so that a template that renders here
renders for a real customer too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from omnicanal.engagement.contexts import DEFAULT_ZONE, SUBJECT_KINDS, moment_text, store_context
from omnicanal.network.lookups import LocationRef
from omnicanal.platform.clock import as_utc

__all__ = ["sample_context"]

_SAMPLE_HOURS = {
    "mon": [["10:00", "19:00"]],
    "tue": [["10:00", "19:00"]],
    "wed": [["10:00", "19:00"]],
    "thu": [["10:00", "19:00"]],
    "fri": [["10:00", "19:00"]],
    "sat": [["10:00", "19:00"]],
    "sun": [],
}
_SAMPLE_STORE = LocationRef(
    id="01JQ7Z0000000000000000LYON",
    code="LYON-01",
    name="Lyon Presqu'île",
    kind="store",
    address_line="12 rue de la République",
    postcode="69002",
    city="Lyon",
    country="FR",
    latitude=45.764,
    longitude=4.8357,
    timezone=DEFAULT_ZONE,
    sells_in_store=True,
    ships=False,
    click_and_collect=True,
    accepts_returns=True,
    active=True,
    opening_hours=_SAMPLE_HOURS,
)
_SAMPLE_LINES = [
    {
        "sku": "ROBE-ALMA-M",
        "name": "Robe Alma",
        "size": "M",
        "colour": "noir",
        "quantity": 1,
        "unit_price_minor": 7990,
        "total_minor": 7990,
    },
    {
        "sku": "BASKETS-NOVA-39",
        "name": "Baskets Nova",
        "size": "39",
        "colour": "blanc",
        "quantity": 1,
        "unit_price_minor": 8990,
        "total_minor": 8990,
    },
]


def sample_context(kind: str, *, language: str, now: datetime) -> dict[str, Any]:
    """Typical data for a ``kind`` message (a preview without the person's own, the check of
    a template before it is saved): Camille, two items, the Lyon store, a coupon."""
    moment = as_utc(now)
    later = moment.replace(microsecond=0)
    order_id = "01JQ7Z0000000000000000ORDR"
    lines = [dict(line) for line in _SAMPLE_LINES]
    store = store_context(_SAMPLE_STORE, language=language, now=moment)
    order = {
        "id": order_id,
        "number": order_id,
        "placed_at": moment_text(later),
        "status": "placed",
        "channel": "web",
        "lines": lines,
        "total_minor": 16980,
        "currency": "EUR",
    }
    fulfilment = {
        "id": "01JQ7Z0000000000000000FLFL",
        "order_id": order_id,
        "method": "pickup",
        "status": "ready_for_pickup",
        "location_code": store["code"],
        "pickup_code": "K7M4QX",
        "due_at": moment_text(later + timedelta(hours=2)),
        "ready_at": moment_text(later),
        "carrier": "colissimo",
        "tracking_reference": "6A12345678901",
        "shipped_at": moment_text(later),
        "delivered_at": None,
    }
    context: dict[str, Any] = {
        "kind": kind,
        "subject": f"{SUBJECT_KINDS.get(kind, 'profiles')}/sample",
        "language": language,
        "now": moment_text(moment),
        "zone": DEFAULT_ZONE,
        "customer": {"first_name": "Camille", "name": "Camille Martin"},
        "store": store,
        "order": order,
        "fulfilment": fulfilment,
        "lines": lines,
        "cart": {
            "id": "01JQ7Z0000000000000000CART",
            "status": "open",
            "lines": lines,
            "units": 2,
            "subtotal_minor": 16980,
            "total_minor": 16980,
            "currency": "EUR",
        },
        "coupon": {
            "code": "RELANCE-7QX2M9",
            "percent": 10,
            "amount_minor": None,
            "currency": "EUR",
            "valid_until": moment_text(later + timedelta(days=7)),
        },
        "returned": {
            "id": "01JQ7Z0000000000000000RTRN",
            "order_id": order_id,
            "status": "refunded",
            "refund_minor": 7990,
            "refund_method": "original_payment",
            "currency": "EUR",
            "received_at": moment_text(later),
            "lines": lines[:1],
        },
        "product": {
            "sku": "BASKETS-NOVA-39",
            "name": "Baskets Nova",
            "size": "39",
            "colour": "blanc",
        },
        "win_back": {
            "days": 124,
            "last_order_at": moment_text(later - timedelta(days=124)),
            "orders": 3,
            "favourite_category": "Robes",
        },
        "expected_at": moment_text(later + timedelta(days=3)),
    }
    if kind == "reservation_expiring":
        fulfilment["method"] = "reserve_and_try"
        fulfilment["status"] = "held"
    return context
