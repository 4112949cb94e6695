"""The orders module's part of a person's rights: their orders exported, or kept for the
accounts with the person's identity removed.

Accounting law (Code de commerce, art. L123-22) keeps sales records for ten years: an
erased person's orders keep their lines, amounts, dates, payment status and the country,
postcode and city of delivery (the place of supply for VAT); the customer reference, the
name, the street and the coordinates go.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, null, or_, select
from sqlalchemy.orm import Session

from omnicanal.orders.models import Order
from omnicanal.orders.service import get_order

__all__ = [
    "anonymise_orders",
    "anonymised_address",
    "export_orders",
    "identified_orders_before",
    "orders_of",
]

_KEPT_ADDRESS_FIELDS = ("postcode", "city", "region", "country")


def anonymised_address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """A delivery address without the person: the place of supply only."""
    if not isinstance(address, dict):
        return None
    return {
        "name": "",
        "line1": "",
        **{key: address[key] for key in _KEPT_ADDRESS_FIELDS if key in address},
    }


def orders_of(
    session: Session, *, customer_refs: Sequence[str], order_ids: Sequence[str]
) -> list[str]:
    """The ids of the orders filed under one of the person's references, or named by them."""
    return list(
        session.scalars(
            select(Order.id)
            .where(or_(Order.customer_ref.in_(customer_refs), Order.id.in_(order_ids)))
            .order_by(Order.placed_at, Order.id)
        )
    )


def export_orders(session: Session, *, order_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Each order with its lines, fulfilments, history, delivery address and payment."""
    return [get_order(session, order_id=order_id).model_dump(mode="json") for order_id in order_ids]


def anonymise_orders(session: Session, *, order_ids: Sequence[str]) -> int:
    """Remove the person's identity from these orders, keeping what the accounts need."""
    changed = 0
    for order in session.scalars(select(Order).where(Order.id.in_(order_ids))):
        order.customer_ref = None
        address = anonymised_address(order.delivery_address)
        order.delivery_address = address if address is not None else null()
        changed += 1
    session.flush()
    return changed


def identified_orders_before(session: Session, *, before: datetime, limit: int = 500) -> list[str]:
    """Orders placed before ``before`` that still name their customer."""
    text = cast(Order.delivery_address, String)
    return list(
        session.scalars(
            select(Order.id)
            .where(
                Order.placed_at < before,
                or_(
                    Order.customer_ref.is_not(None),
                    text.like('%"name": "_%'),
                    text.like('%"line1": "_%'),
                ),
            )
            .order_by(Order.placed_at)
            .limit(limit)
        )
    )
