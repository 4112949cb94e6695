"""The tracking module's part of a person's rights: the messages received about them, as
received, exported or forgotten; and forgotten for everyone after the retention period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from omnicanal.platform.db import rowcount
from omnicanal.tracking.models import TrackingMessage

__all__ = ["erase_messages", "export_messages", "purge_messages"]

_CHUNK = 500


def export_messages(session: Session, *, message_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The messages that became these timeline entries, as received."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(message_ids), _CHUNK):
        chunk = message_ids[start : start + _CHUNK]
        found += [
            dict(row._mapping)
            for row in session.execute(
                select(TrackingMessage.__table__).where(TrackingMessage.id.in_(chunk))
            )
        ]
    return sorted(found, key=lambda row: (row["occurred_at"], row["id"]))


def erase_messages(session: Session, *, message_ids: Sequence[str]) -> int:
    """Delete the messages that became these timeline entries; returns how many."""
    deleted = 0
    for start in range(0, len(message_ids), _CHUNK):
        chunk = message_ids[start : start + _CHUNK]
        deleted += rowcount(
            session.execute(
                delete(TrackingMessage)
                .where(TrackingMessage.id.in_(chunk))
                .execution_options(synchronize_session=False)
            )
        )
    return deleted


def purge_messages(session: Session, *, before: datetime, limit: int = 5000) -> int:
    """Delete messages received before ``before`` (their retention is over); returns how many."""
    ids = session.scalars(
        select(TrackingMessage.id).where(TrackingMessage.received_at < before).limit(limit)
    ).all()
    return erase_messages(session, message_ids=ids)
