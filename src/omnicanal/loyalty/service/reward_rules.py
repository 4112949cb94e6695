"""Reward rules: set by head office per programme, read by every first-party channel, and
read by the rewards use cases as the pure rules take them (``loyalty/rewards_rules.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.loyalty import access
from omnicanal.loyalty import rewards_rules as rules
from omnicanal.loyalty.errors import UnknownTier
from omnicanal.loyalty.models import RewardRule
from omnicanal.loyalty.schemas import RewardRuleIn, RewardRuleOut, RewardRulesIn
from omnicanal.loyalty.service.common import programme_by_code
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow

__all__ = ["as_rule", "reward_rules", "rule_out", "rule_rows", "set_reward_rules"]


def rule_out(row: RewardRule) -> RewardRuleOut:
    """A reward rule as the API shows it."""
    return RewardRuleOut(
        code=row.code,
        kind=row.kind,
        amount_minor=row.amount_minor,
        percent=Decimal(row.percent) if row.percent is not None else None,
        category=row.category,
        every_points=row.every_points,
        tier=row.tier,
        min_orders=row.min_orders,
        min_spend_minor=row.min_spend_minor,
        max_days_since_order=row.max_days_since_order,
        min_days_since_order=row.min_days_since_order,
        min_subtotal_minor=row.min_subtotal_minor,
        valid_days=row.valid_days,
        every_days=None if row.every_points else row.every_days,
        active=row.active,
    )


def rule_rows(session: Session, programme_id: str) -> list[RewardRule]:
    """A programme's reward rules, in the order they were given."""
    return list(
        session.scalars(
            select(RewardRule)
            .where(RewardRule.programme_id == programme_id)
            .order_by(RewardRule.position, RewardRule.code)
        )
    )


def reward_rules(session: Session, *, programme: str, actor: Actor) -> list[RewardRuleOut]:
    """A programme's reward rules, in the order they were given."""
    access.check_first_party(actor)
    return [rule_out(row) for row in rule_rows(session, programme_by_code(session, programme).id)]


def _checked_tier(rule: RewardRuleIn, tiers: Sequence[str]) -> None:
    if rule.tier is not None and rule.tier not in tiers:
        raise UnknownTier(
            f"Reward rule {rule.code} names tier {rule.tier!r}, which the programme does not have.",
            field="tier",
        )


def set_reward_rules(
    session: Session, *, programme: str, data: RewardRulesIn, actor: Actor
) -> list[RewardRuleOut]:
    """Replace a programme's reward rules (head office); the rewards already issued stay."""
    access.check_admin(actor, doing="set the reward rules")
    row = programme_by_code(session, programme)
    tiers = [str(tier["code"]) for tier in row.tiers]
    for rule in data.rules:
        _checked_tier(rule, tiers)
    for old in rule_rows(session, row.id):
        session.delete(old)
    session.flush()
    now = utcnow()
    for position, rule in enumerate(data.rules):
        session.add(
            RewardRule(
                programme_id=row.id,
                code=rule.code,
                position=position,
                kind=rule.kind,
                amount_minor=rule.amount_minor,
                percent=rule.percent,
                category=rule.category,
                every_points=rule.every_points,
                tier=rule.tier,
                min_orders=rule.min_orders,
                min_spend_minor=rule.min_spend_minor,
                max_days_since_order=rule.max_days_since_order,
                min_days_since_order=rule.min_days_since_order,
                min_subtotal_minor=rule.min_subtotal_minor,
                valid_days=rule.valid_days,
                every_days=rule.every_days or rule.valid_days,
                active=rule.active,
                updated_at=now,
                updated_by=actor.label[:100],
            )
        )
    session.flush()
    return [rule_out(rule) for rule in rule_rows(session, row.id)]


def as_rule(row: RewardRule) -> rules.RewardRule:
    """A stored rule as the pure rules read it."""
    return rules.RewardRule(
        code=row.code,
        kind=rules.RewardKind(row.kind),
        valid_days=row.valid_days,
        every_days=row.every_days,
        amount_minor=row.amount_minor,
        percent=Decimal(row.percent) if row.percent is not None else None,
        category=row.category,
        every_points=row.every_points,
        tier=row.tier,
        min_orders=row.min_orders,
        min_spend_minor=row.min_spend_minor,
        max_days_since_order=row.max_days_since_order,
        min_days_since_order=row.min_days_since_order,
        min_subtotal_minor=row.min_subtotal_minor,
        active=row.active,
    )
