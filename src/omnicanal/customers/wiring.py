"""What the customers module runs beside the requests: domain events joining the profile
timeline, and the real-time matcher."""

from __future__ import annotations

from omnicanal.customers.service.consumers import timeline_consumer
from omnicanal.customers.service.realtime import (
    Matchers,
    MatchingQueue,
    estimate_weights_job,
    matching_consumer,
)
from omnicanal.platform.config import Settings
from omnicanal.platform.jobs import Background

__all__ = ["background"]


def background(settings: Settings) -> Background:
    """The customers module's event consumers, reading phone numbers in the configured
    region, and the real-time matcher: over JetStream a durable consumer of its own; on the
    embedded bus a queue the relay hands the records to, matched in a lane of its own. The
    matcher's weights are estimated again as the base grows, in that lane."""
    timeline = timeline_consumer(region=settings.phone_region)
    if not settings.bus_url.startswith("memory:"):
        return Background(consumers=(timeline, matching_consumer()), jobs=(estimate_weights_job(),))
    # The lane counts how common names are in a read session, never under the write lock.
    matchers = Matchers(counts_in_line=False)
    queue = MatchingQueue(matching_consumer(matchers), matchers=matchers)
    return Background(
        consumers=(timeline, queue.handoff()), jobs=(queue.job(), estimate_weights_job())
    )
