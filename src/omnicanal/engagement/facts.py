"""Facts: what the message policy knows happened, and when it learned it (ADR 0026).

The module's consumer turns the platform's events into facts (:func:`facts_from_event`);
the call centre, a store or a carrier's integration tells the API about complaints,
disputes and refused deliveries (:func:`record_fact`). Each fact keeps when it happened
(``occurred_at``, the event's time) and when the policy learned it (``recorded_at``): the
seeds' till-to-CRM delay is the difference, measured per channel where it happened.

What each event means:

- ``order.placed``: the customer ``purchased`` (on any channel), and the cart it names was
  closed (``cart_closed``).
- ``cart.checked_out``: the cart was closed; ``cart.merged``: it was closed into another
  (``merged_into``).
- ``order.cancelled``: ``cancelled`` (about the order and its fulfilments).
- ``return.requested`` at a counter and ``return.received`` (a parcel arrived):
  ``returned``, about the order, where the units came back (``store`` or ``post``).
- ``fulfilment.collected``: ``collected``; ``fulfilment.bought``: ``collected`` and
  ``reservation_closed``; ``fulfilment.released``, ``fulfilment.expired`` and a cancelled
  pickup or hold: ``reservation_closed``.
- ``inventory.out_of_stock``: ``stock_out``; ``inventory.back_in_stock``: ``stock_back``,
  about ``stock/<sku>@<location>``.
- ``review.submitted``: the person ``reviewed`` a product.

No event says a customer refused a delivery (``fulfilment.rejected`` is a location unable to
fulfil, not the customer): a refused delivery comes from the API, as complaints and disputes
do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from omnicanal.carts.events import CartCheckedOut, CartMerged
from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement.access import check_first_party
from omnicanal.engagement.errors import EngagementForbidden, UnknownCustomer
from omnicanal.engagement.models import FACT_KINDS, ONCE_PER_SUBJECT, Fact
from omnicanal.engagement.recipients import cart_read, order_person, person_named
from omnicanal.fulfilment import queries as fulfilments
from omnicanal.fulfilment.events import (
    FulfilmentBought,
    FulfilmentCancelled,
    FulfilmentCollected,
    FulfilmentExpired,
    FulfilmentReleased,
    FulfilmentStatusChanged,
)
from omnicanal.inventory.events import StockCameBack, StockRanOut
from omnicanal.network import lookups as network
from omnicanal.orders.events import OrderCancelled, OrderPlaced
from omnicanal.platform.access import is_privileged
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.auth import LocationForbidden
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.db import dialect_insert, kept_memo, transaction_memo
from omnicanal.platform.errors import InvalidInput
from omnicanal.platform.events import DomainEvent, Event
from omnicanal.platform.ids import new_id
from omnicanal.returns.events import ReturnEvent, ReturnReceived, ReturnRequested
from omnicanal.reviews.events import ReviewSubmitted

__all__ = [
    "API_FACT_KINDS",
    "FACT_EVENTS",
    "MAX_FUTURE_SKEW",
    "ONCE_PER_SUBJECT",
    "REPORT_SCOPE",
    "FactInFuture",
    "InvalidFact",
    "facts_from_event",
    "read_facts_ahead",
    "record_fact",
    "report_fact",
    "reporting_location",
    "stock_subject",
    "where",
]

API_FACT_KINDS = ("complaint", "dispute_opened", "dispute_closed", "refused_delivery")
"""The facts that people and outside systems report (no platform event says them)."""
FACT_EVENTS: tuple[type[DomainEvent], ...] = (
    OrderPlaced,
    OrderCancelled,
    CartCheckedOut,
    CartMerged,
    ReturnRequested,
    ReturnReceived,
    FulfilmentCollected,
    FulfilmentBought,
    FulfilmentReleased,
    FulfilmentExpired,
    FulfilmentCancelled,
    StockRanOut,
    StockCameBack,
    ReviewSubmitted,
)
"""The events :func:`facts_from_event` turns into facts (the consumer subscribes to them)."""
HELD_METHODS = frozenset({"pickup", "reserve_and_try"})
"""The fulfilment methods that hold units for the customer at a store."""
REPORT_SCOPE = "engagement:write"
"""The scope that reports facts (the call centre's and the stores' keys have it)."""
MAX_FUTURE_SKEW = timedelta(minutes=10)
"""How far after its report a reported fact may say it happened; later is a wrong clock."""


Recorder = Callable[..., None]
"""Records one fact of the event being read: ``fact(kind, profile_id, subject, **detail)``."""


class InvalidFact(InvalidInput):
    code = "invalid_fact"
    title = "This fact names an unknown kind"


class FactInFuture(InvalidInput):
    code = "fact_in_future"
    title = "A reported fact cannot have happened later than now"


def stock_subject(sku: str, location: str) -> str:
    """How facts and messages name a SKU's stock at a location."""
    return f"stock/{sku}@{location}"


