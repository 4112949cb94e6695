"""Tables of the pilot-store experiments (ADR 0041).

A pilot is defined before it starts and never edited after: its metric, stores, periods and
thresholds are what its verdict is judged against. It can only be stopped, with a reason.
The tables are not ``kpi_*``: they are decisions people made, not facts that a rebuild of
the measures from the event log may empty and replay.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.db import Base
from omnicanal.platform.types import UtcDateTime

__all__ = ["CONTROL", "PILOT", "Pilot", "PilotStore"]

PILOT = "pilot"
CONTROL = "control"


class Pilot(Base):
    """A pilot-store experiment: which metric it must move, where, when, and the success and
    stop thresholds set before the launch."""

    __tablename__ = "analytics_pilots"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    preset: Mapped[str | None] = mapped_column(String(50))
    metric: Mapped[str] = mapped_column(String(60))
    better: Mapped[str] = mapped_column(String(4))
    """The metric's good direction when the pilot was defined: ``up`` or ``down``."""
    baseline_start: Mapped[date] = mapped_column(Date)
    baseline_end: Mapped[date] = mapped_column(Date)
    start_day: Mapped[date] = mapped_column(Date)
    end_day: Mapped[date] = mapped_column(Date)
    success_threshold: Mapped[float] = mapped_column(Float)
    """An effect at least this good (in the metric's unit) is a success."""
    stop_threshold: Mapped[float] = mapped_column(Float)
    """An effect at least this bad stops the pilot."""
    minimum_days: Mapped[int] = mapped_column(Integer)
    """Days of the pilot observed before any verdict is given."""
    controls_chosen: Mapped[bool] = mapped_column(Boolean)
    """The control stores were chosen by similarity (not named by the person)."""
    created_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stopped_by: Mapped[str | None] = mapped_column(String(300))
    stop_reason: Mapped[str | None] = mapped_column(String(500))


class PilotStore(Base):
    """A store of a pilot, as a pilot store or a control; a store is one or the other (the
    key says it), and a control chosen by similarity keeps its distance."""

    __tablename__ = "analytics_pilot_stores"

    pilot_id: Mapped[str] = mapped_column(ForeignKey("analytics_pilots.id"), primary_key=True)
    store: Mapped[str] = mapped_column(String(50), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    distance: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_analytics_pilot_stores_store", "store"),)
