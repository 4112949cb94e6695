"""The tables of the webhooks module: the endpoints subscribed, the events they are sent
(one row per event, shared by every endpoint that follows it) and one delivery per event and
endpoint, with where it stands.

A delivery's ``id`` is the ``webhook-id`` its receiver sees on every attempt and replay; its
``seq`` is the order deliveries were made in, which keeps the events of one subject in order
for one endpoint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime

__all__ = ["WebhookDelivery", "WebhookEndpoint", "WebhookEvent"]


class WebhookEndpoint(Base):
    """An address the retailer's systems receive events at, the event types it follows, the
    secret that signs what it is sent, and how well it has been answering."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint(
            "disabled_reason IS NULL OR disabled_reason IN ('requested', 'failing')",
            name="known_disabled_reason",
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON)
    """Declared event types, ``*`` (every event) or a module's prefix (``order.*``)."""
    active: Mapped[bool] = mapped_column(default=True)
    format: Mapped[str] = mapped_column(String(20), default="standard", server_default="standard")
    """``standard`` (signed CloudEvents JSON) or ``segment`` (Segment ``track`` messages posted
    to ``{url}/v1/batch`` with the write key: docs/adr/0030)."""
    secret: Mapped[str] = mapped_column(String(100))
    """Kept readable: every delivery is signed with it (``whsec_`` and base64); empty for a
    ``segment`` endpoint, which is not signed."""
    write_key: Mapped[str | None] = mapped_column(String(200))
    """A ``segment`` endpoint's write key (the HTTP Basic user name), kept readable as the
    secret is."""
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """Until then, deliveries are signed with the previous secret too (a rotation's overlap)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(20))
    """``requested`` (by head office) or ``failing`` (it kept failing: disabled by omnicanal)."""
    disabled_by: Mapped[str | None] = mapped_column(String(300))
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """The first failed call since its last success (None: it answers)."""
    failures: Mapped[int] = mapped_column(default=0)
    """Calls failed in a row since its last success."""
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebhookEvent(Base):
    """An event some endpoint follows, as it is sent: its CloudEvents envelope."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    """The event's own id (the outbox's)."""
    type: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200), index=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime())
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint: pending until the endpoint answers 2xx (delivered), or
    given up (dead, in the dead-letter list until it is replayed)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        CheckConstraint("status IN ('pending', 'delivered', 'dead')", name="known_status"),
        CheckConstraint(
            "dead_reason IS NULL OR dead_reason IN ('gave_up', 'endpoint_disabled', 'refused')",
            name="known_dead_reason",
        ),
        Index("ix_webhook_deliveries_due", "status", "due_at"),
        Index("ix_webhook_deliveries_chain", "endpoint_id", "subject", "status", "seq"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "status", "seq"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(26), unique=True, default=new_id)
    """The ``webhook-id`` header: the same on every attempt and every replay."""
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    """Attempts since it was made or last replayed."""
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """When it may be tried next (while claimed: the end of the sending worker's lease)."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """When it was made or last replayed: it is given up a while after (settings)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dead_reason: Mapped[str | None] = mapped_column(String(20))
    """``gave_up`` (no 2xx in time), ``endpoint_disabled``, or ``refused`` (a ``segment``
    endpoint refused the message itself: given up at once)."""
    replays: Mapped[int] = mapped_column(default=0)
