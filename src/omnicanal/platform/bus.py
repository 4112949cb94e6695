"""Consumers and the in-process bus.

A consumer is a named handler for the event classes it declares (``events=(OrderPlaced,
CartCheckedOut)``), or for every event (``all_events=True``). The handler gets the envelope
and reads the typed payload with ``event.payload``: the bus hands a consumer of declared
classes only the events whose data fits their class (it logs and skips the others: an
erased person's events, their strings nulled). Each handled event leaves a
``processed_events`` row in the handler's transaction, so a repeat delivery (after a crash,
a redelivery from JetStream, a relay restart) is recognised and skipped.

A consumer takes the events of a relay batch (or of a JetStream fetch) in one transaction
(:func:`deliver_batch`): one multi-row INSERT of their ``processed_events`` rows, which
skips those already there and returns the new ones, then its handler called on each new
event. Should a handler raise, the batch is rolled back and run again with each event in a
savepoint of its own, so that the failing event is rolled back alone and the events before
it stay handled (ADR 0035).
A consumer whose work is cheaper in bulk (the real-time matcher: one read of the candidates
for many records) also gives a ``batch_handler``, called once with every event of the batch.
A consumer whose handler reads what its events name gives a ``read_ahead``, which reads it
for the whole batch first.

The process counts, per consumer, the events its deliveries handled and the time, CPU and
SQL statements they took (:func:`consumer_work`): ``/metrics`` shows them, and
``bench.relay`` prints them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, delete, text
from sqlalchemy.orm import Session

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Database, dialect_insert, statements_sent
from omnicanal.platform.events import DomainEvent, Event, ProcessedEvent
from omnicanal.platform.observability.tracing import consumer_span

log = logging.getLogger(__name__)

_PROCESSED = cast(Table, ProcessedEvent.__table__)
# On PostgreSQL the batch's event ids are one array parameter: the statement's text is the
# same whatever the batch's size, so psycopg parses it once (a multi-row VALUES of 500 events
# is 1,500 parameters in a long text that the driver parses again for every batch).
_RECORD_ARRAY = text(
    f"INSERT INTO {_PROCESSED.name} (consumer, event_id, handled_at) "
    "SELECT :consumer, event_id, :handled_at "
    "FROM unnest(CAST(:event_ids AS varchar[])) WITH ORDINALITY AS given(event_id, position) "
    "ORDER BY position ON CONFLICT DO NOTHING RETURNING event_id"
).bindparams(bindparam("handled_at", type_=_PROCESSED.c.handled_at.type))

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
    read_ahead: BatchHandler | None = None
    """Reads at once, before the handler sees a batch's events one by one, what it would read
    for each (kept in the transaction's memos, ``db.transaction_memo``). Only an
    optimisation: should it raise, the handler reads for itself."""
    batch_size: int = 500
    """Most events per transaction of this consumer (on SQLite, whose one write lock it holds
    meanwhile, the embedded bus takes fewer: as many as fit in ``BATCH_SECONDS``)."""
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


class HandlerFailed(Exception):
    """A consumer's handler raised on ``event``, the one at ``position`` in the batch: the
    events before it are handled and committed; it and those after it are not."""

    def __init__(self, consumer: Consumer, event: Event, position: int) -> None:
        super().__init__(f"consumer {consumer.name} failed on event {event.id} ({event.type})")
        self.event = event
        self.position = position


@dataclass(frozen=True)
class Work:
    """What one consumer's deliveries took in this process, since it started."""

    events: int = 0
    """Events handled (a redelivery skipped is not one)."""
    batches: int = 0
    seconds: float = 0.0
    """Time in the deliveries, waiting on the database included."""
    cpu_seconds: float = 0.0
    """CPU time of the delivering threads in them."""
    statements: int = 0
    """SQL statements they sent (``platform.db.statements_sent``)."""


_work: dict[str, Work] = {}
_work_lock = threading.Lock()


def consumer_work() -> dict[str, Work]:
    """Per consumer, what its deliveries took in this process since it started."""
    with _work_lock:
        return dict(_work)


def _note_work(
    name: str, handled: int, seconds: float, cpu_seconds: float, statements: int
) -> None:
    with _work_lock:
        was = _work.get(name, Work())
        _work[name] = Work(
            events=was.events + handled,
            batches=was.batches + 1,
            seconds=was.seconds + seconds,
            cpu_seconds=was.cpu_seconds + cpu_seconds,
            statements=was.statements + statements,
        )


def deliver_batch(db: Database, consumer: Consumer, events: Sequence[Event]) -> int:
    """Run ``consumer`` on the events of ``events`` it has not handled yet, in one
    transaction; returns how many it handled (counted in :func:`consumer_work`, with the
    time, CPU and SQL statements it took, whether it succeeded or not).
    """
    started, cpu, sent = time.perf_counter(), time.thread_time(), statements_sent()
    handled = 0
    try:
        handled = _deliver_batch(db, consumer, events)
        return handled
    finally:
        if any(consumer.wants(event.type) for event in events):
            _note_work(
                consumer.name,
                handled,
                time.perf_counter() - started,
                time.thread_time() - cpu,
                statements_sent() - sent,
            )


def _deliver_batch(db: Database, consumer: Consumer, events: Sequence[Event]) -> int:
    """:func:`deliver_batch`'s work.

    Its ``batch_handler``, when it has one, gets them all at once: should it raise, nothing
    is committed and the error propagates. Otherwise its handler gets each in turn: first
    all in the one transaction, then, should a handler raise, all again from the start,
    each in a savepoint of its own, so that the events before the failing one are committed
    and :class:`HandlerFailed` (caused by the handler's error) says which one it was. A
    handler that never raises thus costs no savepoint.
    """
    wanted: dict[str, Event] = {}
    for event in events:
        if consumer.wants(event.type):
            wanted.setdefault(event.id, event)
    if not wanted:
        return 0
    if consumer.batch_handler is None and len(wanted) > 1:
        try:
            return _deliver_together(db, consumer, wanted)
        except Exception as error:  # rolled back: again, event by event
            log.info(
                "consumer %s: a handler raised in a batch of %d events (%s); each in a "
                "savepoint now",
                consumer.name,
                len(wanted),
                type(error).__name__,
            )
    failed: tuple[Event, BaseException] | None = None
    with consumer_span(db, consumer.name, wanted.values()), db.transaction() as session:
        fresh = _record_new(session, consumer, wanted)
        if not fresh:
            return 0
        readable = [event for event in fresh if _readable(consumer, event)]
        if consumer.batch_handler is not None:
            if readable:
                consumer.batch_handler(session, readable)
            return len(fresh)
        _read_ahead(session, consumer, readable)
        for event in readable:
            try:
                with session.begin_nested():
                    consumer.handler(session, event)
            except Exception as error:
                failed = (event, error)
                break
            # The next handler starts from the database, as it would in a transaction of its
            # own: an object an earlier one loaded may be stale after a bulk UPDATE.
            session.expunge_all()
        if failed is not None:
            left = [e.id for e in fresh[fresh.index(failed[0]) :]]
            session.execute(
                delete(ProcessedEvent).where(
                    ProcessedEvent.consumer == consumer.name, ProcessedEvent.event_id.in_(left)
                )
            )
    if failed is not None:
        failing, cause = failed
        position = next(k for k, e in enumerate(events) if e.id == failing.id)
        raise HandlerFailed(consumer, failing, position) from cause
    return len(fresh)


def _deliver_together(db: Database, consumer: Consumer, wanted: dict[str, Event]) -> int:
    """Run ``consumer``'s handler on each new event of ``wanted`` in one transaction, with no
    savepoint: should one raise, the error propagates and nothing is committed."""
    with consumer_span(db, consumer.name, wanted.values()), db.transaction() as session:
        fresh = _record_new(session, consumer, wanted)
        readable = [event for event in fresh if _readable(consumer, event)]
        _read_ahead(session, consumer, readable)
        for event in readable:
            consumer.handler(session, event)
            # What the handler added goes to the database (as a savepoint's end would flush
            # it), then the next one starts afresh (see deliver_batch).
            session.flush()
            session.expunge_all()
        return len(fresh)


def _read_ahead(session: Session, consumer: Consumer, events: Sequence[Event]) -> None:
    """Run ``consumer``'s read-ahead on a batch of more than one event, in a savepoint: an
    error there is logged, and the handlers read for themselves what it did not keep."""
    if consumer.read_ahead is None or len(events) < 2:
        return
    try:
        with session.begin_nested():
            consumer.read_ahead(session, events)
    except Exception:
        log.warning(
            "consumer %s: its read-ahead failed; the handlers read for themselves",
            consumer.name,
            exc_info=True,
        )


def _record_new(session: Session, consumer: Consumer, wanted: dict[str, Event]) -> list[Event]:
    """Remember that ``consumer`` handles the events of ``wanted`` in this transaction; the
    new ones, in their order.

    One statement remembers the batch and says which events are new: those handled already
    (a redelivery) are skipped, and a second worker delivering the same events waits here
    for this transaction, then skips them, rather than running the handlers alongside.
    """
    handled_at = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        recorded = session.execute(
            _RECORD_ARRAY,
            {"consumer": consumer.name, "event_ids": list(wanted), "handled_at": handled_at},
        )
        new = set(recorded.scalars())
    else:
        # Executed with the rows as parameters (SQLAlchemy batches them into multi-row
        # INSERTs): the statement compiles once per process, not once per batch size.
        new = set(
            session.scalars(
                dialect_insert(session)(_PROCESSED)
                .on_conflict_do_nothing()
                .returning(_PROCESSED.c.event_id),
                [
                    {"consumer": consumer.name, "event_id": event_id, "handled_at": handled_at}
                    for event_id in wanted
                ],
            )
        )
    return [event for event_id, event in wanted.items() if event_id in new]


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
    with consumer_span(db, consumer.name, (event,)), db.transaction() as session:
        # The delivery's row first, skipped if it exists: a worker that recorded the same
        # delivery first has handled it (or holds it until its transaction ends). Only that
        # conflict means "handled": an integrity error of the handler's own writes is a
        # failure, retried like any other.
        recorded = session.scalar(
            dialect_insert(session)(_PROCESSED)
            .values(consumer=consumer.name, event_id=event.id, handled_at=utcnow())
            .on_conflict_do_nothing()
            .returning(_PROCESSED.c.event_id)
        )
        if recorded is None:
            return False
        if _readable(consumer, event):
            consumer.handler(session, event)
    return True


BATCH_SECONDS = 0.2
"""On SQLite, about the longest the embedded bus holds the write lock for one batch of one
consumer: the next batch is sized to fit (ADR 0035)."""
FIRST_BATCH = 50
"""The size of a consumer's first batch, before its pace is known."""
MAX_ATTEMPTS = 5
"""Deliveries of one event to one consumer before the embedded bus gives up on that pair."""


class InProcessBus:
    """The embedded bus: publishing events delivers them to every interested consumer now."""

    def __init__(
        self, db: Database, consumers: Sequence[Consumer], *, max_attempts: int = MAX_ATTEMPTS
    ) -> None:
        self.db = db
        # In their declared order: a consumer sees what those before it made of the events.
        self.consumers = list(consumers)
        self.max_attempts = max_attempts
        self._failures: dict[tuple[str, str], int] = {}
        self._sizes: dict[str, int] = {}

    def publish(self, events: Sequence[Event]) -> int:
        """Deliver the events to each consumer in turn, a batch per transaction; returns how
        many (a prefix) were fully handled.

        A handler that fails stops its consumer there, and the consumers after it get the
        events before that one only: it stays unpublished and is delivered again on the next
        run (consumers that already handled it skip it). After ``max_attempts`` failures of
        one consumer on one event, the bus logs the event as dead for that consumer and goes
        on, so one poison event cannot stall every other.
        """
        handled = len(events)
        for consumer in self.consumers:
            handled = self._deliver_all(consumer, events[:handled])
        return handled

    def _deliver_all(self, consumer: Consumer, events: Sequence[Event]) -> int:
        """How many of ``events`` (a prefix) ``consumer`` has handled, or given up on."""
        position = 0
        while position < len(events):
            size = self._sizes.get(consumer.name, min(consumer.batch_size, FIRST_BATCH))
            batch = events[position : position + size]
            started = time.monotonic()
            try:
                deliver_batch(self.db, consumer, batch)
                self._resize(consumer, len(batch), time.monotonic() - started)
            except HandlerFailed as failure:
                position += failure.position
                if not self._gives_up(consumer, failure.event, failure.__cause__):
                    return position
                position += 1
                continue
            except Exception as error:
                # Nothing committed (a batch handler raised): each event on its own, as the
                # worker does.
                log.warning(
                    "consumer %s failed on a batch of %d events (%s: %s); one by one",
                    consumer.name,
                    len(batch),
                    type(error).__name__,
                    error,
                )
                for offset, event in enumerate(batch):
                    if consumer.wants(event.type) and not self._deliver(consumer, event):
                        return position + offset
            if self._failures:
                for event in batch:
                    self._failures.pop((consumer.name, event.id), None)
            position += len(batch)
        return position

    def _resize(self, consumer: Consumer, size: int, seconds: float) -> None:
        """Size ``consumer``'s next batch: its ``batch_size``, or on SQLite, whose one write
        lock a batch holds, as many events as fit in ``BATCH_SECONDS`` at this batch's pace
        (the requests of this process wait for the lock meanwhile)."""
        fitting = consumer.batch_size
        if self.db.is_sqlite and seconds > 0:
            fitting = int(size * BATCH_SECONDS / seconds)
        self._sizes[consumer.name] = max(1, min(consumer.batch_size, fitting))

    def _deliver(self, consumer: Consumer, event: Event) -> bool:
        """True when the event is handled, or given up on, for this consumer."""
        try:
            deliver(self.db, consumer, event)
        except Exception as error:
            return self._gives_up(consumer, event, error)
        self._failures.pop((consumer.name, event.id), None)
        return True

    def _gives_up(self, consumer: Consumer, event: Event, error: BaseException | None) -> bool:
        """Count a failure of ``consumer`` on ``event``; True once it has failed too often."""
        key = (consumer.name, event.id)
        failures = self._failures.get(key, 0) + 1
        if failures < self.max_attempts:
            self._failures[key] = failures
            log.error(
                "consumer %s failed on event %s (%s)",
                consumer.name,
                event.id,
                event.type,
                exc_info=error,
            )
            return False
        self._failures.pop(key, None)
        log.error(
            "consumer %s failed %d times on event %s (%s); giving up on it",
            consumer.name,
            failures,
            event.id,
            event.type,
            exc_info=error,
        )
        return True

    def close(self) -> None:
        return None
