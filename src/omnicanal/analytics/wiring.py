"""What the analytics module runs beside the requests: the daily event counts."""

from __future__ import annotations

from omnicanal.analytics.service import CONSUMERS
from omnicanal.platform.config import Settings
from omnicanal.platform.jobs import Background

__all__ = ["background"]


def background(settings: Settings) -> Background:
    """The analytics module's event consumers."""
    return Background(consumers=CONSUMERS)
