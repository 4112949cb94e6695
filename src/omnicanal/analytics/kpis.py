"""The shapes the measures are asked and answered in: a scope (days, stores, channels,
segment), a metric's definition, a figure and a day's point.

The catalogue of metrics is :mod:`omnicanal.analytics.metrics`; the figures are computed by
:mod:`omnicanal.analytics.measures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

__all__ = [
    "SEGMENTS",
    "Better",
    "Dimension",
    "Figure",
    "Metric",
    "Point",
    "Rhythm",
    "Scope",
    "Unit",
]

Unit = Literal["count", "ratio", "money", "seconds", "days", "units", "score"]
"""How a value reads: a count, a share between 0 and 1, minor units of money, a duration in
seconds, a number of days, units per something, a score (NPS from -100 to 100)."""
Better = Literal["up", "down", "none"]
Rhythm = Literal["ops", "week", "month"]
"""The seeds' three rhythms: real time for operations, weekly for campaigns, monthly for
strategy."""
Dimension = Literal["store", "channel", "segment"]

SEGMENTS = ("recognised", "anonymous")
"""A customer segment of an order: it names a customer, or it does not."""


@dataclass(frozen=True)
class Scope:
    """What a figure is about: local days ``start`` to ``end`` (both included), some stores,
    some channels (none: all), one customer segment (None: both)."""

    start: date
    end: date
    stores: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    segment: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A scope ends on or after its first day.")

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def before(self) -> Scope:
        """The period of the same length just before this one, same stores and channels."""
        length = (self.end - self.start).days + 1
        return Scope(
            start=self.start - timedelta(days=length),
            end=self.start - timedelta(days=1),
            stores=self.stores,
            channels=self.channels,
            segment=self.segment,
        )


@dataclass(frozen=True)
class Metric:
    """A metric and its definition, written next to it and shown in the pages (French)."""

    code: str
    name: str
    """What the pages call it: « Taux d'identification en magasin »."""
    definition: str
    """The formula in words: « ventes en caisse avec un client identifié ÷ ventes en caisse »."""
    population: str
    """Who or what is counted."""
    window: str
    """Over which time the events are taken."""
    unit: Unit
    better: Better
    rhythms: tuple[Rhythm, ...]
    north_star: bool
    dimensions: tuple[Dimension, ...] = field(default=("store", "channel", "segment"))
    """The filters that apply to it: a figure asked for a dimension it does not have is
    the chain's, and says so (``Figure.scoped`` false)."""


@dataclass(frozen=True)
class Figure:
    """A metric's value over a scope, with what it was computed from."""

    metric: str
    value: float | None
    """None when the scope holds none of its population (shown as « — »)."""
    numerator: float | None = None
    denominator: float | None = None
    currency: str | None = None
    """For a money figure: the currency of its minor units."""
    scoped: bool = True
    """False when a filter of the scope does not apply to this metric."""


@dataclass(frozen=True)
class Point:
    """A metric's value on one day, for one store, channel or segment (``key``) when the
    series is split, ``""`` otherwise."""

    day: date
    key: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
