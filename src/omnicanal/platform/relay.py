"""The outbox relay: publishes committed events to the bus, in commit order.

The relay reads a batch of unpublished events, hands it to the publisher, then marks the
accepted ones published. A crash between the publish and the mark re-publishes those
events on restart; the bus deduplicates them (JetStream's ``Nats-Msg-Id``) and consumers
remember what they handled, so each event takes effect once.

It runs as soon as events are committed: in its own process it is woken by the commit
(``Database.on_events_committed``); on PostgreSQL it also LISTENs on ``omnicanal_outbox``,
which every transaction that wrote events NOTIFYs as it commits, so a relay in another
process (the worker, another API process) wakes too. It polls anyway, every
``poll_seconds``, should a notification be missed (a lost connection).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import BigInteger, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import OUTBOX_CHANNEL, Database
from omnicanal.platform.events import Event, OutboxEvent

log = logging.getLogger(__name__)
RATE_WINDOW_SECONDS = 60.0
"""The span over which :func:`relay_rate` averages."""
LISTEN_SECONDS = 0.25
"""The longest the listener waits for a notification before it looks at ``stop`` again."""
_MARK_PUBLISHED = (
    update(OutboxEvent)
    .where(OutboxEvent.seq == any_(bindparam("seqs", type_=ARRAY(BigInteger))))
    .values(published=True, published_at=bindparam("at", type_=OutboxEvent.published_at.type))
    .execution_options(synchronize_session=False)
)
"""On PostgreSQL: the events of a batch (``seqs``) published at ``at``."""
_PENDING = (
    select(
        OutboxEvent.seq,
        OutboxEvent.id,
        OutboxEvent.type,
        OutboxEvent.source,
        OutboxEvent.subject,
        OutboxEvent.time,
        OutboxEvent.data,
        OutboxEvent.actor,
        OutboxEvent.traceparent,
    )
    .where(OutboxEvent.published.is_(False))
    .order_by(OutboxEvent.seq)
    .limit(bindparam("size"))
)
"""The next unpublished events, oldest first, as plain rows (no ORM objects to build and
track: the relay only reads them)."""
_relayed = 0
_recent: deque[tuple[float, int]] = deque()
_relayed_lock = threading.Lock()


@dataclass(frozen=True)
class Backlog:
    """The events written and not yet published, and when the oldest of them happened."""

    events: int
    oldest_at: datetime | None


def outbox_backlog(session: Session) -> Backlog:
    """How many events wait in the outbox, and the time of the oldest (None: none waits)."""
    unpublished = OutboxEvent.published.is_(False)
    events = session.scalar(select(func.count()).select_from(OutboxEvent).where(unpublished))
    # The unpublished index (published, seq) finds the oldest without a scan.
    oldest = session.scalar(
        select(OutboxEvent.time).where(unpublished).order_by(OutboxEvent.seq).limit(1)
    )
    return Backlog(events=int(events or 0), oldest_at=oldest)


def relayed_events() -> int:
    """How many events the relays of this process have published since it started."""
    return _relayed


def relay_rate() -> float:
    """Events per second the relays of this process published over the last minute."""
    with _relayed_lock:
        _forget_old(time.monotonic())
        return sum(count for _, count in _recent) / RATE_WINDOW_SECONDS


def _forget_old(now: float) -> None:
    while _recent and _recent[0][0] < now - RATE_WINDOW_SECONDS:
        _recent.popleft()


def _count_relayed(count: int) -> None:
    global _relayed
    if not count:
        return
    now = time.monotonic()
    with _relayed_lock:
        _relayed += count
        _recent.append((now, count))
        _forget_old(now)


class Publisher(Protocol):
    def publish(self, events: Sequence[Event]) -> int:
        """Publish ``events`` in order; return how many of them (a prefix) were accepted."""
        ...

    def close(self) -> None: ...


class OutboxRelay:
    """Moves events from the outbox to a publisher."""

    def __init__(self, db: Database, publisher: Publisher, *, batch_size: int = 500) -> None:
        self.db = db
        self.publisher = publisher
        self.batch_size = batch_size

    def pending(self) -> list[tuple[int, Event]]:
        """The next batch of unpublished events, with their sequence numbers, in order."""
        with self.db.reading() as session:
            return [
                (
                    seq,
                    Event(
                        id=id_,
                        type=type_,
                        source=source,
                        subject=subject,
                        time=at,
                        data=data,
                        actor=actor,
                        traceparent=traceparent,
                    ),
                )
                for seq, id_, type_, source, subject, at, data, actor, traceparent in (
                    session.execute(_PENDING, {"size": self.batch_size})
                )
            ]

    def publish_once(self) -> int:
        """Publish one batch; returns how many events were published."""
        rows = self.pending()
        if not rows:
            return 0
        accepted = self.publisher.publish([event for _, event in rows])
        with self.db.transaction() as session:
            if accepted:
                seqs = [seq for seq, _ in rows[:accepted]]
                if self.db.dialect == "postgresql":
                    # One array parameter: the same statement text whatever the batch's size,
                    # which psycopg parses once (an IN of 500 values it parses every time).
                    session.execute(_MARK_PUBLISHED, {"seqs": seqs, "at": utcnow()})
                else:
                    session.execute(
                        update(OutboxEvent)
                        .where(OutboxEvent.seq.in_(seqs))
                        .values(published=True, published_at=utcnow())
                    )
            if accepted < len(rows):
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.seq == rows[accepted][0])
                    .values(attempts=OutboxEvent.attempts + 1)
                )
        # Counted once marked: a crash before the mark publishes them again, and counts then.
        _count_relayed(accepted)
        return accepted

    def drain(self) -> int:
        """Publish until the outbox is empty or the publisher stops accepting."""
        total = 0
        while True:
            batch = self.publish_once()
            total += batch
            if batch < self.batch_size:
                return total

    def run(
        self,
        stop: threading.Event,
        wake: threading.Event,
        *,
        poll_seconds: float,
        linger_seconds: float = 0.0,
    ) -> None:
        """Publish as events are committed (``wake``, and on PostgreSQL a notification from
        any process) and every ``poll_seconds`` anyway.

        Woken, it waits ``linger_seconds`` before it reads: under a steady flow of small
        transactions (a reservation, an identify) the events of the commits that follow
        join the batch, and each consumer pays its transaction once for all of them instead
        of once per commit."""
        listener = None
        if self.db.dialect == "postgresql":
            listener = threading.Thread(
                target=listen_for_events,
                args=(self.db, wake, stop),
                kwargs={"poll_seconds": poll_seconds},
                name="outbox-listener",
                daemon=True,
            )
            listener.start()
        while not stop.is_set():
            wake.clear()
            try:
                self.drain()
            except Exception:
                log.exception("outbox relay failed; retrying")
                stop.wait(poll_seconds)
            if wake.wait(poll_seconds) and linger_seconds:
                stop.wait(linger_seconds)
        if listener is not None:
            listener.join(timeout=poll_seconds + 5)


def listen_for_events(
    db: Database, wake: threading.Event, stop: threading.Event, *, poll_seconds: float
) -> None:
    """Until ``stop``: LISTEN on PostgreSQL for the commits that wrote events, and set
    ``wake`` at each (and once connected, for those committed before); reconnect after a
    failure, ``poll_seconds`` later."""
    import psycopg  # the PostgreSQL driver, there when the database is PostgreSQL

    url = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
                connection.execute(f"LISTEN {OUTBOX_CHANNEL}")
                wake.set()
                while not stop.is_set():
                    # A short wait: ``stop`` is seen within it.
                    for _ in connection.notifies(timeout=min(poll_seconds, LISTEN_SECONDS)):
                        wake.set()
        except psycopg.Error as error:
            log.warning("cannot LISTEN for outbox events (%s); polling meanwhile", error)
            stop.wait(poll_seconds)
