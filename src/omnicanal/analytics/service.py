"""Use cases and consumers of the analytics module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.analytics.models import DailyEventCount
from omnicanal.platform.bus import Consumer
from omnicanal.platform.db import dialect_insert
from omnicanal.platform.events import Event


@cache
def _add_counts(insert: Callable[[Any], Any]) -> Any:
    """The upsert adding to a day's count, per dialect (``insert``: its construct), built once:
    the relay counts every batch it delivers."""
    table = DailyEventCount.__table__
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=["day", "event_type", "source"],
        set_={"count": table.c.count + statement.excluded.count},
    )


def _add(session: Session, counts: Counter[tuple[date, str, str]]) -> None:
    """Add ``counts`` to their days' counts, one upsert per key, in key order: two workers
    counting the same days lock their rows in the same order, and both add theirs."""
    rows = [
        {"day": day, "event_type": event_type, "source": source, "count": count}
        for (day, event_type, source), count in sorted(counts.items())
    ]
    session.connection().execute(_add_counts(dialect_insert(session)), rows)


def count_event(session: Session, event: Event) -> None:
    """Add one to the day's count for the event's type and source."""
    _add(session, Counter([(event.time.date(), event.type, event.source)]))


def count_events(session: Session, events: Sequence[Event]) -> None:
    """Add a relay batch of events to the day's counts: one statement for the batch, a row
    per (day, type, source)."""
    if events:
        _add(session, Counter((event.time.date(), event.type, event.source) for event in events))


def event_counts(
    session: Session, *, since: date | None = None, event_type: str | None = None
) -> list[dict[str, object]]:
    query = select(DailyEventCount).order_by(
        DailyEventCount.day, DailyEventCount.event_type, DailyEventCount.source
    )
    if since is not None:
        query = query.where(DailyEventCount.day >= since)
    if event_type is not None:
        query = query.where(DailyEventCount.event_type == event_type)
    return [
        {
            "day": row.day.isoformat(),
            "type": row.event_type,
            "source": row.source,
            "count": row.count,
        }
        for row in session.scalars(query)
    ]


CONSUMERS = (
    Consumer(
        name="analytics.event_counts",
        all_events=True,
        handler=count_event,
        batch_handler=count_events,
    ),
)
