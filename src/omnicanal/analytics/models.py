"""Tables of the analytics module."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.db import Base


class DailyEventCount(Base):
    """How many events of a type each channel produced on a day (UTC)."""

    __tablename__ = "daily_event_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
