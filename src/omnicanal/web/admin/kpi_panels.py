"""The tables behind the KPI pages' charts, read through the analytics module's public
functions, each once for the page that draws it and the export that writes it.

A function here asks the measures (``omnicanal.analytics.measures``), the customer value
(``lifetime``) or the pilots (``pilots``) and returns plain rows; ``*_table`` turns rows
into the :class:`~omnicanal.web.admin.kpi_exports.Table` a download writes. No rule lives
here: a figure is what the measures say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from omnicanal.analytics import measures, metrics
from omnicanal.analytics.kpis import Dimension, Figure, Metric, Point, Rhythm, Scope
from omnicanal.web.admin.kpi_exports import Table

__all__ = [
    "BREAKDOWN_CODES",
    "FigureRow",
    "Series",
    "breakdown_table",
    "codes_of",
    "compared",
    "figures_table",
    "series_of",
    "series_table",
]

BREAKDOWN_CODES = (
    "orders",
    "sales",
    "average_basket",
    "recognised_share",
    "click_and_collect_share",
    "return_rate",
)
"""The figures compared store by store and channel by channel on the week's view."""


def codes_of(
    rhythm: Rhythm, group: Sequence[str], *, dimension: Dimension | None = None
) -> list[str]:
    """The metrics of ``group`` read at ``rhythm`` (and that a ``dimension`` splits), in the
    catalogue's order."""
    return [
        code
        for code in group
        if code in metrics.METRICS
        and rhythm in metrics.METRICS[code].rhythms
        and (dimension is None or dimension in metrics.METRICS[code].dimensions)
    ]


def known(codes: Sequence[str]) -> list[str]:
    """The codes that the catalogue holds, in their order."""
    return [code for code in codes if code in metrics.METRICS]


@dataclass(frozen=True)
class FigureRow:
    """A metric's figure over the period, and over the period before (or another scope)."""

    metric: Metric
    now: Figure
    before: Figure


def compared(
    session: Session, scope: Scope, codes: Sequence[str], other: Scope | None = None
) -> list[FigureRow]:
    """Each metric's figure over ``scope`` beside its figure over ``other`` (by default the
    period of the same length just before)."""
    if not codes:
        return []
    now = {figure.metric: figure for figure in measures.figures(session, scope, codes)}
    then = {
        figure.metric: figure
        for figure in measures.figures(session, other or scope.before(), codes)
    }
    return [
        FigureRow(metric=metrics.metric(code), now=now[code], before=then[code])
        for code in codes
        if code in now and code in then
    ]


def figures_table(name: str, rows: Sequence[FigureRow], scope: Scope, other: Scope) -> Table:
    """The figures as a table: one row per metric, the value now and the value compared."""
    return Table(
        name=name,
        columns=(
            ("metric", "text"),
            ("name", "text"),
            ("unit", "text"),
            ("currency", "text"),
            ("value", "number"),
            ("numerator", "number"),
            ("denominator", "number"),
            ("scoped", "boolean"),
            ("compared_value", "number"),
            ("start", "date"),
            ("end", "date"),
            ("compared_start", "date"),
            ("compared_end", "date"),
        ),
        rows=[
            (
                row.metric.code,
                row.metric.name,
                row.metric.unit,
                row.now.currency,
                row.now.value,
                row.now.numerator,
                row.now.denominator,
                row.now.scoped,
                row.before.value,
                scope.start,
                scope.end,
                other.start,
                other.end,
            )
            for row in rows
        ],
    )


@dataclass(frozen=True)
class Series:
    """A metric's days over a scope, split by ``by`` (one key per store, channel or
    segment) or not (one key, ``""``)."""

    metric: Metric
    days: list[date]
    points: list[Point]
    by: Dimension | None

    @property
    def keys(self) -> list[str]:
        return sorted({point.key for point in self.points})

    def values(self, key: str) -> list[float | None]:
        """The key's value on each day, None on a day without one."""
        found = {point.day: point.value for point in self.points if point.key == key}
        return [found.get(day) for day in self.days]


def series_of(session: Session, code: str, scope: Scope, *, by: Dimension | None = None) -> Series:
    """A metric's daily values over ``scope``."""
    return Series(
        metric=metrics.metric(code),
        days=scope.days,
        points=measures.series(session, code, scope, by=by),
        by=by,
    )


def series_table(name: str, series: Series) -> Table:
    """A series as a table: a row per day and key."""
    return Table(
        name=name,
        columns=(
            ("day", "date"),
            ("metric", "text"),
            ("key", "text"),
            ("value", "number"),
            ("numerator", "number"),
            ("denominator", "number"),
        ),
        rows=[
            (
                point.day,
                series.metric.code,
                point.key,
                point.value,
                point.numerator,
                point.denominator,
            )
            for point in sorted(series.points, key=lambda point: (point.day, point.key))
        ],
    )


def breakdown_table(
    name: str, codes: Sequence[str], by: Dimension, found: dict[str, list[Figure]]
) -> Table:
    """A breakdown as a table: a row per store or channel and metric."""
    return Table(
        name=name,
        columns=(
            (by, "text"),
            ("metric", "text"),
            ("value", "number"),
            ("numerator", "number"),
            ("denominator", "number"),
            ("currency", "text"),
        ),
        rows=[
            (
                key,
                figure.metric,
                figure.value,
                figure.numerator,
                figure.denominator,
                figure.currency,
            )
            for key in sorted(found)
            for figure in found[key]
            if figure.metric in codes
        ],
    )
