"""The back office's KPI pages (ADR 0042), at the seeds' three rhythms: live operations
(``kpi_operations``), the week's campaigns (here), the month's strategy (``kpi_month``);
and the export of every table behind a chart, with the page's filters.

The week's view: the North Stars and the commerce metrics over the period (the last 7 days
by default) beside the period of the same length before, with an arrow coloured by whether
the metric is better up or down; a chosen metric day by day (split by store, channel or
segment if asked); the sales per day; the basket of recognised customers against the
anonymous; a breakdown by channel and by store. Every figure comes from
``omnicanal.analytics.measures``; no rule lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from omnicanal.analytics import measures, metrics
from omnicanal.analytics.kpis import Dimension, Figure
from omnicanal.platform.clock import utcnow
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.web.admin import kpi_month, kpi_operations, kpi_pilot
from omnicanal.web.admin.common import HeadOffice
from omnicanal.web.admin.kpi_charts import bar_chart
from omnicanal.web.admin.kpi_common import (
    DIMENSIONS,
    EXPORTS_BASE,
    VIEWS,
    ExportAsk,
    choose_dimension,
    choose_metric,
    daily_chart,
    first_with_value,
    local_today,
    period_text,
    reader_of,
    refused_page,
    stores_of,
)
from omnicanal.web.admin.kpi_exports import FORMATS, Table, file_response
from omnicanal.web.admin.kpi_filters import CHANNELS, PRESETS, FilterRefused, Filters, read_filters
from omnicanal.web.admin.kpi_panels import (
    BREAKDOWN_CODES,
    FigureRow,
    breakdown_table,
    codes_of,
    compared,
    figures_table,
    known,
    series_of,
    series_table,
)
from omnicanal.web.admin.kpi_values import Reader
from omnicanal.web.edge import WebDep
from omnicanal.web.labels import CHANNEL_LABELS

__all__ = ["router"]

router = APIRouter()
router.include_router(kpi_operations.router)
router.include_router(kpi_month.router)
router.include_router(kpi_pilot.router)


@router.get("/kpis")
def kpis_home(member: HeadOffice) -> Response:
    """The KPI pages start with the week's view."""
    return RedirectResponse("/admin/kpis/week", status_code=303)


def week_codes() -> tuple[list[str], list[str]]:
    """The North Stars and the commerce metrics read every week."""
    return codes_of("week", metrics.NORTH_STARS), codes_of("week", metrics.COMMERCE)


def key_names(reader: Reader, by: Dimension | None, places: list[measures.Place]) -> dict[str, str]:
    """The words for the keys of a split: a store's name, a channel's, a segment's."""
    if by == "store":
        return {place.code: f"{place.name} ({place.code})" for place in places}
    if by == "channel":
        return {code: reader.gettext(label) for code, label in CHANNEL_LABELS.items()}
    if by == "segment":
        return {code: reader.segment(code) for code in ("recognised", "anonymous")}
    return {}


@dataclass(frozen=True)
class Breakdown:
    """Figures by store or channel: a row per key, a figure per metric."""

    by: Dimension
    codes: list[str]
    rows: list[tuple[str, str, list[Figure]]]
    """(key, its name, the figures of ``codes``)."""


def breakdown_of(
    session: Session, filters: Filters, by: Dimension, names: dict[str, str]
) -> Breakdown:
    """The breakdown of the week's view by ``by``: the metrics of :data:`BREAKDOWN_CODES`
    that it splits."""
    codes = [code for code in known(BREAKDOWN_CODES) if by in metrics.metric(code).dimensions]
    found = measures.breakdown(session, filters.scope, codes, by=by) if codes else {}
    return Breakdown(
        by=by,
        codes=codes,
        rows=[(key, names.get(key, key), found[key]) for key in sorted(found) if key],
    )


def _filters(
    params: Mapping[str, str], platform: PlatformDep, places: list[measures.Place], **options: Any
) -> Filters:
    zone = platform.settings.business_zone
    return read_filters(
        params,
        today=local_today(places, params.get("store", ""), zone, utcnow()),
        stores=[place.code for place in places],
        **options,
    )


