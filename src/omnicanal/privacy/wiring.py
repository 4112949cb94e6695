"""What the privacy module runs beside the requests: erasures carried out on the event
stream, and the retention periods enforced."""

from __future__ import annotations

from omnicanal.platform.clock import utcnow
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.erasure import BusErasure, pending_bus_erasures
from omnicanal.platform.jobs import BUS_ERASURE, RETENTION, Background, Job, Report
from omnicanal.privacy.retention import sweep

__all__ = ["background", "enforce_retention", "erase_from_bus"]


def erase_from_bus(db: Database, report: Report, *, settings: Settings) -> int:
    """Carry out the pending erasures on the event stream; how many messages went.

    The embedded bus keeps nothing beyond the outbox (already redacted), so there the
    pending rows are simply done."""
    with db.reading() as session:
        pending = pending_bus_erasures(session)
    if not pending:
        return 0
    deleted = 0
    if not settings.bus_url.startswith("memory:"):
        from omnicanal.platform.nats import scrub_stream  # nats-py only where it is used

        selectors = sorted({value for row in pending for value in row.selectors})
        deleted = scrub_stream(settings, selectors)
    with db.transaction() as session:
        for row in pending:
            session.query(BusErasure).filter(BusErasure.id == row.id).delete()
    report("stream_messages", deleted)
    return deleted


def enforce_retention(db: Database, report: Report, *, settings: Settings) -> int:
    """Delete or anonymise every row past its retention period; how many rows in all."""
    return sum(sweep(db, settings=settings, now=utcnow(), report=report).values())


def background(settings: Settings) -> Background:
    """The privacy module's periodic jobs."""
    return Background(
        jobs=(
            Job(
                name="privacy.erase_from_bus",
                group=BUS_ERASURE,
                every_seconds=settings.sweep_interval_seconds,
                run=lambda db, report: erase_from_bus(db, report, settings=settings),
            ),
            Job(
                name="privacy.enforce_retention",
                group=RETENTION,
                every_seconds=settings.privacy_sweep_interval_seconds,
                run=lambda db, report: enforce_retention(db, report, settings=settings),
            ),
        )
    )
