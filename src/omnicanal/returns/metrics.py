"""Returns measured from the data: exchange vs refund ratio, return rate by channel of
purchase, returns by channel and location of return, reason counts, the time from a return's
receipt to its refund (median and mean), and the customers' satisfaction scores.

Returns count when they were opened in the period; the return rate compares the orders
placed in the period on each channel with those of them that came back (refused and
cancelled returns do not count); the time to refund counts the refunds made in the period.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.orders import service as orders
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.returns.models import Return, ReturnLine
from omnicanal.returns.states import RELEASING, ReturnStatus

__all__ = [
    "ChannelReturnRate",
    "ReasonCount",
    "ReturnMetrics",
    "ReturnPlaceShare",
    "return_metrics",
]

DEFAULT_PERIOD = timedelta(days=30)
_COUNTED = [status.value for status in ReturnStatus if status not in RELEASING]


class ChannelReturnRate(BaseModel):
    """Orders placed on a channel in the period, and how many of them came back."""

    channel: str
    orders: int
    returned_orders: int
    rate: float | None = Field(description="returned_orders / orders; null without orders")


class ReturnPlaceShare(BaseModel):
    """Returns taken through one channel of return at one location."""

    return_channel: str = Field(description="store (a counter) or post")
    location: str | None = Field(description="Where they came back; null: still on their way")
    returns: int
    units: int
    share: float = Field(description="Of every return opened in the period")


class ReasonCount(BaseModel):
    reason: str
    returns: int
    units: int


class ReturnMetrics(BaseModel):
    """The returns KPIs of a period, from the data itself."""

    since: datetime
    until: datetime
    returns: int
    units: int
    refunded: int
    exchanged: int
    exchange_ratio: float | None = Field(
        description="exchanged / (exchanged + refunded); null when neither happened"
    )
    by_purchase_channel: list[ChannelReturnRate]
    by_return_place: list[ReturnPlaceShare]
    reasons: list[ReasonCount]
    median_seconds_to_refund: float | None = Field(
        description="From a return's receipt to its refund, for the refunds of the period"
    )
    mean_seconds_to_refund: float | None = Field(
        default=None, description="The mean of the same waits as the median"
    )
    satisfaction_responses: int
    satisfaction_average: float | None


def _period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    until = as_utc(until) if until is not None else utcnow()
    since = as_utc(since) if since is not None else until - DEFAULT_PERIOD
    return since, until


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def return_metrics(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> ReturnMetrics:
    """The returns KPIs from ``since`` (default: 30 days before ``until``) to ``until``
    (default: now)."""
    since, until = _period(since, until)
    opened = (Return.requested_at >= since, Return.requested_at < until)
    units_of = (
        select(ReturnLine.return_id, func.sum(ReturnLine.quantity).label("units"))
        .group_by(ReturnLine.return_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Return.status,
            Return.return_channel,
            Return.location_code,
            Return.satisfaction,
            units_of.c.units,
        )
        .join(units_of, units_of.c.return_id == Return.id)
        .where(*opened)
    ).all()
    total = len(rows)
    statuses = [status for status, *_ in rows]
    refunded = statuses.count(ReturnStatus.refunded.value)
    exchanged = statuses.count(ReturnStatus.exchanged.value)

    places: dict[tuple[str, str | None], list[int]] = {}
    for _, channel, location, _, units in rows:
        place = places.setdefault((channel, location), [0, 0])
        place[0] += 1
        place[1] += int(units)
    scores = [score for *_, score, _ in rows if score is not None]

    reasons = session.execute(
        select(
            ReturnLine.reason,
            func.count(func.distinct(ReturnLine.return_id)),
            func.sum(ReturnLine.quantity),
        )
        .join(Return, Return.id == ReturnLine.return_id)
        .where(*opened)
        .group_by(ReturnLine.reason)
    ).all()

    returned_orders = dict(
        session.execute(
            select(Return.purchase_channel, func.count(func.distinct(Return.order_id)))
            .where(
                Return.order_placed_at >= since,
                Return.order_placed_at < until,
                Return.status.in_(_COUNTED),
            )
            .group_by(Return.purchase_channel)
        ).all()
    )
    placed: dict[str, int] = {}
    for count in orders.count_orders(session, placed_from=since, placed_until=until):
        if count.status != "cancelled":
            placed[count.channel] = placed.get(count.channel, 0) + count.count
    channels = sorted(set(placed) | set(returned_orders))

    waits = [
        (as_utc(resolved) - as_utc(received)).total_seconds()
        for received, resolved in session.execute(
            select(Return.received_at, Return.resolved_at).where(
                Return.status == ReturnStatus.refunded.value,
                Return.resolved_at >= since,
                Return.resolved_at < until,
                Return.received_at.is_not(None),
            )
        )
        if received is not None and resolved is not None
    ]
    return ReturnMetrics(
        since=since,
        until=until,
        returns=total,
        units=sum(int(units) for *_, units in rows),
        refunded=refunded,
        exchanged=exchanged,
        exchange_ratio=_ratio(exchanged, exchanged + refunded),
        by_purchase_channel=[
            ChannelReturnRate(
                channel=channel,
                orders=placed.get(channel, 0),
                returned_orders=int(returned_orders.get(channel, 0)),
                rate=_ratio(int(returned_orders.get(channel, 0)), placed.get(channel, 0)),
            )
            for channel in channels
        ],
        by_return_place=[
            ReturnPlaceShare(
                return_channel=channel,
                location=location,
                returns=count,
                units=units,
                share=round(count / total, 4),
            )
            for (channel, location), (count, units) in sorted(
                places.items(), key=lambda item: (item[0][0], item[0][1] or "")
            )
        ],
        reasons=sorted(
            (
                ReasonCount(reason=reason, returns=int(count), units=int(units))
                for reason, count, units in reasons
            ),
            key=lambda item: (-item.units, item.reason),
        ),
        median_seconds_to_refund=statistics.median(waits) if waits else None,
        mean_seconds_to_refund=statistics.fmean(waits) if waits else None,
        satisfaction_responses=len(scores),
        satisfaction_average=round(statistics.fmean(scores), 2) if scores else None,
    )
