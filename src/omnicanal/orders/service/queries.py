"""Reading orders: one order as every channel sees it, and pages of orders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from omnicanal.fulfilment import queries as fulfilments
from omnicanal.fulfilment.errors import UnknownFulfilment
from omnicanal.fulfilment.schemas import FulfilmentOut
from omnicanal.orders import access
from omnicanal.orders.models import Order, OrderLine
from omnicanal.orders.schemas import OrderCount, OrderOut, OrderSummary
from omnicanal.orders.service.common import load_order, order_facts, order_out
from omnicanal.platform.actors import Actor
from omnicanal.platform.paging import DEFAULT_LIMIT, Page, page_of

__all__ = [
    "OrderCustomer",
    "count_orders",
    "get_fulfilment_view",
    "get_order",
    "list_fulfilment_views",
    "list_orders",
    "order_customers",
    "page_fulfilment_views",
]


def get_order(session: Session, *, order_id: str, actor: Actor | None = None) -> OrderOut:
    """The order's status, lines, fulfilments and history: the same for every channel.

    With ``actor``, an order it may not read is unknown (access policy: orders/access.py).
    """
    order = load_order(session, order_id)
    if actor is not None:
        access.check_readable(actor, order_facts(session, order))
    return order_out(session, order)


def list_orders(
    session: Session,
    *,
    customer_ref: str | None = None,
    channel: str | None = None,
    status: str | None = None,
    location: str | None = None,
    placed_from: datetime | None = None,
    placed_until: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
    actor: Actor | None = None,
    customer_refs: Sequence[str] | None = None,
    sku: str | None = None,
) -> Page[OrderSummary]:
    """A page of orders, filtered: newest first, or with ``updated_since`` those changed
    since then, oldest change first (platform/paging.py). ``customer_refs``: filed under any
    of these references (one person's); ``sku``: with a line of this SKU.

    With ``actor``, only the orders it may read (a marketplace key: those it placed).
    """
    query = select(Order)
    placed_by = access.visible_to(actor) if actor is not None else None
    if placed_by is not None:
        query = query.where(Order.placed_by == placed_by)
    if customer_ref is not None:
        query = query.where(Order.customer_ref == customer_ref)
    if customer_refs is not None:
        query = query.where(Order.customer_ref.in_(list(customer_refs)))
    if sku is not None:
        query = query.where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku == sku)))
    if channel is not None:
        query = query.where(Order.channel == channel)
    if status is not None:
        query = query.where(Order.status == status)
    if location is not None:
        query = query.where(Order.location_code == location)
    if placed_from is not None:
        query = query.where(Order.placed_at >= placed_from)
    if placed_until is not None:
        query = query.where(Order.placed_at < placed_until)
    paged = page_of(
        session,
        query,
        key=Order.id,
        changed=Order.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    return paged.page(
        [
            OrderSummary(
                id=order.id,
                status=order.status,
                channel=order.channel,
                location=order.location_code,
                customer_ref=order.customer_ref,
                currency=order.currency,
                total_minor=order.total_minor,
                payment_status=order.payment_status,
                placed_at=order.placed_at,
                updated_at=order.updated_at,
            )
            for order in paged.rows
        ]
    )


def count_orders(
    session: Session,
    *,
    location: str | None = None,
    placed_from: datetime | None = None,
    placed_until: datetime | None = None,
) -> list[OrderCount]:
    """How many orders each (status, channel) pair holds, placed in the period if given."""
    query = select(Order.status, Order.channel, func.count()).group_by(Order.status, Order.channel)
    if location is not None:
        query = query.where(Order.location_code == location)
    if placed_from is not None:
        query = query.where(Order.placed_at >= placed_from)
    if placed_until is not None:
        query = query.where(Order.placed_at < placed_until)
    return sorted(
        (
            OrderCount(status=status, channel=channel, count=int(count))
            for status, channel, count in session.execute(query)
        ),
        key=lambda row: (row.status, row.channel),
    )


def get_fulfilment_view(
    session: Session, *, fulfilment_id: str, actor: Actor | None = None
) -> FulfilmentOut:
    """One fulfilment with its lines and its order's status (for ``actor``: if it may read
    the order)."""
    fulfilment = fulfilments.get_fulfilment(session, fulfilment_id)
    order = load_order(session, fulfilment.order_id)
    if actor is not None and not access.may_read(actor, order_facts(session, order)):
        raise UnknownFulfilment(f"No fulfilment has the id {fulfilment_id!r}.", field="id")
    lines = fulfilments.lines_by_fulfilment(session, [fulfilment.id])[fulfilment.id]
    return fulfilments.fulfilment_out(fulfilment, lines, order.status)


def list_fulfilment_views(
    session: Session,
    *,
    location_code: str | None = None,
    status: str | None = None,
    method: str | None = None,
    limit: int = 100,
    actor: Actor | None = None,
    updated_since: datetime | None = None,
) -> list[FulfilmentOut]:
    """A location's queue of fulfilments (or everyone's), oldest first, at most ``limit``
    (what a store's page shows; the API pages with :func:`page_fulfilment_views`);
    ``updated_since``: those that moved since then only.

    With ``actor``: a store key sees its own store's queue; another key the fulfilments of
    the orders it may read.
    """
    location_code, visible = _fulfilment_rights(actor, location_code)
    rows = fulfilments.list_fulfilments(
        session,
        location_code=location_code,
        status=status,
        method=method,
        limit=limit,
        order_ids=visible,
        updated_since=updated_since,
    )
    return _fulfilment_views(session, rows)


def page_fulfilment_views(
    session: Session,
    *,
    location_code: str | None = None,
    status: str | None = None,
    method: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
    actor: Actor | None = None,
) -> Page[FulfilmentOut]:
    """A page of fulfilments with their lines and their orders' status: newest first, or
    with ``updated_since`` those that moved since then, oldest move first.

    With ``actor``: a store key sees its own store's; another key the fulfilments of the
    orders it may read (as :func:`list_fulfilment_views`).
    """
    location_code, visible = _fulfilment_rights(actor, location_code)
    paged = fulfilments.page_fulfilments(
        session,
        location_code=location_code,
        status=status,
        method=method,
        order_ids=visible,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    return paged.page(_fulfilment_views(session, paged.rows))


def _fulfilment_rights(
    actor: Actor | None, location_code: str | None
) -> tuple[str | None, Select[str] | None]:
    """The store whose fulfilments ``actor`` reads, and the orders it may read (None: all)."""
    if actor is None:
        return location_code, None
    location = access.queue_location(actor, location_code)
    placed_by = access.visible_to(actor)
    if placed_by is None:
        return location, None
    return location, select(Order.id).where(Order.placed_by == placed_by)


def _fulfilment_views(
    session: Session, rows: Sequence[fulfilments.FulfilmentRef]
) -> list[FulfilmentOut]:
    lines = fulfilments.lines_by_fulfilment(session, [f.id for f in rows])
    order_ids = sorted({f.order_id for f in rows})
    statuses = {
        order_id: status
        for order_id, status in session.execute(
            select(Order.id, Order.status).where(Order.id.in_(order_ids))
        )
    }
    return [fulfilments.fulfilment_out(f, lines[f.id], statuses[f.order_id]) for f in rows]


@dataclass(frozen=True, slots=True)
class OrderCustomer:
    """Who an order is for, as a store's queue shows it."""

    order_id: str
    customer_ref: str | None
    delivery_name: str
    """The name on the delivery address ("" without one)."""


def order_customers(session: Session, *, order_ids: Iterable[str]) -> dict[str, OrderCustomer]:
    """The customer reference and the delivery name of each of these orders."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Order.id, Order.customer_ref, Order.delivery_address).where(Order.id.in_(ids))
    )
    found = {}
    for order_id, customer_ref, address in rows:
        name = address.get("name") if isinstance(address, dict) else None
        found[order_id] = OrderCustomer(
            order_id=order_id,
            customer_ref=customer_ref,
            delivery_name=name.strip() if isinstance(name, str) else "",
        )
    return found
