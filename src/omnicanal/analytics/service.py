"""Use cases and consumers of the analytics module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.analytics.models import DailyEventCount
from omnicanal.platform.bus import Consumer
from omnicanal.platform.db import dialect_insert
from omnicanal.platform.events import Event


def _add(session: Session, key: dict[str, object], count: int) -> None:
    # One upsert: two workers counting the first event of a day at once both add theirs.
    insert = dialect_insert(session)(DailyEventCount).values(**key, count=count)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["day", "event_type", "source"],
            set_={"count": DailyEventCount.count + insert.excluded.count},
        )
    )


def count_event(session: Session, event: Event) -> None:
    """Add one to the day's count for the event's type and source."""
    _add(session, {"day": event.time.date(), "event_type": event.type, "source": event.source}, 1)


def count_events(session: Session, events: Sequence[Event]) -> None:
    """Add a relay batch of events to the day's counts: one write per (day, type, source)."""
    counts = Counter((event.time.date(), event.type, event.source) for event in events)
    for (day, event_type, source), count in sorted(counts.items()):
        _add(session, {"day": day, "event_type": event_type, "source": source}, count)


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
