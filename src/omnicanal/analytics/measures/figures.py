"""The figures of the metrics over a scope, a series of days or a split by store, channel or
segment: the additive sums, the order, stock, identity and survey metrics beside them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, cast, distinct, func, select
from sqlalchemy.orm import Session, aliased

from omnicanal.analytics.facts import ANONYMOUS, RECOGNISED, Measure
from omnicanal.analytics.kpis import Dimension, Figure, Metric, Point, Scope
from omnicanal.analytics.measures.sums import (
    ADDITIVE,
    IDENTITY,
    STOCK,
    Business,
    Group,
    Split,
    additive,
    business_of,
    daily_sums,
    measures_of,
    plus,
    ratio,
    scoped_to,
    start_of,
    total,
)
from omnicanal.analytics.metrics import METRICS, metric
from omnicanal.analytics.models import OrderFact, StockFact
from omnicanal.analytics.surveys import survey_counts
from omnicanal.customers.measures import (
    IdentityCounts,
    identity_counts,
    identity_counts_by_window,
)

__all__ = ["breakdown", "daily_values", "figures", "series"]

M = Measure
_IDENTITY_PARTS = {
    "email_card_match_rate": ("members_with_email", "members"),
    "phone_till_match_rate": ("till_records_with_phone", "till_records"),
    "cookie_login_match_rate": ("cookies_with_login", "cookies"),
    # The sum of the merges' delays over the merges: their mean.
    "time_to_unification": ("unification_seconds", "unifications"),
}
"""Each identity metric's numerator and denominator among the customers module's counts."""


# Orders, stock, identity and surveys ----------------------------------------------------------


def _order_filters(scope: Scope, about: Metric, table: Any = OrderFact) -> list[Any]:
    conditions: list[Any] = [table.day.between(scope.start, scope.end)]
    if scope.stores and "store" in about.dimensions:
        conditions.append(table.store.in_(scope.stores))
    if scope.channels and "channel" in about.dimensions:
        conditions.append(table.channel.in_(scope.channels))
    if scope.segment is not None and "segment" in about.dimensions:
        conditions.append(table.segment == scope.segment)
    return conditions


def _margin(session: Session, about: Metric, scope: Scope, business: Business) -> Figure:
    order = OrderFact
    kept = order.units - order.cancelled_units - order.returned_units
    net, cost, counted = session.execute(
        select(
            func.coalesce(
                func.sum(order.total_minor - order.cancelled_minor - order.refunded_minor), 0
            ),
            func.coalesce(
                func.sum(cast(order.cost_minor, Float) * kept / func.nullif(order.units, 0)), 0.0
            ),
            func.count(),
        ).where(
            *_order_filters(scope, about),
            order.cancelled_at.is_(None),
            order.cost_minor.is_not(None),
            order.currency == business.currency,
        )
    ).one()
    margin = float(net) - float(cost) if counted else None
    return Figure(
        metric=about.code,
        value=margin,
        numerator=margin,
        denominator=float(net) if counted else None,
        currency=business.currency,
        scoped=scoped_to(about, scope),
    )


def _recognised_orders(scope: Scope, about: Metric, table: Any = OrderFact) -> list[Any]:
    return [
        *_order_filters(scope, about, table),
        table.customer_ref.is_not(None),
        table.cancelled_at.is_(None),
    ]


def _frequency(session: Session, about: Metric, scope: Scope) -> Figure:
    orders, customers = session.execute(
        select(func.count(), func.count(distinct(OrderFact.customer_ref))).where(
            *_recognised_orders(scope, about)
        )
    ).one()
    return ratio(about.code, int(orders), int(customers), scoped=scoped_to(about, scope))


def _retention(session: Session, about: Metric, scope: Scope) -> Figure:
    """Customers of the period before, and those of them who bought again in this one."""
    before = scope.before()
    again = aliased(OrderFact)
    previous = session.scalar(
        select(func.count(distinct(OrderFact.customer_ref))).where(
            *_recognised_orders(before, about)
        )
    )
    kept = session.scalar(
        select(func.count(distinct(OrderFact.customer_ref))).where(
            *_recognised_orders(before, about),
            OrderFact.customer_ref.in_(
                select(again.customer_ref).where(*_recognised_orders(scope, about, again))
            ),
        )
    )
    previous, kept = int(previous or 0), int(kept or 0)
    lost = kept if about.code == "retention_rate" else previous - kept
    return ratio(about.code, lost, previous, scoped=scoped_to(about, scope))


def _on_hand(session: Session, stores: Sequence[str], *, by_store: bool) -> dict[str | None, int]:
    columns: list[Any] = [StockFact.location] if by_store else []
    query = select(*columns, func.coalesce(func.sum(StockFact.on_hand), 0))
    if stores:
        query = query.where(StockFact.location.in_(stores))
    if by_store:
        query = query.group_by(StockFact.location)
        return {row[0]: max(int(row[1]), 0) for row in session.execute(query)}
    return {None: max(int(session.scalar(query) or 0), 0)}


def _stock(about: Metric, groups: Counter[Group], on_hand: int, scope: Scope) -> Figure:
    sold = total(groups, plus(M.units_sold), about, scope)
    if about.code == "sell_through":
        return ratio(about.code, sold, sold + on_hand, scoped=scoped_to(about, scope))
    days = (scope.end - scope.start).days + 1
    # on hand ÷ (sold ÷ days): how many days of the period's sales the stock lasts.
    return ratio(about.code, on_hand * days, sold, scoped=scoped_to(about, scope))


def _identity(about: Metric, counts: IdentityCounts, scope: Scope) -> Figure:
    part, whole = _IDENTITY_PARTS[about.code]
    numerator = float(getattr(counts, part))
    denominator = float(getattr(counts, whole))
    return ratio(about.code, numerator, denominator, scoped=scoped_to(about, scope))


def _identity_counts(
    session: Session, about: Metric, scope: Scope, zone: ZoneInfo
) -> IdentityCounts:
    stores = scope.stores if "store" in about.dimensions else ()
    return identity_counts(
        session,
        start=start_of(scope.start, zone),
        end=start_of(scope.end + timedelta(days=1), zone),
        stores=stores,
    )


def _survey(
    session: Session, about: Metric, scope: Scope, groups: Counter[Group], business: Business
) -> Figure:
    counts = survey_counts(session, scope)
    if about.code == "nps":
        given = counts.promoters + counts.passives + counts.detractors
        return ratio(about.code, counts.promoters - counts.detractors, given, scale=100.0)
    returns = additive(about, groups, scope, business)
    satisfied = counts.csat_satisfied + (returns.numerator or 0)
    answers = counts.csat_answers + (returns.denominator or 0)
    return ratio(about.code, satisfied, answers)


# The contract's functions ---------------------------------------------------------------------


class _Reader:
    """The figures of one call: the business, and what several metrics share read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.business = business_of(session)
        self._identity: dict[tuple[date, date, tuple[str, ...]], IdentityCounts] = {}

    def read_identity_by_day(self, about: Metric, scope: Scope) -> None:
        """Read the identity counts of each day of ``scope`` at once, for a series."""
        stores = scope.stores if "store" in about.dimensions else ()
        zone = self.business.zone
        days = scope.days
        counts = identity_counts_by_window(
            self.session,
            windows=[
                (start_of(day, zone), start_of(day + timedelta(days=1), zone)) for day in days
            ],
            stores=stores,
        )
        for day, count in zip(days, counts, strict=True):
            self._identity[(day, day, stores)] = count

    def figure(self, about: Metric, scope: Scope, groups: Counter[Group]) -> Figure:
        code = about.code
        if code in ("nps", "csat"):
            return _survey(self.session, about, scope, groups, self.business)
        if code in ADDITIVE:
            return additive(about, groups, scope, self.business)
        if code in STOCK:
            on_hand = _on_hand(self.session, scope.stores, by_store=False)[None]
            return _stock(about, groups, on_hand, scope)
        if code in IDENTITY:
            stores = scope.stores if "store" in about.dimensions else ()
            key = (scope.start, scope.end, stores)
            if key not in self._identity:
                self._identity[key] = _identity_counts(
                    self.session, about, scope, self.business.zone
                )
            return _identity(about, self._identity[key], scope)
        if code == "contribution_margin":
            return _margin(self.session, about, scope, self.business)
        if code == "purchase_frequency":
            return _frequency(self.session, about, scope)
        return _retention(self.session, about, scope)


