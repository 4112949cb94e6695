"""Consumers and the in-process bus.

A consumer is a named handler for some event types. Every delivery runs the handler in its
own transaction together with a ``processed_events`` row, so a repeat delivery (after a
crash, a redelivery from JetStream, a relay restart) is recognised and skipped.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicanal.platform.db import Database
from omnicanal.platform.events import Event, ProcessedEvent

log = logging.getLogger(__name__)

Handler = Callable[[Session, Event], None]


@dataclass(frozen=True)
class Consumer:
    """A durable, idempotent reaction to events whose type matches one of ``patterns``."""

    name: str
    patterns: tuple[str, ...]
    handler: Handler

    def wants(self, event_type: str) -> bool:
        return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in self.patterns)


def deliver(db: Database, consumer: Consumer, event: Event) -> bool:
    """Run ``consumer`` on ``event`` once; returns False when it had already handled it."""
    try:
        with db.transaction() as session:
            already = session.scalar(
                select(ProcessedEvent.event_id).where(
                    ProcessedEvent.consumer == consumer.name, ProcessedEvent.event_id == event.id
                )
            )
            if already:
                return False
            session.add(ProcessedEvent(consumer=consumer.name, event_id=event.id))
            session.flush()
            consumer.handler(session, event)
    except IntegrityError:
        # Another worker recorded the same delivery first: it is handled.
        return False
    return True


class InProcessBus:
    """The embedded bus: publishing an event delivers it to every interested consumer now."""

    def __init__(self, db: Database, consumers: Sequence[Consumer]) -> None:
        self.db = db
        self.consumers = list(consumers)

    def publish(self, events: Sequence[Event]) -> int:
        """Deliver each event in order; returns how many were fully handled.

        A handler that fails stops the batch there: that event stays unpublished and is
        delivered again on the next run (consumers that already handled it skip it).
        """
        for handled, event in enumerate(events):
            for consumer in self.consumers:
                if not consumer.wants(event.type):
                    continue
                try:
                    deliver(self.db, consumer, event)
                except Exception:
                    log.exception("consumer %s failed on event %s", consumer.name, event.id)
                    return handled
        return len(events)

    def close(self) -> None:
        return None
