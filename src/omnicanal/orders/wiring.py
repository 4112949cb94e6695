"""What the orders module runs beside the requests: the expiry of overdue fulfilments."""

from __future__ import annotations

from omnicanal.orders.service import expire_overdue
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.jobs import FULFILMENT_EXPIRY, Background, Job, Report

__all__ = ["background", "expire_fulfilments"]

BATCH = 500


def expire_fulfilments(db: Database, report: Report) -> int:
    """Expire every reserve-and-try hold and uncollected pickup whose time is up, a batch per
    transaction; returns how many."""
    total = 0
    while True:
        with db.transaction() as session:
            expired = expire_overdue(session, limit=BATCH)
        total += expired
        if expired < BATCH:
            report("fulfilments_expired", total)
            return total


def background(settings: Settings) -> Background:
    """The orders module's periodic jobs."""
    return Background(
        jobs=(
            Job(
                name="orders.expire_fulfilments",
                group=FULFILMENT_EXPIRY,
                every_seconds=settings.sweep_interval_seconds,
                run=expire_fulfilments,
            ),
        )
    )
