"""What the engagement module runs beside the requests: the consumer ``engagement.journeys``
(facts, withdrawals and planning from the platform's events), the job that sends what is
due every few seconds, and the daily win-back scan."""

from __future__ import annotations

from functools import partial

from omnicanal.engagement.delivery.providers import Providers
from omnicanal.engagement.journeys import (
    JOURNEY_EVENTS,
    react,
    read_ahead,
    scan_win_back,
    send_due,
)
from omnicanal.platform.bus import Consumer
from omnicanal.platform.clock import utcnow
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.platform.jobs import Background, Job, Report

__all__ = [
    "MESSAGES",
    "SEND_BATCH",
    "WIN_BACK_EVERY_SECONDS",
    "background",
    "journeys_consumer",
]

MESSAGES = "engagement-messages"
"""The group of the engagement jobs: a lane of their own, so that a slow provider never
holds the reservations or the privacy sweeps up."""
WIN_BACK_EVERY_SECONDS = 24 * 3600.0
SEND_BATCH = 100


class _Sender:
    """The sending job: its providers are built from the settings at the first run (a
    misconfigured provider is then logged by the job, not a platform that cannot start)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._providers: Providers | None = None

    def __call__(self, db: Database, report: Report) -> int:
        if self._providers is None:
            self._providers = Providers.from_settings(self.settings)
        sent = send_due(
            db,
            now=utcnow(),
            providers=self._providers,
            settings=self.settings,
            limit=SEND_BATCH,
        )
        report("messages_sent", sent)
        return sent


def _win_back(db: Database, report: Report, *, region: str) -> int:
    with db.transaction() as session:
        planned = scan_win_back(session, now=utcnow(), region=region)
    report("win_backs_planned", planned)
    return planned


def journeys_consumer(*, region: str) -> Consumer:
    """The consumer that records facts, withdraws and plans messages from the platform's
    events (phone numbers in customer references read in ``region``)."""
    return Consumer(
        name="engagement.journeys",
        events=JOURNEY_EVENTS,
        handler=partial(react, region=region),
        read_ahead=partial(read_ahead, region=region),
    )


def background(settings: Settings) -> Background:
    """The engagement module's consumer and periodic jobs."""
    return Background(
        consumers=(journeys_consumer(region=settings.phone_region),),
        jobs=(
            Job(
                name="engagement.send_due",
                group=MESSAGES,
                # Every few seconds (``message_send_interval_seconds``): a reminder leaves
                # within seconds of its time.
                every_seconds=settings.message_send_interval_seconds,
                run=_Sender(settings),
            ),
            Job(
                name="engagement.win_back",
                group=MESSAGES,
                every_seconds=WIN_BACK_EVERY_SECONDS,
                run=partial(_win_back, region=settings.phone_region),
            ),
        ),
    )
