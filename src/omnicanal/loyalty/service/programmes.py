"""Programmes: created and changed by the operator, read by every first-party channel."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.loyalty import access
from omnicanal.loyalty.errors import ProgrammeExists
from omnicanal.loyalty.models import Programme
from omnicanal.loyalty.schemas import (
    EarningRuleOut,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammeUpdateIn,
    TierOut,
)
from omnicanal.loyalty.service.common import programme_by_code
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow

__all__ = [
    "create_programme",
    "get_programme",
    "list_programmes",
    "programme_out",
    "update_programme",
]


def _settings(data: ProgrammeUpdateIn | ProgrammeIn) -> dict[str, Any]:
    return {
        "name": data.name,
        "points_per_euro": data.points_per_euro,
        "earning_rules": [
            {
                "category": rule.category,
                "channel": rule.channel,
                "points_per_euro": str(rule.points_per_euro),
            }
            for rule in data.earning_rules
        ],
        "earning_channels": list(dict.fromkeys(data.earning_channels)),
        "point_value_minor": data.point_value_minor,
        "pending_days": data.pending_days,
        "tiers": [
            {
                "code": tier.code,
                "name": tier.name,
                "threshold": tier.threshold,
                "multiplier": str(tier.multiplier),
            }
            for tier in sorted(data.tiers, key=lambda tier: tier.threshold)
        ],
        "tier_period_months": data.tier_period_months,
        "expiry_months": data.expiry_months,
        "hold_minutes": data.hold_minutes,
        "active": data.active,
    }


def programme_out(programme: Programme) -> ProgrammeOut:
    """A programme as the API shows it."""
    return ProgrammeOut(
        id=programme.id,
        code=programme.code,
        name=programme.name,
        currency=programme.currency,
        points_per_euro=Decimal(programme.points_per_euro),
        earning_rules=[
            EarningRuleOut(
                category=rule.get("category"),
                channel=rule.get("channel"),
                points_per_euro=Decimal(str(rule["points_per_euro"])),
            )
            for rule in programme.earning_rules
        ],
        earning_channels=list(programme.earning_channels),
        point_value_minor=Decimal(programme.point_value_minor),
        pending_days=programme.pending_days,
        tiers=[
            TierOut(
                code=tier["code"],
                name=tier["name"],
                threshold=int(tier["threshold"]),
                multiplier=Decimal(str(tier["multiplier"])),
            )
            for tier in programme.tiers
        ],
        tier_period_months=programme.tier_period_months,
        expiry_months=programme.expiry_months,
        hold_minutes=programme.hold_minutes,
        active=programme.active,
        created_at=programme.created_at,
        updated_at=programme.updated_at,
    )


def create_programme(
    session: Session, *, data: ProgrammeIn, actor: Actor, now: datetime | None = None
) -> ProgrammeOut:
    """Open a loyalty programme (the operator)."""
    access.check_admin(actor, doing="open a loyalty programme")
    now = now or utcnow()
    if session.scalar(select(Programme.id).where(Programme.code == data.code)) is not None:
        raise ProgrammeExists(f"A programme already has the code {data.code!r}.", field="code")
    programme = Programme(
        code=data.code, currency=data.currency, created_at=now, updated_at=now, **_settings(data)
    )
    session.add(programme)
    session.flush()
    return programme_out(programme)


def update_programme(
    session: Session, *, code: str, data: ProgrammeUpdateIn, actor: Actor
) -> ProgrammeOut:
    """Replace a programme's settings (the operator); points already earned keep their
    dates, new rates and tiers apply from now on."""
    access.check_admin(actor, doing="change a loyalty programme")
    programme = programme_by_code(session, code)
    for name, value in _settings(data).items():
        setattr(programme, name, value)
    programme.updated_at = utcnow()
    session.flush()
    return programme_out(programme)


def get_programme(session: Session, *, code: str, actor: Actor) -> ProgrammeOut:
    """One programme."""
    access.check_first_party(actor)
    return programme_out(programme_by_code(session, code))


def list_programmes(session: Session, *, actor: Actor) -> list[ProgrammeOut]:
    """Every programme, by code."""
    access.check_first_party(actor)
    return [
        programme_out(programme)
        for programme in session.scalars(select(Programme).order_by(Programme.code))
    ]
