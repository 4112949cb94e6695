"""The delivery log's attempts: one row each time a message is handed to a provider, taken
(``accepted``, with the provider's id for it, which its later reports name) or not
(``failed``, with why)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from omnicanal.engagement.delivery.base import DeliveryFailed, Outgoing, Receipt
from omnicanal.engagement.models import Delivery

__all__ = ["record_attempt"]


def record_attempt(
    session: Session,
    *,
    outgoing: Outgoing,
    provider: str,
    at: datetime,
    receipt: Receipt | None = None,
    failure: DeliveryFailed | None = None,
) -> Delivery:
    """Log one attempt to hand ``outgoing`` to ``provider``: its ``receipt`` when taken,
    else its ``failure``."""
    if (receipt is None) == (failure is None):
        raise ValueError("an attempt is either taken (receipt) or not (failure)")
    delivery = Delivery(
        message_id=outgoing.message_id,
        channel=outgoing.channel,
        provider=receipt.provider if receipt is not None else provider,
        recipient=outgoing.to[:320],
        outcome="accepted" if receipt is not None else "failed",
        detail=None
        if failure is None
        else f"{'retryable' if failure.retryable else 'final'}: {failure.detail}"[:500],
        provider_message_id=None if receipt is None else receipt.provider_message_id,
        attempted_at=at,
    )
    session.add(delivery)
    session.flush()
    return delivery
