"""The analytics module's survey answers: customers' NPS and satisfaction answers, posted by
the survey tools the retailer uses (``POST /v1/analytics/surveys``).

Unlike the ``kpi_*`` facts, these rows are not kept from the events: they are the answers
themselves, so ``omnicanal kpi rebuild`` leaves them as they are.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime

__all__ = ["SurveyAnswer"]


class SurveyAnswer(Base):
    """One customer's answer to a survey: a recommendation score (``nps``, 0 to 10) or a
    satisfaction score (``csat``, 1 to 5)."""

    __tablename__ = "kpi_survey_answers"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    day: Mapped[date] = mapped_column(Date)
    """The local day it was answered: the store's time zone, else the business's."""
    store: Mapped[str] = mapped_column(String(50), default="")
    """The store the answer is about; empty: none."""
    channel: Mapped[str] = mapped_column(String(50), default="")
    """The channel the answer is about; empty: none."""
    segment: Mapped[str] = mapped_column(String(20))
    """``recognised`` (the answer names a customer) or ``anonymous``, as it was received:
    an erasure removes the customer, not the answer's place in the figures."""
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(100))
    """Who posted it: the API key's label (``key:<id>``)."""
    external_id: Mapped[str] = mapped_column(String(200))
    """The survey tool's own id of the answer: posted again, it is the same answer."""
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_kpi_survey_answers_day", "day"),
        Index("ix_kpi_survey_answers_customer", "customer_ref"),
    )
