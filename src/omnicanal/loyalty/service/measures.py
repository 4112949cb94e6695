"""The loyalty measures of a period, from the data itself (``loyalty/measures.py`` figures
them): members' share of sales per channel, recognised against anonymous baskets, and per
programme its points liability, redemption rate and members by tier.

The orders come from ``orders.sales`` (placed in the period, not cancelled); an order is a
member's when the customer its reference names had joined a programme of its currency by
then. The books (balances, holds) are as they are now; what was earned and redeemed, and
who joined, is counted over the period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from omnicanal.loyalty import access
from omnicanal.loyalty import measures as figures
from omnicanal.loyalty.models import Balance, LedgerEntry, Member, PointLot, Programme, Redemption
from omnicanal.loyalty.schemas import (
    BasketsOut,
    ChannelShareOut,
    LoyaltyMeasures,
    ProgrammeMeasuresOut,
    TierCountOut,
)
from omnicanal.loyalty.service.common import members_of_customer, rules_of
from omnicanal.loyalty.service.redemptions import CAPTURED, HELD
from omnicanal.orders import sales
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc, utcnow

__all__ = ["DEFAULT_PERIOD", "loyalty_measures"]

DEFAULT_PERIOD = timedelta(days=30)


def _member_since(
    session: Session, orders: list[figures.Sold], *, region: str
) -> dict[tuple[str, str], datetime]:
    """When each (customer reference, currency) of the orders first joined a programme of
    that currency (the references that name no member left out)."""
    found: dict[tuple[str, str], datetime] = {}
    wanted = sorted(
        {(order.customer_ref, order.currency) for order in orders if order.customer_ref}
    )
    for reference, currency in wanted:
        member_ids = [
            member.id
            for member in members_of_customer(
                session, customer_ref=reference, currency=currency, region=region
            )
        ]
        if not member_ids:
            continue
        joined = session.scalar(select(func.min(Member.joined_at)).where(Member.id.in_(member_ids)))
        if joined is not None:
            found[(reference, currency)] = as_utc(joined)
    return found


def _sum(session: Session, column: Any, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0)


def _programme(
    session: Session, programme: Programme, *, since: datetime, until: datetime, now: datetime
) -> ProgrammeMeasuresOut:
    rules = rules_of(programme)
    members = select(Member.id).where(Member.programme_id == programme.id)
    live = (Member.programme_id == programme.id, Member.erased_at.is_(None))
    by_tier: dict[str | None, int] = {
        tier: int(count)
        for tier, count in session.execute(
            select(Member.tier, func.count()).where(*live).group_by(Member.tier)
        )
    }
    available = _sum(session, Balance.available, Balance.member_id.in_(members))
    pending = _sum(session, Balance.pending, Balance.member_id.in_(members))
    lapsed = _sum(
        session,
        PointLot.remaining,
        PointLot.member_id.in_(members),
        PointLot.remaining > 0,
        PointLot.expires_at.is_not(None),
        PointLot.expires_at <= now,
    )
    held = _sum(
        session, Redemption.points, Redemption.member_id.in_(members), Redemption.status == HELD
    )
    in_period = (LedgerEntry.at >= since, LedgerEntry.at < until)
    earned = _sum(
        session,
        LedgerEntry.points,
        LedgerEntry.member_id.in_(members),
        LedgerEntry.kind == "earn",
        *in_period,
    ) + _sum(
        session,
        LedgerEntry.pending_points,
        LedgerEntry.member_id.in_(members),
        LedgerEntry.kind == "pending",
        *in_period,
    )
    redeemed = _sum(
        session,
        Redemption.points,
        Redemption.member_id.in_(members),
        Redemption.status == CAPTURED,
        Redemption.captured_at >= since,
        Redemption.captured_at < until,
    )
    spendable = max(0, available - lapsed)
    tiers = [(tier.code, tier.name) for tier in rules.tiers]
    counted = [
        TierCountOut(tier=code, name=name, members=int(by_tier.get(code, 0)))
        for code, name in tiers
    ]
    counted += [
        TierCountOut(tier=code, name=None, members=int(count))
        for code, count in sorted(by_tier.items(), key=lambda item: item[0] or "")
        if code not in {code for code, _ in tiers}
    ]
    return ProgrammeMeasuresOut(
        programme=programme.code,
        currency=programme.currency,
        point_value_minor=rules.point_value_minor,
        members=sum(int(count) for count in by_tier.values()),
        members_joined=int(
            session.scalar(
                select(func.count()).where(
                    Member.programme_id == programme.id,
                    Member.joined_at >= since,
                    Member.joined_at < until,
                )
            )
            or 0
        ),
        members_by_tier=counted,
        available_points=spendable,
        pending_points=pending,
        held_points=held,
        liability_minor=figures.liability_minor(
            spendable + pending + held, rules.point_value_minor
        ),
        points_earned=earned,
        points_redeemed=redeemed,
        redemption_rate=figures.redemption_rate(redeemed, earned),
    )


def loyalty_measures(
    session: Session,
    *,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    region: str = "FR",
    now: datetime | None = None,
) -> LoyaltyMeasures:
    """The loyalty measures from ``since`` (default: 30 days before ``until``) to ``until``
    (default: now)."""
    access.check_first_party(actor)
    now = now or utcnow()
    until = as_utc(until) if until is not None else now
    since = as_utc(since) if since is not None else until - DEFAULT_PERIOD
    sold = [
        figures.Sold(
            channel=order.channel,
            currency=order.currency,
            customer_ref=order.customer_ref,
            total_minor=order.total_minor,
            placed_at=as_utc(order.placed_at),
        )
        for order in sales.orders_sold(session, placed_from=since, placed_until=until)
    ]
    member_since = _member_since(session, sold, region=region)
    return LoyaltyMeasures(
        since=since,
        until=until,
        sales=[
            ChannelShareOut(
                channel=share.channel,
                currency=share.currency,
                orders=share.orders,
                sales_minor=share.sales_minor,
                member_orders=share.member_orders,
                member_sales_minor=share.member_sales_minor,
                member_share=share.member_share,
            )
            for share in figures.channel_shares(sold, member_since)
        ],
        baskets=[
            BasketsOut(
                currency=side.currency,
                recognised_orders=side.recognised_orders,
                recognised_average_minor=side.recognised_average_minor,
                anonymous_orders=side.anonymous_orders,
                anonymous_average_minor=side.anonymous_average_minor,
                recognised_share=side.recognised_share,
                uplift=side.uplift,
            )
            for side in figures.baskets(sold)
        ],
        programmes=[
            _programme(session, programme, since=since, until=until, now=now)
            for programme in session.scalars(select(Programme).order_by(Programme.code))
        ],
    )