def where(event: Event) -> tuple[str | None, str | None]:
    """The kind of channel and the store an event came from (its CloudEvents ``source``:
    ``/channels/<kind>[/locations/<code>]``)."""
    parts = event.source.strip("/").split("/")
    channel = parts[1] if len(parts) > 1 and parts[0] == "channels" else None
    location = parts[3] if len(parts) > 3 and parts[2] == "locations" else None
    return channel, location


def record_fact(
    session: Session,
    *,
    profile_id: str | None,
    kind: str,
    occurred_at: datetime,
    subject: str | None = None,
    channel: str | None = None,
    location_code: str | None = None,
    detail: Mapping[str, Any] | None = None,
    source_event_id: str | None = None,
    recorded_at: datetime | None = None,
) -> Fact | None:
    """Record that ``kind`` happened at ``occurred_at``; None when it was already known (the
    same event's fact of this kind, or a second report of a once-per-subject fact).

    A fact cannot have happened after the policy learned it: a later ``occurred_at`` (a
    till's clock running fast) is taken as ``recorded_at``.
    """
    new = _insert_facts(
        session,
        [
            _fact_row(
                profile_id=profile_id,
                kind=kind,
                occurred_at=occurred_at,
                subject=subject,
                channel=channel,
                location_code=location_code,
                detail=detail,
                source_event_id=source_event_id,
                recorded_at=recorded_at,
            )
        ],
    )
    return new[0] if new else None


def _fact_row(
    *,
    profile_id: str | None,
    kind: str,
    occurred_at: datetime,
    subject: str | None,
    channel: str | None,
    location_code: str | None,
    detail: Mapping[str, Any] | None,
    source_event_id: str | None,
    recorded_at: datetime | None,
) -> dict[str, Any]:
    """The row of one fact (see :func:`record_fact`)."""
    if kind not in FACT_KINDS:
        raise InvalidFact(f"{kind!r} is not a kind of fact.", field="kind", kinds=FACT_KINDS)
    recorded = as_utc(recorded_at) if recorded_at is not None else utcnow()
    return {
        "id": new_id(),
        "profile_id": profile_id,
        "kind": kind,
        "subject": subject,
        "channel": channel,
        "location_code": location_code,
        "detail": dict(detail or {}),
        "source_event_id": source_event_id,
        "occurred_at": min(as_utc(occurred_at), recorded),
        "recorded_at": recorded,
    }


def _insert_facts(session: Session, rows: list[dict[str, Any]]) -> list[Fact]:
    """Write the facts of ``rows`` that are not known yet, in one statement; those written.

    Known means the same event's fact of the same kind (an event delivered twice, or by two
    consumers' workers at once), or a second fact of a once-per-subject kind about the same
    subject (a checkout's ``order.placed`` and ``cart.checked_out`` both close its cart). The
    database's unique indexes decide, without an error to undo and without a read first, so
    two workers recording the same closing at once make one fact.

    The statement returns the facts it wrote, so they are not read back; they come back as
    plain objects, outside the session (a Core statement: the ORM's bulk INSERT cost more
    than the statement itself)."""
    known = transaction_memo(session, _KNOWN_ONCE)
    rows = [row for row in rows if (row["kind"], row["subject"]) not in known]
    if not rows:
        return []
    written = session.connection().execute(_insert_new(dialect_insert(session)), rows)
    # Written now or before: either way known until this transaction ends (a handler that
    # fails ends the batch's handling in this transaction, so no later event reads this).
    known.update(
        dict.fromkeys(
            (row["kind"], row["subject"])
            for row in rows
            if row["kind"] in ONCE_PER_SUBJECT and row["subject"] is not None
        )
    )
    return [Fact(**row) for row in written.mappings()]


_KNOWN_ONCE = "engagement.facts_known_once"
"""The transaction's memo (``transaction_memo``) of the once-per-subject facts it wrote or
found written: a checkout's ``cart.checked_out`` then writes nothing after its
``order.placed`` closed the cart."""


@cache
def _insert_new(insert: Callable[[Any], Any]) -> Any:
    """The INSERT of facts that skips those known (any unique index of the table), returning
    the facts written; per dialect (``insert``: its construct), built once: the relay records
    a fact for most events it delivers."""
    table = Fact.__table__
    return insert(table).on_conflict_do_nothing().returning(*table.c)


# From events -------------------------------------------------------------------------------


