"""Journeys: the consumer that turns the platform's events into facts and messages, and the
jobs that plan what no event announces and send what is due.

For each event the consumer (:func:`react`), in the event's transaction:

1. records the facts it brings (``engagement/facts.py``);
2. asks the policy again about the messages still to be sent of the people and subjects
   those facts are about, and withdraws at once those whose reason is gone (the cart was
   bought, the parcel collected, the stock ran out again) — stage ``event``;
3. plans the messages of the active triggers the event fires, each once (its dedupe key):

   - ``abandoned_cart``: any change to an open cart with lines of a person who can be
     reached (the cart's customer, or its visitor once known, ``customer.identified``):
     one message per cart, due the trigger's delay after the cart's last change — each
     change moves it (``engagement/cart_reminders.py``);
   - ``pickup_ready``: ``fulfilment.ready_for_pickup``, with the pickup code and the store;
   - ``reservation_expiring``: ``fulfilment.held`` (reserve and try), due ``hours_before``
     the hold ends;
   - ``back_in_stock``: ``inventory.back_in_stock`` (or a SKU out of stock coming back
     low), for each active watch of the SKU at that store;
   - ``order_shipped``: ``fulfilment.shipped``, with the carrier and the tracking number;
   - ``order_delayed``: ``order.line_resourced`` (a store could not fulfil a line, another
     location took it over), once per order;
   - ``return_received`` and ``return_refunded``: ``return.received`` (or a return taken
     at a counter, received at once), ``return.refunded``;
   - ``review_request``: ``fulfilment.collected`` or ``fulfilment.delivered``, once per
     order, the trigger's delay later.

The win-back trigger has no event: a daily scan (:func:`scan_win_back`,
``engagement/win_back.py``) plans it for the people whose last purchase is ``days`` old. A
reserve-and-try hold's end is known when it is placed, so its reminder needs no scan.
Sending is :func:`send_due`, a periodic job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicanal.carts.events import (
    CartAssigned,
    CartCheckedOut,
    CartCouponAdded,
    CartCouponRemoved,
    CartCreated,
    CartLineAdded,
    CartLineChanged,
    CartLineRemoved,
    CartMerged,
)
from omnicanal.customers.events import CustomerIdentified
from omnicanal.engagement import facts, recipients
from omnicanal.engagement.cart_reminders import cart_changed, visitor_identified
from omnicanal.engagement.deciding import read_pending_ahead, reconsider
from omnicanal.engagement.facts import stock_subject
from omnicanal.engagement.planning import pending_message, plan
from omnicanal.engagement.recipients import is_reachable, reachable_person
from omnicanal.engagement.sending import send_due
from omnicanal.engagement.triggers import active_triggers, ensure_defaults
from omnicanal.engagement.watches import watchers
from omnicanal.engagement.win_back import WIN_BACK_WINDOW, scan_win_back
from omnicanal.fulfilment import queries as fulfilments
from omnicanal.fulfilment.errors import UnknownFulfilment
from omnicanal.fulfilment.events import (
    FulfilmentCollected,
    FulfilmentDelivered,
    FulfilmentHeld,
    FulfilmentItem,
    FulfilmentReadyForPickup,
    FulfilmentShipped,
    FulfilmentStatusChanged,
)
from omnicanal.inventory.events import StockCameBack, StockRanLow
from omnicanal.orders.events import OrderLineResourced
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.events import DomainEvent, Event
from omnicanal.returns.events import ReturnEvent, ReturnReceived, ReturnRefunded, ReturnRequested

__all__ = [
    "CART_ACTIVITY",
    "JOURNEY_EVENTS",
    "WIN_BACK_WINDOW",
    "react",
    "read_ahead",
    "scan_win_back",
    "send_due",
]

CART_ACTIVITY: tuple[type[DomainEvent], ...] = (
    CartCreated,
    CartLineAdded,
    CartLineChanged,
    CartLineRemoved,
    CartCouponAdded,
    CartCouponRemoved,
    CartAssigned,
    CartMerged,
)
"""The changes of a cart that start or move its abandoned-cart reminder."""
PLANNING_EVENTS: tuple[type[DomainEvent], ...] = (
    *CART_ACTIVITY,
    CustomerIdentified,
    FulfilmentReadyForPickup,
    FulfilmentHeld,
    FulfilmentShipped,
    FulfilmentCollected,
    FulfilmentDelivered,
    StockCameBack,
    StockRanLow,
    OrderLineResourced,
    ReturnRequested,
    ReturnReceived,
    ReturnRefunded,
)
JOURNEY_EVENTS: tuple[type[DomainEvent], ...] = tuple(
    dict.fromkeys((*facts.FACT_EVENTS, *PLANNING_EVENTS))
)
"""Every event the consumer ``engagement.journeys`` handles: the facts' and the triggers'."""


def _order_person(session: Session, order_id: str, *, region: str) -> str | None:
    """The reachable person an order was placed for."""
    person = recipients.order_person(session, order_id, region=region)
    return person if person is not None and is_reachable(session, person) else None


def _items(lines: Sequence[FulfilmentItem]) -> list[dict[str, Any]]:
    return [{"sku": line.sku, "quantity": line.quantity} for line in lines]


def _plan_each(
    session: Session,
    kind: str,
    *,
    profile_id: str,
    subject: str,
    key: str,
    reason_since: datetime,
    context: dict[str, Any],
    event: Event,
    now: datetime,
    due_at: datetime | None = None,
) -> None:
    """Plan the message of every active trigger of ``kind`` (``key``: the occasion, after
    the trigger's code in the dedupe key)."""
    for trigger in active_triggers(session, kind):
        plan(
            session,
            trigger=trigger,
            profile_id=profile_id,
            subject=subject,
            dedupe_key=f"{trigger.code}:{key}",
            reason_since=reason_since,
            due_at=due_at if due_at is not None else reason_since + trigger.delay,
            context=context,
            cause_event_id=event.id,
            now=now,
        )


# --- fulfilments, orders, returns, stock ----------------------------------------------------


def _pickup_ready(
    session: Session, event: Event, payload: FulfilmentReadyForPickup, *, region: str, now: datetime
) -> None:
    person = _order_person(session, payload.order_id, region=region)
    if person is None:
        return
    try:
        fulfilment = fulfilments.get_fulfilment(session, payload.fulfilment_id)
    except UnknownFulfilment:
        return
    subject = f"fulfilments/{payload.fulfilment_id}"
    _plan_each(
        session,
        "pickup_ready",
        profile_id=person,
        subject=subject,
        key=subject,
        reason_since=as_utc(event.time),
        context={
            "order_id": payload.order_id,
            "fulfilment_id": payload.fulfilment_id,
            "pickup_code": fulfilment.pickup_code,
            "location_code": payload.location,
            "collect_by": payload.collect_by,
            "lines": _items(payload.lines),
        },
        event=event,
        now=now,
    )


def _held(
    session: Session, event: Event, payload: FulfilmentHeld, *, region: str, now: datetime
) -> None:
    person = _order_person(session, payload.order_id, region=region)
    if person is None:
        return
    try:
        fulfilment = fulfilments.get_fulfilment(session, payload.fulfilment_id)
    except UnknownFulfilment:
        return
    if fulfilment.due_at is None:
        return
    ends = as_utc(fulfilment.due_at)
    subject = f"fulfilments/{payload.fulfilment_id}"
    for trigger in active_triggers(session, "reservation_expiring"):
        due_at = ends - timedelta(hours=trigger.setting("hours_before"))
        if due_at <= as_utc(event.time):
            continue  # a hold shorter than the notice: reminding at once would be noise
        plan(
            session,
            trigger=trigger,
            profile_id=person,
            subject=subject,
            dedupe_key=f"{trigger.code}:{subject}",
            reason_since=as_utc(event.time),
            due_at=due_at,
            context={
                "order_id": payload.order_id,
                "fulfilment_id": payload.fulfilment_id,
                "location_code": payload.location,
                "expires_at": ends.isoformat(),
                "lines": _items(payload.lines),
            },
            cause_event_id=event.id,
            now=now,
        )


def _back_in_stock(
    session: Session, event: Event, sku: str, location: str, *, now: datetime
) -> None:
    subject = stock_subject(sku, location)
    for watch in watchers(session, sku=sku, location_code=location):
        if not is_reachable(session, watch.profile_id):
            continue
        for trigger in active_triggers(session, "back_in_stock"):
            if pending_message(
                session, trigger_code=trigger.code, subject=subject, profile_id=watch.profile_id
            ):
                continue
            plan(
                session,
                trigger=trigger,
                profile_id=watch.profile_id,
                subject=subject,
                # Once per watch and return of the stock: back again after running out,
                # the watch (still active) is told again.
                dedupe_key=f"{trigger.code}:watches/{watch.id}:{event.id}",
                reason_since=as_utc(event.time),
                due_at=as_utc(event.time) + trigger.delay,
                context={"sku": sku, "location_code": location, "watch_id": watch.id},
                cause_event_id=event.id,
                now=now,
            )


def _shipped(
    session: Session, event: Event, payload: FulfilmentShipped, *, region: str, now: datetime
) -> None:
    person = _order_person(session, payload.order_id, region=region)
    if person is None:
        return
    subject = f"fulfilments/{payload.fulfilment_id}"
    _plan_each(
        session,
        "order_shipped",
        profile_id=person,
        subject=subject,
        key=subject,
        reason_since=as_utc(event.time),
        context={
            "order_id": payload.order_id,
            "fulfilment_id": payload.fulfilment_id,
            "carrier": payload.carrier,
            "tracking_reference": payload.tracking_reference,
            "location_code": payload.location,
            "lines": _items(payload.lines),
        },
        event=event,
        now=now,
    )


def _delayed(
    session: Session, event: Event, payload: OrderLineResourced, *, region: str, now: datetime
) -> None:
    person = _order_person(session, payload.order_id, region=region)
    if person is None:
        return
    subject = f"orders/{payload.order_id}"
    _plan_each(
        session,
        "order_delayed",
        profile_id=person,
        subject=subject,
        key=subject,
        reason_since=as_utc(event.time),
        context={
            "order_id": payload.order_id,
            "sku": payload.sku,
            "quantity": payload.quantity,
            "rejected_by": payload.rejected_by,
        },
        event=event,
        now=now,
    )


def _returned(
    session: Session, event: Event, payload: ReturnEvent, kind: str, *, region: str, now: datetime
) -> None:
    person = reachable_person(session, payload.customer_ref, region=region)
    if person is None:
        return
    subject = f"returns/{payload.return_id}"
    context: dict[str, Any] = {
        "return_id": payload.return_id,
        "order_id": payload.order_id,
        "return_channel": payload.return_channel,
        "location_code": payload.return_location,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in payload.lines],
    }
    if isinstance(payload, ReturnRefunded):
        context |= {
            "amount_minor": payload.amount_minor,
            "currency": payload.currency,
            "method": payload.method,
        }
    _plan_each(
        session,
        kind,
        profile_id=person,
        subject=subject,
        key=subject,
        reason_since=as_utc(event.time),
        context=context,
        event=event,
        now=now,
    )


