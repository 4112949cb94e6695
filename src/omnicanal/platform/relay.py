"""The outbox relay: publishes committed events to the bus, in commit order.

The relay reads a batch of unpublished events, hands it to the publisher, then marks the
accepted ones published. A crash between the publish and the mark re-publishes those
events on restart; the bus deduplicates them (JetStream's ``Nats-Msg-Id``) and consumers
remember what they handled, so each event takes effect once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select, update

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Database
from omnicanal.platform.events import Event, OutboxEvent

log = logging.getLogger(__name__)
_relayed = 0
_relayed_lock = threading.Lock()


def relayed_events() -> int:
    """How many events the relays of this process have published since it started."""
    return _relayed


def _count_relayed(count: int) -> None:
    global _relayed
    with _relayed_lock:
        _relayed += count


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

    def pending(self) -> list[OutboxEvent]:
        with self.db.reading() as session:
            return list(
                session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.published.is_(False))
                    .order_by(OutboxEvent.seq)
                    .limit(self.batch_size)
                )
            )

    def publish_once(self) -> int:
        """Publish one batch; returns how many events were published."""
        rows = self.pending()
        if not rows:
            return 0
        accepted = self.publisher.publish([row.to_event() for row in rows])
        with self.db.transaction() as session:
            if accepted:
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.seq.in_([row.seq for row in rows[:accepted]]))
                    .values(published=True, published_at=utcnow())
                )
            if accepted < len(rows):
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.seq == rows[accepted].seq)
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

    def run(self, stop: threading.Event, wake: threading.Event, *, poll_seconds: float) -> None:
        """Publish as events are committed (``wake``) and every ``poll_seconds`` anyway."""
        while not stop.is_set():
            wake.clear()
            try:
                self.drain()
            except Exception:
                log.exception("outbox relay failed; retrying")
                stop.wait(poll_seconds)
            wake.wait(poll_seconds)
