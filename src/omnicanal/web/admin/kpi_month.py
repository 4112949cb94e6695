"""The month's strategy view (``/admin/kpis/month``).

Over the last 3, 6 or 12 calendar months (the running one so far): the figures of the
metrics read monthly, month by month; the retention cohorts as a heat-map; the RFM
segments; the customer value the BG/NBD and Gamma-Gamma models give
(``omnicanal.analytics.lifetime``); the pilots and their verdicts
(``omnicanal.analytics.pilots``); sell-through and stock cover per store; the stores on the
map of France, shaded by a chosen metric. A pilot's own page is ``kpi_pilot``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from omnicanal.analytics import lifetime, measures, metrics, pilots
from omnicanal.analytics.kpis import Figure, Scope
from omnicanal.analytics.pilot_schemas import PilotOut, Verdict
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.web.admin.common import MAP_HEIGHT, MAP_WIDTH, HeadOffice, france_outline, project
from omnicanal.web.admin.kpi_charts import (
    HEAT_LEVELS,
    bar_chart,
    column_chart,
    heat_level,
    histogram,
    map_dots,
)
from omnicanal.web.admin.kpi_common import (
    EXPORTS_BASE,
    VIEWS,
    ExportAsk,
    choose_metric,
    local_today,
    reader_of,
    refused_page,
    stores_of,
)
from omnicanal.web.admin.kpi_exports import Table
from omnicanal.web.admin.kpi_filters import CHANNELS, FilterRefused, Filters, read_filters
from omnicanal.web.admin.kpi_panels import codes_of, known
from omnicanal.web.edge import WebDep

__all__ = ["EXPORTS", "MONTHS", "router"]

router = APIRouter()

MONTHS = (3, 6, 12)
DEFAULT_MONTHS = 6
STOCK_CODES = ("sell_through", "stock_cover")
CLV_CLASSES = 10
"""The classes of the customer value's distribution."""


def month_codes() -> list[str]:
    """The metrics read every month, North Stars first."""
    return codes_of("month", [*metrics.NORTH_STARS, *metrics.COMMERCE])


def first_of_month(day: date, back: int = 0) -> date:
    """The first day of ``day``'s month, ``back`` months before."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_scopes(scope: Scope) -> list[Scope]:
    """The calendar months of ``scope``, each cut to the scope's days."""
    scopes = []
    first = first_of_month(scope.start)
    while first <= scope.end:
        following = first_of_month(first + timedelta(days=32))
        scopes.append(
            Scope(
                start=max(first, scope.start),
                end=min(following - timedelta(days=1), scope.end),
                stores=scope.stores,
                channels=scope.channels,
                segment=scope.segment,
            )
        )
        first = following
    return scopes


def month_filters(params: Mapping[str, str], *, today: date, stores: list[str]) -> Filters:
    """The filters of the month's view: the last ``months`` calendar months up to today,
    a store, a channel, a segment."""
    months = params.get("months", "")
    if months and months not in {str(count) for count in MONTHS}:
        raise FilterRefused("bad_months", months, "months")
    count = int(months) if months else DEFAULT_MONTHS
    others = {name: value for name, value in params.items() if name not in ("from", "to", "days")}
    filters = read_filters(others, today=today, stores=stores)
    return Filters(
        start=first_of_month(today, count - 1),
        end=today,
        store=filters.store,
        channel=filters.channel,
        segment=filters.segment,
        days=None,
    )


@dataclass(frozen=True)
class MonthlyFigures:
    months: list[Scope]
    rows: list[tuple[metrics.Metric, list[Figure]]]


def monthly(session: Session, scope: Scope, codes: list[str]) -> MonthlyFigures:
    """Each metric's figure in each month of ``scope``."""
    months = month_scopes(scope)
    found = [measures.figures(session, month, codes) for month in months]
    return MonthlyFigures(
        months=months,
        rows=[
            (metrics.metric(code), [figures[index] for figures in found])
            for index, code in enumerate(codes)
        ],
    )


def pilot_verdicts(session: Session, today: date) -> list[tuple[PilotOut, Verdict | None]]:
    """Every pilot and where it stands today (None when it cannot be judged)."""
    out = []
    for pilot in pilots.list_pilots(session):
        try:
            judged: Verdict | None = pilots.verdict(session, pilot.id, today=today)
        except DomainError:
            judged = None
        out.append((pilot, judged))
    return out


def value_of(session: Session, scope: Scope) -> tuple[lifetime.CustomerValue | None, str]:
    """The customer value over ``scope``, or None and why not (in the model's words)."""
    try:
        return lifetime.customer_value(session, scope), ""
    except DomainError as error:
        return None, error.code


def _map_codes() -> list[str]:
    return [code for code in month_codes() if "store" in metrics.metric(code).dimensions]


