"""Tables of the tracking module: sources with their write keys, and the messages received."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime


class TrackingSource(Base):
    """Where messages come from (the web shop, the app, a store's tills, the e-mail platform,
    the service desk), with its write key; only the key's hash is kept."""

    __tablename__ = "tracking_sources"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    location_code: Mapped[str | None] = mapped_column(String(50))
    key_prefix: Mapped[str] = mapped_column(String(24))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    api_key_id: Mapped[str | None] = mapped_column(String(26), unique=True)
    """Set when the source is an API key sending with its ``tracking:write`` scope."""
    trust: Mapped[str] = mapped_column(String(30), default="web_anonymous")
    """How far its messages are believed (``service.TrustLevel``): whether they may merge two
    known customers."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TrackingMessage(Base):
    """A message as received, once per (source, messageId): a repeat is not stored again.
    Its id is the id of the timeline entry it became."""

    __tablename__ = "tracking_messages"
    __table_args__ = (
        UniqueConstraint("source_id", "message_id", name="uq_tracking_messages_source_message"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(ForeignKey("tracking_sources.id"))
    message_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    warnings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    """What was set aside or corrected when it was read (an unverified identifier, a clamped
    time), as the answer listed it; None when nothing was."""
