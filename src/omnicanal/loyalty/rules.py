"""The loyalty rules, pure: how many points a sale earns, how many a return takes back, what
points are worth, which tier a member's points reach, which points a spend or an expiry
takes. No database, no HTTP: the use cases around them load, decide here, and write.

- **Earning**: points per euro of what each line was paid (after discounts, shipping
  excluded), at the most specific rate the programme sets for the line's category and the
  order's channel (category and channel, then category, then channel, then the programme's
  default), times the member's tier multiplier, rounded down per line, and at most
  ``MAX_POINTS`` a line. The part of an order paid with points earns nothing: it is shared
  over the lines in proportion to their amounts.
- **Bonus events**: during a bonus event (a "double points weekend"), a line of the event's
  categories sold on its channels earns the event's multiplier on top of the tier's; when
  events overlap, a line takes the best one only, never two. The points are still rounded
  down once per line.
- **Reversal**: a line's points come back in proportion to its units returned or cancelled,
  counted cumulatively, so the reversals of every unit add up to exactly what the line earned.
- **Value**: a point is worth ``point_value_minor`` minor units; an amount asked for costs
  the points that cover it (rounded up), points give their value rounded down.
- **Tiers**: the highest tier whose threshold the points earned over the rolling period
  reach.
- **Spending and expiring**: points are taken from the lots that expire first (first
  expiring, first out); a lot whose time is up is never spent.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

__all__ = [
    "BENEFIT_CODES",
    "MAX_POINTS",
    "BonusEvent",
    "EarnedLine",
    "EarningRule",
    "Lot",
    "PricedLine",
    "Rates",
    "Tier",
    "TierBenefit",
    "add_months",
    "allocate",
    "amount_for_points",
    "best_bonus",
    "earn",
    "expired",
    "expiring_first",
    "line_points",
    "points_for_amount",
    "reversal",
    "tier_for",
]

HUNDRED = Decimal(100)
MAX_POINTS = 100_000_000
"""The most points one change moves (a million euros' worth at a cent a point): an
adjustment, a tier's threshold, what one line earns."""
BENEFIT_CODES = ("earn_multiplier", "free_click_and_collect", "early_access", "birthday_voucher")
"""What a tier can give its members: more points per euro (the tier's multiplier), click and
collect without its fee, early access to sales (``days`` before they open), a voucher
(``amount_minor``) on their birthday. Only the first is applied by the rules here; the others
are data that pages and the other channels read."""


@dataclass(frozen=True)
class EarningRule:
    """A rate for a category, a channel, or both (``None``: any)."""

    points_per_euro: Decimal
    category: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Rates:
    """A programme's earning rates: its default and the rules that override it."""

    default: Decimal
    rules: tuple[EarningRule, ...] = ()

    def rate(self, *, category: str, channels: Sequence[str]) -> Decimal:
        """The most specific rate for a line of ``category`` sold on one of ``channels``
        (the channel's code and its kind: ``zalando``, ``marketplace``)."""
        matches: list[tuple[int, EarningRule]] = []
        for rule in self.rules:
            if rule.category is not None and rule.category != category:
                continue
            if rule.channel is not None and rule.channel not in channels:
                continue
            specificity = (2 if rule.category is not None else 0) + (
                1 if rule.channel is not None else 0
            )
            matches.append((specificity, rule))
        if not matches:
            return self.default
        return max(matches, key=lambda match: match[0])[1].points_per_euro


@dataclass(frozen=True)
class TierBenefit:
    """What a tier gives (one of ``BENEFIT_CODES``) and its parameter, where it has one."""

    code: str
    multiplier: Decimal | None = None
    days: int | None = None
    amount_minor: int | None = None


@dataclass(frozen=True)
class Tier:
    """A level of the programme, reached by earning ``threshold`` points over the rolling
    period; its members earn ``multiplier`` times the points and get its other ``perks``."""

    code: str
    name: str
    threshold: int
    multiplier: Decimal = Decimal(1)
    perks: tuple[TierBenefit, ...] = ()

    @property
    def benefits(self) -> tuple[TierBenefit, ...]:
        """Every benefit of the tier: its earn multiplier (unless 1), then its perks."""
        if self.multiplier == 1:
            return self.perks
        return (TierBenefit(code="earn_multiplier", multiplier=self.multiplier), *self.perks)


@dataclass(frozen=True)
class BonusEvent:
    """Points times ``multiplier`` for the sales placed from ``starts_at`` (included) to
    ``ends_at`` (excluded) on ``channels`` (codes or kinds) in ``categories`` (empty: any)."""

    code: str
    starts_at: datetime
    ends_at: datetime
    multiplier: Decimal
    channels: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    name: str = ""

    def applies(self, *, placed_at: datetime, category: str, channels: Sequence[str]) -> bool:
        """Whether a line of ``category`` sold on ``channels`` at ``placed_at`` is in it."""
        return (
            self.starts_at <= placed_at < self.ends_at
            and (not self.channels or not self.channels.isdisjoint(channels))
            and (not self.categories or category in self.categories)
        )


def best_bonus(
    events: Iterable[BonusEvent], *, placed_at: datetime, category: str, channels: Sequence[str]
) -> BonusEvent | None:
    """The bonus event a line earns under: the highest multiplier of those it is in (the
    first code of equals), None when it is in none."""
    matching = [
        event
        for event in events
        if event.applies(placed_at=placed_at, category=category, channels=channels)
    ]
    if not matching:
        return None
    return min(matching, key=lambda event: (-event.multiplier, event.code))


@dataclass(frozen=True)
class PricedLine:
    """An order line as earning reads it: what was paid for it and what it is."""

    line_id: str
    quantity: int
    amount_minor: int
    category: str


@dataclass(frozen=True)
class EarnedLine:
    """What a line earns: its points, the amount they were earned on, and the bonus event
    they were earned under (its code), if any."""

    line_id: str
    quantity: int
    eligible_minor: int
    points: int
    bonus: str | None = None


@dataclass(frozen=True)
class Lot:
    """Points credited together that expire together (None: never), and what is left."""

    id: str
    remaining: int
    expires_at: datetime | None = None
    order_id: str | None = field(default=None, compare=False)


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` shared over ``weights`` in proportion, in whole units that add up to it
    exactly (largest remainders get the leftover units, the first of equals first)."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    amount = min(amount, total)
    shares = [amount * weight // total for weight in weights]
    leftover = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for index in order[:leftover]:
        shares[index] += 1
    return shares


def line_points(amount_minor: int, rate: Decimal, multiplier: Decimal = Decimal(1)) -> int:
    """Points earned on ``amount_minor`` at ``rate`` points per euro, times ``multiplier``,
    rounded down (never negative, at most ``MAX_POINTS``: the dearest line at the richest
    rate would earn ten thousand times more)."""
    if amount_minor <= 0 or rate <= 0 or multiplier <= 0:
        return 0
    points = (Decimal(amount_minor) * rate * multiplier / HUNDRED).to_integral_value(ROUND_FLOOR)
    return min(int(points), MAX_POINTS)


def earn(
    lines: Sequence[PricedLine],
    *,
    rates: Rates,
    channels: Sequence[str],
    multiplier: Decimal = Decimal(1),
    paid_with_points_minor: int = 0,
    bonus_events: Sequence[BonusEvent] = (),
    placed_at: datetime | None = None,
) -> list[EarnedLine]:
    """What each line of a sale earns on ``channels`` (the order channel's code and kind),
    placed at ``placed_at`` (bonus events apply only to a sale with its time)."""
    amounts = [max(0, line.amount_minor) for line in lines]
    paid = allocate(paid_with_points_minor, amounts)
    earned = []
    for line, amount, by_points in zip(lines, amounts, paid, strict=True):
        eligible = amount - by_points
        rate = rates.rate(category=line.category, channels=channels)
        bonus = (
            best_bonus(bonus_events, placed_at=placed_at, category=line.category, channels=channels)
            if placed_at is not None
            else None
        )
        # One product, rounded once: a bonus on top of a tier never rounds twice.
        times = multiplier * bonus.multiplier if bonus is not None else multiplier
        earned.append(
            EarnedLine(
                line_id=line.line_id,
                quantity=line.quantity,
                eligible_minor=eligible,
                points=line_points(eligible, rate, times),
                bonus=bonus.code if bonus is not None else None,
            )
        )
    return earned


def reversal(*, earned: int, quantity: int, units_before: int, units: int, taken: int) -> int:
    """The points to take back when ``units`` more of a line of ``quantity`` units that
    earned ``earned`` points come back (returned or cancelled), ``units_before`` having come
    back already for ``taken`` points.

    Counted cumulatively (half up), so that once every unit is back exactly ``earned`` has
    been taken, whatever the steps."""
    if quantity <= 0 or earned <= 0:
        return 0
    back = min(quantity, max(0, units_before) + max(0, units))
    due = (Decimal(earned) * back / quantity).to_integral_value(ROUND_HALF_UP)
    return max(0, int(due) - taken)


def points_for_amount(amount_minor: int, point_value_minor: Decimal) -> int:
    """The points that pay ``amount_minor`` (rounded up: the customer never pays less)."""
    if amount_minor <= 0:
        return 0
    return int((Decimal(amount_minor) / point_value_minor).to_integral_value(ROUND_CEILING))


def amount_for_points(points: int, point_value_minor: Decimal) -> int:
    """What ``points`` are worth in minor units (rounded down)."""
    if points <= 0:
        return 0
    return int((Decimal(points) * point_value_minor).to_integral_value(ROUND_FLOOR))


def tier_for(qualifying_points: int, tiers: Iterable[Tier]) -> Tier | None:
    """The highest tier whose threshold ``qualifying_points`` reach (None: no tier)."""
    reached = [tier for tier in tiers if tier.threshold <= qualifying_points]
    if not reached:
        return None
    return max(reached, key=lambda tier: (tier.threshold, tier.multiplier))


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months later (the day clamped to the month's end)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expired(lot: Lot, now: datetime) -> bool:
    """Whether the lot's time is up (its points can no longer be spent)."""
    return lot.expires_at is not None and lot.expires_at <= now


def expiring_first(lots: Iterable[Lot], points: int, *, now: datetime) -> list[tuple[str, int]]:
    """Which lots give ``points``, and how many each: the live lots that expire first (those
    that never expire last), oldest id first among equals. Takes at most what they hold."""
    live = [lot for lot in lots if lot.remaining > 0 and not expired(lot, now)]
    live.sort(key=lambda lot: (lot.expires_at is None, lot.expires_at or now, lot.id))
    taken = []
    left = max(0, points)
    for lot in live:
        if left == 0:
            break
        take = min(lot.remaining, left)
        taken.append((lot.id, take))
        left -= take
    return taken
