"""The consumer ``analytics.kpis``: the ``kpi_*`` facts kept from the events (ADR 0039).

One batch of events is one pass: the facts it touches are read in one query per table (the
orders, fulfilments, carts, costs and locations its events name), each event changes them in
memory (``handlers.py``), and what it added up is written at the end with one compiled upsert
per table, a row per key (``batch.py``): an order costs the relay a few rows, not a query per
measure.

How an event is credited:

- An order's facts go to the local day it was placed (the store's time zone, else the
  business's), its store (the till's or counter's for an in-store sale, else the store of a
  line collected or tried on there, else none), its channel and its segment (``recognised``
  when it names a customer). Its later events (cancelled, lines cancelled, picked up,
  shipped from a store, returned, refunded) are credited to that same day and those same
  dimensions: a cancellation rate is "of the orders placed that day".
- Units leave our hands once per fulfilment (shipped, collected, bought, carried out, or
  delivered when the shipment was never told): they count as sold at its location, on that
  location's day, less the units of lines it rejected.
- Reservations, rejected lines and survey answers given at a return count where and when
  they happened; messages on the business's day, without a store or channel.

Money is counted in the business's currency only: an order in another currency counts in
the orders, never in the sales. Every handler tolerates an event it cannot place (an order
it never saw, a collection before the readiness in a replay): it keeps what it can and
raises nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, update
from sqlalchemy.orm import Session

from omnicanal.analytics.facts.batch import (
    ANONYMOUS,
    RECOGNISED,
    STORE_KINDS,
    Keeping,
    Measure,
    Moment,
    load_batch,
    note_business,
    segment_of,
    write_batch,
)
from omnicanal.analytics.facts.handlers import EVENTS, HANDLERS, SITUATION_REASONS, names_of
from omnicanal.analytics.models import OrderFact
from omnicanal.platform.bus import Consumer
from omnicanal.platform.config import Settings
from omnicanal.platform.db import rowcount
from omnicanal.platform.events import DomainEvent, Event

__all__ = [
    "ANONYMOUS",
    "CONSUMER",
    "EVENTS",
    "RECOGNISED",
    "SITUATION_REASONS",
    "STORE_KINDS",
    "Keeping",
    "Measure",
    "Moment",
    "forget_customers",
    "keep_facts",
    "kpi_consumer",
    "note_business",
    "segment_of",
]

CONSUMER = "analytics.kpis"


def _readable(event: Event) -> DomainEvent | None:
    try:
        return event.payload
    except ValueError:  # pydantic's ValidationError: an erased person's event
        return None


def keep_facts(session: Session, events: Sequence[Event], *, keeping: Keeping) -> None:
    """Keep the facts from ``events`` (one batch, oldest first), in the caller's transaction."""
    wanted = [
        (event, payload)
        for event in events
        if event.type in HANDLERS and (payload := _readable(event)) is not None
    ]
    if not wanted:
        return
    batch = load_batch(session, keeping, names_of(wanted))
    for event, payload in wanted:
        HANDLERS[event.type](batch, event, payload)
    write_batch(batch)


def kpi_consumer(settings: Settings) -> Consumer:
    """The consumer that keeps the facts, in the business's zone and currency."""
    keeping = Keeping(zone=settings.business_zone, currency=settings.default_currency)
    noted: list[bool] = []

    def handle_batch(session: Session, events: Sequence[Event]) -> None:
        if not noted:
            note_business(session, keeping)
        keep_facts(session, events, keeping=keeping)
        noted[:] = [True]

    def handle(session: Session, event: Event) -> None:
        handle_batch(session, [event])

    return Consumer(name=CONSUMER, events=EVENTS, handler=handle, batch_handler=handle_batch)


def forget_customers(session: Session, *, customer_refs: Sequence[str]) -> int:
    """Erase these customers' references from the order facts (their orders stay counted,
    recognised, without them); returns how many orders named them."""
    if not customer_refs:
        return 0
    table = cast(Table, OrderFact.__table__)
    return rowcount(
        session.execute(
            update(table)
            .where(table.c.customer_ref.in_(list(customer_refs)))
            .values(customer_ref=None)
        )
    )
