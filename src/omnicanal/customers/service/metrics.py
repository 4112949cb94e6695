"""Operational metrics of the customer data, measured from the data itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.models import (
    HouseholdMember,
    IdentityMerge,
    IdentityReview,
    Profile,
    ProfileEvent,
    ProfileIdentifier,
)
from omnicanal.customers.schemas import CustomerMetrics, MatchRate, UnificationTimes

__all__ = ["MATCH_PAIRS", "metrics"]

MATCH_PAIRS = (
    (IdentifierKind.email, IdentifierKind.loyalty_card),
    (IdentifierKind.phone, IdentifierKind.external_id),
    (IdentifierKind.anonymous_id, IdentifierKind.user_id),
)
"""email ↔ loyalty card, phone ↔ till customer number, cookie ↔ login."""


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _percentile(session: Session, since: datetime | None, count: int, p: float) -> float | None:
    """The p-th percentile (nearest rank) of unification times, in the database."""
    if not count:
        return None
    rank = max(0, min(count - 1, round(p / 100 * count + 0.5) - 1))
    query = select(ProfileEvent.unification_ms)
    if since is not None:
        query = query.where(ProfileEvent.received_at >= since)
    value = session.scalar(query.order_by(ProfileEvent.unification_ms).offset(rank).limit(1))
    return float(value) if value is not None else None


def _match_rates(session: Session) -> list[MatchRate]:
    kinds = sorted({kind.value for pair in MATCH_PAIRS for kind in pair})
    holders: dict[str, set[str]] = {kind: set() for kind in kinds}
    for kind, profile_id in session.execute(
        select(ProfileIdentifier.kind, ProfileIdentifier.profile_id)
        .where(ProfileIdentifier.kind.in_(kinds))
        .distinct()
    ):
        holders[kind].add(profile_id)
    rates = []
    for first, second in MATCH_PAIRS:
        a, b = holders[first.value], holders[second.value]
        both = len(a & b)
        rates.append(
            MatchRate(
                pair=f"{first.value}↔{second.value}",
                with_first=len(a),
                with_second=len(b),
                both=both,
                first_matched_rate=_share(both, len(a)),
                second_matched_rate=_share(both, len(b)),
            )
        )
    return rates


def metrics(session: Session, *, since: datetime | None = None) -> CustomerMetrics:
    """Match rates, recognised share, time-to-unification, merges, reviews, shared ids."""
    profiles, recognised = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Profile.recognised.is_(True), 1), else_=0)), 0),
        )
        .select_from(Profile)
        .where(Profile.root_id == Profile.id)
    ).one()
    events_query = select(
        func.count(),
        func.coalesce(func.sum(case((ProfileEvent.recognised.is_(True), 1), else_=0)), 0),
        func.max(ProfileEvent.unification_ms),
        func.coalesce(func.sum(case((ProfileEvent.profile_id.is_(None), 1), else_=0)), 0),
    ).select_from(ProfileEvent)
    now_query = (
        select(func.count())
        .select_from(ProfileEvent)
        .join(Profile, Profile.id == ProfileEvent.profile_id)
        .where(Profile.recognised.is_(True))
    )
    if since is not None:
        events_query = events_query.where(ProfileEvent.received_at >= since)
        now_query = now_query.where(ProfileEvent.received_at >= since)
    events, at_ingestion, slowest, unattributed = session.execute(events_query).one()
    recognised_now = session.scalar(now_query) or 0
    shared = dict(
        session.execute(
            select(ProfileIdentifier.kind, func.count())
            .where(ProfileIdentifier.shared.is_(True))
            .group_by(ProfileIdentifier.kind)
        ).all()
    )
    return CustomerMetrics(
        since=since,
        profiles=profiles,
        recognised_profiles=int(recognised),
        anonymous_profiles=profiles - int(recognised),
        events=events,
        recognised_event_share_at_ingestion=_share(int(at_ingestion), events),
        recognised_event_share_now=_share(recognised_now, events),
        unattributed_events=int(unattributed),
        match_rates=_match_rates(session),
        time_to_unification=UnificationTimes(
            events=events,
            p50_ms=_percentile(session, since, events, 50),
            p99_ms=_percentile(session, since, events, 99),
            max_ms=float(slowest) if slowest is not None else None,
        ),
        merges=session.scalar(
            select(func.count())
            .select_from(IdentityMerge)
            .where(IdentityMerge.unmerged_at.is_(None))
        )
        or 0,
        unmerges=session.scalar(
            select(func.count())
            .select_from(IdentityMerge)
            .where(IdentityMerge.unmerged_at.is_not(None))
        )
        or 0,
        open_reviews=session.scalar(
            select(func.count()).select_from(IdentityReview).where(IdentityReview.status == "open")
        )
        or 0,
        shared_identifiers={kind: int(count) for kind, count in sorted(shared.items())},
        households=session.scalar(select(func.count(func.distinct(HouseholdMember.household_id))))
        or 0,
    )
