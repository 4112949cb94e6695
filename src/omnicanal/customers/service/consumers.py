"""Domain events joining the profile timeline through the bus.

Orders, carts, reservations and returns are other modules' business; the customers module
reads only their events (:data:`TIMELINE_EVENTS`), never their tables. An event joins a
profile when it names the customer:

* ``customer_ref`` (as carts, orders and returns carry it): ``kind:value``
  (``email:a@b.fr``, ``loyalty_card:FID1``, ``profile:<id>``), a profile id, an email, else
  a login;
* a cart's ``anonymous_id`` (the visitor's cookie or device), resolved like a tracked
  message's, so an anonymous cart stitched to a known customer links the cookie to them;
* a reference seen before with a customer: the event's order (``order_id``) or cart
  (``cart_id``, a merged cart's ``into``, a placed order's ``cart_id``), or a reservation's
  ``reference`` (so ``inventory.reserved`` for a known order joins its customer).

Events that name nobody are ignored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import partial

from sqlalchemy.orm import Session

from omnicanal.carts.events import (
    CartAssigned,
    CartCheckedOut,
    CartCouponAdded,
    CartCouponRemoved,
    CartCreated,
    CartEvent,
    CartLineAdded,
    CartLineChanged,
    CartLineRemoved,
    CartMerged,
)
from omnicanal.customers.commerce import order_facts
from omnicanal.customers.identifiers import Identifier, IdentifierKind, InvalidIdentifier, normalise
from omnicanal.customers.service.ingest import Sighting, record_sightings
from omnicanal.inventory.events import StockReserved
from omnicanal.orders.events import (
    OrderAllocated,
    OrderCancelled,
    OrderCompleted,
    OrderFulfilled,
    OrderLineCancelled,
    OrderLineResourced,
    OrderPartiallyFulfilled,
    OrderPaymentUpdated,
    OrderPlaced,
    OrderStatusChanged,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.bus import Consumer
from omnicanal.platform.events import DomainEvent, Event
from omnicanal.returns.events import (
    ExchangeCompleted,
    ReturnApproved,
    ReturnCancelled,
    ReturnClosed,
    ReturnEvent,
    ReturnInspected,
    ReturnReceived,
    ReturnRefunded,
    ReturnRefused,
    ReturnRequested,
    ReturnReviewRequested,
)

__all__ = ["TIMELINE_EVENTS", "join_timeline", "sighting_from_event", "timeline_consumer"]

log = logging.getLogger(__name__)
TIMELINE_EVENTS: tuple[type[DomainEvent], ...] = (
    OrderPlaced,
    OrderAllocated,
    OrderPartiallyFulfilled,
    OrderFulfilled,
    OrderCompleted,
    OrderCancelled,
    OrderPaymentUpdated,
    OrderLineCancelled,
    OrderLineResourced,
    CartCreated,
    CartLineAdded,
    CartLineChanged,
    CartLineRemoved,
    CartCouponAdded,
    CartCouponRemoved,
    CartAssigned,
    CartMerged,
    CartCheckedOut,
    StockReserved,
    ReturnRequested,
    ReturnReviewRequested,
    ReturnApproved,
    ReturnRefused,
    ReturnReceived,
    ReturnInspected,
    ReturnRefunded,
    ExchangeCompleted,
    ReturnClosed,
    ReturnCancelled,
)
"""The events that join a customer's timeline: orders, carts, reservations, returns."""
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def _names(payload: DomainEvent) -> tuple[str | None, str | None, list[str | None]]:
    """The customer reference, the visitor's anonymous id and the order, cart or reservation
    references that ``payload`` names."""
    match payload:
        case OrderPlaced():
            return payload.customer_ref, None, [payload.order_id, payload.cart_id]
        case OrderStatusChanged():
            return payload.customer_ref, None, [payload.order_id]
        case OrderPaymentUpdated() | OrderLineCancelled() | OrderLineResourced():
            return None, None, [payload.order_id]
        case CartCreated() | CartAssigned():
            return payload.customer_ref, payload.anonymous_id, [payload.cart_id]
        case CartMerged():
            return payload.customer_ref, payload.anonymous_id, [payload.cart_id, payload.into]
        case CartCheckedOut():
            return None, None, [payload.cart_id, payload.order_id]
        case CartEvent():
            return None, None, [payload.cart_id]
        case StockReserved():
            return None, None, [payload.reference]
        case ReturnEvent():
            return payload.customer_ref, None, [payload.order_id]
    return None, None, []