def _cart_owner(session: Session, cart_id: str, *, region: str) -> str | None:
    """The person a cart belongs to: its customer, else its visitor's profile."""
    cart = cart_read(session, cart_id)
    if cart is None:
        return None
    found = person_named(session, cart.customer_ref, region=region)
    if found is None and cart.anonymous_id:
        found = person_named(session, f"anonymous_id:{cart.anonymous_id}", region=region)
    return found


def facts_from_event(
    session: Session, event: Event, *, region: str, recorded_at: datetime | None = None
) -> list[Fact]:
    """Record the facts ``event`` brings (see the module's list); the new ones (none for an
    event seen before, or one that brings none). Customer references are read in
    ``region`` (phone numbers); ``recorded_at``: when the policy learned them (default now;
    a history heard after the fact says when it was heard).

    The event's facts in one statement (an order placed from a cart: two facts); their rows
    as :func:`read_facts_ahead` worked them out, when it did."""
    ahead = kept_memo(session, _ROWS_AHEAD) if recorded_at is None else None
    rows = ahead.pop(event.id, None) if ahead is not None else None
    if rows is None:
        rows = fact_rows(session, event, region=region, recorded_at=recorded_at)
    return _insert_facts(session, rows)


def read_facts_ahead(
    session: Session, events: Sequence[Event], *, region: str
) -> list[dict[str, Any]]:
    """Work out the facts of a batch of events before they are recorded, kept for the
    transaction (:func:`facts_from_event` records them as they are): the rows of them all,
    for a read-ahead that wants to know whom and what the batch's facts are about. What the
    facts read (carts, people, orders' customers) comes from the read-ahead's memos
    (``recipients.read_ahead``), which the consumer's writes never change."""
    ahead = transaction_memo(session, _ROWS_AHEAD)
    every: list[dict[str, Any]] = []
    for event in events:
        if event.id not in ahead:
            ahead[event.id] = fact_rows(session, event, region=region)
        every.extend(ahead[event.id])
    return every


_ROWS_AHEAD = "engagement.fact_rows_ahead"
"""The transaction's memo of the fact rows of the batch's events, by event id."""


def fact_rows(
    session: Session, event: Event, *, region: str, recorded_at: datetime | None = None
) -> list[dict[str, Any]]:
    """The rows of the facts ``event`` brings, not yet recorded (see
    :func:`facts_from_event`)."""
    if event.type not in {cls.type for cls in FACT_EVENTS}:
        return []
    payload = event.payload
    channel, location = where(event)
    rows: list[dict[str, Any]] = []

    def fact(kind: str, profile_id: str | None, subject: str, **more: Any) -> None:
        detail = {key: value for key, value in more.items() if key not in ("channel", "location")}
        rows.append(
            _fact_row(
                profile_id=profile_id,
                kind=kind,
                occurred_at=event.time,
                subject=subject,
                channel=more.get("channel", channel),
                location_code=more.get("location", location),
                detail=detail,
                source_event_id=event.id,
                recorded_at=recorded_at,
            )
        )

    match payload:
        case OrderPlaced():
            person = person_named(session, payload.customer_ref, region=region)
            about = [f"carts/{payload.cart_id}"] if payload.cart_id else []
            fact(
                "purchased",
                person,
                f"orders/{payload.order_id}",
                order_id=payload.order_id,
                order_channel=payload.channel,
                total_minor=payload.total_minor,
                currency=payload.currency,
                about=about,
            )
            if payload.cart_id:
                fact("cart_closed", person, about[0], order_id=payload.order_id)
        case OrderCancelled():
            about = [
                f"fulfilments/{f.id}" for f in fulfilments.fulfilments_of(session, payload.order_id)
            ]
            fact(
                "cancelled",
                person_named(session, payload.customer_ref, region=region),
                f"orders/{payload.order_id}",
                order_id=payload.order_id,
                reason=payload.reason,
                about=about,
            )
        case CartCheckedOut():
            fact(
                "cart_closed",
                _cart_owner(session, payload.cart_id, region=region),
                f"carts/{payload.cart_id}",
                order_id=payload.order_id,
            )
        case CartMerged():
            fact(
                "cart_closed",
                person_named(session, payload.customer_ref, region=region),
                f"carts/{payload.cart_id}",
                merged_into=payload.into,
            )
        case ReturnRequested() | ReturnReceived():
            if isinstance(payload, ReturnRequested) and payload.method != "counter":
                return []  # a parcel on its way: returned once it arrives
            _returned(fact, payload, region=region, session=session)
        case FulfilmentStatusChanged():
            _fulfilment(session, fact, payload, region=region)
        case StockRanOut() | StockCameBack():
            kind = "stock_out" if isinstance(payload, StockRanOut) else "stock_back"
            fact(
                kind,
                None,
                stock_subject(payload.sku, payload.location),
                sku=payload.sku,
                available=payload.available,
                location=payload.location,
            )
        case ReviewSubmitted():
            person = person_named(
                session,
                f"profile:{payload.profile_id}" if payload.profile_id else None,
                region=region,
            )
            fact(
                "reviewed",
                person,
                f"reviews/{payload.review_id}",
                product_code=payload.product_code,
                rating=payload.rating,
                channel=payload.channel,
                location=payload.location,
            )
    return rows


