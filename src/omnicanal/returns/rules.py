"""The return rules, pure: may a return go through on its own, or does a person review it?

A return is approved at once unless a rule asks for a review; each rule that does gives a
reason as a code and its parameters (never a sentence: the pages translate them):

- the return window: days since the units reached the customer, per channel of purchase
  and per product category (the shorter applies; 30 days unless configured, 14 for
  lingerie and swimwear) → ``outside_window``;
- proof of purchase: an order in omnicanal is proof; without one → ``no_proof_of_purchase``;
- condition: unworn passes; ``worn`` and ``damaged`` are looked at;
- high value: a line (``high_value_line``) or the whole return (``high_value_total``) worth
  more than its threshold; a customer the caller flags as high value
  (``high_value_customer``).

Quantities are not a matter of review: a customer never returns more units than reached
them, less those already returned or being returned (:func:`shortfalls`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_CATEGORY_WINDOWS",
    "SIZE_STEPS",
    "Assessment",
    "ClaimedLine",
    "Condition",
    "ReasonCode",
    "ReturnClaim",
    "ReturnRules",
    "ReviewCode",
    "ReviewReason",
    "Shortfall",
    "assess",
    "refund_share",
    "shortfalls",
]


class Condition(StrEnum):
    """The state a returned unit is in, as declared and then as inspected."""

    unworn = "unworn"
    worn = "worn"
    damaged = "damaged"


class ReasonCode(StrEnum):
    """Why the customer brings the item back."""

    too_small = "too_small"
    too_large = "too_large"
    not_as_described = "not_as_described"
    defective = "defective"
    wrong_item = "wrong_item"
    arrived_late = "arrived_late"
    changed_mind = "changed_mind"
    other = "other"


SIZE_STEPS: Mapping[str, int] = MappingProxyType(
    {ReasonCode.too_small.value: 1, ReasonCode.too_large.value: -1}
)
"""The reasons that are a matter of size, and the size they call for instead: one up for an
item too small, one down for one too large."""


class ReviewCode(StrEnum):
    """Why a return waits for a person's decision."""

    outside_window = "outside_window"
    no_proof_of_purchase = "no_proof_of_purchase"
    worn = "worn"
    damaged = "damaged"
    high_value_line = "high_value_line"
    high_value_total = "high_value_total"
    high_value_customer = "high_value_customer"


DEFAULT_CATEGORY_WINDOWS: Mapping[str, int] = MappingProxyType(
    {"Lingerie": 14, "Maillots de bain": 14}
)
"""Categories returned within fewer days than the rest (hygiene)."""


@dataclass(frozen=True)
class ReturnRules:
    """The retailer's return policy, with the defaults of a fashion retailer."""

    window_days: int = 30
    window_days_by_channel: Mapping[str, int] = field(default_factory=dict)
    window_days_by_category: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_CATEGORY_WINDOWS)
    )
    high_value_line_minor: int = 50_000
    high_value_total_minor: int = 100_000

    def window_for(self, *, channel: str, category: str) -> int:
        """Days a unit bought on ``channel`` in ``category`` may come back: the shorter of
        the channel's window (or the default) and the category's, if it has one."""
        window = self.window_days_by_channel.get(channel, self.window_days)
        by_category = self.window_days_by_category.get(category)
        return window if by_category is None else min(window, by_category)


@dataclass(frozen=True)
class ClaimedLine:
    """A line the customer brings back, as the rules see it."""

    order_line_id: str
    category: str
    quantity: int
    refund_minor: int
    condition: Condition
    received_at: datetime
    """When the units reached the customer (or the order was placed, if unknown)."""


@dataclass(frozen=True)
class ReturnClaim:
    """A return as the rules see it: where it was bought, when it comes back, its lines."""

    channel: str
    at: datetime
    lines: Sequence[ClaimedLine]
    proof_of_purchase: bool = True
    high_value_customer: bool = False


@dataclass(frozen=True)
class ReviewReason:
    """One reason to review a return: a code and its parameters."""

    code: ReviewCode
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code.value, "params": dict(self.params)}


@dataclass(frozen=True)
class Assessment:
    """The rules' verdict: approved at once, or reviewed for these reasons."""

    reasons: tuple[ReviewReason, ...] = ()

    @property
    def approved(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(reason.code.value for reason in self.reasons))


def _days(delta: timedelta) -> int:
    """Whole days begun: one second past a day is a second day."""
    return -(-int(delta.total_seconds()) // 86_400)


def assess(claim: ReturnClaim, rules: ReturnRules) -> Assessment:
    """Approve the return, or list every reason a person should look at it."""
    reasons: list[ReviewReason] = []
    if not claim.proof_of_purchase:
        reasons.append(ReviewReason(ReviewCode.no_proof_of_purchase))
    for line in claim.lines:
        window = rules.window_for(channel=claim.channel, category=line.category)
        days = _days(claim.at - line.received_at)
        if days > window:
            reasons.append(
                ReviewReason(
                    ReviewCode.outside_window,
                    {"order_line_id": line.order_line_id, "days": days, "window_days": window},
                )
            )
        if line.condition is not Condition.unworn:
            reasons.append(
                ReviewReason(
                    ReviewCode(line.condition.value), {"order_line_id": line.order_line_id}
                )
            )
        if line.refund_minor > rules.high_value_line_minor:
            reasons.append(
                ReviewReason(
                    ReviewCode.high_value_line,
                    {
                        "order_line_id": line.order_line_id,
                        "amount_minor": line.refund_minor,
                        "threshold_minor": rules.high_value_line_minor,
                    },
                )
            )
    total = sum(line.refund_minor for line in claim.lines)
    if total > rules.high_value_total_minor:
        reasons.append(
            ReviewReason(
                ReviewCode.high_value_total,
                {"amount_minor": total, "threshold_minor": rules.high_value_total_minor},
            )
        )
    if claim.high_value_customer:
        reasons.append(ReviewReason(ReviewCode.high_value_customer))
    return Assessment(tuple(reasons))


@dataclass(frozen=True)
class Shortfall:
    """A line asked back beyond what may still come back."""

    order_line_id: str
    requested: int
    returnable: int


def shortfalls(
    requested: Iterable[tuple[str, int]], returnable: Mapping[str, int]
) -> list[Shortfall]:
    """Every line asked back beyond its returnable units (a line named twice counts once,
    with its quantities added), in the order first named; empty when all fit."""
    wanted: dict[str, int] = {}
    for line_id, quantity in requested:
        wanted[line_id] = wanted.get(line_id, 0) + quantity
    return [
        Shortfall(line_id, quantity, max(returnable.get(line_id, 0), 0))
        for line_id, quantity in wanted.items()
        if quantity > returnable.get(line_id, 0)
    ]


def refund_share(
    *, line_total_minor: int, line_quantity: int, quantity: int, already: int = 0
) -> int:
    """What ``quantity`` units of a line are worth back when ``already`` units of it came
    back before: their share of what was paid, so that every unit of the line returned adds
    up to exactly the line's total (no cent lost or created by rounding)."""
    before = line_total_minor * already // line_quantity
    return line_total_minor * (already + quantity) // line_quantity - before
