"""The overview's chart of messages per day, drawn on the server: one column per day, sent at
the bottom, then withheld, then withdrawn, and a date under some of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babel.dates import format_date

from omnicanal.engagement.measures import DayCounts

__all__ = ["SERIES", "DayChart", "DayColumn", "Piece", "day_chart"]

SERIES = ("sent", "withheld", "withdrawn")
DAY_CHART_WIDTH, DAY_CHART_HEIGHT, DAY_CHART_BASE, DAY_CHART_TOP = 720, 230, 196, 170
DAY_CHART_MARGIN = 28
"""Room on each side of the columns for the first and the last day's date."""


@dataclass(frozen=True)
class Piece:
    series: str
    value: int
    y: float
    height: float


@dataclass(frozen=True)
class DayColumn:
    day: str
    tick: str | None
    x: float
    width: float
    pieces: list[Piece]
    sent: int
    withheld: int
    withdrawn: int


@dataclass(frozen=True)
class DayChart:
    columns: list[DayColumn]
    width: int
    height: int
    base: int
    top: int
    totals: dict[str, int]


def day_chart(days: Sequence[DayCounts], language: str) -> DayChart:
    """One column per day of DAY_CHART_WIDTH x DAY_CHART_HEIGHT, sent at the bottom, then
    withheld, then withdrawn; the busiest day DAY_CHART_TOP px tall; a date under every
    column of a week, every fifth of a month, every fifteenth of a quarter."""
    most = max((d.sent + d.withheld + d.withdrawn for d in days), default=0) or 1
    slot = (DAY_CHART_WIDTH - 2 * DAY_CHART_MARGIN) / max(len(days), 1)
    width = round(max(slot * 0.7, 1.0), 1)
    every = 1 if len(days) <= 10 else 5 if len(days) <= 40 else 15
    columns = []
    for index, d in enumerate(days):
        y = float(DAY_CHART_BASE)
        pieces = []
        for series in SERIES:
            value = int(getattr(d, series))
            height = round(DAY_CHART_TOP * value / most, 1)
            y = round(y - height, 1)
            if value:
                pieces.append(Piece(series=series, value=value, y=y, height=height))
        last = index == len(days) - 1
        columns.append(
            DayColumn(
                day=format_date(d.day, "full", locale=language),
                tick=format_date(d.day, "d MMM", locale=language)
                if (len(days) - 1 - index) % every == 0 or (last and every == 1)
                else None,
                x=round(DAY_CHART_MARGIN + index * slot + (slot - width) / 2, 1),
                width=width,
                pieces=pieces,
                sent=d.sent,
                withheld=d.withheld,
                withdrawn=d.withdrawn,
            )
        )
    return DayChart(
        columns=columns,
        width=DAY_CHART_WIDTH,
        height=DAY_CHART_HEIGHT,
        base=DAY_CHART_BASE,
        top=DAY_CHART_TOP,
        totals={series: sum(int(getattr(d, series)) for d in days) for series in SERIES},
    )
