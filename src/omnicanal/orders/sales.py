"""What other modules read of what was sold: the orders of a period (for the measures of a
programme), and what a customer bought (for the rewards their purchases earn them).

Frozen read models, as ``orders.lookups`` gives one order: a module above orders never reads
its tables. A cancelled order was not a sale and is left out; a line's cancelled units too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.orders.models import Order, OrderLine
from omnicanal.orders.states import OrderStatus

__all__ = ["BoughtLine", "SoldOrder", "lines_bought", "orders_sold"]

_CHUNK = 500
"""References asked for at a time (a bound parameter each)."""


@dataclass(frozen=True, slots=True)
class SoldOrder:
    """An order placed and not cancelled: where, for whom, how much."""

    id: str
    channel: str
    location_code: str | None
    customer_ref: str | None
    currency: str
    total_minor: int
    placed_at: datetime


@dataclass(frozen=True, slots=True)
class BoughtLine:
    """A line of an order not cancelled: the units kept of a SKU and what they cost (the
    line's total in proportion to the units not cancelled, rounded down)."""

    order_id: str
    placed_at: datetime
    currency: str
    sku: str
    quantity: int
    total_minor: int


def _chunks(values: Sequence[str]) -> list[list[str]]:
    unique = sorted(set(values))
    return [unique[start : start + _CHUNK] for start in range(0, len(unique), _CHUNK)]


def orders_sold(
    session: Session,
    *,
    placed_from: datetime,
    placed_until: datetime,
    customer_refs: Sequence[str] | None = None,
    currency: str | None = None,
) -> list[SoldOrder]:
    """The orders placed from ``placed_from`` until (before) ``placed_until`` and not
    cancelled, oldest first; ``customer_refs``: filed under one of these references only."""
    query = select(
        Order.id,
        Order.channel,
        Order.location_code,
        Order.customer_ref,
        Order.currency,
        Order.total_minor,
        Order.placed_at,
    ).where(
        Order.placed_at >= placed_from,
        Order.placed_at < placed_until,
        Order.status != OrderStatus.cancelled.value,
    )
    if currency is not None:
        query = query.where(Order.currency == currency)
    queries = (
        [query]
        if customer_refs is None
        else [query.where(Order.customer_ref.in_(chunk)) for chunk in _chunks(customer_refs)]
    )
    found = [SoldOrder(*row) for each in queries for row in session.execute(each)]
    return sorted(found, key=lambda order: (order.placed_at, order.id))


def lines_bought(
    session: Session,
    *,
    customer_refs: Sequence[str],
    placed_from: datetime,
    placed_until: datetime,
    currency: str | None = None,
) -> list[BoughtLine]:
    """The lines of the orders filed under these references (one person's), placed in the
    period and not cancelled, with their units kept."""
    found: list[BoughtLine] = []
    for chunk in _chunks(customer_refs):
        query = (
            select(
                Order.id,
                Order.placed_at,
                Order.currency,
                OrderLine.sku,
                OrderLine.quantity,
                OrderLine.cancelled_quantity,
                OrderLine.total_minor,
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                Order.customer_ref.in_(chunk),
                Order.placed_at >= placed_from,
                Order.placed_at < placed_until,
                Order.status != OrderStatus.cancelled.value,
            )
        )
        if currency is not None:
            query = query.where(Order.currency == currency)
        for order_id, placed_at, currency_, sku, quantity, cancelled, total in session.execute(
            query
        ):
            kept = quantity - cancelled
            if kept <= 0:
                continue
            found.append(
                BoughtLine(
                    order_id=order_id,
                    placed_at=placed_at,
                    currency=currency_,
                    sku=sku,
                    quantity=kept,
                    total_minor=total * kept // quantity,
                )
            )
    return sorted(found, key=lambda line: (line.placed_at, line.order_id, line.sku))
