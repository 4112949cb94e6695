"""The consumer ``webhooks.deliveries``: every event the platform publishes becomes one
delivery per active endpoint that follows its type, in the transaction that marks the event
handled (so an event redelivered by the bus makes no second delivery).

The event is kept once, as the CloudEvents envelope its endpoints are sent, however many
endpoints follow it; the deliveries are sent later by the job (``webhooks.sending``). The
consumer takes the events of a relay batch at once (one transaction for them all): with no
endpoint, it costs the platform one query per batch.

A ``segment`` endpoint gets a delivery only for an event that becomes a Segment message (an
``order.placed`` still unpaid does not: ``webhooks.segment``), so that its dead-letter list
and counts hold only what was, or will be, sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.platform.bus import Consumer
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import Event
from omnicanal.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from omnicanal.webhooks.rules import matches
from omnicanal.webhooks.segment import SEGMENT, track_name

__all__ = ["CONSUMER", "deliveries_consumer", "record_deliveries"]

CONSUMER = "webhooks.deliveries"


def record_deliveries(session: Session, events: Sequence[Event]) -> int:
    """Make the deliveries of ``events``, in their order: one per active endpoint following
    an event's type that has none for it yet; how many were made."""
    endpoints = list(
        session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.event_types, WebhookEndpoint.format)
            .where(WebhookEndpoint.active.is_(True))
            .order_by(WebhookEndpoint.id)
        )
    )

    def follows(types: list[str], kind: str, event: Event) -> bool:
        if not matches(types, event.type):
            return False
        return kind != SEGMENT or track_name(event.type, event.data) is not None

    followed = [
        (
            event,
            [endpoint_id for endpoint_id, types, kind in endpoints if follows(types, kind, event)],
        )
        for event in events
    ]
    followed = [(event, followers) for event, followers in followed if followers]
    if not followed:
        return 0
    ids = [event.id for event, _ in followed]
    kept = set(session.scalars(select(WebhookEvent.id).where(WebhookEvent.id.in_(ids))))
    served = {
        (event_id, endpoint_id)
        for event_id, endpoint_id in session.execute(
            select(WebhookDelivery.event_id, WebhookDelivery.endpoint_id).where(
                WebhookDelivery.event_id.in_(ids)
            )
        )
    }
    fresh = {event.id: event for event, _ in followed if event.id not in kept}
    session.add_all(
        WebhookEvent(
            id=event.id,
            type=event.type,
            subject=event.subject,
            time=event.time,
            envelope=event.to_cloudevent(),
        )
        for event in fresh.values()
    )
    session.flush()  # before the deliveries that name them
    now = utcnow()
    made = 0
    for event, followers in followed:
        for endpoint_id in followers:
            if (event.id, endpoint_id) in served:
                continue
            # One at a time: ``seq`` is the order the events came in.
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint_id,
                    event_id=event.id,
                    event_type=event.type,
                    subject=event.subject,
                    status="pending",
                    due_at=now,
                    started_at=now,
                    created_at=now,
                )
            )
            made += 1
    session.flush()
    return made


def _handle(session: Session, event: Event) -> None:
    record_deliveries(session, [event])


def _handle_batch(session: Session, events: Sequence[Event]) -> None:
    record_deliveries(session, events)


def deliveries_consumer() -> Consumer:
    """The consumer of every event that makes the webhooks' deliveries."""
    return Consumer(name=CONSUMER, all_events=True, handler=_handle, batch_handler=_handle_batch)
