"""The KPI pages' charts, drawn on the server as SVG geometry (ADR 0042): a line per series
over the days, columns per day or per month, horizontal bars, a heat-map's shade, a
histogram, and the stores on the map of France shaded by a metric.

Pure functions over numbers: no database, no request. Each returns the coordinates a
template draws and the labels it writes, already formatted by the ``label`` function the
page hands in (Babel, in the reader's language), so that a chart says what its table says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from omnicanal.web.admin.common import Point

__all__ = [
    "HEAT_LEVELS",
    "Bar",
    "BarChart",
    "Column",
    "ColumnChart",
    "Line",
    "LineChart",
    "MapDot",
    "Marker",
    "Tick",
    "bar_chart",
    "column_chart",
    "heat_level",
    "histogram",
    "line_chart",
    "map_dots",
    "shade",
]

Label = Callable[[float | None], str]
"""A value written for people: ``0.123`` → ``12,3 %``."""

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 100, 36, 20, 40
"""Room for the values on the left (« 12 min 46 s », « 149 999,70 € » at 12 px), the dates
under the axis."""
SERIES_SHOWN = 6
"""The most lines one chart draws (and the number of colours the stylesheet gives)."""
HEAT_LEVELS = 6
BAR_HEIGHT, BAR_GAP, BAR_LABEL = 22, 8, 180
MARKERS_UP_TO = 45
"""Days up to which each day's value gets a dot (a quarter's line is a line)."""


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    """One series: its name, the polylines between the days that have a value, its dots."""

    key: str
    name: str
    colour: int
    paths: list[str]
    markers: list[Marker]


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    base: float
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    empty: bool


def _days_ticks(days: Sequence[date], x_of: Callable[[int], float], language: str) -> list[Tick]:
    """A date under every day of a week, every fifth of a month, every fifteenth of a
    quarter, counted back from the last day (always labelled)."""
    every = 1 if len(days) <= 10 else 5 if len(days) <= 40 else 15
    return [
        Tick(position=round(x_of(index), 1), text=format_date(day, "d MMM", locale=language))
        for index, day in enumerate(days)
        if (len(days) - 1 - index) % every == 0
    ]


def _value_ticks(
    low: float, high: float, y_of: Callable[[float], float], label: Label
) -> list[Tick]:
    """The bottom, the middle and the top of the value axis."""
    values = [low, (low + high) / 2, high] if high > low else [low]
    return [Tick(position=round(y_of(value), 1), text=label(value)) for value in values]


def _span(values: Sequence[float]) -> tuple[float, float]:
    """The value axis: from zero (or the lowest value, when below) to the highest value."""
    low = min([0.0, *values])
    high = max([0.0, *values])
    if high == low:
        high = low + 1.0
    return low, high


def line_chart(
    days: Sequence[date],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    label: Label,
    language: str,
    day_label: Callable[[date], str] | None = None,
) -> LineChart:
    """A line per series (key, name, one value per day, None where the day has none), at
    most :data:`SERIES_SHOWN`; a gap where a day has no value; a dot per day on short periods
    with its date and value as a tooltip."""
    shown = list(series)[:SERIES_SHOWN]
    values = [value for _, _, row in shown for value in row if value is not None]
    low, high = _span(values)
    base = HEIGHT - BOTTOM
    inner = WIDTH - LEFT - RIGHT
    step = inner / max(len(days) - 1, 1)

    def x_of(index: int) -> float:
        return LEFT + (index * step if len(days) > 1 else inner / 2)

    def y_of(value: float) -> float:
        return base - (value - low) / (high - low) * (base - TOP)

    name_of_day = day_label or (lambda day: format_date(day, "full", locale=language))
    lines = []
    for colour, (key, name, row) in enumerate(shown):
        paths: list[str] = []
        current: list[str] = []
        markers = []
        for index, value in enumerate(row[: len(days)]):
            if value is None:
                if current:
                    paths.append(" ".join(current))
                current = []
                continue
            x, y = round(x_of(index), 1), round(y_of(value), 1)
            current.append(f"{x},{y}")
            if len(days) <= MARKERS_UP_TO:
                title = f"{name_of_day(days[index])} : {label(value)}"
                markers.append(Marker(x=x, y=y, title=f"{name} · {title}" if name else title))
        if current:
            paths.append(" ".join(current))
        lines.append(Line(key=key, name=name, colour=colour, paths=paths, markers=markers))
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        base=base,
        lines=lines,
        x_ticks=_days_ticks(days, x_of, language),
        y_ticks=_value_ticks(low, high, y_of, label) if values else [],
        empty=not values,
    )


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    title: str
    tick: str | None
    negative: bool


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    base: float
    zero: float
    columns: list[Column]
    y_ticks: list[Tick]
    empty: bool


def column_chart(
    values: Sequence[tuple[str, str | None, float | None]], *, label: Label
) -> ColumnChart:
    """A column per (title, tick under it or None, value): days or months; a day without a
    value has no column; a negative value hangs below the zero line."""
    present = [value for _, _, value in values if value is not None]
    low, high = _span(present)
    base = HEIGHT - BOTTOM
    inner = WIDTH - LEFT - RIGHT
    slot = inner / max(len(values), 1)
    width = round(max(min(slot * 0.7, 48), 1.0), 1)

    def y_of(value: float) -> float:
        return base - (value - low) / (high - low) * (base - TOP)

    zero = round(y_of(0.0), 1)
    columns = []
    for index, (title, tick, value) in enumerate(values):
        top = zero if value is None else round(y_of(value), 1)
        columns.append(
            Column(
                x=round(LEFT + index * slot + (slot - width) / 2, 1),
                y=min(top, zero),
                width=width,
                height=round(abs(zero - top), 1),
                title=f"{title} : {label(value)}",
                tick=tick,
                negative=value is not None and value < 0,
            )
        )
    return ColumnChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        base=base,
        zero=zero,
        columns=columns,
        y_ticks=_value_ticks(low, high, y_of, label) if present else [],
        empty=not present,
    )


@dataclass(frozen=True)
class Bar:
    name: str
    text: str
    y: float
    x: float
    width: float
    negative: bool


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    zero: float
    bars: list[Bar]
    bar_height: int
    empty: bool


def bar_chart(rows: Sequence[tuple[str, float | None]], *, label: Label) -> BarChart:
    """A horizontal bar per (name, value), the longest reaching the right edge less room for
    its value written after it; from a zero line that moves right when a value is
    negative."""
    present = [value for _, value in rows if value is not None]
    low, high = _span(present)
    room = 96  # the value written at the end of the bar
    inner = WIDTH - BAR_LABEL - room
    zero = BAR_LABEL + (0 - low) / (high - low) * inner
    bars = []
    for index, (name, value) in enumerate(rows):
        end = zero if value is None else BAR_LABEL + (value - low) / (high - low) * inner
        bars.append(
            Bar(
                name=name,
                text=label(value),
                y=round(index * (BAR_HEIGHT + BAR_GAP) + BAR_GAP / 2, 1),
                x=round(min(zero, end), 1),
                width=round(abs(end - zero), 1),
                negative=value is not None and value < 0,
            )
        )
    return BarChart(
        width=WIDTH,
        height=max(len(rows), 1) * (BAR_HEIGHT + BAR_GAP),
        label_width=BAR_LABEL,
        zero=round(zero, 1),
        bars=bars,
        bar_height=BAR_HEIGHT,
        empty=not present,
    )


def heat_level(value: float | None, top: float) -> int | None:
    """A heat-map cell's shade from 0 (lightest) to HEAT_LEVELS - 1 (darkest) for a value
    between 0 and ``top``; None for no value."""
    if value is None:
        return None
    if top <= 0:
        return 0
    share = min(max(value / top, 0.0), 1.0)
    return min(int(share * HEAT_LEVELS), HEAT_LEVELS - 1)


def histogram(values: Sequence[float], *, bins: int = 10) -> list[tuple[float, float, int]]:
    """``bins`` equal-width classes (low, high, how many) from the lowest to the highest
    value; the highest value falls in the last class."""
    if not values:
        return []
    low, high = min(values), max(values)
    if high == low:
        return [(low, high, len(values))]
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / width), bins - 1)] += 1
    return [
        (low + index * width, low + (index + 1) * width, counts[index]) for index in range(bins)
    ]


def shade(value: float | None, values: Sequence[float | None], better: str) -> str:
    """A store's shade among the stores: ``good``, ``middle`` or ``bad`` by the third of the
    ranking it falls in (the better direction of the metric deciding which end is good),
    ``plain`` when the metric has no better direction, ``none`` without a value."""
    if value is None:
        return "none"
    known = sorted(v for v in values if v is not None)
    if better == "none" or len(known) < 2 or known[0] == known[-1]:
        return "plain"
    rank = sum(1 for v in known if v < value) / (len(known) - 1)
    third = "low" if rank < 1 / 3 else "high" if rank > 2 / 3 else "middle"
    if third == "middle":
        return "middle"
    return "good" if (third == "high") == (better == "up") else "bad"


@dataclass(frozen=True)
class MapDot:
    code: str
    name: str
    x: float
    y: float
    radius: float
    shade: str
    text: str


def map_dots(
    places: Sequence[tuple[str, str, float | None, float | None]],
    values: dict[str, float | None],
    *,
    better: str,
    label: Label,
    project: Callable[[float, float], Point | None],
) -> list[MapDot]:
    """A dot per store (code, name, latitude, longitude) that falls on the map, shaded by
    its value of the metric among the stores'."""
    dots = []
    for code, name, latitude, longitude in places:
        if latitude is None or longitude is None:
            continue
        point = project(latitude, longitude)
        if point is None:
            continue
        value = values.get(code)
        dots.append(
            MapDot(
                code=code,
                name=name,
                x=point.x,
                y=point.y,
                radius=9.0,
                shade=shade(value, list(values.values()), better),
                text=label(value),
            )
        )
    return dots
