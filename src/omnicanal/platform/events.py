"""Events and the transactional outbox.

A use case records its events with :func:`record_event` in the same transaction as its
state change; the relay (``omnicanal.platform.relay``) publishes committed events later.
The envelope follows CloudEvents: id, type, source, subject, time, data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime

SPEC_VERSION = "1.0"


@dataclass(frozen=True)
class Event:
    """A fact that happened, in a CloudEvents-shaped envelope."""

    type: str
    subject: str
    data: dict[str, Any]
    source: str
    id: str = field(default_factory=new_id)
    time: datetime = field(default_factory=utcnow)
    actor: str | None = None

    def to_cloudevent(self) -> dict[str, Any]:
        """The structured-mode CloudEvents JSON form."""
        return {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "subject": self.subject,
            "time": self.time.isoformat(),
            "datacontenttype": "application/json",
            "actor": self.actor,
            "data": self.data,
        }

    @classmethod
    def from_cloudevent(cls, body: dict[str, Any]) -> Event:
        return cls(
            id=body["id"],
            type=body["type"],
            source=body["source"],
            subject=body.get("subject", ""),
            time=datetime.fromisoformat(body["time"]),
            data=body.get("data") or {},
            actor=body.get("actor"),
        )


class OutboxEvent(Base):
    """An event written with its state change, waiting to be (or already) published."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "published", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # The sentinel lets the many events of one transaction go in one multi-row INSERT on
    # SQLite too (its RETURNING rows are matched to the events by id, not by position).
    id: Mapped[str] = Column(String(26), unique=True, nullable=False, insert_sentinel=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    source: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200), index=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(default=0)

    def to_event(self) -> Event:
        return Event(
            id=self.id,
            type=self.type,
            source=self.source,
            subject=self.subject,
            time=self.time,
            data=self.data,
            actor=self.actor,
        )


class ProcessedEvent(Base):
    """An event a consumer has handled: a repeat delivery of it is ignored."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


def source_of(actor: Actor) -> str:
    """The CloudEvents ``source`` for an actor: its channel, and its store if bound to one."""
    if actor.location_code:
        return f"/channels/{actor.channel}/locations/{actor.location_code}"
    return f"/channels/{actor.channel}"


def record_event(
    session: Session, *, type: str, subject: str, data: dict[str, Any], actor: Actor
) -> Event:
    """Write an event to the outbox in the caller's transaction."""
    event = Event(type=type, subject=subject, data=data, source=source_of(actor), actor=actor.label)
    session.add(
        OutboxEvent(
            id=event.id,
            type=event.type,
            source=event.source,
            subject=event.subject,
            time=event.time,
            actor=event.actor,
            data=event.data,
        )
    )
    session.info["events_recorded"] = True
    return event