@router.get("/kpis/month")
def month(request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice) -> Response:
    """The month's strategy: figures by month, cohorts, RFM, customer value, pilots,
    stock per store and the map."""
    reader = reader_of(request, edge)
    params = request.query_params
    codes = month_codes()
    with platform.db.reading() as session:
        places = measures.places(session)
        stores = stores_of(session)
        today = local_today(
            places, params.get("store", ""), platform.settings.business_zone, utcnow()
        )
        try:
            filters = month_filters(params, today=today, stores=[place.code for place in places])
            choose_metric(params.get("metric"), codes)
            mapped = choose_metric(params.get("map"), _map_codes(), "map")
        except FilterRefused as refused:
            return refused_page(request, edge, refused)
        scope = filters.scope
        figures = monthly(session, scope, codes)
        shown_first = next(
            (about.code for about, row in figures.rows if any(f.value is not None for f in row)), ""
        )
        chosen = choose_metric(params.get("metric"), codes, default=shown_first)
        cohorts = lifetime.retention_cohorts(session, scope)
        segments = lifetime.rfm_segments(session, scope)
        value, no_value = value_of(session, scope)
        judged = pilot_verdicts(session, today)
        stock_codes = known(STOCK_CODES)
        stock = measures.breakdown(session, scope, stock_codes, by="store") if stock_codes else {}
        # The map compares every store: the store filter does not narrow it.
        map_values = measures.breakdown(session, replace(scope, stores=()), [mapped], by="store")
    names = {place.code: place.name for place in places}
    about = metrics.metric(chosen)
    map_metric = metrics.metric(mapped)
    currency = next(
        (figure.currency for _, row in figures.rows for figure in row if figure.currency), None
    )

    def month_name(first: date) -> str:
        return format_date(first, "LLLL y", locale=reader.language)

    def month_label(month: Scope) -> str:
        return format_date(month.start, "LLL y", locale=reader.language)

    chosen_row = next(row for metric, row in figures.rows if metric.code == chosen)
    top_share = max((share for cohort in cohorts for share in cohort.shares), default=0.0)
    clv = histogram([row.clv_minor for row in value.rows], bins=CLV_CLASSES) if value else []
    money = reader.label("money", value.currency if value else currency)
    store_values = {key: found[0].value for key, found in map_values.items() if key}
    return edge.renderer.render(
        request,
        "admin/kpis/month.html",
        {
            "views": VIEWS,
            "here": "/admin/kpis/month",
            "filters": filters,
            "stores": stores,
            "channels": CHANNELS,
            "segment_name": reader.segment,
            "months_choices": MONTHS,
            "months": (filters.end.year - filters.start.year) * 12
            + filters.end.month
            - filters.start.month
            + 1,
            "codes": [metrics.metric(code) for code in codes],
            "map_codes": [metrics.metric(code) for code in _map_codes()],
            "about": about,
            "figures": figures,
            "month_label": month_label,
            "month_name": month_name,
            "show": lambda figure: reader.value(
                figure.value, metrics.metric(figure.metric).unit, figure.currency
            ),
            "value": reader.value,
            "month_chart": column_chart(
                [
                    (month_label(month), month_label(month), figure.value)
                    for month, figure in zip(figures.months, chosen_row, strict=True)
                ],
                label=reader.label(about.unit, currency),
            ),
            "cohorts": cohorts,
            "heat": lambda share: heat_level(share, top_share),
            "heat_levels": HEAT_LEVELS,
            "cohort_width": max((len(cohort.shares) for cohort in cohorts), default=0),
            "segments": segments,
            "segment_chart": bar_chart(
                [(segment.name, float(segment.customers)) for segment in segments],
                label=reader.label("count"),
            ),
            "value_model": value,
            "no_value": no_value,
            "clv_chart": column_chart(
                [
                    (
                        f"{money(low)} \u2013 {money(high)}",
                        money(low) if index % 3 == 0 else None,
                        count,
                    )
                    for index, (low, high, count) in enumerate(clv)
                ],
                label=reader.label("count"),
            ),
            "money": money,
            "pilots": judged,
            "stock_codes": [metrics.metric(code) for code in stock_codes],
            "stock": [
                (key, names.get(key, key), found) for key, found in sorted(stock.items()) if key
            ],
            "map_metric": map_metric,
            "map_width": MAP_WIDTH,
            "map_height": MAP_HEIGHT,
            "outline": france_outline(),
            "dots": map_dots(
                [
                    (place.code, place.name, place.latitude, place.longitude)
                    for place in places
                    if place.kind == "store"
                ],
                store_values,
                better=map_metric.better,
                label=reader.label(map_metric.unit, currency),
                project=project,
            ),
            "exports_base": EXPORTS_BASE,
            "query": filters.query(),
            "chosen": chosen,
            "mapped": mapped,
        },
    )


