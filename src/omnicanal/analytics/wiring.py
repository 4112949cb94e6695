"""What the analytics module runs beside the requests."""

from __future__ import annotations

from omnicanal.analytics.facts import kpi_consumer
from omnicanal.analytics.service import CONSUMERS
from omnicanal.platform.config import Settings
from omnicanal.platform.jobs import Background

__all__ = ["background"]


def background(settings: Settings) -> Background:
    """The analytics module's event consumers: the daily event counts, and the KPI facts
    kept in the business's time zone and currency."""
    return Background(consumers=(*CONSUMERS, kpi_consumer(settings)))
