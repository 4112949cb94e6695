"""The store manager's figures (``/store/kpis``): their store's metrics for the week (or
28 or 90 days, or dates typed) beside the whole chain's over the same days, with the same
definitions as the back office, a chosen metric day by day, and the tables as files.

A store manager sees their own store only; head office may pick any store; a clerk is
refused (ADR 0042). Every figure comes from ``omnicanal.analytics.measures``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from omnicanal.analytics import measures, metrics
from omnicanal.analytics.kpis import Scope
from omnicanal.platform.clock import utcnow
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.staff.service import Role, StaffMember
from omnicanal.web.admin.kpi_charts import line_chart
from omnicanal.web.admin.kpi_common import (
    choose_metric,
    first_with_value,
    local_today,
    period_text,
    reader_of,
    refused_page,
    stores_of,
)
from omnicanal.web.admin.kpi_exports import FORMATS, Table, file_response
from omnicanal.web.admin.kpi_filters import PRESETS, FilterRefused, Filters, read_filters
from omnicanal.web.admin.kpi_panels import FigureRow, codes_of, compared, figures_table
from omnicanal.web.admin.kpi_values import DASH, Delta, Reader
from omnicanal.web.edge import Member, WebDep, WebEdge

__all__ = ["router"]

router = APIRouter()  # included by the store router, under /store

EXPORTS_BASE = "/store/kpis/export"
SUMS = frozenset({"sales", "net_sales", "contribution_margin"})
"""Amounts that add up over the stores (as every count does): a store's is a share of the
chain's, not a level to compare with it."""


def share_of_chain(reader: Reader, store: float | None, chain: float | None) -> Delta:
    """A store's part of a sum over the chain: « 25,0 % de l'enseigne »."""
    if store is None or not chain:
        return Delta(DASH, "none", "neutral", "", reader.gettext("no comparison"))
    share = reader.value(store / chain, "ratio")
    return Delta(
        reader.gettext("%(share)s of the chain") % {"share": share},
        "none",
        "neutral",
        "",
        reader.gettext("the store's part of the chain's total"),
    )


def store_codes() -> list[str]:
    """The week's metrics that a store has figures of (those split by store)."""
    return codes_of("week", [*metrics.NORTH_STARS, *metrics.COMMERCE], dimension="store")


