"""What every order use case shares: locking the order, moving its status, rendering it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.fulfilment import queries as fulfilments
from omnicanal.fulfilment.states import FulfilmentStatus
from omnicanal.network import service as network
from omnicanal.orders.access import OrderFacts
from omnicanal.orders.errors import UnknownOrder
from omnicanal.orders.events import ORDER_STATUS_EVENTS
from omnicanal.orders.models import Order, OrderLine, OrderStatusChange
from omnicanal.orders.schemas import Address, HistoryEntry, OrderLineOut, OrderOut, PaymentOut
from omnicanal.orders.states import OrderStatus, check_move, rollup
from omnicanal.platform.access import Owner
from omnicanal.platform.actors import Actor
from omnicanal.platform.events import record_event
from omnicanal.platform.reasons import ReasonOut


def load_order(session: Session, order_id: str, *, lock: bool = False) -> Order:
    """The order; locked (PostgreSQL) so that its fulfilments change one use case at a time."""
    query = select(Order).where(Order.id == order_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    order = session.scalar(query)
    if order is None:
        raise UnknownOrder(f"No order has the id {order_id!r}.", field="id")
    return order


def order_facts(session: Session, order: Order, *, with_locations: bool = False) -> OrderFacts:
    """The order as the access policy sees it: its owner (and its fulfilments' stores)."""
    kind = network.channel_kind(session, order.channel)
    locations = (
        frozenset(f.location_code for f in fulfilments.fulfilments_of(session, order.id))
        if with_locations
        else frozenset()
    )
    return OrderFacts(
        id=order.id,
        owner=Owner(
            channel=kind or order.channel, location_code=order.location_code, key=order.placed_by
        ),
        fulfilment_locations=locations,
    )


def order_lines(session: Session, order_id: str) -> list[OrderLine]:
    return list(
        session.scalars(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.position)
        )
    )


