"""The reward rules, pure: which rewards a member is due now, from what their purchases and
their points say of them. No database, no HTTP: the use case (``service/rewards.py``) loads
the facts, decides here, and issues each reward as a personal single-use coupon.

- **What a member is**: their tier; the points they earned (earned or confirmed, less what
  returns took back from the balance: points still pending count once confirmed); their
  *RFM* over the last twelve months (days since their last order, how many orders, how
  much spent); their *appetence* (what they spent on each category over the same months,
  their *preferred* category the one they spent most on: then the most units, then the
  name, so that the choice never depends on the order things were read in).
- **What a rule asks**: a tier (this one or a higher one), a minimum of orders and of
  spending, a most or a least number of days since the last order (recent customers, or
  lapsed ones to win back). A member who fits gets:
  - a **voucher** (an amount off the cart): with ``every_points``, one each time the
    points they earned cross a multiple of it (1,000 points → one, 2,000 → a second); else
    one every ``every_days`` while they fit (a tier voucher: once a year while Gold);
  - an **offer** (a percentage off a category: the rule's, else their preferred one), one
    every ``every_days`` while they fit and have a category to be offered.
- A reward is valid ``valid_days`` from when it is issued; each is numbered per (member,
  rule) so that issuing twice at once issues once; at most :data:`MOST_AT_ONCE` of a rule
  at a time (a member crossing many multiples at once gets the rest the next time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from omnicanal.platform.reasons import Phrase, catalogue, decimal, money

__all__ = [
    "MOST_AT_ONCE",
    "PERIOD_DAYS",
    "PHRASES",
    "Bought",
    "CategorySpend",
    "Due",
    "Issued",
    "MemberFacts",
    "Order",
    "RewardKind",
    "RewardRule",
    "RewardStatus",
    "Rfm",
    "appetence",
    "due_rewards",
    "fits",
    "preferred_category",
    "reward_status",
    "rfm",
    "title",
]

MOST_AT_ONCE = 3
"""The most rewards one rule issues a member at a time."""
PERIOD_DAYS = 365
"""The months RFM and appetence look back over, in days (twelve months)."""


class RewardKind(StrEnum):
    voucher = "voucher"
    offer = "offer"


class RewardStatus(StrEnum):
    available = "available"
    used = "used"
    expired = "expired"


@dataclass(frozen=True)
class RewardRule:
    """A programme's rule (see the module docstring)."""

    code: str
    kind: RewardKind
    valid_days: int
    every_days: int
    amount_minor: int | None = None
    percent: Decimal | None = None
    category: str | None = None
    every_points: int | None = None
    tier: str | None = None
    min_orders: int = 0
    min_spend_minor: int = 0
    max_days_since_order: int | None = None
    min_days_since_order: int | None = None
    min_subtotal_minor: int = 0
    active: bool = True


@dataclass(frozen=True)
class Order:
    """An order of the member's, as RFM reads it."""

    placed_at: datetime
    total_minor: int


@dataclass(frozen=True)
class Bought:
    """Units of a category the member kept (cancelled units left out), and what they paid."""

    category: str
    quantity: int
    total_minor: int


@dataclass(frozen=True)
class Rfm:
    """Recency (days since the last order, None without one), frequency (orders) and
    monetary value (spent, in minor units) over the period."""

    recency_days: int | None
    frequency: int
    monetary_minor: int


@dataclass(frozen=True, order=True)
class CategorySpend:
    category: str
    spent_minor: int
    units: int


@dataclass(frozen=True)
class MemberFacts:
    """What the rules look at of a member."""

    tier: str | None
    tiers: tuple[str, ...]
    """The programme's tier codes, lowest threshold first."""
    earned_points: int
    rfm: Rfm
    appetence: tuple[CategorySpend, ...]

    def reaches(self, tier: str) -> bool:
        """Whether the member is in ``tier`` or a higher one."""
        if self.tier is None or self.tier not in self.tiers or tier not in self.tiers:
            return False
        return self.tiers.index(self.tier) >= self.tiers.index(tier)


@dataclass(frozen=True)
class Issued:
    """What a rule already issued a member: how many, and when last."""

    count: int = 0
    last_at: datetime | None = None


@dataclass(frozen=True)
class Due:
    """A reward to issue now."""

    rule: str
    kind: RewardKind
    sequence: int
    valid_until: datetime
    title_code: str
    params: Mapping[str, str | int]
    amount_minor: int | None = None
    percent: Decimal | None = None
    category: str | None = None
    min_subtotal_minor: int = 0


def rfm(orders: Iterable[Order], *, now: datetime) -> Rfm:
    """The member's RFM from their orders of the period."""
    orders = list(orders)
    if not orders:
        return Rfm(recency_days=None, frequency=0, monetary_minor=0)
    last = max(order.placed_at for order in orders)
    return Rfm(
        recency_days=max(0, (now - last).days),
        frequency=len(orders),
        monetary_minor=sum(order.total_minor for order in orders),
    )


