"""Delivery: the providers that carry messages out (SMTP, Brevo, a signed webhook, the local
mailbox), when to try again, and what providers report back (ADR 0026)."""

from omnicanal.engagement.delivery.base import (
    DeliveryFailed,
    Outgoing,
    Provider,
    Receipt,
    unsubscribe_headers,
)
from omnicanal.engagement.delivery.providers import DeliveryMisconfigured, Providers

__all__ = [
    "DeliveryFailed",
    "DeliveryMisconfigured",
    "Outgoing",
    "Provider",
    "Providers",
    "Receipt",
    "unsubscribe_headers",
]
