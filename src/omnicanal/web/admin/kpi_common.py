"""What the KPI pages share: the reader's words, the stores of the filters, the day a page
counts as today, the problem page of a refused filter, the choice of a metric."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from omnicanal.analytics import measures, metrics
from omnicanal.analytics.kpis import Dimension
from omnicanal.web.admin.kpi_charts import ColumnChart, LineChart, column_chart, line_chart
from omnicanal.web.admin.kpi_filters import FilterRefused, Filters
from omnicanal.web.admin.kpi_panels import FigureRow, Series
from omnicanal.web.admin.kpi_values import Reader
from omnicanal.web.edge import WebEdge
from omnicanal.web.rendering import zone_named

__all__ = [
    "DIMENSIONS",
    "EXPORTS_BASE",
    "VIEWS",
    "DailyChart",
    "ExportAsk",
    "choose_dimension",
    "choose_metric",
    "daily_chart",
    "first_with_value",
    "local_today",
    "period_text",
    "reader_of",
    "refused_page",
    "stores_of",
]

VIEWS = (
    ("/admin/kpis/operations", "Live operations"),
    ("/admin/kpis/week", "The week's campaigns"),
    ("/admin/kpis/month", "The month's strategy"),
)
"""The seeds' three rhythms, each a view (message ids)."""
EXPORTS_BASE = "/admin/kpis/export"
DIMENSIONS: dict[str, str] = {"store": "By store", "channel": "By channel", "segment": "By segment"}
"""How a daily chart may be split (message ids)."""


def reader_of(request: Request, edge: WebEdge) -> Reader:
    """The reader's language and words, as the page's template has them."""
    language = edge.renderer.language(request)
    return Reader(language=language, gettext=edge.renderer.translations[language].gettext)


def stores_of(session: Session) -> list[measures.Place]:
    """The stores a page may be filtered by, by name."""
    return sorted(
        (place for place in measures.places(session) if place.kind == "store"),
        key=lambda place: (place.name, place.code),
    )


def local_today(
    places: Sequence[measures.Place], store: str, fallback: ZoneInfo, now: datetime
) -> date:
    """Today as ``store`` counts its days (its time zone), else as the business does."""
    zone = fallback
    for place in places:
        if place.code == store:
            zone = zone_named(place.timezone, fallback)
    return now.astimezone(zone).date()


def choose_metric(
    value: str | None, allowed: Sequence[str], field: str = "metric", *, default: str = ""
) -> str:
    """The metric a page was asked to chart, among ``allowed`` (``default``, else the first,
    when none)."""
    if not value:
        return default or allowed[0]
    if value not in allowed or value not in metrics.METRICS:
        raise FilterRefused("unknown_choice", value, field)
    return value


def first_with_value(rows: Sequence[FigureRow]) -> str:
    """The first metric of ``rows`` that has a value over the period (``""``: none has): the
    chart a page opens on, rather than an empty one."""
    return next((row.metric.code for row in rows if row.now.value is not None), "")


def choose_dimension(value: str | None) -> Dimension | None:
    """How a daily chart is split: by store, channel or segment, or not at all."""
    if not value:
        return None
    if value == "store":
        return "store"
    if value == "channel":
        return "channel"
    if value == "segment":
        return "segment"
    raise FilterRefused("unknown_choice", value, "by")


def refused_page(request: Request, edge: WebEdge, refused: FilterRefused) -> Response:
    """The page of a filter the KPI pages cannot use: which, and what to do (400)."""
    return edge.renderer.render(
        request,
        "admin/kpis/problem.html",
        {"problem": refused.problem, "value": refused.value, "field": refused.field},
        status_code=404 if refused.problem == "unknown_pilot" else 400,
    )


@dataclass(frozen=True)
class ExportAsk:
    """What an export is asked with: its page's filters, the other parameters of the
    address (the metric charted, the split), the moment, the locations."""

    filters: Filters
    params: Mapping[str, str]
    now: datetime
    places: list[measures.Place]


@dataclass(frozen=True)
class DailyChart:
    """A series drawn: columns for a count on one line, lines otherwise."""

    kind: str
    chart: LineChart | ColumnChart


def daily_chart(
    series: Series, reader: Reader, names: dict[str, str], currency: str | None = None
) -> DailyChart:
    """A metric's days as a chart: a column per day for a count or an amount not split,
    else a line per key named by ``names`` (the metric's name when not split)."""
    about = series.metric
    label = reader.label(about.unit, currency)
    keys = series.keys or [""]
    if about.unit in ("count", "money") and keys == [""]:
        every = 1 if len(series.days) <= 10 else 5 if len(series.days) <= 40 else 15
        values = series.values("")
        return DailyChart(
            kind="columns",
            chart=column_chart(
                [
                    (
                        format_date(day, "full", locale=reader.language),
                        format_date(day, "d MMM", locale=reader.language)
                        if (len(series.days) - 1 - index) % every == 0
                        else None,
                        values[index],
                    )
                    for index, day in enumerate(series.days)
                ],
                label=label,
            ),
        )
    return DailyChart(
        kind="line",
        chart=line_chart(
            series.days,
            [
                (key, names.get(key, about.name if key == "" else key), series.values(key))
                for key in keys
            ],
            label=label,
            language=reader.language,
        ),
    )


def period_text(reader: Reader, filters: Filters) -> str:
    """« du 3 mars 2026 au 9 mars 2026 (7 jours) »."""
    _ = reader.gettext
    return _("from %(start)s to %(end)s (%(days)s days)") % {
        "start": format_date(filters.start, "long", locale=reader.language),
        "end": format_date(filters.end, "long", locale=reader.language),
        "days": filters.length,
    }