@router.get("/kpis/week")
def week(request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice) -> Response:
    """The week's campaigns: figures against the period before, days, breakdowns."""
    reader = reader_of(request, edge)
    params = request.query_params
    north_codes, commerce_codes = week_codes()
    charted = [*north_codes, *commerce_codes]
    with platform.db.reading() as session:
        places = measures.places(session)
        stores = stores_of(session)
        try:
            filters = _filters(params, platform, places)
            choose_metric(params.get("metric"), charted)
            by = choose_dimension(params.get("by"))
        except FilterRefused as refused:
            return refused_page(request, edge, refused)
        scope = filters.scope
        north = compared(session, scope, north_codes)
        commerce = compared(session, scope, commerce_codes)
        chosen = choose_metric(
            params.get("metric"), charted, default=first_with_value([*north, *commerce])
        )
        about = metrics.metric(chosen)
        split = by if by in about.dimensions else None
        chosen_series = series_of(session, chosen, scope, by=split)
        sales = series_of(session, "sales", scope) if "sales" in metrics.METRICS else None
        baskets = series_of(session, "average_basket", scope, by="segment")
        channel_names = key_names(reader, "channel", places)
        store_names = key_names(reader, "store", places)
        by_channel = breakdown_of(session, filters, "channel", channel_names)
        by_store = breakdown_of(session, filters, "store", store_names)
    currency = next((row.now.currency for row in [*north, *commerce] if row.now.currency), None)
    rows = {row.metric.code: row for row in [*north, *commerce]}
    basket_codes = [code for code in ("basket_recognised", "basket_anonymous") if code in rows]

    def bars(found: Breakdown) -> Any:
        if chosen not in found.codes:
            return None
        index = found.codes.index(chosen)
        return bar_chart(
            [(name, figures[index].value) for _, name, figures in found.rows],
            label=reader.label(about.unit, currency),
        )

    return edge.renderer.render(
        request,
        "admin/kpis/week.html",
        {
            **_common(reader, filters, stores, "/admin/kpis/week"),
            "north": north,
            "commerce": commerce,
            "charted": [metrics.metric(code) for code in charted],
            "about": about,
            "by": by,
            "split": split,
            "dimensions": DIMENSIONS,
            "chosen_chart": daily_chart(
                chosen_series, reader, key_names(reader, split, places), currency
            ),
            "sales_chart": daily_chart(sales, reader, {}, currency) if sales else None,
            "sales_metric": sales.metric if sales else None,
            "basket_chart": daily_chart(
                baskets, reader, key_names(reader, "segment", places), currency
            ),
            "basket_metric": baskets.metric,
            "basket_rows": [rows[code] for code in basket_codes],
            "by_channel": by_channel,
            "by_store": by_store,
            "channel_bars": bars(by_channel),
            "store_bars": bars(by_store),
            "chosen": chosen,
        },
    )


def _common(
    reader: Reader, filters: Filters, stores: list[measures.Place], path: str
) -> dict[str, Any]:
    """What every KPI view's template uses: the views, the filters, the words for values."""

    def show(figure: Figure | None, unit: str | None = None) -> str:
        if figure is None:
            return reader.value(None, "count")
        about = metrics.metric(figure.metric)
        return reader.value(figure.value, about.unit, figure.currency)

    def change(row: FigureRow) -> Any:
        return reader.delta(row.now.value, row.before.value, row.metric.unit, row.metric.better)

    return {
        "views": VIEWS,
        "here": path,
        "filters": filters,
        "stores": stores,
        "channels": CHANNELS,
        "presets": PRESETS,
        "show": show,
        "change": change,
        "segment_name": reader.segment,
        "metric_name": lambda code: metrics.metric(code).name,
        "metric_of": metrics.metric,
        "metrics_of": lambda codes: [metrics.metric(code) for code in codes],
        "exports_base": EXPORTS_BASE,
        "period_text": period_text(reader, filters),
    }


# --- the exports ---------------------------------------------------------------------------


def _week_figures(name: str, pick: int) -> Callable[[Session, ExportAsk], Table]:
    def table(session: Session, ask: ExportAsk) -> Table:
        codes = week_codes()[pick]
        scope = ask.filters.scope
        return figures_table(name, compared(session, scope, codes), scope, scope.before())

    return table


def _daily(session: Session, ask: ExportAsk) -> Table:
    north, commerce = week_codes()
    code = choose_metric(
        ask.params.get("metric"), [*north, *commerce, *known(("sales", "average_basket"))]
    )
    by = choose_dimension(ask.params.get("by"))
    split = by if by in metrics.metric(code).dimensions else None
    return series_table("daily", series_of(session, code, ask.filters.scope, by=split))


def _breakdown(by: Dimension) -> Callable[[Session, ExportAsk], Table]:
    def table(session: Session, ask: ExportAsk) -> Table:
        found = breakdown_of(session, ask.filters, by, {})
        return breakdown_table(
            f"by-{by}", found.codes, by, {key: figures for key, _, figures in found.rows}
        )

    return table


EXPORTS: dict[str, Callable[[Session, ExportAsk], Table]] = {
    "week-north-stars": _week_figures("week-north-stars", 0),
    "week-commerce": _week_figures("week-commerce", 1),
    "daily": _daily,
    "by-channel": _breakdown("channel"),
    "by-store": _breakdown("store"),
    **kpi_operations.EXPORTS,
    **kpi_month.EXPORTS,
    **kpi_pilot.EXPORTS,
}
"""Every table behind a chart of the KPI pages, by the name of its export."""


@router.get("/kpis/export/{name}.{fmt}")
def export(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, name: str, fmt: str
) -> Response:
    """The table behind a chart as CSV or Parquet, with the filters of its page."""
    params = request.query_params
    with platform.db.reading() as session:
        places = measures.places(session)
        try:
            if fmt not in FORMATS:
                raise FilterRefused("unknown_choice", fmt, "format")
            if name not in EXPORTS:
                raise FilterRefused("unknown_export", name)
            filters = _filters(params, platform, places)
            ask = ExportAsk(filters=filters, params=params, now=utcnow(), places=places)
            table = EXPORTS[name](session, ask)
        except FilterRefused as refused:
            return refused_page(request, edge, refused)
    where = f"-{filters.store}" if filters.store else ""
    return file_response(
        table, fmt, f"kpi-{name}{where}-{filters.start.isoformat()}-{filters.end.isoformat()}"
    )
