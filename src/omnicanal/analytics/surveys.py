"""Customers' NPS and satisfaction answers, posted by the retailer's survey tools.

- **Recording**: an answer names its kind (``nps`` 0 to 10, ``csat`` 1 to 5), when it was
  given, the survey tool's own id for it, and optionally the store, the channel and the
  customer it is about. It counts on the local day it was given (the store's time zone,
  else the business's). The same tool posting the same id again posts the same answer: the
  first one stands, whatever the repeat says.
- **Counting** (:func:`survey_counts`): promoters (9 or 10), passives (7 or 8) and
  detractors (0 to 6) of the recommendation answers, and the satisfaction answers with
  those satisfied (4 or 5), over a scope's days, stores, channels and segment. NPS =
  (promoters - detractors) ÷ recommendation answers x 100; CSAT = satisfied ÷ satisfaction
  answers.
- **Personal data**: an erased customer's answers stay in the figures without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.survey_models import SurveyAnswer
from omnicanal.analytics.survey_schemas import SurveyAnswerIn, SurveyAnswerOut
from omnicanal.network import service as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import LocationForbidden
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import dialect_insert, rowcount
from omnicanal.platform.errors import InvalidInput
from omnicanal.platform.ids import new_id

__all__ = [
    "AnswerInTheFuture",
    "SurveyCounts",
    "anonymise_answers",
    "export_answers",
    "record_answers",
    "survey_counts",
]

CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of our clock a survey tool's clock may run."""
NONE = ""


class AnswerInTheFuture(InvalidInput):
    code = "answer_in_the_future"
    title = "An answer cannot be given after now"


@dataclass(frozen=True)
class SurveyCounts:
    """The answers of a scope, as NPS and CSAT count them."""

    promoters: int
    passives: int
    detractors: int
    csat_answers: int
    csat_satisfied: int

    @property
    def nps_answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float | None:
        """(promoters - detractors) ÷ answers x 100; None without an answer."""
        if not self.nps_answers:
            return None
        return (self.promoters - self.detractors) / self.nps_answers * 100

    @property
    def csat(self) -> float | None:
        """Satisfied (4 or 5) ÷ answers; None without an answer."""
        return self.csat_satisfied / self.csat_answers if self.csat_answers else None


def _answer_out(row: SurveyAnswer, *, repeated: bool) -> SurveyAnswerOut:
    return SurveyAnswerOut(
        id=row.id,
        kind=row.kind,
        score=row.score,
        answered_at=row.answered_at,
        day=row.day,
        store=row.store or None,
        channel=row.channel or None,
        customer_ref=row.customer_ref,
        external_id=row.external_id,
        received_at=row.received_at,
        repeated=repeated,
    )


def _store_of(answer: SurveyAnswerIn, actor: Actor) -> str | None:
    """The store an answer is about: a store's key answers for its own store only."""
    if actor.location_code is None:
        return answer.store
    if answer.store is not None and answer.store != actor.location_code:
        raise LocationForbidden(
            f"This key belongs to store {actor.location_code} and cannot post answers about "
            f"{answer.store}.",
            field="store",
        )
    return actor.location_code


