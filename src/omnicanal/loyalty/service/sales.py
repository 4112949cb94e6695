"""What a sale means for loyalty, as its receipt tells the customer: the points that paid
part of it, and the points it earns (pending until the return window closes).

The earning is recorded when loyalty handles the order's ``order.placed`` (a moment after
the sale, ADR 0021); a receipt printed before that reads what the programme's rules say the
sale will earn, with the same pure rule the earning applies, so the customer reads the same
number either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.loyalty.models import Earning, Redemption
from omnicanal.loyalty.rules import earn
from omnicanal.loyalty.service.common import members_of_customer
from omnicanal.loyalty.service.earning import CANCELLED, PENDING, sale_of
from omnicanal.loyalty.service.redemptions import CAPTURED
from omnicanal.orders.lookups import get_order_ref

__all__ = ["SalePoints", "points_of_sale", "points_within"]


@dataclass(frozen=True)
class SalePoints:
    """The points a sale used and the points it earns."""

    redeemed_points: int
    redeemed_minor: int
    """What the points used paid, in minor units of the order's currency."""
    earned_points: int
    pending: bool
    """Whether the points earned wait for the return window to close."""
    recorded: bool
    """False while loyalty has not handled the order yet: ``earned_points`` is what the
    programme's rules say it will earn."""


def points_of_sale(session: Session, *, order_id: str, region: str = "FR") -> SalePoints | None:
    """The points an order used and earns; None when it is nothing to loyalty (no member,
    no points used)."""
    order = get_order_ref(session, order_id)
    redeemed = session.execute(
        select(Redemption.points, Redemption.amount_minor).where(
            Redemption.order_id == order.id, Redemption.status == CAPTURED
        )
    ).all()
    redeemed_points = sum(points for points, _ in redeemed)
    redeemed_minor = sum(amount for _, amount in redeemed)
    earnings = session.scalars(
        select(Earning).where(Earning.order_id == order.id, Earning.status != CANCELLED)
    ).all()
    if earnings:
        return SalePoints(
            redeemed_points=redeemed_points,
            redeemed_minor=redeemed_minor,
            earned_points=sum(earning.points for earning in earnings),
            pending=any(earning.status == PENDING for earning in earnings),
            recorded=True,
        )
    members = members_of_customer(
        session, customer_ref=order.customer_ref, currency=order.currency, region=region
    )
    if not members and not redeemed:
        return None
    sale = sale_of(session, order, paid_with_points_minor=redeemed_minor)
    earned = 0
    pending = False
    for member in members:
        programme = member.programme
        if not programme.active or not programme.earns_on(sale.channels):
            continue
        lines = earn(
            sale.lines,
            rates=programme.rates,
            channels=sale.channels,
            multiplier=programme.multiplier(member.tier),
            paid_with_points_minor=sale.paid_with_points_minor,
        )
        earned += sum(line.points for line in lines)
        pending = pending or programme.pending_days > 0
    return SalePoints(
        redeemed_points=redeemed_points,
        redeemed_minor=redeemed_minor,
        earned_points=earned,
        pending=pending,
        recorded=False,
    )


def points_within(total_minor: int, *, point_value_minor: Decimal, available: int) -> int:
    """The most points a sale of ``total_minor`` can take: no more than the member has, and
    none whose value would pay more than the total (points pay their value rounded down)."""
    if total_minor <= 0 or point_value_minor <= 0:
        return 0
    covering = int((Decimal(total_minor) / point_value_minor).to_integral_value(ROUND_FLOOR))
    return max(0, min(available, covering))
