"""Orders read page by page for an export: one row per order line, with its order's fields.

A key reads the orders it may read (``orders/access.py``): every first-party key all of
them, a marketplace key the orders it placed. ``since`` keeps the orders that changed from
that moment (placed, paid, moved on, cancelled). Delivery addresses are left out: the
export is for sales and accounts; a person's whole data is the privacy export's.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.orm import Session

from omnicanal.orders.access import visible_to
from omnicanal.orders.models import Order, OrderLine
from omnicanal.platform.actors import Actor
from omnicanal.platform.tabular import Column, ColumnKind, Page

__all__ = ["ORDER_EXPORT_COLUMNS", "count_order_lines", "order_lines_page"]

_INTEGER, _MONEY, _MOMENT = ColumnKind.integer, ColumnKind.money, ColumnKind.moment
ORDER_EXPORT_COLUMNS = (
    Column("order_id"),
    Column("placed_at", _MOMENT),
    Column("updated_at", _MOMENT),
    Column("channel"),
    Column("store"),
    Column("customer_ref"),
    Column("status"),
    Column("payment_status"),
    Column("currency"),
    Column("order_total", _MONEY),
    Column("line", _INTEGER),
    Column("sku"),
    Column("quantity", _INTEGER),
    Column("cancelled_quantity", _INTEGER),
    Column("method"),
    Column("fulfilment_location"),
    Column("unit_price", _MONEY),
    Column("line_discount", _MONEY),
    Column("line_total", _MONEY),
)


def _where(actor: Actor, since: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    placed_by = visible_to(actor)
    if placed_by is not None:
        conditions.append(Order.placed_by == placed_by)
    if since is not None:
        conditions.append(Order.updated_at >= since)
    return conditions


def order_lines_page(
    session: Session,
    *,
    actor: Actor,
    after: str | None,
    limit: int,
    since: datetime | None = None,
) -> Page:
    """Up to ``limit`` order lines the key may read, after the cursor ``after``."""
    query = (
        select(Order, OrderLine)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(*_where(actor, since))
    )
    if after is not None:
        order_id, position = json.loads(after)
        query = query.where(tuple_(Order.id, OrderLine.position) > tuple_(order_id, position))
    found = session.execute(query.order_by(Order.id, OrderLine.position).limit(limit + 1)).all()
    cursor = None
    if len(found) > limit:
        found = found[:limit]
        cursor = json.dumps([found[-1][0].id, found[-1][1].position])
    rows: list[tuple[Any, ...]] = [
        (
            order.id,
            order.placed_at,
            order.updated_at,
            order.channel,
            order.location_code or "",
            order.customer_ref or "",
            order.status,
            order.payment_status,
            order.currency,
            order.total_minor,
            line.position,
            line.sku,
            line.quantity,
            line.cancelled_quantity,
            line.method,
            line.location_code or "",
            line.unit_price_minor,
            line.discount_minor,
            line.total_minor,
        )
        for order, line in found
    ]
    return Page(rows=rows, after=cursor)


def count_order_lines(session: Session, *, actor: Actor, since: datetime | None = None) -> int:
    """How many rows :func:`order_lines_page` would give in all."""
    query = (
        select(func.count())
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(*_where(actor, since))
    )
    return int(session.scalar(query) or 0)
