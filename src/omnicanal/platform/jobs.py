"""Periodic background jobs, and what a module declares it runs beside the requests.

A module with background behaviour declares it once, as a :class:`Background`: the event
consumers it subscribes and the jobs it wants run every so often. The composition root
(``omnicanal.bootstrap``) collects every module's declaration into the platform; the platform
runs the jobs by group (``Platform.sweep_expired`` runs the fulfilment expiry, then the
reservation release) and, in the background, each lane of groups in a thread of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from omnicanal.platform.bus import Consumer
from omnicanal.platform.db import Database

__all__ = [
    "BUS_ERASURE",
    "FULFILMENT_EXPIRY",
    "RESERVATION_RELEASE",
    "RETENTION",
    "Background",
    "Job",
    "Report",
    "ignore_report",
    "run_lane",
]

log = logging.getLogger(__name__)

Report = Callable[[str, int], None]
"""Told, as a job goes, how many things of a kind it has done (``"reservations_released", 3``)."""

FULFILMENT_EXPIRY = "fulfilment-expiry"
"""Holds and uncollected pickups whose time is up are expired."""
RESERVATION_RELEASE = "reservation-release"
"""Reservations whose time is up give their stock back."""
BUS_ERASURE = "bus-erasure"
"""The erasures asked for are carried out on the event stream."""
RETENTION = "retention"
"""Rows past their retention period are deleted or anonymised."""


@dataclass(frozen=True)
class Job:
    """A piece of work to run every ``every_seconds``: ``run`` does it once, on the database,
    and returns how many things it did."""

    name: str
    group: str
    every_seconds: float
    run: Callable[[Database, Report], int]


@dataclass(frozen=True)
class Background:
    """What a module runs beside the requests: its event consumers and its periodic jobs."""

    consumers: Sequence[Consumer] = ()
    jobs: Sequence[Job] = ()


def ignore_report(kind: str, count: int) -> None:
    """A report nobody reads."""


def run_lane(db: Database, jobs: Sequence[Job], stop: threading.Event) -> None:
    """Until ``stop`` is set, wake every shortest interval of ``jobs`` and run, in order, each
    job whose interval has passed since it last started (every job at the first wake-up).

    A job that fails is logged and the wake-up ends there: the jobs after it wait for the
    next one, so their order holds."""
    if not jobs:
        stop.wait()
        return
    tick = min(job.every_seconds for job in jobs)
    started: dict[int, float] = {}
    while not stop.wait(tick):
        for position, job in enumerate(jobs):
            now = time.monotonic()
            # Due at the wake-up nearest its interval: a wake-up is never exactly on time.
            if now - started.get(position, float("-inf")) < job.every_seconds - tick / 2:
                continue
            started[position] = now
            done: dict[str, int] = {}
            try:
                job.run(db, partial(_add, done))
            except Exception:
                log.exception("%s failed; retrying", job.name)
                break
            if any(done.values()):
                log.info("%s: %s", job.name, {kind: n for kind, n in done.items() if n})


def _add(counts: dict[str, int], kind: str, count: int) -> None:
    counts[kind] = counts.get(kind, 0) + count