def _metrics(codes: Sequence[str] | None) -> list[Metric]:
    return list(METRICS.values()) if codes is None else [metric(code) for code in codes]


def figures(session: Session, scope: Scope, codes: Sequence[str] | None = None) -> list[Figure]:
    """The figures of ``codes`` (every metric: None) over ``scope``, in the order asked."""
    wanted = _metrics(codes)
    reader = _Reader(session)
    sums = daily_sums(session, scope, measures_of(m.code for m in wanted))
    groups = sums.get((None, None), Counter())
    return [reader.figure(about, scope, groups) for about in wanted]


def _narrowed(scope: Scope, by: Dimension, key: str) -> Scope:
    if by == "store":
        return replace(scope, stores=(key,))
    if by == "channel":
        return replace(scope, channels=(key,))
    return replace(scope, segment=key)


def _keys(scope: Scope, by: Dimension, sums: dict[Split, Counter[Group]]) -> list[str]:
    """The values a split shows: those of the scope's filter, else every one with data."""
    if by == "store" and scope.stores:
        return list(scope.stores)
    if by == "channel" and scope.channels:
        return list(scope.channels)
    if by == "segment":
        return [scope.segment] if scope.segment is not None else list((RECOGNISED, ANONYMOUS))
    return sorted({key for (_, key) in sums if key is not None})


