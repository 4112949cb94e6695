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
from omnicanal.loyalty.rules import TierBenefit
from omnicanal.loyalty.schemas import (
    BonusEventIn,
    BonusEventOut,
    EarningRuleOut,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammeUpdateIn,
    TierBenefitOut,
    TierIn,
    TierOut,
)
from omnicanal.loyalty.service.common import (
    bonus_event_rows,
    programme_by_code,
    rate_rule_rows,
    rules_of,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow

__all__ = [
    "benefits_out",
    "create_programme",
    "get_programme",
    "list_programmes",
    "programme_out",
    "update_programme",
]


def _bonus_event_row(event: BonusEventIn) -> dict[str, Any]:
    # Kept with the rates in the earning rules' JSON (marked by their kind): no new column.
    return {
        "kind": "bonus_event",
        "code": event.code,
        "name": event.name,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "multiplier": str(event.multiplier),
        "channels": list(dict.fromkeys(event.channels)),
        "categories": list(dict.fromkeys(event.categories)),
    }


def _perk_rows(tier: TierIn, previous: Programme | None) -> list[dict[str, Any]]:
    """A tier's benefits but its multiplier (the tier's own column); left out, those the
    tier of the same code had."""
    if tier.benefits is None:
        kept = next(
            (row for row in (previous.tiers if previous else []) if row["code"] == tier.code), {}
        )
        return list(kept.get("benefits", []))
    return [
        {
            key: value
            for key, value in (
                ("code", benefit.code),
                ("days", benefit.days),
                ("amount_minor", benefit.amount_minor),
            )
            if value is not None
        }
        for benefit in tier.benefits
        if benefit.code != "earn_multiplier"
    ]


def _settings(
    data: ProgrammeUpdateIn | ProgrammeIn, previous: Programme | None = None
) -> dict[str, Any]:
    if data.bonus_events is None:
        bonus_events = bonus_event_rows(previous.earning_rules) if previous else []
    else:
        bonus_events = [_bonus_event_row(event) for event in data.bonus_events]
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
        ]
        + bonus_events,
        "earning_channels": list(dict.fromkeys(data.earning_channels)),
        "point_value_minor": data.point_value_minor,
        "pending_days": data.pending_days,
        "tiers": [
            {
                "code": tier.code,
                "name": tier.name,
                "threshold": tier.threshold,
                "multiplier": str(tier.multiplier),
                "benefits": _perk_rows(tier, previous),
            }
            for tier in sorted(data.tiers, key=lambda tier: tier.threshold)
        ],
        "tier_period_months": data.tier_period_months,
        "expiry_months": data.expiry_months,
        "hold_minutes": data.hold_minutes,
        "active": data.active,
    }


def benefits_out(benefits: tuple[TierBenefit, ...]) -> list[TierBenefitOut]:
    """A tier's benefits as the API shows them."""
    return [
        TierBenefitOut(
            code=benefit.code,
            multiplier=benefit.multiplier,
            days=benefit.days,
            amount_minor=benefit.amount_minor,
        )
        for benefit in benefits
    ]


def programme_out(programme: Programme) -> ProgrammeOut:
    """A programme as the API shows it."""
    rules = rules_of(programme)
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
            for rule in rate_rule_rows(programme.earning_rules)
        ],
        earning_channels=list(programme.earning_channels),
        point_value_minor=Decimal(programme.point_value_minor),
        pending_days=programme.pending_days,
        tiers=[
            TierOut(
                code=tier.code,
                name=tier.name,
                threshold=tier.threshold,
                multiplier=tier.multiplier,
                benefits=benefits_out(tier.benefits),
            )
            for tier in rules.tiers
        ],
        bonus_events=[
            BonusEventOut(
                code=event.code,
                name=event.name,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                multiplier=event.multiplier,
                channels=sorted(event.channels),
                categories=sorted(event.categories),
            )
            for event in rules.bonus_events
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
    for name, value in _settings(data, programme).items():
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
