"""What the customers module runs beside the requests: domain events joining the profile
timeline, and the real-time matcher."""

from __future__ import annotations

from omnicanal.customers.service.consumers import timeline_consumer
from omnicanal.customers.service.realtime import matching_consumer
from omnicanal.platform.config import Settings
from omnicanal.platform.jobs import Background

__all__ = ["background"]


def background(settings: Settings) -> Background:
    """The customers module's event consumers, reading phone numbers in the configured
    region."""
    return Background(
        consumers=(timeline_consumer(region=settings.phone_region), matching_consumer())
    )