def _review_request(
    session: Session,
    event: Event,
    payload: FulfilmentCollected | FulfilmentDelivered,
    *,
    region: str,
    now: datetime,
) -> None:
    person = _order_person(session, payload.order_id, region=region)
    if person is None:
        return
    subject = f"orders/{payload.order_id}"
    _plan_each(
        session,
        "review_request",
        profile_id=person,
        subject=subject,
        key=subject,
        reason_since=as_utc(event.time),
        context={
            "order_id": payload.order_id,
            "fulfilment_id": payload.fulfilment_id,
            "lines": _items(payload.lines),
        },
        event=event,
        now=now,
    )


def _plan(session: Session, event: Event, *, region: str, now: datetime) -> None:
    """Plan the messages the triggers fired by ``event`` want."""
    payload = event.payload
    match payload:
        case CartMerged():
            cart_changed(session, event, payload.into, region=region, now=now)
        case CartCreated() if payload.lines:
            # An empty new cart has nothing to remind of: its first line's event plans it.
            cart_changed(session, event, payload.cart_id, region=region, now=now)
        case (
            CartLineAdded()
            | CartLineChanged()
            | CartLineRemoved()
            | CartCouponAdded()
            | CartCouponRemoved()
            | CartAssigned()
        ):
            cart_changed(session, event, payload.cart_id, region=region, now=now)
        case CustomerIdentified():
            visitor_identified(session, event, payload, region=region, now=now)
        case FulfilmentReadyForPickup():
            _pickup_ready(session, event, payload, region=region, now=now)
        case FulfilmentHeld():
            _held(session, event, payload, region=region, now=now)
        case FulfilmentShipped():
            _shipped(session, event, payload, region=region, now=now)
        case FulfilmentCollected() | FulfilmentDelivered():
            _review_request(session, event, payload, region=region, now=now)
        case StockCameBack():
            _back_in_stock(session, event, payload.sku, payload.location, now=now)
        case StockRanLow() if payload.previous_status == "out_of_stock":
            _back_in_stock(session, event, payload.sku, payload.location, now=now)
        case OrderLineResourced():
            _delayed(session, event, payload, region=region, now=now)
        case ReturnReceived():
            _returned(session, event, payload, "return_received", region=region, now=now)
        case ReturnRequested() if payload.status == "received":
            # Taken at a counter: received at once, with no ``return.received`` of its own.
            _returned(session, event, payload, "return_received", region=region, now=now)
        case ReturnRefunded():
            _returned(session, event, payload, "return_refunded", region=region, now=now)


