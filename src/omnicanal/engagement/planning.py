"""Planning a message: one trigger, one person, one subject, one occasion.

A message is planned once: its ``dedupe_key`` (trigger, subject, person, and the occasion
for the kinds that repeat) is unique, so an event delivered twice, or two events meaning
the same thing, plan nothing more. The trigger's segment is checked when the message is
planned; the policy is asked at once (stage ``schedule``): a message whose reason is already
gone is withdrawn there, any other answer is recorded and the message waits for its time,
when the policy is asked again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicanal.engagement import segments
from omnicanal.engagement.deciding import (
    PENDING,
    SYSTEM,
    ask,
    end,
    event_fields,
    note,
    note_planned,
)
from omnicanal.engagement.errors import UnknownSegment
from omnicanal.engagement.events import MessageScheduled
from omnicanal.engagement.models import Message
from omnicanal.engagement.policy import Outcome
from omnicanal.engagement.recipients import language_of
from omnicanal.engagement.triggers import TriggerRef
from omnicanal.platform.clock import as_utc
from omnicanal.platform.events import record_event

__all__ = ["pending_message", "plan", "planned"]

log = logging.getLogger(__name__)


STALE_AFTER: dict[str, timedelta] = {
    "pickup_ready": timedelta(days=1),
    "reservation_expiring": timedelta(hours=6),
    "back_in_stock": timedelta(days=1),
    "order_shipped": timedelta(days=1),
    "order_delayed": timedelta(days=1),
    "return_received": timedelta(days=1),
    "return_refunded": timedelta(days=1),
    "abandoned_cart": timedelta(days=2),
    "review_request": timedelta(days=3),
    "win_back": timedelta(days=7),
}
"""How late past its due time a message may still be planned, by kind."""
DEFAULT_STALE_AFTER = timedelta(days=1)


def planned(session: Session, dedupe_key: str) -> Message | None:
    """The message already planned under ``dedupe_key``, if any."""
    return session.scalar(select(Message).where(Message.dedupe_key == dedupe_key))


def pending_message(
    session: Session, *, trigger_code: str, subject: str, profile_id: str
) -> Message | None:
    """A message of the trigger about ``subject`` for the person still to be sent."""
    return session.scalar(
        select(Message)
        .where(
            Message.trigger_code == trigger_code,
            Message.subject == subject,
            Message.profile_id == profile_id,
            Message.status.in_(PENDING),
        )
        .limit(1)
    )


def _in_segment(session: Session, trigger: TriggerRef, profile_id: str, *, now: datetime) -> bool:
    """Whether the person is in the trigger's segment; a segment removed since the trigger
    named it holds nobody (the events keep flowing, the trigger plans nothing)."""
    assert trigger.segment_code is not None
    try:
        return segments.is_member(session, trigger.segment_code, profile_id, now=now)
    except UnknownSegment:
        log.warning("trigger %s names the unknown segment %s", trigger.code, trigger.segment_code)
        return False


def plan(
    session: Session,
    *,
    trigger: TriggerRef,
    profile_id: str,
    subject: str,
    dedupe_key: str,
    reason_since: datetime,
    due_at: datetime,
    context: Mapping[str, Any],
    cause_event_id: str | None,
    now: datetime,
) -> Message | None:
    """Plan the trigger's message for the person about ``subject``, due at ``due_at``; None
    when it is planned already or the person is not in the trigger's segment."""
    if planned(session, dedupe_key) is not None:
        return None
    if as_utc(due_at) < now - STALE_AFTER.get(trigger.kind, DEFAULT_STALE_AFTER):
        # An event heard long after its time (a worker down for days, a history imported,
        # the demo's 90 days) writes to nobody: news that old would contradict the present.
        log.info("no %s message for %s: due %s, too long ago", trigger.kind, subject, due_at)
        return None
    if trigger.segment_code is not None and not _in_segment(session, trigger, profile_id, now=now):
        return None
    message = Message(
        trigger_code=trigger.code,
        kind=trigger.kind,
        purpose=trigger.purpose,
        profile_id=profile_id,
        language=language_of(session, profile_id),
        subject=subject[:200],
        dedupe_key=dedupe_key[:300],
        context=dict(context),
        status="scheduled",
        reason_since=as_utc(reason_since),
        due_at=as_utc(due_at),
        created_at=now,
        cause_event_id=cause_event_id,
    )
    session.add(message)
    try:
        # Two consumers planning the same message at once: the second finds the first's.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return None
    note_planned(session, message)
    answer = ask(session, message, channels=trigger.channels, now=now)
    if answer.decision.outcome == Outcome.withdraw:
        end(session, message, answer.decision, stage="schedule", now=now)
        return message
    note(session, message, answer.decision, stage="schedule", now=now)
    record_event(
        session,
        MessageScheduled(**event_fields(message), due_at=as_utc(message.due_at).isoformat()),
        actor=SYSTEM,
    )
    return message
