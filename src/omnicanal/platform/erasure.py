"""Forgetting a person in the platform's own records: the outbox (event payloads), the
stored answers of idempotent writes, and the event stream; and the retention of those records.

The values that identify the person are given by the caller (the privacy use case). The
outbox keeps its rows, with every string naming the person replaced by ``null``; an idempotent
answer that names them is deleted (a retry after an erasure runs again). Messages already
published to NATS JetStream cannot be edited: a :class:`BusErasure` row keeps what to look for
until the worker has deleted those messages (``omnicanal.platform.nats.scrub_stream``), and is
deleted then.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, cast, delete, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base, rowcount
from omnicanal.platform.events import OutboxEvent, ProcessedEvent
from omnicanal.platform.idempotency import IdempotencyRecord
from omnicanal.platform.types import UtcDateTime

__all__ = [
    "BusErasure",
    "forget_answers",
    "json_forms",
    "mentions",
    "pending_bus_erasures",
    "purge_answers",
    "purge_processed",
    "purge_published",
    "redact",
    "request_bus_erasure",
    "scrub_outbox",
]


class BusErasure(Base):
    """Values to delete from the event stream for one erasure; deleted once that is done."""

    __tablename__ = "bus_erasures"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    selectors: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


# A value shorter than this is looked for as a whole JSON string only ("42", not every 42).
SUBSTRING_MIN_LENGTH = 6


def json_forms(value: str) -> list[str]:
    """How ``value`` appears inside a JSON document: as written and escaped (``é`` as
    ``\\u00e9``); a short value only as a whole string, quotes included."""
    escaped = json.dumps(value)[1:-1]
    forms = [value, escaped]
    if len(value) < SUBSTRING_MIN_LENGTH:
        forms = [f'"{form}"' for form in forms]
    return list(dict.fromkeys(forms))


def mentions(text: str, values: Iterable[str]) -> bool:
    """Whether ``text`` (a JSON document) contains one of ``values``, whatever the case."""
    folded = text.casefold()
    return any(form.casefold() in folded for value in values for form in json_forms(value))


def _names(text: str, values: Sequence[str]) -> bool:
    folded = text.casefold()
    return any(
        value.casefold() in folded
        if len(value) >= SUBSTRING_MIN_LENGTH
        else value.casefold() == folded
        for value in values
    )


def redact(value: Any, values: Sequence[str]) -> Any:
    """``value`` with every string that contains one of ``values`` replaced by ``None``."""
    if isinstance(value, str):
        return None if _names(value, values) else value
    if isinstance(value, dict):
        return {key: redact(inner, values) for key, inner in value.items()}
    if isinstance(value, list):
        return [redact(inner, values) for inner in value]
    return value


def _containing(column: Any, values: Sequence[str]) -> Any:
    text = cast(column, String)
    return or_(
        *(text.contains(form, autoescape=True) for value in values for form in json_forms(value))
    )


def scrub_outbox(
    session: Session,
    *,
    selectors: Sequence[str],
    subjects: Sequence[str],
    personal: Sequence[str],
) -> int:
    """Redact the events that contain one of ``selectors`` or are about one of ``subjects``:
    every string in them holding one of the ``personal`` values becomes null."""
    if not selectors and not subjects:
        return 0
    values = list(personal)
    changed = 0
    query = select(OutboxEvent).where(
        or_(_containing(OutboxEvent.data, selectors), OutboxEvent.subject.in_(subjects))
        if selectors
        else OutboxEvent.subject.in_(subjects)
    )
    for row in session.scalars(query):
        data = redact(row.data, values)
        if data != row.data:
            row.data = data
            changed += 1
    session.flush()
    return changed


def forget_answers(session: Session, *, selectors: Sequence[str]) -> int:
    """Delete the stored answers of idempotent writes that contain one of ``selectors``."""
    if not selectors:
        return 0
    return rowcount(
        session.execute(
            delete(IdempotencyRecord)
            .where(_containing(IdempotencyRecord.response, selectors))
            .execution_options(synchronize_session=False)
        )
    )


def request_bus_erasure(session: Session, *, erasure_id: str, selectors: Sequence[str]) -> None:
    """Ask the worker to delete the stream messages containing one of ``selectors``."""
    if selectors:
        session.add(BusErasure(id=erasure_id, selectors=list(selectors)))


def pending_bus_erasures(session: Session) -> list[BusErasure]:
    """The bus erasures not done yet, oldest first."""
    return list(session.scalars(select(BusErasure).order_by(BusErasure.created_at)))


def purge_published(session: Session, *, before: datetime) -> int:
    """Delete outbox rows published before ``before``; returns how many."""
    return rowcount(
        session.execute(
            delete(OutboxEvent)
            .where(OutboxEvent.published.is_(True), OutboxEvent.published_at < before)
            .execution_options(synchronize_session=False)
        )
    )


def purge_processed(session: Session, *, before: datetime) -> int:
    """Forget the ids of events handled before ``before``; returns how many."""
    return rowcount(
        session.execute(
            delete(ProcessedEvent)
            .where(ProcessedEvent.handled_at < before)
            .execution_options(synchronize_session=False)
        )
    )


def purge_answers(session: Session, *, before: datetime) -> int:
    """Delete idempotent answers stored before ``before``; returns how many."""
    return rowcount(
        session.execute(
            delete(IdempotencyRecord)
            .where(IdempotencyRecord.created_at < before)
            .execution_options(synchronize_session=False)
        )
    )
