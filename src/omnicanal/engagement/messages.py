"""Reading messages through the API and the CLI: a page at a time, newest first, by status,
kind, person and date; one with every decision of the policy and its delivery log.

Reads only, for the retailer's staff (``access.check_message_reader``).
"""

from __future__ import annotations

import base64
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement import access
from omnicanal.engagement.errors import InvalidCursor, UnknownMessage
from omnicanal.engagement.models import Decision, Delivery, Message
from omnicanal.engagement.schemas import (
    DecisionOut,
    DeliveryOut,
    MessageDetailOut,
    MessageOut,
    MessagePage,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc

__all__ = ["MAX_PAGE", "get_message", "message_page"]

MAX_PAGE = 200


def _out(row: Message) -> dict[str, object]:
    return {
        "id": row.id,
        "trigger": row.trigger_code,
        "kind": row.kind,
        "purpose": row.purpose,
        "profile_id": row.profile_id,
        "language": row.language,
        "about": row.subject,
        "status": row.status,
        "reason": row.reason,
        "due_at": as_utc(row.due_at),
        "created_at": as_utc(row.created_at),
        "decided_at": as_utc(row.decided_at) if row.decided_at else None,
        "sent_at": as_utc(row.sent_at) if row.sent_at else None,
        "channel": row.channel,
        "recipient": row.recipient,
        "attempts": row.attempts,
        "coupon_code": row.coupon_code,
        "provider": row.provider,
        "provider_message_id": row.provider_message_id,
    }


def _cursor(row: Message) -> str:
    text = f"{as_utc(row.created_at).isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, message_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return as_utc(datetime.fromisoformat(at)), message_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor("This cursor is not one we gave.", field="starting_after") from None


def message_page(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    kind: str | None = None,
    profile_id: str | None = None,
    since: datetime | None = None,
    starting_after: str | None = None,
    limit: int = 50,
) -> MessagePage:
    """Messages, newest first (by when they were planned), ``limit`` at a time: of a
    status, a trigger kind, a person (any of their merged profiles), planned since a
    moment; ``starting_after``: the previous page's ``next_cursor``."""
    access.check_message_reader(actor)
    query = select(Message)
    if status is not None:
        query = query.where(Message.status == status)
    if kind is not None:
        query = query.where(Message.kind == kind)
    if profile_id is not None:
        try:
            people = customers.customer_references(session, profile_id=profile_id)
        except UnknownProfile:
            people = []
        query = query.where(Message.profile_id.in_([profile_id, *people]))
    if since is not None:
        query = query.where(Message.created_at >= since)
    if starting_after:
        at, message_id = _read_cursor(starting_after)
        query = query.where(
            or_(Message.created_at < at, and_(Message.created_at == at, Message.id < message_id))
        )
    limit = max(1, min(limit, MAX_PAGE))
    rows = list(
        session.scalars(
            query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return MessagePage(
        items=[MessageOut.model_validate(_out(row)) for row in rows],
        has_more=more,
        next_cursor=_cursor(rows[-1]) if more and rows else None,
    )


def get_message(session: Session, *, message_id: str, actor: Actor) -> MessageDetailOut:
    """One message with its context, rendered content, every decision of the policy and its
    delivery log, oldest first."""
    access.check_message_reader(actor)
    row = session.get(Message, message_id)
    if row is None:
        raise UnknownMessage(f"No message has the id {message_id!r}.", field="id")
    decisions = session.scalars(
        select(Decision)
        .where(Decision.message_id == row.id)
        .order_by(Decision.decided_at, Decision.id)
    )
    deliveries = session.scalars(
        select(Delivery)
        .where(Delivery.message_id == row.id)
        .order_by(Delivery.attempted_at, Delivery.id)
    )
    return MessageDetailOut.model_validate(
        {
            **_out(row),
            "context": dict(row.context or {}),
            "reason_facts": dict(row.reason_facts) if row.reason_facts is not None else None,
            "rendered_subject": row.rendered_subject,
            "rendered_text": row.rendered_text,
            "rendered_html": row.rendered_html,
            "decisions": [
                DecisionOut(
                    stage=decision.stage,
                    outcome=decision.outcome,
                    reason=decision.reason,
                    facts=dict(decision.facts or {}),
                    decided_at=as_utc(decision.decided_at),
                )
                for decision in decisions
            ],
            "deliveries": [
                DeliveryOut(
                    channel=delivery.channel,
                    provider=delivery.provider,
                    recipient=delivery.recipient,
                    outcome=delivery.outcome,
                    detail=delivery.detail,
                    provider_message_id=delivery.provider_message_id,
                    attempted_at=as_utc(delivery.attempted_at),
                )
                for delivery in deliveries
            ],
        }
    )
