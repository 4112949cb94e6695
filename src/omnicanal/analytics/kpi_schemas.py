"""What the KPI API answers: the catalogue, figures beside the period before, series,
breakdowns. Values are plain numbers: a share between 0 and 1, money in minor units of
``currency``, durations in seconds, NPS from -100 to 100; ``null`` when the scope holds
none of the metric's population."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from omnicanal.analytics.kpis import Figure, Metric, Point
from omnicanal.analytics.reports import Comparison

__all__ = [
    "BreakdownGroupOut",
    "BreakdownOut",
    "FigureOut",
    "KpisOut",
    "MetricOut",
    "PointOut",
    "SeriesOut",
    "figure_out",
    "metric_out",
]


class MetricOut(BaseModel):
    """A metric and its definition (French, as the pages show it)."""

    code: str
    name: str
    definition: str
    population: str
    window: str
    unit: str = Field(description="count, ratio, money, seconds, days, units or score")
    better: str = Field(description="up, down or none: which way is an improvement")
    rhythms: list[str] = Field(description="ops, week, month: the views that show it")
    north_star: bool
    dimensions: list[str] = Field(description="The filters that apply to it")


class FigureOut(BaseModel):
    """A metric's value over the period, and over the period of the same length before."""

    metric: str
    name: str
    unit: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    currency: str | None = None
    scoped: bool = Field(
        default=True, description="False: a filter does not apply, the figure is the chain's"
    )
    previous: float | None = None
    change: float | None = Field(default=None, description="value - previous")
    relative_change: float | None = Field(default=None, description="change ÷ |previous|")


class KpisOut(BaseModel):
    """The figures of a scope."""

    start: date = Field(description="First local day (from)")
    end: date = Field(description="Last local day, included (to)")
    previous_start: date
    previous_end: date
    stores: list[str]
    channels: list[str]
    segment: str | None
    figures: list[FigureOut]


class PointOut(BaseModel):
    """A day's value, for one store, channel or segment (``key``) when split."""

    day: date
    key: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None


class SeriesOut(BaseModel):
    """A metric day by day over the period."""

    metric: str
    name: str
    unit: str
    by: str | None
    start: date
    end: date
    points: list[PointOut]


class BreakdownGroupOut(BaseModel):
    """The figures of one store, channel or segment."""

    key: str
    figures: list[FigureOut]


class BreakdownOut(BaseModel):
    """Figures split by store, channel or segment."""

    by: str
    start: date
    end: date
    groups: list[BreakdownGroupOut]


def metric_out(metric: Metric) -> MetricOut:
    return MetricOut(
        code=metric.code,
        name=metric.name,
        definition=metric.definition,
        population=metric.population,
        window=metric.window,
        unit=metric.unit,
        better=metric.better,
        rhythms=list(metric.rhythms),
        north_star=metric.north_star,
        dimensions=list(metric.dimensions),
    )


def figure_out(metric: Metric, figure: Figure, comparison: Comparison | None = None) -> FigureOut:
    return FigureOut(
        metric=metric.code,
        name=metric.name,
        unit=metric.unit,
        value=figure.value,
        numerator=figure.numerator,
        denominator=figure.denominator,
        currency=figure.currency,
        scoped=figure.scoped,
        previous=comparison.previous.value if comparison else None,
        change=comparison.change if comparison else None,
        relative_change=comparison.relative_change if comparison else None,
    )


def point_out(point: Point) -> PointOut:
    return PointOut(
        day=point.day,
        key=point.key,
        value=point.value,
        numerator=point.numerator,
        denominator=point.denominator,
    )
