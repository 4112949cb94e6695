"""The loyalty measures, pure: what a period's orders and the programmes' books say of the
programme. No database: ``service/measures.py`` reads the orders and the ledger, and
figures here.

- **Members' share of sales**, per channel and currency: the orders (and their amount)
  placed by a member (a customer who had joined a programme of the order's currency by the
  time they ordered), out of every order of the channel.
- **Recognised and anonymous baskets**, per currency: the average basket of the orders
  filed under a customer (recognised) and of those without one (anonymous); the
  ``uplift`` is how much bigger the recognised basket is, as a ratio (the seeds' "+18 %"
  is 0.18): ``recognised average / anonymous average - 1``, from the exact totals.
- **Points liability**: the points the programme owes (available, pending and held) at
  what a point is worth, in minor units of its currency (rounded down, as points are paid).
- **Redemption rate**: the points redeemed (captured by an order) over the points earned
  in the same period.

Ratios are rounded to four decimals; one with nothing to divide by is None. Averages are
rounded half up to the minor unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from omnicanal.loyalty.rules import amount_for_points

__all__ = [
    "Baskets",
    "ChannelShare",
    "MemberSince",
    "Sold",
    "average",
    "baskets",
    "channel_shares",
    "is_member_sale",
    "liability_minor",
    "ratio",
    "redemption_rate",
    "uplift",
]


@dataclass(frozen=True)
class Sold:
    """An order as the measures read it."""

    channel: str
    currency: str
    customer_ref: str | None
    total_minor: int
    placed_at: datetime

    @property
    def recognised(self) -> bool:
        """Filed under a customer (a login, a card, an e-mail, a profile)."""
        return bool(self.customer_ref and self.customer_ref.strip())


@dataclass(frozen=True)
class ChannelShare:
    channel: str
    currency: str
    orders: int
    sales_minor: int
    member_orders: int
    member_sales_minor: int

    @property
    def member_share(self) -> float | None:
        """The members' part of the channel's sales (amounts)."""
        return ratio(self.member_sales_minor, self.sales_minor)


@dataclass(frozen=True)
class Baskets:
    currency: str
    recognised_orders: int
    recognised_sales_minor: int
    anonymous_orders: int
    anonymous_sales_minor: int

    @property
    def recognised_average_minor(self) -> int | None:
        return average(self.recognised_sales_minor, self.recognised_orders)

    @property
    def anonymous_average_minor(self) -> int | None:
        return average(self.anonymous_sales_minor, self.anonymous_orders)

    @property
    def recognised_share(self) -> float | None:
        """The recognised orders' part of every order."""
        return ratio(self.recognised_orders, self.recognised_orders + self.anonymous_orders)

    @property
    def uplift(self) -> float | None:
        return uplift(
            self.recognised_sales_minor,
            self.recognised_orders,
            self.anonymous_sales_minor,
            self.anonymous_orders,
        )


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` to four decimals; None when ``whole`` is nothing."""
    if not whole:
        return None
    return float(
        (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    )


def average(total_minor: int, count: int) -> int | None:
    """The average amount, half up to the minor unit; None without anything to average."""
    if count <= 0:
        return None
    return int((Decimal(total_minor) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def uplift(
    recognised_minor: int, recognised_orders: int, anonymous_minor: int, anonymous_orders: int
) -> float | None:
    """How much bigger the recognised average basket is than the anonymous one, as a ratio
    (0.18 for +18 %); None when either side has no order or the anonymous baskets are
    empty."""
    if recognised_orders <= 0 or anonymous_orders <= 0 or anonymous_minor <= 0:
        return None
    exact = Fraction(recognised_minor * anonymous_orders, recognised_orders * anonymous_minor)
    return float(
        (Decimal(exact.numerator) / Decimal(exact.denominator) - 1).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )
    )


MemberSince = Mapping[tuple[str, str], datetime]
"""When the customer of a (customer reference, currency) first joined a programme of that
currency."""


def is_member_sale(order: Sold, member_since: MemberSince) -> bool:
    """Whether the order's customer had joined a programme of its currency by the time
    they ordered."""
    if not order.recognised or order.customer_ref is None:
        return False
    joined = member_since.get((order.customer_ref, order.currency))
    return joined is not None and joined <= order.placed_at


def channel_shares(orders: Iterable[Sold], member_since: MemberSince) -> list[ChannelShare]:
    """The members' share of each channel's sales, by channel then currency."""
    totals: dict[tuple[str, str], list[int]] = {}
    for order in orders:
        row = totals.setdefault((order.channel, order.currency), [0, 0, 0, 0])
        row[0] += 1
        row[1] += order.total_minor
        if is_member_sale(order, member_since):
            row[2] += 1
            row[3] += order.total_minor
    return [
        ChannelShare(channel, currency, *row) for (channel, currency), row in sorted(totals.items())
    ]


def baskets(orders: Iterable[Sold]) -> list[Baskets]:
    """Recognised and anonymous baskets, by currency."""
    totals: dict[str, list[int]] = {}
    for order in orders:
        row = totals.setdefault(order.currency, [0, 0, 0, 0])
        side = 0 if order.recognised else 2
        row[side] += 1
        row[side + 1] += order.total_minor
    return [Baskets(currency, *row) for currency, row in sorted(totals.items())]


def liability_minor(points: int, point_value_minor: Decimal) -> int:
    """What ``points`` are worth, in minor units (rounded down, as they pay)."""
    return amount_for_points(max(0, points), point_value_minor)


def redemption_rate(redeemed: int, earned: int) -> float | None:
    """Points redeemed over points earned in the period."""
    return ratio(redeemed, earned)
