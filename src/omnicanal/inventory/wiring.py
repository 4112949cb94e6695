"""What the inventory module runs beside the requests: the release of expired reservations."""

from __future__ import annotations

from omnicanal.inventory.service import release_expired
from omnicanal.platform.actors import Actor
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.jobs import RESERVATION_RELEASE, Background, Job, Report

__all__ = ["background", "release_expired_reservations"]

SWEEPER = Actor(key_id=None, channel="system", name="sweeper")
BATCH = 1000
"""Reservations ``release_expired`` releases at most per call (one transaction)."""


def release_expired_reservations(db: Database, report: Report) -> int:
    """Release every reservation whose time is up, a batch per transaction; returns how many."""
    total = 0
    while True:
        with db.transaction() as session:
            released = release_expired(session, actor=SWEEPER, limit=BATCH)
        total += released
        if released < BATCH:
            report("reservations_released", total)
            return total


def background(settings: Settings) -> Background:
    """The inventory module's periodic jobs."""
    return Background(
        jobs=(
            Job(
                name="inventory.release_expired",
                group=RESERVATION_RELEASE,
                every_seconds=settings.sweep_interval_seconds,
                run=release_expired_reservations,
            ),
        )
    )
