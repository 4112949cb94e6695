"""Consumers and the in-process bus.

A consumer is a named handler for the event classes it declares (``events=(OrderPlaced,
CartCheckedOut)``), or for every event (``all_events=True``). The handler gets the envelope
and reads the typed payload with ``event.payload``: the bus hands a consumer of declared
classes only the events whose data fits their class (it logs and skips the others: an
erased person's events, their strings nulled). Every delivery runs the handler in its
own transaction together with a ``processed_events`` row, so a repeat delivery (after a
crash, a redelivery from JetStream, a relay restart) is recognised and skipped.

A consumer whose work is cheaper in bulk (the real-time matcher: one read of the candidates
for many records) also gives a ``batch_handler``: the embedded bus hands it every event of a
relay batch it wants in one transaction, after the other consumers; over JetStream the worker
fetches the messages that piled up and hands them over the same way (``platform.worker``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Database
from omnicanal.platform.events import DomainEvent, Event, ProcessedEvent

log = logging.getLogger(__name__)

Handler = Callable[[Session, Event], None]
BatchHandler = Callable[[Session, Sequence[Event]], None]


@dataclass(frozen=True, kw_only=True)
class Consumer:
    """A durable, idempotent reaction to the event classes in ``events``, or to every event
    (``all_events``)."""

    name: str
    handler: Handler
    events: tuple[type[DomainEvent], ...] = ()
    all_events: bool = False
    batch_handler: BatchHandler | None = None
    batch_size: int = 500
    """Most events per call of ``batch_handler`` (one transaction each; on SQLite it holds the
    only write lock meanwhile, so ingestion waits for it)."""
    types: tuple[str, ...] = field(init=False)
    """The event types of ``events``, in their order."""

    def __post_init__(self) -> None:
        if self.all_events == bool(self.events):
            raise ValueError(f"Consumer {self.name} declares either events=(...) or all_events.")
        undeclared = [cls.__name__ for cls in self.events if "type" not in cls.__dict__]
        if undeclared:
            raise ValueError(f"Consumer {self.name}: {', '.join(undeclared)} declare no type.")
        object.__setattr__(self, "types", tuple(dict.fromkeys(cls.type for cls in self.events)))

    def wants(self, event_type: str) -> bool:
        return self.all_events or event_type in self.types


def deliver_batch(db: Database, consumer: Consumer, events: Sequence[Event]) -> int:
    """Run ``consumer``'s batch handler once on the events it has not handled yet, in one
    transaction; returns how many it handled."""
    assert consumer.batch_handler is not None
    wanted = {event.id: event for event in events if consumer.wants(event.type)}
    if not wanted:
        return 0
    with db.transaction() as session:
        done = set(
            session.scalars(
                select(ProcessedEvent.event_id).where(
                    ProcessedEvent.consumer == consumer.name,
                    ProcessedEvent.event_id.in_(sorted(wanted)),
                )
            )
        )
        fresh = [event for event_id, event in wanted.items() if event_id not in done]
        if not fresh:
            return 0
        handled_at = utcnow()
        session.execute(
            insert(ProcessedEvent),
            [
                {"consumer": consumer.name, "event_id": e.id, "handled_at": handled_at}
                for e in fresh
            ],
        )
        readable = [event for event in fresh if _readable(consumer, event)]
        if readable:
            consumer.batch_handler(session, readable)
    return len(fresh)


def _readable(consumer: Consumer, event: Event) -> bool:
    """Whether ``event``'s data fits its class, for a consumer of declared classes (a consumer
    of every event reads only the envelope)."""
    if consumer.all_events:
        return True
    try:
        event.payload  # noqa: B018 (validated here once, read by the handler)
    except ValidationError as error:
        # The erasure of a person turns every string naming them in the outbox into null: an
        # event of theirs published after it no longer fits its class, and is about no one.
        log.warning(
            "%s skips event %s (%s): its data does not fit its class (%d errors)",
            consumer.name,
            event.id,
            event.type,
            error.error_count(),
        )
        return False
    return True


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
            if _readable(consumer, event):
                consumer.handler(session, event)
    except IntegrityError:
        # Another worker recorded the same delivery first: it is handled.
        return False
    return True


MAX_ATTEMPTS = 5
"""Deliveries of one event to one consumer before the embedded bus gives up on that pair."""


class InProcessBus:
    """The embedded bus: publishing an event delivers it to every interested consumer now."""

    def __init__(
        self, db: Database, consumers: Sequence[Consumer], *, max_attempts: int = MAX_ATTEMPTS
    ) -> None:
        self.db = db
        self.consumers = list(consumers)
        self.max_attempts = max_attempts
        self._failures: dict[tuple[str, str], int] = {}

    def publish(self, events: Sequence[Event]) -> int:
        """Deliver each event in order; returns how many were fully handled.

        A handler that fails stops the batch there: that event stays unpublished and is
        delivered again on the next run (consumers that already handled it skip it). After
        ``max_attempts`` failures of one consumer on one event, the bus logs the event as
        dead for that consumer and goes on, so one poison event cannot stall every other.
        """
        handled = len(events)
        singles = [c for c in self.consumers if c.batch_handler is None]
        for position, event in enumerate(events):
            if any(c.wants(event.type) and not self._deliver(c, event) for c in singles):
                handled = position
                break
        for consumer in self.consumers:
            if consumer.batch_handler is not None and not self._deliver_batch(
                consumer, events[:handled]
            ):
                return 0
        return handled

    def _deliver_batch(self, consumer: Consumer, events: Sequence[Event]) -> bool:
        """True when the batch is handled (a failure: delivered again with the next run)."""
        try:
            for start in range(0, len(events), consumer.batch_size):
                deliver_batch(self.db, consumer, events[start : start + consumer.batch_size])
        except Exception:
            log.exception("consumer %s failed on a batch of %d events", consumer.name, len(events))
            return False
        return True

    def _deliver(self, consumer: Consumer, event: Event) -> bool:
        """True when the event is handled, or given up on, for this consumer."""
        key = (consumer.name, event.id)
        try:
            deliver(self.db, consumer, event)
        except Exception:
            failures = self._failures.get(key, 0) + 1
            if failures < self.max_attempts:
                self._failures[key] = failures
                log.exception("consumer %s failed on event %s", consumer.name, event.id)
                return False
            self._failures.pop(key, None)
            log.exception(
                "consumer %s failed %d times on event %s (%s); giving up on it",
                consumer.name,
                failures,
                event.id,
                event.type,
            )
            return True
        self._failures.pop(key, None)
        return True

    def close(self) -> None:
        return None
