"""The events of the webhooks module (``webhook.*``)."""

from __future__ import annotations

from datetime import datetime

from omnicanal.platform.events import DomainEvent

__all__ = ["WebhookEndpointDisabled"]


class WebhookEndpointDisabled(DomainEvent):
    """An endpoint stopped receiving events: head office disabled it, or omnicanal did when
    it kept failing (no 2xx answer for hours). Its pending deliveries went to the dead-letter
    list, to be replayed once it is enabled again."""

    type = "webhook.endpoint_disabled"
    example = {
        "endpoint_id": "01JQ7Z00000000000000WHEP01",
        "url": "https://erp.example.com/omnicanal/events",
        "reason": "failing",
        "failing_since": "2026-12-04T09:12:00Z",
        "failures": 38,
        "dead_lettered": 112,
    }

    endpoint_id: str
    url: str
    reason: str
    """``failing`` (disabled by omnicanal) or ``requested`` (by head office)."""
    failing_since: datetime | None
    """The first failed call since its last success, when it was failing."""
    failures: int
    """Calls failed in a row."""
    dead_lettered: int
    """Pending deliveries moved to the dead-letter list."""

    @property
    def subject(self) -> str:
        return f"webhooks/endpoints/{self.endpoint_id}"