# --- the exports ---------------------------------------------------------------------------


def _monthly(session: Session, ask: ExportAsk) -> Table:
    found = monthly(session, ask.filters.scope, month_codes())
    return Table(
        name="monthly",
        columns=(
            ("month", "date"),
            ("start", "date"),
            ("end", "date"),
            ("metric", "text"),
            ("value", "number"),
            ("numerator", "number"),
            ("denominator", "number"),
            ("currency", "text"),
        ),
        rows=[
            (
                first_of_month(month.start),
                month.start,
                month.end,
                about.code,
                figure.value,
                figure.numerator,
                figure.denominator,
                figure.currency,
            )
            for about, row in found.rows
            for month, figure in zip(found.months, row, strict=True)
        ],
    )


def _cohorts(session: Session, ask: ExportAsk) -> Table:
    return Table(
        name="cohorts",
        columns=(
            ("cohort", "date"),
            ("customers", "integer"),
            ("months_later", "integer"),
            ("returning", "integer"),
            ("share", "number"),
        ),
        rows=[
            (cohort.month, cohort.customers, later + 1, returning, cohort.shares[later])
            for cohort in lifetime.retention_cohorts(session, ask.filters.scope)
            for later, returning in enumerate(cohort.returning)
        ],
    )


def _rfm(session: Session, ask: ExportAsk) -> Table:
    return Table(
        name="rfm",
        columns=(
            ("segment", "text"),
            ("name", "text"),
            ("customers", "integer"),
            ("share", "number"),
            ("orders", "integer"),
            ("revenue_minor", "integer"),
            ("mean_basket_minor", "number"),
            ("currency", "text"),
        ),
        rows=[
            (
                segment.code,
                segment.name,
                segment.customers,
                segment.share,
                segment.orders,
                segment.revenue_minor,
                segment.mean_basket_minor,
                segment.currency,
            )
            for segment in lifetime.rfm_segments(session, ask.filters.scope)
        ],
    )


def _customer_value(session: Session, ask: ExportAsk) -> Table:
    value, _ = value_of(session, ask.filters.scope)
    return Table(
        name="customer-value",
        columns=(
            ("class_low_minor", "number"),
            ("class_high_minor", "number"),
            ("customers", "integer"),
            ("currency", "text"),
        ),
        rows=[
            (low, high, count, value.currency)
            for low, high, count in histogram(
                [row.clv_minor for row in value.rows], bins=CLV_CLASSES
            )
        ]
        if value
        else [],
    )


def _pilots(session: Session, ask: ExportAsk) -> Table:
    return Table(
        name="pilots",
        columns=(
            ("code", "text"),
            ("name", "text"),
            ("metric", "text"),
            ("start", "date"),
            ("end", "date"),
            ("stores", "text"),
            ("controls", "text"),
            ("status", "text"),
            ("outcome", "text"),
            ("effect", "number"),
            ("effect_low", "number"),
            ("effect_high", "number"),
            ("method", "text"),
        ),
        rows=[
            (
                pilot.code,
                pilot.name,
                pilot.metric,
                pilot.start,
                pilot.end,
                " ".join(pilot.stores),
                " ".join(pilot.controls),
                judged.status if judged else None,
                judged.outcome if judged else None,
                judged.effect if judged else None,
                judged.effect_low if judged else None,
                judged.effect_high if judged else None,
                judged.method if judged else None,
            )
            for pilot, judged in pilot_verdicts(session, ask.filters.end)
        ],
    )


def _stock(session: Session, ask: ExportAsk) -> Table:
    codes = known(STOCK_CODES)
    found = measures.breakdown(session, ask.filters.scope, codes, by="store") if codes else {}
    return _by_store("stock", found)


def _map(session: Session, ask: ExportAsk) -> Table:
    mapped = choose_metric(ask.params.get("map"), _map_codes(), "map")
    scope = replace(ask.filters.scope, stores=())
    return _by_store("map", measures.breakdown(session, scope, [mapped], by="store"))


def _by_store(name: str, found: dict[str, list[Figure]]) -> Table:
    return Table(
        name=name,
        columns=(("store", "text"), ("metric", "text"), ("value", "number"), ("currency", "text")),
        rows=[
            (key, figure.metric, figure.value, figure.currency)
            for key in sorted(found)
            if key
            for figure in found[key]
        ],
    )


EXPORTS: dict[str, Callable[[Session, ExportAsk], Table]] = {
    "monthly": _monthly,
    "cohorts": _cohorts,
    "rfm": _rfm,
    "customer-value": _customer_value,
    "pilots": _pilots,
    "stock": _stock,
    "map": _map,
}
