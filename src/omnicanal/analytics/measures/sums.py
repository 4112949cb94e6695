"""The additive metrics: each a sum of ``kpi_daily`` measures over another, read for a whole
call in one query, and the business the facts were kept for."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from omnicanal.analytics.facts import ANONYMOUS, RECOGNISED, Measure
from omnicanal.analytics.kpis import Dimension, Figure, Metric, Scope
from omnicanal.analytics.models import BusinessFact, DailyMeasure
from omnicanal.platform.clock import as_utc
from omnicanal.platform.config import Settings

__all__ = [
    "ADDITIVE",
    "IDENTITY",
    "STOCK",
    "Business",
    "Group",
    "Recipe",
    "Split",
    "Terms",
    "additive",
    "business_of",
    "daily_sums",
    "measures_of",
    "plus",
    "ratio",
    "scoped_to",
    "start_of",
    "total",
]

M = Measure


@dataclass(frozen=True)
class Terms:
    """A signed sum of measures, of one segment's rows only when ``segment`` is given."""

    measures: tuple[tuple[Measure, int], ...]
    segment: str | None = None


def plus(*measures: Measure, minus: tuple[Measure, ...] = (), segment: str | None = None) -> Terms:
    """The sum of ``measures`` less those of ``minus`` (of ``segment``'s rows only)."""
    signed = tuple((m, 1) for m in measures) + tuple((m, -1) for m in minus)
    return Terms(signed, segment)


@dataclass(frozen=True)
class Recipe:
    """``numerator / denominator * scale`` (the numerator alone without a denominator)."""

    numerator: Terms
    denominator: Terms | None = None
    scale: float = 1.0


_SECONDS = 0.001
ADDITIVE: dict[str, Recipe] = {
    "orders": Recipe(plus(M.orders)),
    "sales": Recipe(plus(M.sales_minor)),
    "net_sales": Recipe(plus(M.sales_minor, minus=(M.cancelled_minor, M.refunded_minor))),
    "average_basket": Recipe(plus(M.sales_minor), plus(M.sales_orders)),
    "units_per_transaction": Recipe(plus(M.units), plus(M.orders)),
    "cancellation_rate": Recipe(plus(M.cancelled_orders), plus(M.orders)),
    "click_and_collect_share": Recipe(plus(M.click_and_collect_orders), plus(M.orders)),
    "ship_from_store_share": Recipe(plus(M.ship_from_store_orders), plus(M.home_delivery_orders)),
    "pickup_lead_time": Recipe(plus(M.pickup_lead_ms), plus(M.pickup_leads), _SECONDS),
    "pickup_wait": Recipe(plus(M.pickup_wait_ms), plus(M.pickup_waits), _SECONDS),
    "reservation_failure_rate": Recipe(
        plus(M.reservations_expired, M.lines_rejected), plus(M.reservations)
    ),
    "return_rate": Recipe(plus(M.returned_units), plus(M.units)),
    "exchange_refund_ratio": Recipe(plus(M.exchanges), plus(M.exchanges, M.refunds)),
    "recognised_share": Recipe(plus(M.orders, segment=RECOGNISED), plus(M.orders)),
    "store_identification_rate": Recipe(
        plus(M.store_sales, segment=RECOGNISED), plus(M.store_sales)
    ),
    "basket_recognised": Recipe(
        plus(M.sales_minor, segment=RECOGNISED), plus(M.sales_orders, segment=RECOGNISED)
    ),
    "basket_anonymous": Recipe(
        plus(M.sales_minor, segment=ANONYMOUS), plus(M.sales_orders, segment=ANONYMOUS)
    ),
    "cross_channel_conversion": Recipe(plus(M.cross_channel_orders), plus(M.cart_orders)),
    "till_crm_delay": Recipe(plus(M.till_sync_ms), plus(M.till_syncs), _SECONDS),
    "messages_withdrawn_share": Recipe(
        plus(M.messages_situation_changed), plus(M.messages_decided)
    ),
    # The scores given at a return, beside the survey answers (see figures.py).
    "csat": Recipe(plus(M.return_satisfied), plus(M.return_answers)),
}
"""The metrics that are sums of ``kpi_daily`` measures, and how."""
STOCK = frozenset({"sell_through", "stock_cover"})
IDENTITY = frozenset(
    {
        "email_card_match_rate",
        "phone_till_match_rate",
        "cookie_login_match_rate",
        "time_to_unification",
    }
)
_MONEY_UNIT = "money"


# The business the facts were kept for ------------------------------------------------------


@dataclass(frozen=True)
class Business:
    """The business's time zone and currency, as the consumer keeps the facts."""

    zone: ZoneInfo
    currency: str


def business_of(session: Session) -> Business:
    """The zone and currency the consumer keeps the facts in (the settings' defaults before
    it has kept any)."""
    row = session.get(BusinessFact, 1)
    if row is not None:
        return Business(ZoneInfo(row.timezone), row.currency)
    fields = Settings.model_fields
    return Business(
        ZoneInfo(str(fields["business_time_zone"].default)), str(fields["default_currency"].default)
    )


