"""What time does to points: lots expire when their time is up, and tiers follow the
points earned over the rolling period as old points leave it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.loyalty.models import Member, PointLot
from omnicanal.loyalty.service import ledger
from omnicanal.loyalty.service.common import SYSTEM, load_member
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow

__all__ = ["TIER_REVIEW", "expire_points", "review_tiers"]

TIER_REVIEW = timedelta(days=1)
"""How often each member's tier is looked at again (points leave the rolling period)."""


def expire_points(
    session: Session, *, now: datetime | None = None, actor: Actor = SYSTEM, limit: int = 500
) -> int:
    """Expire what is left of the lots whose time is up, for up to ``limit`` members;
    returns the points expired."""
    now = now or utcnow()
    member_ids = session.scalars(
        select(PointLot.member_id)
        .where(
            PointLot.remaining > 0,
            PointLot.expires_at.is_not(None),
            PointLot.expires_at <= now,
        )
        .group_by(PointLot.member_id)
        .order_by(PointLot.member_id)
        .limit(limit)
    ).all()
    expired = 0
    for member_id in member_ids:
        member = load_member(session, member_id, live=False)
        ledger.lock(session, member.id)
        expired += ledger.expire_due(session, member, now=now, actor=actor)
        if member.programme.tiers:
            ledger.review_tier(session, member, now=now, actor=actor)
    return expired


def review_tiers(
    session: Session, *, now: datetime | None = None, actor: Actor = SYSTEM, limit: int = 500
) -> int:
    """Put up to ``limit`` members not looked at for a day in the tier their points reach
    now; returns how many were looked at."""
    now = now or utcnow()
    member_ids = session.scalars(
        select(Member.id)
        .where(Member.erased_at.is_(None), Member.tier_reviewed_at <= now - TIER_REVIEW)
        .order_by(Member.tier_reviewed_at, Member.id)
        .limit(limit)
    ).all()
    for member_id in member_ids:
        member = load_member(session, member_id)
        ledger.lock(session, member.id)
        ledger.review_tier(session, member, now=now, actor=actor)
    return len(member_ids)