def appetence(bought: Iterable[Bought]) -> tuple[CategorySpend, ...]:
    """What the member spent on each category, the preferred first (most spent, then most
    units, then by name); categories where nothing was kept are left out."""
    spent: dict[str, list[int]] = {}
    for line in bought:
        if not line.category or line.quantity <= 0:
            continue
        totals = spent.setdefault(line.category, [0, 0])
        totals[0] += line.total_minor
        totals[1] += line.quantity
    return tuple(
        sorted(
            (CategorySpend(category, minor, units) for category, (minor, units) in spent.items()),
            key=lambda spend: (-spend.spent_minor, -spend.units, spend.category),
        )
    )


def preferred_category(spends: Sequence[CategorySpend]) -> str | None:
    """The category the member spent most on (see :func:`appetence`), if any."""
    return spends[0].category if spends else None


def fits(rule: RewardRule, member: MemberFacts) -> bool:
    """Whether the member meets the rule's conditions (tier, RFM)."""
    if not rule.active:
        return False
    if rule.tier is not None and not member.reaches(rule.tier):
        return False
    if member.rfm.frequency < rule.min_orders:
        return False
    if member.rfm.monetary_minor < rule.min_spend_minor:
        return False
    recency = member.rfm.recency_days
    if rule.max_days_since_order is not None and (
        recency is None or recency > rule.max_days_since_order
    ):
        return False
    return rule.min_days_since_order is None or (
        recency is not None and recency >= rule.min_days_since_order
    )


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _due(
    rule: RewardRule,
    sequence: int,
    now: datetime,
    *,
    currency: str,
    tier_name: str | None,
    category: str | None = None,
) -> Due:
    valid_until = now + timedelta(days=rule.valid_days)
    if rule.kind is RewardKind.offer:
        assert rule.percent is not None and category is not None
        return Due(
            rule=rule.code,
            kind=rule.kind,
            sequence=sequence,
            valid_until=valid_until,
            title_code="loyalty.reward.offer_category",
            params={"percent": _percent(rule.percent), "category": category},
            percent=rule.percent,
            category=category,
            min_subtotal_minor=rule.min_subtotal_minor,
        )
    assert rule.amount_minor is not None
    params: dict[str, str | int] = {"amount": rule.amount_minor, "currency": currency}
    if rule.every_points:
        code = "loyalty.reward.voucher_points"
        params["points"] = sequence * rule.every_points
    elif rule.tier is not None:
        code = "loyalty.reward.voucher_tier"
        params["tier"] = tier_name or rule.tier
    else:
        code = "loyalty.reward.voucher"
    return Due(
        rule=rule.code,
        kind=rule.kind,
        sequence=sequence,
        valid_until=valid_until,
        title_code=code,
        params=params,
        amount_minor=rule.amount_minor,
        min_subtotal_minor=rule.min_subtotal_minor,
    )


def due_rewards(
    rules: Iterable[RewardRule],
    member: MemberFacts,
    issued: Mapping[str, Issued],
    *,
    now: datetime,
    currency: str,
    tier_names: Mapping[str, str] | None = None,
) -> list[Due]:
    """The rewards the rules issue the member now, rule by rule (by code), given what each
    rule already issued them."""
    names = tier_names or {}
    due: list[Due] = []
    for rule in sorted(rules, key=lambda rule: rule.code):
        if not fits(rule, member):
            continue
        past = issued.get(rule.code, Issued())
        tier_name = names.get(rule.tier) if rule.tier is not None else None
        if rule.kind is RewardKind.voucher and rule.every_points:
            crossed = max(0, member.earned_points) // rule.every_points
            last = min(crossed, past.count + MOST_AT_ONCE)
            due += [
                _due(rule, sequence, now, currency=currency, tier_name=tier_name)
                for sequence in range(past.count + 1, last + 1)
            ]
            continue
        if past.last_at is not None and now < past.last_at + timedelta(days=rule.every_days):
            continue
        if rule.kind is RewardKind.offer:
            category = rule.category or preferred_category(member.appetence)
            if category is None:
                continue
            due.append(
                _due(
                    rule, past.count + 1, now, currency=currency, tier_name=None, category=category
                )
            )
        else:
            due.append(_due(rule, past.count + 1, now, currency=currency, tier_name=tier_name))
    return due


def reward_status(*, used: bool, void: bool, valid_until: datetime, now: datetime) -> RewardStatus:
    """Used once its coupon paid an order; expired when its time is up or it was
    withdrawn; else available."""
    if used:
        return RewardStatus.used
    if void or now >= valid_until:
        return RewardStatus.expired
    return RewardStatus.available


PHRASES: dict[str, Phrase] = catalogue(
    (
        Phrase("loyalty.reward.voucher", "%(amount)s off", says={"amount": money}),
        Phrase(
            "loyalty.reward.voucher_points",
            "%(amount)s off for %(points)s points",
            says={"amount": money},
        ),
        Phrase(
            "loyalty.reward.voucher_tier",
            "%(amount)s off as a %(tier)s member",
            says={"amount": money},
        ),
        Phrase(
            "loyalty.reward.offer_category",
            "%(percent)s%% off %(category)s",
            says={"percent": decimal},
        ),
    )
)
"""How each reward's title is said (its English is the gettext message id): an amount in
minor units with its ``currency``, a percentage as text, a tier's name, a category."""


def title(code: str, params: Mapping[str, str | int]) -> str:
    """A reward's title in English, as the API gives it."""
    return PHRASES[code](**params).text
