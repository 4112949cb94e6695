"""The platform every edge is handed: settings, the database, the event consumers and the
periodic jobs, as the composition root (``omnicanal.bootstrap``) collected them from the
modules. It knows no module: it runs what it was given."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from omnicanal.platform.bus import Consumer, InProcessBus
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.jobs import (
    BUS_ERASURE,
    FULFILMENT_EXPIRY,
    RESERVATION_RELEASE,
    RETENTION,
    Job,
    Report,
    ignore_report,
    run_lane,
)
from omnicanal.platform.relay import OutboxRelay, Publisher

__all__ = ["LANES", "Platform"]

LANES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("reservation-sweeper", (FULFILMENT_EXPIRY, RESERVATION_RELEASE)),
    ("privacy-sweeper", (BUS_ERASURE, RETENTION)),
)
"""The background threads and the job groups each runs, in this order: an expired hold ends
its fulfilment before its reservation is released, and a long retention sweep never holds
the reservations up. A group named nowhere here runs in a thread of its own."""


@dataclass
class Platform:
    """What every edge needs: settings, the database, and the background work."""

    settings: Settings
    db: Database
    consumers: list[Consumer]
    jobs: list[Job] = field(default_factory=list)
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
        from omnicanal.platform.nats import NatsPublisher  # nats-py only where it is used

        return NatsPublisher(self.settings)

    def relay(self) -> OutboxRelay:
        return OutboxRelay(self.db, self.publisher(), batch_size=self.settings.relay_batch_size)

    def lanes(self) -> list[tuple[str, list[Job]]]:
        """The background threads to run, by name, with the jobs each runs in order."""
        lanes: list[tuple[str, list[Job]]] = []
        placed: set[str] = set()
        for name, groups in LANES:
            placed.update(groups)
            jobs = self._jobs_of(*groups)
            if jobs:
                lanes.append((name, jobs))
        for group in dict.fromkeys(job.group for job in self.jobs if job.group not in placed):
            lanes.append((f"{group}-jobs", self._jobs_of(group)))
        return lanes

    def start_background(self, *, relay: bool, sweeper: bool = True) -> None:
        """Start the outbox relay and the periodic jobs (sweepers) as daemon threads."""
        if relay:
            outbox = self.relay()
            self.db.on_events_committed(self._wake.set)
            self._spawn(
                "outbox-relay",
                lambda: outbox.run(
                    self._stop,
                    self._wake,
                    poll_seconds=self.settings.relay_poll_seconds,
                    linger_seconds=self.settings.relay_linger_seconds,
                ),
            )
        if sweeper:
            self._threads += self.run_jobs(self._stop)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _jobs_of(self, *groups: str) -> list[Job]:
        return [job for group in groups for job in self.jobs if job.group == group]

    def run_group(self, group: str, *, report: Report = ignore_report) -> int:
        """Run every job of ``group`` once, in the order declared; how many things they did."""
        return sum(job.run(self.db, report) for job in self._jobs_of(group))

    def sweep_expired(self) -> int:
        """Release every expired reservation now; returns how many.

        Overdue fulfilments are expired first, as the background sweeper does."""
        self.expire_fulfilments()
        return self.run_group(RESERVATION_RELEASE)

    def expire_fulfilments(self) -> int:
        """Expire reserve-and-try holds and uncollected pickups whose time is up."""
        return self.run_group(FULFILMENT_EXPIRY)

    def erase_from_bus(self) -> int:
        """Carry out the pending erasures on the event stream; how many messages went."""
        return self.run_group(BUS_ERASURE)

    def enforce_retention(self, report: Report | None = None) -> dict[str, int]:
        """Delete or anonymise every row past its retention period; how many per kind."""
        done: dict[str, int] = {}

        def note(kind: str, count: int) -> None:
            done[kind] = done.get(kind, 0) + count
            if report is not None:
                report(kind, count)

        self.run_group(RETENTION, report=note)
        return done

    def run_privacy_jobs(self, stop: threading.Event) -> None:
        """Until ``stop``: erase from the bus what erasures ask and enforce the retention
        periods, each at its interval."""
        run_lane(self.db, self._jobs_of(BUS_ERASURE, RETENTION), stop)

    def run_jobs(self, stop: threading.Event) -> list[threading.Thread]:
        """Start every lane of periodic jobs in a daemon thread, until ``stop``; the threads."""
        threads = [
            threading.Thread(target=run_lane, args=(self.db, jobs, stop), name=name, daemon=True)
            for name, jobs in self.lanes()
        ]
        for thread in threads:
            thread.start()
        return threads

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.db.dispose()