def _split_groups(
    sums: dict[Split, Counter[Group]],
    day: date | None,
    key: str | None,
    about: Metric,
    by: Dimension | None,
) -> Counter[Group]:
    """The groups of a day and a key; every key's when the metric has no such dimension."""
    if by is None or by in about.dimensions:
        return sums.get((day, key), Counter())
    merged: Counter[Group] = Counter()
    for (other_day, _), groups in sums.items():
        if other_day == day:
            merged.update(groups)
    return merged


def _figure_of(
    reader: _Reader,
    about: Metric,
    scope: Scope,
    sums: dict[Split, Counter[Group]],
    *,
    day: date | None,
    key: str | None,
    by: Dimension | None,
) -> Figure:
    narrowed = scope if day is None else replace(scope, start=day, end=day)
    if by is not None and key is not None and by in about.dimensions:
        narrowed = _narrowed(narrowed, by, key)
    groups = _split_groups(sums, day, key, about, by)
    if about.code in ADDITIVE and about.code != "csat":
        figure = additive(about, groups, narrowed, reader.business)
    else:
        figure = reader.figure(about, narrowed, groups)
    if by is not None and by not in about.dimensions:
        figure = replace(figure, scoped=False)
    return figure


def series(
    session: Session, code: str, scope: Scope, *, by: Dimension | None = None
) -> list[Point]:
    """The metric's value on each day of the scope (for each value of ``by`` when split)."""
    about = metric(code)
    reader = _Reader(session)
    sums = daily_sums(session, scope, measures_of([code], by=by), by_day=True, by=by)
    keys: list[str | None] = list(_keys(scope, by, sums)) if by is not None else [None]
    if code in IDENTITY and (by is None or by not in about.dimensions):
        reader.read_identity_by_day(about, scope)
    points = []
    for day in scope.days:
        for key in keys:
            figure = _figure_of(reader, about, scope, sums, day=day, key=key, by=by)
            points.append(
                Point(
                    day=day,
                    key=key or "",
                    value=figure.value,
                    numerator=figure.numerator,
                    denominator=figure.denominator,
                )
            )
    return points


def breakdown(
    session: Session, scope: Scope, codes: Sequence[str], *, by: Dimension
) -> dict[str, list[Figure]]:
    """The figures of ``codes`` for each value of ``by`` (each store, channel or segment)."""
    wanted = _metrics(codes)
    reader = _Reader(session)
    sums = daily_sums(session, scope, measures_of((m.code for m in wanted), by=by), by=by)
    answer: dict[str, list[Figure]] = {}
    for key in _keys(scope, by, sums):
        answer[key] = [
            _figure_of(reader, about, scope, sums, day=None, key=key, by=by) for about in wanted
        ]
    return answer


def daily_values(session: Session, code: str, scope: Scope) -> dict[str, dict[date, float | None]]:
    """Per store of the scope (every store with data when it names none): each day's value.
    A metric without a store dimension gives each store the chain's values."""
    values: dict[str, dict[date, float | None]] = {}
    for point in series(session, code, scope, by="store"):
        values.setdefault(point.key, {})[point.day] = point.value
    return values
