"""The live operations view (``/admin/kpis/operations``): the pickups waiting now and for
how long, the reservations failing now (the last hour, today), the events waiting to be
published and the oldest one's age, the last hour's time-to-unification and till → customer
records delay; and today's figures of the metrics read in real time.

The live part is a template of its own (``admin/kpis/_live.html``) that
``/admin/kpis/operations/live`` renders alone; ``static/kpis.js`` asks for it every
:data:`REFRESH_SECONDS` seconds and swaps it in, without reloading the page (ADR 0042).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from babel.dates import format_date, format_time
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from omnicanal.analytics import measures, metrics
from omnicanal.analytics.kpis import Scope
from omnicanal.platform.clock import utcnow
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.web.admin.common import HeadOffice
from omnicanal.web.admin.kpi_common import (
    EXPORTS_BASE,
    VIEWS,
    ExportAsk,
    local_today,
    reader_of,
    refused_page,
    stores_of,
)
from omnicanal.web.admin.kpi_exports import Table
from omnicanal.web.admin.kpi_filters import FilterRefused
from omnicanal.web.admin.kpi_panels import codes_of, compared, figures_table
from omnicanal.web.edge import WebDep
from omnicanal.web.rendering import zone_named

__all__ = ["EXPORTS", "LATE_AT_COUNTER_SECONDS", "LATE_PICKUP_SECONDS", "REFRESH_SECONDS", "router"]

router = APIRouter()

REFRESH_SECONDS = 5
LATE_PICKUP_SECONDS = 24 * 3600
"""A pickup ready for longer than this without its customer is shown in red: call them."""
LATE_AT_COUNTER_SECONDS = 10 * 60
"""A customer who said they arrived and waits longer than this is shown in red."""


def _store(params: Any, places: list[measures.Place]) -> str:
    store = str(params.get("store", ""))
    if store and store not in {place.code for place in places}:
        raise FilterRefused("unknown_choice", store, "store")
    return store


def live_context(
    request: Request, edge: WebDep, platform: PlatformDep, session: Session, store: str
) -> dict[str, Any]:
    """The live part's figures for ``store`` (``""``: the whole chain), now."""
    reader = reader_of(request, edge)
    now = utcnow()
    places = measures.places(session)
    names = {place.code: place.name for place in places}
    zone = platform.settings.business_zone
    for place in places:
        if place.code == store:
            zone = zone_named(place.timezone, zone)
    ops = measures.operations(session, now=now, stores=(store,) if store else ())
    rows = []
    for pickup in ops.pickups:
        at_counter = (now - pickup.checked_in_at).total_seconds() if pickup.checked_in_at else None
        late = pickup.age_seconds > LATE_PICKUP_SECONDS or (
            at_counter is not None and at_counter > LATE_AT_COUNTER_SECONDS
        )
        rows.append(
            {
                "pickup": pickup,
                "store_name": names.get(pickup.store, pickup.store),
                "age": reader.duration(pickup.age_seconds),
                "at_counter": reader.duration(at_counter) if at_counter is not None else None,
                "late": late,
            }
        )
    return {
        "ops": ops,
        "pickups": rows,
        "oldest_late": bool(rows) and rows[0]["late"],
        "duration": lambda seconds: reader.value(seconds, "seconds"),
        "refreshed": format_time(now, "medium", tzinfo=zone, locale=reader.language),
        "zone": zone,
        "late_pickup": reader.duration(LATE_PICKUP_SECONDS),
        "late_at_counter": reader.duration(LATE_AT_COUNTER_SECONDS),
    }


