"""The one place that builds the platform (database, bus, background jobs) and hands it down."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from omnicanal.platform.bus import Consumer, InProcessBus
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.relay import OutboxRelay, Publisher

log = logging.getLogger(__name__)


def all_consumers() -> list[Consumer]:
    """Every module's event consumers."""
    from omnicanal.analytics.service import CONSUMERS as analytics
    from omnicanal.customers.service.consumers import CONSUMERS as customers
    from omnicanal.customers.service.realtime import CONSUMERS as matching

    return [*analytics, *customers, *matching]


@dataclass
class Platform:
    """What every edge needs: settings, the database, and the background jobs."""

    settings: Settings
    db: Database
    consumers: list[Consumer]
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def embedded_bus(self) -> bool:
        return self.settings.bus_url.startswith("memory:")

    def publisher(self) -> Publisher:
        """The bus the relay publishes to, as configured."""
        if self.embedded_bus:
            return InProcessBus(self.db, self.consumers)
        from omnicanal.platform.nats import NatsPublisher

        return NatsPublisher(self.settings)

    def relay(self) -> OutboxRelay:
        return OutboxRelay(self.db, self.publisher(), batch_size=self.settings.relay_batch_size)

    def start_background(self, *, relay: bool, sweeper: bool = True) -> None:
        """Start the outbox relay and the reservation sweeper as daemon threads."""
        if relay:
            outbox = self.relay()
            self.db.on_events_committed(self._wake.set)
            self._spawn(
                "outbox-relay",
                lambda: outbox.run(
                    self._stop, self._wake, poll_seconds=self.settings.relay_poll_seconds
                ),
            )
        if sweeper:
            self._spawn("reservation-sweeper", self._sweep_forever)
            self._spawn("privacy-sweeper", lambda: self.run_privacy_jobs(self._stop))

    def _spawn(self, name: str, target) -> None:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def sweep_expired(self) -> int:
        """Release every expired reservation now; returns how many."""
        from omnicanal.inventory.service import release_expired
        from omnicanal.platform.actors import Actor

        sweeper = Actor(key_id=None, channel="system", name="sweeper")
        self.expire_fulfilments()
        total = 0
        while True:
            with self.db.transaction() as session:
                released = release_expired(session, actor=sweeper)
            total += released
            if released < 1000:
                return total

    def expire_fulfilments(self) -> int:
        """Expire reserve-and-try holds and uncollected pickups whose time is up."""
        from omnicanal.orders.service import expire_overdue

        total = 0
        while True:
            with self.db.transaction() as session:
                expired = expire_overdue(session, limit=500)
            total += expired
            if expired < 500:
                return total

    def erase_from_bus(self) -> int:
        """Carry out the pending erasures on the event stream; how many messages went.

        The embedded bus keeps nothing beyond the outbox (already redacted), so there the
        pending rows are simply done."""
        from omnicanal.platform.erasure import BusErasure, pending_bus_erasures

        with self.db.reading() as session:
            pending = pending_bus_erasures(session)
        if not pending:
            return 0
        deleted = 0
        if not self.embedded_bus:
            from omnicanal.platform.nats import scrub_stream

            selectors = sorted({value for row in pending for value in row.selectors})
            deleted = scrub_stream(self.settings, selectors)
        with self.db.transaction() as session:
            for row in pending:
                session.query(BusErasure).filter(BusErasure.id == row.id).delete()
        return deleted

    def enforce_retention(self, report=None) -> dict[str, int]:  # type: ignore[no-untyped-def]
        """Delete or anonymise every row past its retention period (see privacy.retention)."""
        from omnicanal.platform.clock import utcnow
        from omnicanal.privacy.retention import sweep

        return sweep(self.db, settings=self.settings, now=utcnow(), report=report)

    def run_privacy_jobs(self, stop: threading.Event) -> None:
        """Until ``stop``: erase from the bus what erasures ask (every sweep interval) and
        enforce the retention periods (every privacy sweep interval)."""
        last_retention = float("-inf")
        every = self.settings.privacy_sweep_interval_seconds
        while not stop.wait(self.settings.sweep_interval_seconds):
            try:
                self.erase_from_bus()
                if time.monotonic() - last_retention >= every:
                    last_retention = time.monotonic()
                    done = self.enforce_retention()
                    if any(done.values()):
                        log.info("retention: %s", done)
            except Exception:
                log.exception("privacy jobs failed; retrying")

    def _sweep_forever(self) -> None:
        while not self._stop.wait(self.settings.sweep_interval_seconds):
            try:
                self.sweep_expired()
            except Exception:
                log.exception("reservation sweep failed; retrying")

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.db.dispose()


def build_platform(settings: Settings | None = None) -> Platform:
    settings = settings or Settings()
    db = Database(settings.resolved_database_url(), pool_size=settings.pool_size)
    return Platform(settings=settings, db=db, consumers=all_consumers())
