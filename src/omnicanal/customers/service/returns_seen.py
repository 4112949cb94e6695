"""Reading a profile's returns and satisfaction from the ``return.*`` events on its timeline
(the facts themselves are folded by the pure ``customers.satisfaction``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.customers.models import ProfileEvent
from omnicanal.customers.satisfaction import (
    RETURN_EVENT_PREFIX,
    ProfileReturn,
    ReturnFacts,
    fold_returns,
    return_facts,
    satisfaction_summary,
)
from omnicanal.customers.schemas import ProfileReturnOut, ReturnedItemOut, SatisfactionOut

__all__ = ["ReturnsSeen", "returns_seen", "satisfactions"]

DOMAIN = "domain"
CHUNK = 500


@dataclass(frozen=True)
class ReturnsSeen:
    """A profile's returns (the newest opened first) and its satisfaction."""

    returns: list[ProfileReturnOut]
    satisfaction: SatisfactionOut | None

    @property
    def last_return(self) -> ProfileReturnOut | None:
        return self.returns[0] if self.returns else None


def _return_events(
    session: Session, profile_ids: list[str]
) -> dict[str, list[tuple[datetime, ReturnFacts]]]:
    """The return facts on each of these (root) profiles' timelines."""
    found: dict[str, list[tuple[datetime, ReturnFacts]]] = {pid: [] for pid in profile_ids}
    for start in range(0, len(profile_ids), CHUNK):
        for profile_id, name, at, properties in session.execute(
            select(
                ProfileEvent.profile_id,
                ProfileEvent.name,
                ProfileEvent.occurred_at,
                ProfileEvent.properties,
            ).where(
                ProfileEvent.profile_id.in_(profile_ids[start : start + CHUNK]),
                ProfileEvent.kind == DOMAIN,
                ProfileEvent.name.startswith(RETURN_EVENT_PREFIX, autoescape=True),
            )
        ):
            fact = return_facts(name, properties or {})
            if fact is not None and profile_id is not None:
                found[profile_id].append((at, fact))
    return found


def _satisfaction(folded: list[ProfileReturn]) -> SatisfactionOut | None:
    summary = satisfaction_summary(folded)
    if summary is None:
        return None
    return SatisfactionOut(
        score=summary.score,
        at=summary.at,
        return_id=summary.return_id,
        reasons=list(summary.reasons),
        average=float(summary.average),
        scored_returns=summary.scored_returns,
    )


def returns_seen(session: Session, *, profile_id: str) -> ReturnsSeen:
    """The returns of the (root) profile and the satisfaction they tell, from its timeline."""
    folded = fold_returns(_return_events(session, [profile_id])[profile_id])
    return ReturnsSeen(
        returns=[_out(entry) for entry in folded], satisfaction=_satisfaction(folded)
    )


def satisfactions(session: Session, *, profile_ids: Iterable[str]) -> dict[str, SatisfactionOut]:
    """The satisfaction of each of these (root) profiles that gave a score at a return, for
    a page listing many people (one query per 500 profiles)."""
    events = _return_events(session, sorted(set(profile_ids)))
    found = {pid: _satisfaction(fold_returns(facts)) for pid, facts in events.items() if facts}
    return {pid: satisfaction for pid, satisfaction in found.items() if satisfaction is not None}


def _out(entry: ProfileReturn) -> ProfileReturnOut:
    return ProfileReturnOut(
        return_id=entry.return_id,
        order_id=entry.order_id,
        opened_at=entry.opened_at,
        updated_at=entry.updated_at,
        status=entry.status,
        reasons=list(entry.reasons),
        items=[ReturnedItemOut(sku=item.sku, reason=item.reason) for item in entry.items],
        satisfaction=entry.satisfaction,
        new_skus=list(entry.new_skus),
    )