@router.get("/kpis/operations")
def operations(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """The live view, refreshed in place every few seconds, and today's figures."""
    reader = reader_of(request, edge)
    with platform.db.reading() as session:
        places = measures.places(session)
        try:
            store = _store(request.query_params, places)
        except FilterRefused as refused:
            return refused_page(request, edge, refused)
        day = local_today(places, store, platform.settings.business_zone, utcnow())
        today = Scope(start=day, end=day, stores=(store,) if store else ())
        week_ago = Scope(
            start=day - timedelta(days=7),
            end=day - timedelta(days=7),
            stores=today.stores,
        )
        rows = compared(session, today, codes_of("ops", list(metrics.METRICS)), week_ago)
        context = live_context(request, edge, platform, session, store)
        stores = stores_of(session)
    query = f"store={store}" if store else ""

    def change(row: Any) -> Any:
        return reader.delta(row.now.value, row.before.value, row.metric.unit, row.metric.better)

    return edge.renderer.render(
        request,
        "admin/kpis/operations.html",
        {
            **context,
            "views": VIEWS,
            "here": "/admin/kpis/operations",
            "stores": stores,
            "store": store,
            "rows": rows,
            "show": lambda figure: reader.value(
                figure.value, metrics.metric(figure.metric).unit, figure.currency
            ),
            "change": change,
            "live_url": "/admin/kpis/operations/live" + (f"?{query}" if query else ""),
            "every": REFRESH_SECONDS,
            "exports_base": EXPORTS_BASE,
            "query": query,
            "day_name": format_date(day, "full", locale=reader.language),
        },
    )


@router.get("/kpis/operations/live")
def operations_live(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """The live part alone, as HTML, for the page's script to swap in."""
    with platform.db.reading() as session:
        places = measures.places(session)
        try:
            store = _store(request.query_params, places)
        except FilterRefused as refused:
            return refused_page(request, edge, refused)
        context = live_context(request, edge, platform, session, store)
    response = edge.renderer.render(request, "admin/kpis/_live.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the exports ---------------------------------------------------------------------------


def _pickups(session: Session, ask: ExportAsk) -> Table:
    store = ask.filters.store
    ops = measures.operations(session, now=ask.now, stores=(store,) if store else ())
    return Table(
        name="pickups",
        columns=(
            ("fulfilment_id", "text"),
            ("order_id", "text"),
            ("store", "text"),
            ("ready_since", "moment"),
            ("checked_in_at", "moment"),
            ("age_seconds", "number"),
        ),
        rows=[
            (p.fulfilment_id, p.order_id, p.store, p.ready_since, p.checked_in_at, p.age_seconds)
            for p in ops.pickups
        ],
    )


def _operations(session: Session, ask: ExportAsk) -> Table:
    store = ask.filters.store
    ops = measures.operations(session, now=ask.now, stores=(store,) if store else ())
    return Table(
        name="operations",
        columns=(
            ("at", "moment"),
            ("store", "text"),
            ("pickups_waiting", "integer"),
            ("reservations_expired_last_hour", "integer"),
            ("reservations_expired_today", "integer"),
            ("lines_rejected_last_hour", "integer"),
            ("lines_rejected_today", "integer"),
            ("outbox_backlog", "integer"),
            ("outbox_oldest_age_seconds", "number"),
            ("unification_delay_seconds", "number"),
            ("till_crm_delay_seconds", "number"),
        ),
        rows=[
            (
                ops.now,
                store,
                ops.pickups_waiting,
                ops.reservations_expired_last_hour,
                ops.reservations_expired_today,
                ops.lines_rejected_last_hour,
                ops.lines_rejected_today,
                ops.outbox_backlog,
                ops.outbox_oldest_age_seconds,
                ops.unification_delay_seconds,
                ops.till_crm_delay_seconds,
            )
        ],
    )


def _today(session: Session, ask: ExportAsk) -> Table:
    store = ask.filters.store
    day = ask.filters.end
    today = Scope(start=day, end=day, stores=(store,) if store else ())
    week_ago = Scope(
        start=day - timedelta(days=7), end=day - timedelta(days=7), stores=today.stores
    )
    rows = compared(session, today, codes_of("ops", list(metrics.METRICS)), week_ago)
    return figures_table("today", rows, today, week_ago)


EXPORTS = {"pickups": _pickups, "operations": _operations, "today": _today}
