"""Tables of the privacy module: the record of each erasure (no personal data in it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime


class Erasure(Base):
    """A person was forgotten: which profile ids, why, by whom, when, and how many rows.

    The proof that a request was carried out (RGPD art. 5(2)); the profile ids point to
    nothing any more."""

    __tablename__ = "erasures"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    profile_ids: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(30))
    requested_by: Mapped[str] = mapped_column(String(100))
    erased_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