class Refused(Exception):
    """The member may not read these figures: ``problem`` says why."""

    def __init__(self, problem: str, value: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.value = value


def chosen_store(member: StaffMember, asked: str, stores: list[measures.Place]) -> str:
    """The store whose figures the member reads: a manager's own (another is refused),
    any store for head office (the first by name when none is asked); a clerk is refused."""
    if member.role == Role.store_manager:
        if member.location_code is None:
            raise Refused("no_store")
        if asked and asked != member.location_code:
            raise Refused("other_store", asked[:60])
        return member.location_code
    if member.role != Role.head_office:
        raise Refused("store_managers_only")
    if asked and asked not in {place.code for place in stores}:
        raise FilterRefused("unknown_choice", asked, "store")
    return asked or (stores[0].code if stores else "")


def _refusal(request: Request, edge: WebEdge, refused: Refused) -> Response:
    return edge.renderer.render(
        request,
        "admin/kpis/problem.html",
        {"problem": refused.problem, "value": refused.value},
        status_code=403,
    )


def _read(
    request: Request, platform: PlatformDep, member: StaffMember, session: Session
) -> tuple[str, Filters, list[measures.Place]]:
    places = measures.places(session)
    stores = stores_of(session)
    params = request.query_params
    store = chosen_store(member, params.get("store", ""), stores)
    zone = platform.settings.business_zone
    filters = read_filters(
        {**params, "store": store},
        today=local_today(places, store, zone, utcnow()),
        stores=[place.code for place in places],
    )
    return store, filters, stores


def _chain(scope: Scope) -> Scope:
    return replace(scope, stores=())


@router.get("/kpis")
def store_figures(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member
) -> Response:
    """A store's figures beside the chain's over the same days."""
    reader = reader_of(request, edge)
    codes = store_codes()
    with platform.db.reading() as session:
        try:
            store, filters, stores = _read(request, platform, member, session)
            choose_metric(request.query_params.get("metric"), codes)
        except Refused as refused:
            return _refusal(request, edge, refused)
        except FilterRefused as refused:
            return refused_page(request, edge, refused)
        rows = compared(session, filters.scope, codes, _chain(filters.scope)) if store else []
        chosen = choose_metric(
            request.query_params.get("metric"), codes, default=first_with_value(rows)
        )
        about = metrics.metric(chosen)
        mine = measures.series(session, chosen, filters.scope) if store else []
        chain = measures.series(session, chosen, _chain(filters.scope)) if store else []
    names = {place.code: place.name for place in stores}
    currency = next((row.now.currency for row in rows if row.now.currency), None)
    store_name = names.get(store, store)

    def values(points: list[Any]) -> list[float | None]:
        found = {point.day: point.value for point in points if point.key == ""}
        return [found.get(day) for day in filters.scope.days]

    def show(figure: Any) -> str:
        return reader.value(figure.value, metrics.metric(figure.metric).unit, figure.currency)

    def change(row: FigureRow) -> Any:
        if row.metric.code in SUMS or row.metric.unit == "count":
            return share_of_chain(reader, row.now.value, row.before.value)
        return reader.delta(row.now.value, row.before.value, row.metric.unit, row.metric.better)

    return edge.renderer.render(
        request,
        "store/kpis.html",
        {
            "store": store,
            "store_name": store_name,
            "stores": stores if member.role == Role.head_office else [],
            "filters": filters,
            "presets": PRESETS,
            "rows": rows,
            "show": show,
            "change": change,
            "codes": [metrics.metric(code) for code in codes],
            "about": about,
            "chosen": chosen,
            "chart": line_chart(
                filters.scope.days,
                [
                    ("store", store_name, values(mine)),
                    ("chain", reader.gettext("The whole chain"), values(chain)),
                ],
                label=reader.label(about.unit, currency),
                language=reader.language,
            ),
            "exports_base": EXPORTS_BASE,
            "period": period_text(reader, filters),
        },
    )


@router.get("/kpis/export/{name}.{fmt}")
def store_export(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, name: str, fmt: str
) -> Response:
    """The store's table against the chain, or a metric's days, as CSV or Parquet."""
    with platform.db.reading() as session:
        try:
            store, filters, _ = _read(request, platform, member, session)
            if fmt not in FORMATS:
                raise FilterRefused("unknown_choice", fmt, "format")
            if name == "store-vs-chain":
                scope = filters.scope
                table = figures_table(
                    name, compared(session, scope, store_codes(), _chain(scope)), scope, scope
                )
            elif name == "daily":
                code = choose_metric(request.query_params.get("metric"), store_codes())
                table = _daily(session, code, filters)
            else:
                raise FilterRefused("unknown_export", name)
        except Refused as refused:
            return _refusal(request, edge, refused)
        except FilterRefused as refused:
            return refused_page(request, edge, refused)
    period = f"{filters.start.isoformat()}-{filters.end.isoformat()}"
    return file_response(table, fmt, f"kpi-{name}-{store}-{period}")


def _daily(session: Session, code: str, filters: Filters) -> Table:
    """A metric's days at the store and in the whole chain."""
    mine = {p.day: p for p in measures.series(session, code, filters.scope) if p.key == ""}
    chain = {p.day: p for p in measures.series(session, code, _chain(filters.scope)) if p.key == ""}
    return Table(
        name="daily",
        columns=(
            ("day", "date"),
            ("metric", "text"),
            ("store", "text"),
            ("store_value", "number"),
            ("chain_value", "number"),
        ),
        rows=[
            (
                day,
                code,
                filters.store,
                mine[day].value if day in mine else None,
                chain[day].value if day in chain else None,
            )
            for day in filters.scope.days
        ],
    )
