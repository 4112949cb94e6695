"""What other modules read of an order: a frozen read model with its lines, and how many
units of each line have left our hands (the units a customer may bring back).

The returns module reads orders here, never through the orders' tables or ORM rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.fulfilment import queries as fulfilments
from omnicanal.fulfilment import service as fulfilment_service
from omnicanal.fulfilment.states import LEFT, FulfilmentStatus
from omnicanal.network import service as network
from omnicanal.orders.errors import UnknownOrder
from omnicanal.orders.models import Order, OrderLine
from omnicanal.orders.service.common import load_order
from omnicanal.platform.access import Owner

__all__ = [
    "OrderLineRef",
    "OrderRef",
    "get_order_ref",
    "order_customer_ref",
    "order_customer_refs",
]


@dataclass(frozen=True, slots=True)
class OrderLineRef:
    """An order line as other modules read it, with the units that reached the customer."""

    id: str
    position: int
    sku: str
    quantity: int
    cancelled_quantity: int
    unit_price_minor: int
    total_minor: int
    left_quantity: int
    """Units shipped, delivered, collected or bought: what the customer holds (or will)."""
    left_at: datetime | None
    """When the last of those units left our hands (delivered, handed over or shipped)."""


@dataclass(frozen=True, slots=True)
class OrderRef:
    """An order as other modules read it: its owner, customer, amounts, payment and lines."""

    id: str
    channel: str
    """The channel's code (``web``, ``store``, a marketplace's code)."""
    channel_kind: str
    location_code: str | None
    customer_ref: str | None
    placed_by: str
    placed_at: datetime
    status: str
    currency: str
    total_minor: int
    payment_status: str
    payment_provider: str
    lines: tuple[OrderLineRef, ...]

    @property
    def owner(self) -> Owner:
        """Who owns the order, for the access policies (``platform/access.py``)."""
        return Owner(
            channel=self.channel_kind, location_code=self.location_code, key=self.placed_by
        )

    def line(self, line_id: str) -> OrderLineRef | None:
        return next((line for line in self.lines if line.id == line_id), None)


def _left_at(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def order_customer_ref(session: Session, order_id: str) -> str | None:
    """The customer reference an order was placed under (None: an anonymous sale), in one
    statement: for a reader that needs nothing else of the order."""
    row = session.execute(select(Order.customer_ref).where(Order.id == order_id)).first()
    if row is None:
        raise UnknownOrder(f"No order has the id {order_id!r}.", field="id")
    return row.customer_ref


def order_customer_refs(session: Session, order_ids: Iterable[str]) -> dict[str, str | None]:
    """:func:`order_customer_ref` of each existing order of ``order_ids``, in one statement."""
    wanted = sorted(set(order_ids))
    if not wanted:
        return {}
    return {
        str(order_id): customer_ref
        for order_id, customer_ref in session.execute(
            select(Order.id, Order.customer_ref).where(Order.id.in_(wanted))
        )
    }


def get_order_ref(session: Session, order_id: str, *, lock: bool = False) -> OrderRef:
    """The order, its lines and the units of each that left our hands; ``lock`` locks the
    order row (PostgreSQL) so that use cases on one order run one at a time."""
    order = load_order(session, order_id, lock=lock)
    rows = fulfilments.fulfilments_of(session, order.id)
    lines_of = fulfilments.lines_by_fulfilment(session, [f.id for f in rows])
    left: dict[str, int] = {}
    left_at: dict[str, datetime | None] = {}
    for fulfilment in rows:
        if FulfilmentStatus(fulfilment.status) not in LEFT:
            continue
        moment = _left_at(fulfilment.delivered_at, fulfilment.handed_over_at, fulfilment.shipped_at)
        for item in lines_of[fulfilment.id]:
            if item.status in (fulfilment_service.RELEASED, fulfilment_service.REJECTED):
                continue
            left[item.order_line_id] = left.get(item.order_line_id, 0) + item.quantity
            left_at[item.order_line_id] = _left_at(left_at.get(item.order_line_id), moment)
    lines = tuple(
        OrderLineRef(
            id=line.id,
            position=line.position,
            sku=line.sku,
            quantity=line.quantity,
            cancelled_quantity=line.cancelled_quantity,
            unit_price_minor=line.unit_price_minor,
            total_minor=line.total_minor,
            left_quantity=left.get(line.id, 0),
            left_at=left_at.get(line.id),
        )
        for line in session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
        )
    )
    return OrderRef(
        id=order.id,
        channel=order.channel,
        channel_kind=network.channel_kind(session, order.channel) or order.channel,
        location_code=order.location_code,
        customer_ref=order.customer_ref,
        placed_by=order.placed_by,
        placed_at=order.placed_at,
        status=order.status,
        currency=order.currency,
        total_minor=order.total_minor,
        payment_status=order.payment_status,
        payment_provider=order.payment_provider,
        lines=lines,
    )