def record_answers(
    session: Session,
    *,
    answers: Sequence[SurveyAnswerIn],
    actor: Actor,
    time_zone: str,
    now: datetime | None = None,
) -> list[SurveyAnswerOut]:
    """Record survey answers, all or none; an answer whose ``external_id`` this key posted
    before (or earlier in the batch) comes back as the first one, ``repeated``.

    Refused as a whole: an unknown store or channel (404), another store than a store key's
    own (403), an answer dated after now (422). ``time_zone`` is the business's, for the
    answers about no store.
    """
    now = now or utcnow()
    stores = [_store_of(answer, actor) for answer in answers]
    places = network.locations_by_code(session, {store for store in stores if store})
    for channel in sorted({answer.channel for answer in answers if answer.channel}):
        network.get_channel(session, channel)
    for answer in answers:
        if answer.answered_at > now + CLOCK_SKEW:
            raise AnswerInTheFuture(
                f"Answer {answer.external_id} is dated {answer.answered_at.isoformat()}, after "
                "now.",
                field="answered_at",
            )
    business = ZoneInfo(time_zone)
    source = actor.label
    rows: dict[str, dict[str, Any]] = {}
    for answer, store in zip(answers, stores, strict=True):
        if answer.external_id in rows:
            continue
        zone = ZoneInfo(places[store].timezone) if store else business
        rows[answer.external_id] = {
            "id": new_id(),
            "kind": answer.kind,
            "score": answer.score,
            "answered_at": answer.answered_at,
            "day": answer.answered_at.astimezone(zone).date(),
            "store": store or NONE,
            "channel": answer.channel or NONE,
            "segment": "recognised" if answer.customer_ref else "anonymous",
            "customer_ref": answer.customer_ref,
            "source": source,
            "external_id": answer.external_id,
            "received_at": now,
        }
    # One statement; an id posted before (even by a concurrent request) is left as it was.
    insert = dialect_insert(session)(SurveyAnswer).values(list(rows.values()))
    session.execute(insert.on_conflict_do_nothing(index_elements=["source", "external_id"]))
    stored = {
        row.external_id: row
        for row in session.scalars(
            select(SurveyAnswer).where(
                SurveyAnswer.source == source, SurveyAnswer.external_id.in_(list(rows))
            )
        )
    }
    out: list[SurveyAnswerOut] = []
    seen: set[str] = set()
    for answer in answers:
        row = stored[answer.external_id]
        fresh = row.id == rows[answer.external_id]["id"] and answer.external_id not in seen
        seen.add(answer.external_id)
        out.append(_answer_out(row, repeated=not fresh))
    return out


def survey_counts(session: Session, scope: Scope) -> SurveyCounts:
    """The recommendation and satisfaction answers given on the scope's days, about its
    stores and channels (none given: all), from its segment (None: both)."""
    nps = SurveyAnswer.kind == "nps"
    csat = SurveyAnswer.kind == "csat"

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = select(
        count(nps & (SurveyAnswer.score >= 9)),
        count(nps & SurveyAnswer.score.between(7, 8)),
        count(nps & (SurveyAnswer.score <= 6)),
        count(csat),
        count(csat & (SurveyAnswer.score >= 4)),
    ).where(SurveyAnswer.day.between(scope.start, scope.end))
    if scope.stores:
        query = query.where(SurveyAnswer.store.in_(scope.stores))
    if scope.channels:
        query = query.where(SurveyAnswer.channel.in_(scope.channels))
    if scope.segment is not None:
        query = query.where(SurveyAnswer.segment == scope.segment)
    promoters, passives, detractors, answers, satisfied = session.execute(query).one()
    return SurveyCounts(
        promoters=int(promoters),
        passives=int(passives),
        detractors=int(detractors),
        csat_answers=int(answers),
        csat_satisfied=int(satisfied),
    )


def export_answers(session: Session, *, customer_refs: Sequence[str]) -> list[dict[str, Any]]:
    """The survey answers a person gave, for their export (art. 15, 20)."""
    if not customer_refs:
        return []
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "score": row.score,
            "answered_at": row.answered_at,
            "store": row.store or None,
            "channel": row.channel or None,
            "customer_ref": row.customer_ref,
            "external_id": row.external_id,
        }
        for row in session.scalars(
            select(SurveyAnswer)
            .where(SurveyAnswer.customer_ref.in_(list(customer_refs)))
            .order_by(SurveyAnswer.answered_at, SurveyAnswer.id)
        )
    ]


def anonymise_answers(session: Session, *, customer_refs: Sequence[str]) -> int:
    """Keep a person's answers in the NPS and CSAT without saying whose they were."""
    if not customer_refs:
        return 0
    return rowcount(
        session.execute(
            update(SurveyAnswer)
            .where(SurveyAnswer.customer_ref.in_(list(customer_refs)))
            .values(customer_ref=None)
            .execution_options(synchronize_session=False)
        )
    )
