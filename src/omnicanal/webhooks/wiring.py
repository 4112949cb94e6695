"""What the webhooks module runs beside the requests: the consumer ``webhooks.deliveries``
(a delivery per following endpoint for every event), the job that sends what is due every
few seconds, and the daily deletion of old deliveries."""

from __future__ import annotations

from datetime import timedelta

from omnicanal.platform.clock import utcnow
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.jobs import RETENTION, Background, Job, Report
from omnicanal.webhooks.recording import deliveries_consumer
from omnicanal.webhooks.sending import SendOptions, purge_old, send_due

__all__ = ["PURGE_EVERY_SECONDS", "WEBHOOKS", "background"]

WEBHOOKS = "webhooks"
"""The group of the sending job: a lane of its own, so that a slow endpoint never holds the
reservations, the messages or the privacy sweeps up."""
PURGE_EVERY_SECONDS = 24 * 3600.0


class _Sender:
    def __init__(self, settings: Settings) -> None:
        self.options = SendOptions.of(settings)

    def __call__(self, db: Database, report: Report) -> int:
        done = send_due(db, now=utcnow(), options=self.options)
        report("webhooks_delivered", done.delivered)
        report("webhook_attempts_failed", done.failed)
        report("webhooks_dead_lettered", done.dead)
        report("webhook_endpoints_disabled", done.disabled)
        return done.delivered


class _Purge:
    def __init__(self, settings: Settings) -> None:
        self.keep = timedelta(days=settings.webhook_retention_days)

    def __call__(self, db: Database, report: Report) -> int:
        gone = purge_old(db, now=utcnow(), keep=self.keep)
        report("webhook_deliveries_deleted", gone)
        return gone


def background(settings: Settings) -> Background:
    """The webhooks module's consumer and periodic jobs."""
    return Background(
        consumers=(deliveries_consumer(),),
        jobs=(
            Job(
                name="webhooks.send_due",
                group=WEBHOOKS,
                every_seconds=settings.webhook_send_interval_seconds,
                run=_Sender(settings),
            ),
            Job(
                name="webhooks.purge",
                group=RETENTION,
                every_seconds=PURGE_EVERY_SECONDS,
                run=_Purge(settings),
            ),
        ),
    )
