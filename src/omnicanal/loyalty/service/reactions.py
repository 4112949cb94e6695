"""Loyalty's reactions to the orders' and returns' events, through the bus.

- ``order.placed``: the redemptions its checkout named as tenders are captured, then the
  order earns its customer's memberships their points (on what was not paid with points);
- ``order.line_cancelled``: the cancelled units' points are taken back;
- ``order.cancelled``: every unit's points are taken back, and the points that paid the
  order go back to their members;
- ``return.refunded`` and ``return.exchanged``: the returned units' points are taken back.

Each event is handled once per consumer (the bus records it with the work, in one
transaction); the earning of an order is unique per member, and reversals count units
cumulatively, so a repeat changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from omnicanal.loyalty.service import earning, redemptions
from omnicanal.loyalty.service.common import SYSTEM, members_of_customer, read_customers_ahead
from omnicanal.orders.events import (
    OrderCancelled,
    OrderLineCancelled,
    OrderPlaced,
)
from omnicanal.orders.lookups import get_order_ref
from omnicanal.platform.actors import Actor
from omnicanal.platform.events import DomainEvent, Event
from omnicanal.returns.events import ExchangeCompleted, ReturnEvent, ReturnRefunded

__all__ = ["LOYALTY_EVENTS", "react", "read_ahead"]

LOYALTY_EVENTS: tuple[type[DomainEvent], ...] = (
    OrderPlaced,
    OrderLineCancelled,
    OrderCancelled,
    ReturnRefunded,
    ExchangeCompleted,
)
"""The events loyalty reacts to."""


def _actor(event: Event) -> Actor:
    """The system, acting for the channel and store the event came from."""
    parts = event.source.strip("/").split("/")
    channel = parts[1] if len(parts) > 1 and parts[0] == "channels" else SYSTEM.channel
    location = parts[3] if len(parts) > 3 and parts[2] == "locations" else None
    return Actor(key_id=None, channel=channel, location_code=location, name="loyalty")


def _placed(session: Session, event: Event, payload: OrderPlaced, *, region: str) -> None:
    tenders = [
        (tender.reference, tender.amount_minor)
        for tender in payload.tenders or ()
        if tender.kind == redemptions.LOYALTY_TENDER
    ]
    actor = _actor(event)
    if tenders:
        redemptions.capture_tenders(
            session,
            order_id=payload.order_id,
            currency=payload.currency,
            tenders=tenders,
            actor=actor,
            now=event.time,
        )
    members = members_of_customer(
        session, customer_ref=payload.customer_ref, currency=payload.currency, region=region
    )
    if not members:
        return
    sale = earning.sale_of(
        session,
        get_order_ref(session, payload.order_id),
        paid_with_points_minor=sum(amount for _, amount in tenders),
    )
    for member in members:
        earning.earn_for_sale(session, member=member, sale=sale, actor=actor, now=event.time)


def _returned(session: Session, event: Event, payload: ReturnEvent) -> None:
    units: dict[str, int] = {}
    for line in payload.lines:
        units[line.order_line_id] = units.get(line.order_line_id, 0) + line.quantity
    earning.reverse_units(
        session,
        order_id=payload.order_id,
        units=units,
        cause=payload.type,
        return_id=payload.return_id,
        actor=_actor(event),
        now=event.time,
    )


def read_ahead(session: Session, events: Sequence[Event], *, region: str) -> None:
    """The consumer's read-ahead (``Consumer.read_ahead``): whether the batch's orders'
    currencies have a programme, and who their customers are, read in one go."""
    read_customers_ahead(
        session,
        references=[
            (event.payload.customer_ref, event.payload.currency)
            for event in events
            if isinstance(event.payload, OrderPlaced) and event.payload.customer_ref
        ],
        region=region,
    )


def react(session: Session, event: Event, *, region: str) -> None:
    """Do what an order's or a return's event means for loyalty (see the module's list)."""
    payload = event.payload
    match payload:
        case OrderPlaced():
            _placed(session, event, payload, region=region)
        case OrderLineCancelled():
            earning.reverse_units(
                session,
                order_id=payload.order_id,
                units={payload.order_line_id: payload.quantity},
                cause=payload.type,
                actor=_actor(event),
                now=event.time,
            )
        case OrderCancelled():
            earning.reverse_units(
                session,
                order_id=payload.order_id,
                units=None,
                cause=payload.type,
                actor=_actor(event),
                now=event.time,
            )
            redemptions.return_order_redemptions(
                session, order_id=payload.order_id, actor=_actor(event), now=event.time
            )
        case ReturnRefunded() | ExchangeCompleted():
            _returned(session, event, payload)
