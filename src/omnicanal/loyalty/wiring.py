"""What the loyalty module runs beside the requests: its reactions to the orders' and
returns' events, and the periodic jobs that release unused holds, confirm the points whose
return window closed, expire old points and keep tiers up to date."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from omnicanal.loyalty.service import (
    LOYALTY_EVENTS,
    confirm_due,
    expire_points,
    react,
    release_expired_holds,
    review_tiers,
)
from omnicanal.platform.bus import Consumer
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.jobs import Background, Job, Report

__all__ = ["LOYALTY_POINTS", "background", "ledger_consumer"]

LOYALTY_POINTS = "loyalty-points"
"""The group of the loyalty jobs, run in this order in one lane: a hold whose time is up
gives its points back before they may expire, and expiry passes before tiers are reviewed."""
BATCH = 500


def _in_batches(step: Callable[..., int], kind: str, db: Database, report: Report) -> int:
    """Run ``step`` (a use case taking ``limit``) a transaction at a time until it does
    less than a batch; how many things it did."""
    total = 0
    while True:
        with db.transaction() as session:
            done = step(session, limit=BATCH)
        total += done
        if done < BATCH:
            report(kind, total)
            return total


def ledger_consumer(*, region: str) -> Consumer:
    """The consumer that earns, captures and reverses points from the orders' and returns'
    events (phone numbers in customer references read in ``region``)."""
    return Consumer(
        name="loyalty.ledger", events=LOYALTY_EVENTS, handler=partial(react, region=region)
    )


def background(settings: Settings) -> Background:
    """The loyalty module's consumer and periodic jobs."""
    every = settings.sweep_interval_seconds
    jobs = (
        ("loyalty.release_holds", release_expired_holds, "holds_released"),
        ("loyalty.confirm_points", confirm_due, "earnings_confirmed"),
        ("loyalty.expire_points", expire_points, "points_expired"),
        ("loyalty.review_tiers", review_tiers, "tiers_reviewed"),
    )
    return Background(
        consumers=(ledger_consumer(region=settings.phone_region),),
        jobs=tuple(
            Job(
                name=name,
                group=LOYALTY_POINTS,
                every_seconds=every,
                run=partial(_in_batches, step, kind),
            )
            for name, step, kind in jobs
        ),
    )
