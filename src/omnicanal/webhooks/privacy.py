"""The webhooks module's part of a person's rights: the events about them that were posted
to the retailer's systems (to whom, when) exported, and their payloads scrubbed.

An event kept for webhooks is a copy of an outbox event, so it is found and redacted the
way the outbox is (``platform.erasure``): an event that contains one of the person's
selectors (identifiers, order and cart ids) or is about one of their subjects has every
string naming them replaced by ``null``. A delivery still pending after the erasure sends
the scrubbed payload; what the endpoints received before is theirs to erase (the
``customer.erased`` event tells them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from omnicanal.platform.erasure import json_forms, redact
from omnicanal.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = ["erase_payloads", "export_deliveries"]


def _about(selectors: Sequence[str], subjects: Sequence[str]) -> Any:
    """The events that contain one of ``selectors`` or are about one of ``subjects``."""
    text = cast(WebhookEvent.envelope, String)
    contains = [
        text.contains(form, autoescape=True) for value in selectors for form in json_forms(value)
    ]
    return or_(*contains, WebhookEvent.subject.in_(list(subjects)))


def export_deliveries(
    session: Session, *, selectors: Sequence[str], subjects: Sequence[str]
) -> list[dict[str, Any]]:
    """Each event about the person sent to an endpoint: its type and time, where it went,
    and whether it was delivered (the recipients of their data, art. 15)."""
    if not selectors and not subjects:
        return []
    rows = session.execute(
        select(
            WebhookEvent.id,
            WebhookEvent.type,
            WebhookEvent.time,
            WebhookDelivery.id,
            WebhookEndpoint.url,
            WebhookDelivery.status,
            WebhookDelivery.delivered_at,
        )
        .join(WebhookDelivery, WebhookDelivery.event_id == WebhookEvent.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(_about(selectors, subjects))
        .order_by(WebhookEvent.time, WebhookDelivery.seq)
    )
    return [
        {
            "event_id": event_id,
            "event_type": event_type,
            "event_time": time,
            "delivery_id": delivery_id,
            "endpoint_url": url,
            "status": status,
            "delivered_at": delivered_at,
        }
        for event_id, event_type, time, delivery_id, url, status, delivered_at in rows
    ]


def erase_payloads(
    session: Session,
    *,
    selectors: Sequence[str],
    subjects: Sequence[str],
    personal: Sequence[str],
) -> int:
    """Redact the kept events about the person: every string holding one of the
    ``personal`` values becomes null; how many events changed."""
    if not selectors and not subjects:
        return 0
    values = list(personal)
    changed = 0
    for row in session.scalars(select(WebhookEvent).where(_about(selectors, subjects))):
        envelope = dict(row.envelope)
        data = redact(envelope.get("data"), values)
        actor = redact(envelope.get("actor"), values)
        if data != envelope.get("data") or actor != envelope.get("actor"):
            row.envelope = {**envelope, "data": data, "actor": actor}
            changed += 1
    session.flush()
    return changed
