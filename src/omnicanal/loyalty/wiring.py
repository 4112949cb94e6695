"""What the loyalty module runs beside the requests: its reactions to the orders' and
returns' events, and the periodic jobs that release unused holds, confirm the points whose
return window closed, expire old points and keep tiers up to date; the reward rules run for
each member once a day, and a reward is marked used when its coupon is redeemed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from omnicanal.loyalty.service import (
    LOYALTY_EVENTS,
    confirm_due,
    expire_points,
    react,
    read_ahead,
    release_expired_holds,
    review_tiers,
)
from omnicanal.loyalty.service.rewards import issue_due_rewards, note_coupon_used
from omnicanal.platform.bus import Consumer
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.jobs import Background, Job, Report
from omnicanal.pricing.events import CouponRedeemed

__all__ = ["LOYALTY_POINTS", "LOYALTY_REWARDS", "background", "ledger_consumer"]

LOYALTY_POINTS = "loyalty-points"
"""The group of the loyalty jobs, run in this order in one lane: a hold whose time is up
gives its points back before they may expire, and expiry passes before tiers are reviewed."""
LOYALTY_REWARDS = "loyalty-rewards"
"""The group of the reward rules' job: a lane of its own, as it reads every member's
purchases."""
BATCH = 500
REWARD_BATCH = 50
"""Members whose rewards are looked at in one transaction (SQLite's writers wait for it)."""


def _in_batches(
    step: Callable[..., int], kind: str, db: Database, report: Report, *, batch: int = BATCH
) -> int:
    """Run ``step`` (a use case taking ``limit``) a transaction at a time until it does
    less than a batch; how many things it did."""
    total = 0
    while True:
        with db.transaction() as session:
            done = step(session, limit=batch)
        total += done
        if done < batch:
            report(kind, total)
            return total


def ledger_consumer(*, region: str) -> Consumer:
    """The consumer that earns, captures and reverses points from the orders' and returns'
    events (phone numbers in customer references read in ``region``)."""
    return Consumer(
        name="loyalty.ledger",
        events=LOYALTY_EVENTS,
        handler=partial(react, region=region),
        read_ahead=partial(read_ahead, region=region),
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
    rewards = Job(
        name="loyalty.issue_rewards",
        group=LOYALTY_REWARDS,
        every_seconds=every,
        run=partial(_in_batches, issue_due_rewards, "members_rewarded", batch=REWARD_BATCH),
    )
    return Background(
        consumers=(
            ledger_consumer(region=settings.phone_region),
            Consumer(name="loyalty.rewards", events=(CouponRedeemed,), handler=note_coupon_used),
        ),
        jobs=(
            *(
                Job(
                    name=name,
                    group=LOYALTY_POINTS,
                    every_seconds=every,
                    run=partial(_in_batches, step, kind),
                )
                for name, step, kind in jobs
            ),
            rewards,
        ),
    )