def move_order(
    session: Session,
    order: Order,
    target: OrderStatus,
    *,
    actor: Actor,
    now: datetime,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> OrderStatusChange:
    """Move the order to ``target``: a history row (returned) and an ``order.<status>`` event
    (``details``: the fields that status's event adds, see ``orders.events``)."""
    current = OrderStatus(order.status)
    check_move(current, target)
    order.status = target.value
    order.updated_at = now
    return write_change(
        session, order, current, actor=actor, now=now, reason=reason, details=details
    )


def write_change(
    session: Session,
    order: Order,
    from_status: OrderStatus | None,
    *,
    actor: Actor,
    now: datetime,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> OrderStatusChange:
    """The history row (returned) and the event of the order's move to its current status."""
    event = ORDER_STATUS_EVENTS[order.status](
        order_id=order.id,
        channel=order.channel,
        customer_ref=order.customer_ref,
        from_status=from_status.value if from_status else None,
        status=order.status,
        reason=reason,
        currency=order.currency,
        total_minor=order.total_minor,
        payment_status=order.payment_status,
        **(details or {}),
    )
    change = OrderStatusChange(
        order_id=order.id,
        from_status=from_status.value if from_status else None,
        to_status=order.status,
        event_type=event.type,
        reason=reason,
        actor=actor.label,
        channel=actor.channel,
        occurred_at=now,
    )
    session.add(change)
    record_event(session, event, actor=actor)
    return change


def roll_up(session: Session, order: Order, *, actor: Actor, now: datetime, reason: str) -> None:
    """Move the order to the status its fulfilments imply, if it differs.

    A fulfilment's move changes the order as every channel reads it (its fulfilments, their
    tracking) even when the status stays: the order's change time moves either way."""
    order.updated_at = now
    session.flush()
    statuses = [FulfilmentStatus(f.status) for f in fulfilments.fulfilments_of(session, order.id)]
    target = rollup(statuses)
    if target.value != order.status:
        move_order(session, order, target, actor=actor, now=now, reason=reason)


def _line_out(line: OrderLine) -> OrderLineOut:
    return OrderLineOut(
        id=line.id,
        position=line.position,
        sku=line.sku,
        quantity=line.quantity,
        cancelled_quantity=line.cancelled_quantity,
        method=line.method,
        location=line.location_code,
        reserve_days=line.reserve_days,
        unit_price_minor=line.unit_price_minor,
        list_price_minor=line.list_price_minor,
        price_source=line.price_source,
        subtotal_minor=line.subtotal_minor,
        discount_minor=line.discount_minor,
        total_minor=line.total_minor,
    )


def order_history(
    session: Session, order_id: str, positions: Mapping[str, int]
) -> list[HistoryEntry]:
    """The order's and its fulfilments' status changes, oldest first."""
    return history_entries(
        session.scalars(
            select(OrderStatusChange)
            .where(OrderStatusChange.order_id == order_id)
            .order_by(OrderStatusChange.occurred_at, OrderStatusChange.id)
        ),
        fulfilments.history_of(session, order_id),
        positions,
    )


def history_entries(
    order_changes: Iterable[OrderStatusChange],
    fulfilment_changes: Iterable[fulfilments.FulfilmentChange],
    positions: Mapping[str, int],
) -> list[HistoryEntry]:
    """The order's and its fulfilments' status changes (each oldest first), as one history,
    oldest first."""
    entries = [
        HistoryEntry(
            at=change.occurred_at,
            subject="order",
            fulfilment_id=None,
            from_status=change.from_status,
            to_status=change.to_status,
            event=change.event_type,
            reason=change.reason,
            actor=change.actor,
            channel=change.channel,
        )
        for change in order_changes
    ]
    entries += [
        HistoryEntry(
            at=change.occurred_at,
            subject="fulfilment",
            fulfilment_id=change.fulfilment_id,
            from_status=change.from_status,
            to_status=change.to_status,
            event=change.event_type,
            reason=change.reason,
            actor=change.actor,
            channel=change.channel,
        )
        for change in fulfilment_changes
    ]
    entries.sort(key=lambda e: (e.at, _rank(e), positions.get(e.fulfilment_id or "", 0)))
    return entries


def _rank(entry: HistoryEntry) -> int:
    """Within one instant (a checkout): placed, fulfilments created, allocated, the rest."""
    if entry.subject == "order" and entry.from_status is None:
        return 0
    if entry.subject == "fulfilment" and entry.from_status is None:
        return 1
    if entry.subject == "order" and entry.to_status == OrderStatus.allocated.value:
        return 2
    return 3 if entry.subject == "fulfilment" else 4


def order_out(session: Session, order: Order) -> OrderOut:
    """The order as every channel reads it."""
    rows = fulfilments.fulfilments_of(session, order.id)
    return render_order(
        order,
        lines=order_lines(session, order.id),
        fulfilment_rows=rows,
        fulfilment_lines=fulfilments.lines_by_fulfilment(session, [f.id for f in rows]),
        history=order_history(session, order.id, {f.id: f.position for f in rows}),
    )


def render_order(
    order: Order,
    *,
    lines: Sequence[OrderLine],
    fulfilment_rows: Sequence[fulfilments.FulfilmentRef],
    fulfilment_lines: Mapping[str, Sequence[fulfilments.FulfilmentLineRef]],
    history: list[HistoryEntry],
) -> OrderOut:
    """The order as every channel reads it, from its rows at hand (its lines in position
    order, its fulfilments in the order they were created)."""
    return OrderOut(
        id=order.id,
        status=order.status,
        channel=order.channel,
        location=order.location_code,
        customer_ref=order.customer_ref,
        cart_id=order.cart_id,
        currency=order.currency,
        subtotal_minor=order.subtotal_minor,
        discount_minor=order.discount_minor,
        shipping_minor=order.shipping_minor,
        shipping_discount_minor=order.shipping_discount_minor,
        total_minor=order.total_minor,
        coupons=list(order.coupons),
        payment=PaymentOut(
            provider=order.payment_provider,
            reference=order.payment_reference,
            status=order.payment_status,
        ),
        delivery_address=(
            Address.stored(order.delivery_address) if order.delivery_address else None
        ),
        placed_by=order.placed_by,
        placed_at=order.placed_at,
        updated_at=order.updated_at,
        lines=[_line_out(line) for line in lines],
        fulfilments=[
            fulfilments.fulfilment_out(f, fulfilment_lines[f.id], order.status)
            for f in fulfilment_rows
        ],
        history=history,
        pricing_explanation=list(order.pricing_explanation),
        sourcing_explanation=list(order.sourcing_explanation),
        pricing_reasons=_reasons(order.pricing_reasons),
        sourcing_reasons=_reasons(order.sourcing_reasons),
    )


def _reasons(stored: list[dict[str, Any]] | None) -> list[ReasonOut] | None:
    if stored is None:
        return None
    return [ReasonOut.model_validate(reason) for reason in stored]