def start_of(day: date, zone: ZoneInfo) -> datetime:
    return as_utc(datetime.combine(day, time(0), tzinfo=zone))


# Sums of kpi_daily ---------------------------------------------------------------------------

Group = tuple[str, str, bool, bool]
"""measure, segment, in the scope's stores, in the scope's channels."""
Split = tuple[date | None, str | None]
"""day (a series), dimension's value (a split)."""

_COLUMNS: dict[Dimension, Any] = {
    "store": DailyMeasure.store,
    "channel": DailyMeasure.channel,
    "segment": DailyMeasure.segment,
}


def measures_of(codes: Iterable[str], *, by: Dimension | None = None) -> set[str]:
    """The measures the metrics ``codes`` add up; split by a dimension, those that find its
    values too (the orders, the units sold at each location)."""
    wanted: set[str] = set()
    if by is not None:
        wanted.add(M.orders.value)
        if by == "store":
            wanted.add(M.units_sold.value)
    for code in codes:
        recipe = ADDITIVE.get(code)
        if recipe is not None:
            for terms in (recipe.numerator, recipe.denominator):
                if terms is not None:
                    wanted.update(m.value for m, _ in terms.measures)
        if code in STOCK:
            wanted.add(M.units_sold.value)
    return wanted


def daily_sums(
    session: Session,
    scope: Scope,
    measures: set[str],
    *,
    by_day: bool = False,
    by: Dimension | None = None,
) -> dict[Split, Counter[Group]]:
    """One query: the sums of ``measures`` over the scope's days, grouped as :data:`Group`
    (and by day, by a dimension's value)."""
    sums: dict[Split, Counter[Group]] = defaultdict(Counter)
    if not measures:
        return sums
    table = DailyMeasure
    in_stores = case((table.store.in_(scope.stores), 1), else_=0) if scope.stores else None
    in_channels = case((table.channel.in_(scope.channels), 1), else_=0) if scope.channels else None
    columns: list[Any] = [table.measure, table.segment]
    for flag in (in_stores, in_channels):
        if flag is not None:
            columns.append(flag)
    if by_day:
        columns.append(table.day)
    if by is not None:
        columns.append(_COLUMNS[by])
    query: Select[Any] = (
        select(*columns, func.sum(table.value))
        .where(table.day.between(scope.start, scope.end), table.measure.in_(sorted(measures)))
        .group_by(*columns)
    )
    for row in session.execute(query):
        values = list(row)
        measure, segment = values[0], values[1]
        position = 2
        store_ok = channel_ok = True
        if in_stores is not None:
            store_ok, position = bool(values[position]), position + 1
        if in_channels is not None:
            channel_ok, position = bool(values[position]), position + 1
        day = values[position] if by_day else None
        position += by_day
        key = values[position] if by is not None else None
        sums[(day, key)][(measure, segment, store_ok, channel_ok)] += int(values[-1] or 0)
    return sums


def scoped_to(about: Metric, scope: Scope) -> bool:
    """Whether every filter of the scope applies to the metric."""
    dimensions = about.dimensions
    return not (
        (scope.stores and "store" not in dimensions)
        or (scope.channels and "channel" not in dimensions)
        or (scope.segment is not None and "segment" not in dimensions)
    )


def total(groups: Counter[Group], terms: Terms, about: Metric, scope: Scope) -> int:
    dimensions = about.dimensions
    wanted = {m.value: sign for m, sign in terms.measures}
    total = 0
    for (measure, segment, store_ok, channel_ok), value in groups.items():
        sign = wanted.get(measure)
        if sign is None:
            continue
        if not store_ok and "store" in dimensions:
            continue
        if not channel_ok and "channel" in dimensions:
            continue
        if scope.segment is not None and "segment" in dimensions and segment != scope.segment:
            continue
        if terms.segment is not None and segment != terms.segment:
            continue
        total += sign * value
    return total


def ratio(
    code: str, numerator: float, denominator: float | None, *, scale: float = 1.0, **more: Any
) -> Figure:
    if denominator is None:
        return Figure(metric=code, value=numerator * scale, numerator=numerator * scale, **more)
    value = numerator * scale / denominator if denominator else None
    return Figure(
        metric=code, value=value, numerator=numerator * scale, denominator=denominator, **more
    )


def additive(about: Metric, groups: Counter[Group], scope: Scope, business: Business) -> Figure:
    recipe = ADDITIVE[about.code]
    numerator = total(groups, recipe.numerator, about, scope)
    denominator = (
        total(groups, recipe.denominator, about, scope) if recipe.denominator is not None else None
    )
    return ratio(
        about.code,
        numerator,
        denominator,
        scale=recipe.scale,
        currency=business.currency if about.unit == _MONEY_UNIT else None,
        scoped=scoped_to(about, scope),
    )
