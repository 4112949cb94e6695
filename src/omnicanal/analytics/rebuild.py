"""Rebuilding the KPI facts from the event log (``omnicanal kpi rebuild``, ADR 0039).

The ``kpi_*`` tables the consumer keeps are emptied, then the outbox's published events are
replayed, oldest first and a batch per transaction, through the same code the live consumer
runs (:func:`omnicanal.analytics.facts.keep_facts`). The consumer's own record of what it
handled (``processed_events``) is left as it is: the events published from now on reach it
as usual, and those replayed here were published before the rebuild started. Run it while
the workers are idle (or stopped): an event published meanwhile about an order replayed
later would find no order to credit. The survey answers and the pilots are not facts kept
from the events: they stay.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select

from omnicanal.analytics.facts import EVENTS, Keeping, keep_facts, note_business
from omnicanal.analytics.models import (
    BusinessFact,
    CartFact,
    CostFact,
    DailyMeasure,
    FulfilmentFact,
    LocationFact,
    MomentFact,
    OrderFact,
    StockFact,
)
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.events import Event, OutboxEvent

__all__ = ["BATCH", "FACT_TABLES", "rebuild"]

BATCH = 500
"""Events replayed per transaction."""
FACT_TABLES = (
    DailyMeasure,
    OrderFact,
    FulfilmentFact,
    StockFact,
    LocationFact,
    CartFact,
    CostFact,
    MomentFact,
)
"""The tables the consumer keeps from the events, emptied before the replay."""
_TYPES = sorted({event.type for event in EVENTS})


def _keeping(
    db: Database, settings: Settings | None, received: Callable[[Event], datetime] | None
) -> Keeping:
    """The settings' zone and currency; without settings, those the facts were kept with
    (the settings' defaults when none were)."""
    if settings is not None:
        zone, currency = settings.business_zone, settings.default_currency
    else:
        with db.reading() as session:
            kept = session.get(BusinessFact, 1)
            known = (kept.timezone, kept.currency) if kept is not None else None
        fields = Settings.model_fields
        name, currency = known or (
            str(fields["business_time_zone"].default),
            str(fields["default_currency"].default),
        )
        zone = ZoneInfo(name)
    return Keeping(zone=zone, currency=currency, received=received or _happened)


def _happened(event: Event) -> datetime:
    return event.time


def rebuild(
    db: Database,
    *,
    report: Callable[[int, int], None] | None = None,
    received: Callable[[Event], datetime] | None = None,
    settings: Settings | None = None,
) -> int:
    """Empty the KPI facts and replay the outbox's published events through the consumer's
    code, oldest first, in batches; ``report(done, total)`` after each batch; ``received``
    says when each event was received (default: when it happened). Returns the events
    replayed."""
    keeping = _keeping(db, settings, received)
    wanted = [OutboxEvent.published.is_(True), OutboxEvent.type.in_(_TYPES)]
    with db.transaction() as session:
        # The last event published now: those after it reach the live consumer.
        last = session.scalar(select(func.max(OutboxEvent.seq)).where(*wanted)) or 0
        total = session.scalar(select(func.count()).select_from(OutboxEvent).where(*wanted)) or 0
        for table in FACT_TABLES:
            session.execute(delete(table))
        note_business(session, keeping)
    if report is not None:
        report(0, total)
    done, after = 0, 0
    while True:
        with db.reading() as session:
            rows = list(
                session.scalars(
                    select(OutboxEvent)
                    .where(*wanted, OutboxEvent.seq > after, OutboxEvent.seq <= last)
                    .order_by(OutboxEvent.seq)
                    .limit(BATCH)
                )
            )
            events = [row.to_event() for row in rows]
        if not rows:
            return done
        with db.transaction() as session:
            keep_facts(session, events, keeping=keeping)
        done += len(events)
        after = rows[-1].seq
        if report is not None:
            report(done, total)