def _returned(fact: Recorder, payload: ReturnEvent, *, region: str, session: Session) -> None:
    fact(
        "returned",
        person_named(session, payload.customer_ref, region=region),
        f"orders/{payload.order_id}",
        return_id=payload.return_id,
        purchase_channel=payload.purchase_channel,
        reason_codes=list(payload.reason_codes),
        about=[f"returns/{payload.return_id}"],
        # Where the units came back, not where they were bought: the till-to-policy delay
        # is the returning channel's.
        channel=payload.return_channel,
        location=payload.return_location,
    )


def _fulfilment(
    session: Session, fact: Recorder, payload: FulfilmentStatusChanged, *, region: str
) -> None:
    kinds: list[str] = []
    match payload:
        case FulfilmentCollected():
            kinds = ["collected"]
        case FulfilmentBought():
            kinds = ["collected", "reservation_closed"]
        case FulfilmentReleased() | FulfilmentExpired():
            kinds = ["reservation_closed"]
        case FulfilmentCancelled() if payload.method in HELD_METHODS:
            kinds = ["reservation_closed"]
    if not kinds:
        return
    person = order_person(session, payload.order_id, region=region)
    for kind in kinds:
        fact(
            kind,
            person,
            f"fulfilments/{payload.fulfilment_id}",
            order_id=payload.order_id,
            method=payload.method,
            how=payload.status,
            about=[f"orders/{payload.order_id}"],
            location=payload.location,
        )


# Reported by people and outside systems ----------------------------------------------------


def reporting_location(actor: Actor, requested: str | None) -> str | None:
    """The store a reported fact is filed at: a store key reports at its own store only;
    the call centre (and the back office) for any customer, at the store it names if any;
    the web shop, the app and marketplaces report nothing."""
    if is_privileged(actor):
        return requested
    check_first_party(actor)
    if actor.channel in (ChannelKind.web.value, ChannelKind.app.value):
        raise EngagementForbidden(
            f"A {actor.channel} key cannot report complaints, disputes or refused "
            "deliveries: the call centre and the stores do.",
            channel=actor.channel,
        )
    own = actor.location_code
    if own is not None:
        if requested is not None and requested != own:
            raise LocationForbidden(
                f"This key belongs to store {own} and cannot report for {requested}.",
                field="location",
            )
        return own
    return requested


def _reported_person(
    session: Session, *, profile_id: str | None, customer_ref: str | None, region: str
) -> str:
    if profile_id is not None:
        try:
            return customers.profile_root(session, profile_id).id
        except UnknownProfile:
            raise UnknownCustomer(
                f"No customer has the profile id {profile_id!r}.", field="profile_id"
            ) from None
    found = person_named(session, customer_ref, region=region)
    if found is None:
        raise UnknownCustomer("No customer is known by this reference.", field="customer_ref")
    return found


def report_fact(
    session: Session,
    *,
    kind: str,
    actor: Actor,
    region: str,
    profile_id: str | None = None,
    customer_ref: str | None = None,
    subject: str | None = None,
    occurred_at: datetime | None = None,
    location_code: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Fact:
    """Record a complaint, a dispute opened or closed, or a refused delivery that a person or
    an outside system reports about a customer (``profile_id`` or ``customer_ref``)."""
    if kind not in API_FACT_KINDS:
        raise InvalidFact(
            f"{kind!r} cannot be reported: {', '.join(API_FACT_KINDS)} can.",
            field="kind",
            kinds=API_FACT_KINDS,
        )
    location = reporting_location(actor, location_code)
    if location is not None:
        network.get_location(session, location)
    person = _reported_person(
        session, profile_id=profile_id, customer_ref=customer_ref, region=region
    )
    now = as_utc(now) if now is not None else utcnow()
    occurred = as_utc(occurred_at) if occurred_at is not None else now
    if occurred > now + MAX_FUTURE_SKEW:
        raise FactInFuture(
            f"occurred_at ({occurred.isoformat()}) is later than now.", field="occurred_at"
        )
    detail: dict[str, Any] = {"reported_by": actor.label}
    if note:
        detail["note"] = note
    fact = record_fact(
        session,
        profile_id=person,
        kind=kind,
        occurred_at=occurred,
        subject=subject,
        channel=actor.channel,
        location_code=location,
        detail=detail,
        recorded_at=now,
    )
    assert fact is not None  # a reported fact has no event to repeat
    return fact
