"""The messages as the back office lists them: the delivery log a page at a time (by status,
trigger kind, channel and provider, with the total), the withheld and withdrawn messages
the latest decision first, and the local mailbox the latest sent first. One message in full
is :func:`omnicanal.engagement.messages.get_message`'s; the counts per day and per reason
are :mod:`omnicanal.engagement.measures`'.

Reads only: nothing here decides or changes a message (the journeys and the policy do).
Times stay in UTC; the pages put them on the business time zone's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from omnicanal.engagement.models import Message, Segment, Trigger
from omnicanal.platform.clock import as_utc

__all__ = [
    "MAILBOX",
    "SET_ASIDE",
    "MessageLine",
    "MessagePage",
    "list_messages",
    "segment_names",
    "trigger_names",
]

MAILBOX = "mailbox"
"""The provider of the embedded default: the message stays in omnicanal, the back office
shows it."""
SET_ASIDE = ("withheld", "withdrawn")
"""The statuses of a message the policy kept back or took away."""
MAX_PAGE_SIZE = 200

Newest = Literal["created", "sent", "decided"]


@dataclass(frozen=True)
class MessageLine:
    """One message in a list: what, for whom, where it stands."""

    id: str
    trigger_code: str
    kind: str
    purpose: str
    profile_id: str | None
    language: str
    subject: str
    status: str
    channel: str | None
    recipient: str | None
    provider: str | None
    reason: str | None
    reason_facts: dict[str, Any]
    attempts: int
    coupon_code: str | None
    created_at: datetime
    due_at: datetime
    decided_at: datetime | None
    sent_at: datetime | None
    rendered_subject: str | None

    @property
    def moment(self) -> datetime:
        """When it last moved: sent, else decided, else planned."""
        return self.sent_at or self.decided_at or self.created_at


@dataclass(frozen=True)
class MessagePage:
    items: list[MessageLine]
    total: int


def _line(row: Message) -> MessageLine:
    return MessageLine(
        id=row.id,
        trigger_code=row.trigger_code,
        kind=row.kind,
        purpose=row.purpose,
        profile_id=row.profile_id,
        language=row.language,
        subject=row.subject,
        status=row.status,
        channel=row.channel,
        recipient=row.recipient,
        provider=row.provider,
        reason=row.reason,
        reason_facts=dict(row.reason_facts or {}),
        attempts=row.attempts,
        coupon_code=row.coupon_code,
        created_at=as_utc(row.created_at),
        due_at=as_utc(row.due_at),
        decided_at=as_utc(row.decided_at) if row.decided_at else None,
        sent_at=as_utc(row.sent_at) if row.sent_at else None,
        rendered_subject=row.rendered_subject,
    )


def _conditions(
    *,
    statuses: Sequence[str],
    kind: str | None,
    channel: str | None,
    provider: str | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if statuses:
        conditions.append(Message.status.in_(list(statuses)))
    if kind is not None:
        conditions.append(Message.kind == kind)
    if channel is not None:
        conditions.append(Message.channel == channel)
    if provider is not None:
        conditions.append(Message.provider == provider)
    return conditions


def list_messages(
    session: Session,
    *,
    statuses: Sequence[str] = (),
    kind: str | None = None,
    channel: str | None = None,
    provider: str | None = None,
    newest: Newest = "created",
    limit: int = 25,
    offset: int = 0,
) -> MessagePage:
    """The messages of these statuses (any when empty), trigger kind, channel and provider,
    newest first by when they were planned, sent or decided, a page at a time."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    conditions = _conditions(statuses=statuses, kind=kind, channel=channel, provider=provider)
    total = session.scalar(select(func.count()).select_from(Message).where(*conditions)) or 0
    moment = {
        "created": Message.created_at,
        "sent": func.coalesce(Message.sent_at, Message.created_at),
        "decided": func.coalesce(Message.decided_at, Message.created_at),
    }[newest]
    rows = session.scalars(
        select(Message)
        .where(*conditions)
        .order_by(moment.desc(), Message.id.desc())
        .limit(limit)
        .offset(max(offset, 0))
    )
    return MessagePage(items=[_line(row) for row in rows], total=int(total))


def segment_names(session: Session) -> dict[str, str]:
    """The name of each segment, by its code."""
    return {code: name for code, name in session.execute(select(Segment.code, Segment.name))}


def trigger_names(session: Session) -> dict[str, str]:
    """The name of each trigger, by its code."""
    return {code: name for code, name in session.execute(select(Trigger.code, Trigger.name))}
