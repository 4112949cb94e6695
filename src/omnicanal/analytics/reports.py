"""What the KPI API and the ``omnicanal kpi`` command share: the period and scope a caller
may ask for, each figure beside the period before it, and tables as CSV.

- **Period**: local days ``start`` to ``end``, both included; by default the last 7 days
  up to today (the store's day when one store is asked, else the business's). A period
  ends on or after its start and spans at most 3 years.
- **Scope**: stores and channels are checked against the network (unknown: 404). A key
  bound to a store reads its own store's figures only: asking no store gives its own,
  asking another is refused (403 ``location_forbidden``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from omnicanal.analytics import measures, metrics
from omnicanal.analytics.kpis import SEGMENTS, Figure, Metric, Scope
from omnicanal.network import service as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import LocationForbidden
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import InvalidInput
from omnicanal.platform.tabular import escape_formula

__all__ = [
    "DEFAULT_DAYS",
    "MAX_FILTER_VALUES",
    "MAX_PERIOD_DAYS",
    "Comparison",
    "InvalidPeriod",
    "PeriodTooLong",
    "UnknownSegment",
    "catalogue",
    "compare",
    "csv_text",
    "known_metrics",
    "scope_for",
    "with_segment",
]

DEFAULT_DAYS = 7
MAX_PERIOD_DAYS = 3 * 365 + 1
"""The longest period a figure is asked for: three years (one of them leap)."""
MAX_FILTER_VALUES = 100
"""The most stores, channels or metrics one request names."""


class InvalidPeriod(InvalidInput):
    code = "invalid_period"
    title = "A period ends on or after its first day"


class PeriodTooLong(InvalidInput):
    code = "period_too_long"
    title = "A period spans at most three years"


class UnknownSegment(InvalidInput):
    code = "unknown_segment"
    title = "A segment is recognised or anonymous"


class TooManyValues(InvalidInput):
    code = "too_many_values"
    title = "Too many stores, channels or metrics in one request"


def _today(session: Session, stores: Sequence[str], time_zone: str, now: datetime) -> date:
    zone = time_zone
    if len(stores) == 1:
        zone = network.get_location(session, stores[0]).timezone
    return now.astimezone(ZoneInfo(zone)).date()


def _period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    if end is None:
        end = today if start is None else max(today, start)
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise InvalidPeriod(
            f"The period ends on {end.isoformat()}, before its first day {start.isoformat()}.",
            field="to",
        )
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise PeriodTooLong(
            f"The period spans {(end - start).days + 1} days; at most {MAX_PERIOD_DAYS}.",
            field="from",
        )
    return start, end


def _bounded(values: Sequence[str], field: str) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(values))
    if len(unique) > MAX_FILTER_VALUES:
        raise TooManyValues(
            f"At most {MAX_FILTER_VALUES} values of {field} in one request.", field=field
        )
    return unique


def scope_for(
    session: Session,
    *,
    actor: Actor,
    time_zone: str,
    start: date | None = None,
    end: date | None = None,
    stores: Sequence[str] = (),
    channels: Sequence[str] = (),
    segment: str | None = None,
    now: datetime | None = None,
) -> Scope:
    """The scope ``actor`` may read for these filters (see the module's rules); ``time_zone``
    is the business's, for the default period."""
    chosen = _bounded(stores, "store")
    if actor.location_code is not None:
        others = [store for store in chosen if store != actor.location_code]
        if others:
            raise LocationForbidden(
                f"This key belongs to store {actor.location_code} and cannot read the figures "
                f"of {others[0]}.",
                field="store",
            )
        chosen = (actor.location_code,)
    network.locations_by_code(session, chosen)
    wanted_channels = _bounded(channels, "channel")
    for channel in wanted_channels:
        network.get_channel(session, channel)
    today = _today(session, chosen, time_zone, now or utcnow())
    first, last = _period(start, end, today)
    scope = Scope(
        start=first,
        end=last,
        stores=tuple(sorted(chosen)),
        channels=tuple(sorted(wanted_channels)),
    )
    return with_segment(scope, segment)


def with_segment(scope: Scope, segment: str | None) -> Scope:
    """``scope`` for the orders of one customer segment (None: both), a known one."""
    if segment is not None and segment not in SEGMENTS:
        raise UnknownSegment(
            f"{segment!r} is not a segment: {' or '.join(SEGMENTS)}.", field="segment"
        )
    return replace(scope, segment=segment)


def known_metrics(codes: Sequence[str]) -> list[Metric]:
    """The metrics named (each known, or ``unknown_metric``) in the catalogue's order, or
    the whole catalogue."""
    if not codes:
        return list(metrics.METRICS.values())
    named = {metrics.metric(code).code for code in _bounded(codes, "metric")}
    return [metric for code, metric in metrics.METRICS.items() if code in named]


def catalogue() -> list[Metric]:
    """Every metric with its definition, in display order."""
    return list(metrics.METRICS.values())


@dataclass(frozen=True)
class Comparison:
    """A metric's figure over a scope beside its figure over the period just before."""

    metric: Metric
    figure: Figure
    previous: Figure

    @property
    def change(self) -> float | None:
        """The value minus the value before (points of a share, minor units of money)."""
        if self.figure.value is None or self.previous.value is None:
            return None
        return self.figure.value - self.previous.value

    @property
    def relative_change(self) -> float | None:
        """The change as a share of the value before; None when that was 0 or missing."""
        change = self.change
        if change is None or not self.previous.value:
            return None
        return change / abs(self.previous.value)


def compare(session: Session, scope: Scope, codes: Sequence[str] = ()) -> list[Comparison]:
    """The figures of ``codes`` (default: every metric) over ``scope`` and the period
    before, in the catalogue's order."""
    chosen = known_metrics(codes)
    wanted = [metric.code for metric in chosen]
    now = {figure.metric: figure for figure in measures.figures(session, scope, wanted)}
    before = {figure.metric: figure for figure in measures.figures(session, scope.before(), wanted)}
    return [
        Comparison(
            metric=metric,
            figure=now.get(metric.code, Figure(metric=metric.code, value=None)),
            previous=before.get(metric.code, Figure(metric=metric.code, value=None)),
        )
        for metric in chosen
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, list | tuple):
        return " ".join(_cell(item) for item in value)
    return escape_formula(str(value))


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows as CSV for a spreadsheet or a script: a header, comma-separated, CRLF lines,
    ISO dates, numbers as Python writes them, texts that a spreadsheet would run escaped."""
    rows = list(rows)
    names = list(columns or dict.fromkeys(name for row in rows for name in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in names])
    return buffer.getvalue()
