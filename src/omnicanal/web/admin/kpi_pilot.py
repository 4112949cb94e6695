"""A pilot's page (``/admin/kpis/pilots/{id}``): what it must move, where and when, with
the thresholds set before its launch; its verdict in full (the effect by difference in
differences, its interval, the decision in words, from ``omnicanal.analytics.pilots``); its
stores' days against its control stores' as a chart and a file."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from omnicanal.analytics import measures, metrics, pilots
from omnicanal.analytics.pilot_schemas import Verdict
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.web.admin.common import HeadOffice
from omnicanal.web.admin.kpi_charts import line_chart
from omnicanal.web.admin.kpi_common import (
    EXPORTS_BASE,
    VIEWS,
    ExportAsk,
    local_today,
    reader_of,
    refused_page,
)
from omnicanal.web.admin.kpi_exports import Table
from omnicanal.web.admin.kpi_filters import FilterRefused
from omnicanal.web.admin.kpi_values import Reader
from omnicanal.web.edge import WebDep

__all__ = ["EXPORTS", "router"]

router = APIRouter()


@router.get("/kpis/pilots/{pilot_id}")
def pilot_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, pilot_id: str
) -> Response:
    """A pilot's verdict in full, and its stores' days against its control stores'."""
    reader = reader_of(request, edge)
    with platform.db.reading() as session:
        places = measures.places(session)
        try:
            pilot = pilots.get_pilot(session, pilot_id[:50])
        except DomainError:
            return refused_page(request, edge, FilterRefused("unknown_pilot", pilot_id))
        today = local_today(
            places,
            pilot.stores[0] if pilot.stores else "",
            platform.settings.business_zone,
            utcnow(),
        )
        try:
            judged: Verdict | None = pilots.verdict(session, pilot.id, today=today)
        except DomainError:
            judged = None
    names = {place.code: place.name for place in places}
    unit: Any = judged.unit if judged else "count"
    chart = (
        line_chart(
            [day.day for day in judged.days],
            [
                ("pilot", reader.gettext("Pilot stores"), [day.pilot for day in judged.days]),
                ("control", reader.gettext("Control stores"), [day.control for day in judged.days]),
            ],
            label=reader.label(unit),
            language=reader.language,
        )
        if judged and judged.days
        else None
    )
    return edge.renderer.render(
        request,
        "admin/kpis/pilot.html",
        {
            "views": VIEWS,
            "here": "",
            "pilot": pilot,
            "verdict": judged,
            "names": names,
            "value": lambda number: reader.value(number, unit),
            "effect": lambda number: _effect(reader, number, unit),
            "chart": chart,
            "metric": metrics.METRICS.get(pilot.metric),
            "exports_base": EXPORTS_BASE,
        },
    )


def _effect(reader: Reader, number: float | None, unit: Any) -> str:
    """An effect in the metric's unit, signed: points for a share."""
    if number is None:
        return reader.value(None, "count")
    if unit == "ratio":
        points = format_decimal(number * 100, "+#,##0.0;-#,##0.0", locale=reader.language)
        return reader.gettext("%(points)s pt") % {"points": points}
    return f"{'-' if number < 0 else '+'}{reader.value(abs(number), unit)}"


def _pilot_days(session: Session, ask: ExportAsk) -> Table:
    try:
        pilot = pilots.get_pilot(session, ask.params.get("pilot", "")[:50])
        judged = pilots.verdict(session, pilot.id, today=ask.filters.end)
    except DomainError:
        raise FilterRefused("unknown_pilot", ask.params.get("pilot", "")) from None
    return Table(
        name="pilot",
        columns=(("day", "date"), ("pilot_stores", "number"), ("control_stores", "number")),
        rows=[(day.day, day.pilot, day.control) for day in judged.days],
    )


EXPORTS = {"pilot": _pilot_days}