def _customer_ref(value: str | None, region: str) -> tuple[Identifier | None, str | None]:
    """A free-form customer reference: ``kind:value`` (``email:…``, ``loyalty_card:…``,
    ``profile:…``), a profile id, an email, else a login (``user_id``)."""
    if value is None or not value.strip():
        return None, None
    text = value.strip()
    prefix, _, rest = text.partition(":")
    try:
        if prefix == "profile" and rest:
            return None, rest
        if rest and prefix in IdentifierKind.__members__:
            return normalise(IdentifierKind(prefix), rest, region=region), None
        if _ULID.match(text):
            return None, text
        if "@" in text:
            return normalise(IdentifierKind.email, text, region=region), None
        return normalise(IdentifierKind.user_id, text, region=region), None
    except InvalidIdentifier:
        log.info("ignoring an invalid customer reference in a domain event")
        return None, None


def _anonymous(value: str | None, region: str) -> Identifier | None:
    if value is None or not value:
        return None
    try:
        return normalise(IdentifierKind.anonymous_id, value, region=region)
    except InvalidIdentifier:
        log.info("ignoring an invalid anonymous id in a domain event")
        return None


def _channel(source: str) -> str:
    parts = source.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "channels" else "system"


def sighting_from_event(event: Event, *, region: str = "FR") -> Sighting | None:
    """The sighting a domain event makes of its customer, or None when it names nobody.

    Raises pydantic's ``ValidationError`` when the event's data does not fit its class."""
    customer_ref, anonymous_id, refs = _names(event.payload)
    visitor = _anonymous(anonymous_id, region)
    referenced, hint = _customer_ref(customer_ref, region)
    identifiers = tuple(dict.fromkeys(i for i in (visitor, referenced) if i is not None))
    references = tuple(dict.fromkeys(f"ref:{ref}" for ref in refs if ref))
    if not identifiers and hint is None and not references:
        return None
    return Sighting(
        identifiers=identifiers,
        kind="domain",
        name=event.type,
        occurred_at=event.time,
        received_at=event.time,
        source=event.source[:120],
        channel=_channel(event.source),
        message_ref=event.id,
        properties=dict(event.data),
        references=references,
        profile_hint=hint,
        order=order_facts(event.type, event.data, domain=True),
    )


TIMELINE_ACTOR = Actor(key_id=None, channel="system", name="customers.timeline")


def join_timeline(session: Session, event: Event, *, region: str) -> None:
    """Put a domain event on its customer's timeline (and link the identifiers it names);
    phone numbers without a country code are read in ``region``."""
    sighting = sighting_from_event(event, region=region)
    if sighting is None:
        return
    record_sightings(session, sightings=[sighting], actor=TIMELINE_ACTOR, skip_unresolved=True)


def join_timelines(session: Session, events: Sequence[Event], *, region: str) -> None:
    """Put a batch of domain events on their customers' timelines, in order, with one
    resolution of the identifiers they name (as if they came one by one)."""
    sightings = [
        sighting
        for event in events
        if (sighting := sighting_from_event(event, region=region)) is not None
    ]
    if sightings:
        record_sightings(session, sightings=sightings, actor=TIMELINE_ACTOR, skip_unresolved=True)


def timeline_consumer(*, region: str) -> Consumer:
    """The consumer that puts domain events on their customers' timelines, reading phone
    numbers without a country code in ``region``."""
    return Consumer(
        name="customers.timeline",
        events=TIMELINE_EVENTS,
        handler=partial(join_timeline, region=region),
        batch_handler=partial(join_timelines, region=region),
    )