def read_ahead(session: Session, events: Sequence[Event], *, region: str) -> None:
    """The consumer's read-ahead (``Consumer.read_ahead``): the carts, the visitors' open
    carts, the orders' customers and the people a batch of events names, read in one go for
    :func:`react` to find them in the transaction's memos (``recipients.read_ahead``)."""
    references: list[str] = []
    cart_ids: list[str] = []
    order_ids: list[str] = []
    anonymous_ids: list[str] = []
    for event in events:
        payload = event.payload
        reference = getattr(payload, "customer_ref", None)
        if isinstance(reference, str):
            references.append(reference)
        match payload:
            case CartMerged():
                cart_ids.append(payload.into)
            case (
                CartCreated()
                | CartLineAdded()
                | CartLineChanged()
                | CartLineRemoved()
                | CartCouponAdded()
                | CartCouponRemoved()
                | CartAssigned()
                | CartCheckedOut()
            ):
                cart_ids.append(payload.cart_id)
            case FulfilmentStatusChanged():
                order_ids.append(payload.order_id)
            case CustomerIdentified():
                anonymous_ids.extend(payload.anonymous_ids)
    recipients.read_ahead(
        session,
        customer_refs=references,
        cart_ids=cart_ids,
        order_ids=order_ids,
        anonymous_ids=anonymous_ids,
        region=region,
    )
    # Then the batch's facts, from what was just read, and the messages still to be sent
    # of whom and about what they are: one statement, where each event's facts asked one.
    read_pending_ahead(session, facts.read_facts_ahead(session, events, region=region))


def react(
    session: Session, event: Event, *, region: str, learned_at: datetime | None = None
) -> None:
    """The consumer ``engagement.journeys``: record the facts ``event`` brings, withdraw the
    pending messages whose reason they take away, and plan the messages the event fires
    (see the module's list); customer references are read in ``region``. ``learned_at``:
    when the policy learned the event's facts, for a history heard after the fact (default
    now); the messages are planned and decided now whatever it says."""
    ensure_defaults(session)
    now = max(utcnow(), as_utc(event.time))
    new_facts = facts.facts_from_event(session, event, region=region, recorded_at=learned_at)
    if new_facts:
        reconsider(session, new_facts, now=now)
    _plan(session, event, region=region, now=now)
