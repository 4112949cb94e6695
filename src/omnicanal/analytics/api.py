"""HTTP routes of the analytics module: the KPIs (catalogue, figures, series, breakdowns,
live operations), customer value, retention cohorts and RFM segments, and the survey
answers posted by the retailer's survey tools.

Every KPI route reads with ``analytics:read``; a key bound to a store reads its own
store's figures only (``analytics.reports``). The tables come as JSON, or as CSV with
``?format=csv`` or ``Accept: text/csv``.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass, replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from omnicanal.analytics import lifetime, measures, metrics, reports, service, surveys
from omnicanal.analytics.kpi_schemas import (
    BreakdownGroupOut,
    BreakdownOut,
    KpisOut,
    MetricOut,
    SeriesOut,
    figure_out,
    metric_out,
    point_out,
)
from omnicanal.analytics.kpis import Dimension, Scope
from omnicanal.analytics.survey_schemas import (
    SurveyAnswerIn,
    SurveyAnswerOut,
    SurveyBatchIn,
    SurveyBatchOut,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Day
from omnicanal.platform.clock import utcnow
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.problems import responses

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
Format = Annotated[
    Literal["json", "csv"] | None,
    Query(description="json (default), or csv; ``Accept: text/csv`` asks for csv too"),
]
From = Annotated[
    Day | None, Query(alias="from", description="First local day (default: 6 days before to)")
]
To = Annotated[Day | None, Query(alias="to", description="Last local day (default: today)")]
Stores = Annotated[
    list[str] | None,
    Query(alias="store", description="A store code (repeatable); a store's key: its own"),
]
Channels = Annotated[list[str] | None, Query(alias="channel", description="A channel (repeatable)")]
Segment = Annotated[
    Literal["recognised", "anonymous"] | None,
    Query(description="Orders naming a customer (recognised) or not (anonymous)"),
]
Metrics = Annotated[
    list[str] | None,
    Query(alias="metric", description="A metric code (repeatable); default: all"),
]
TABLE = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    **responses(404),
}


def _wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> Response:
    return Response(reports.csv_text(rows, columns), media_type=CSV_MEDIA_TYPE)


READ = scope("analytics:read")
"""One dependency object for every KPI route and its period: the key is checked once."""


def _period(
    session: ReadSession,
    platform: PlatformDep,
    start: From = None,
    end: To = None,
    stores: Stores = None,
    channels: Channels = None,
    actor: Actor = READ,
) -> Scope:
    """The period, stores and channels asked, as this key may read them
    (``reports.scope_for``: a store's key, its own store)."""
    return reports.scope_for(
        session,
        actor=actor,
        time_zone=platform.settings.business_time_zone,
        start=start,
        end=end,
        stores=stores or (),
        channels=channels or (),
    )


def _segmented_period(period: Annotated[Scope, Depends(_period)], segment: Segment = None) -> Scope:
    """:func:`_period`, for the orders of one customer segment too."""
    return reports.with_segment(period, segment)


Period = Annotated[Scope, Depends(_period)]
"""The period a KPI route is asked about, checked against the key."""
SegmentedPeriod = Annotated[Scope, Depends(_segmented_period)]


def _plain(value: Any) -> Any:
    """A read model (dataclasses, pydantic models, lists of them) as JSON-ready values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {key: _plain(inner) for key, inner in asdict(value).items()}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(key): _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(inner) for inner in value]
    return value


def _reads_people(actor: Actor) -> bool:
    """Whether the key may see who the customers are (their references), not only counts."""
    return "*" in actor.scopes or "profiles:read" in actor.scopes


def _rows(items: list[Any]) -> list[dict[str, Any]]:
    """Flat rows for a CSV: nested values as their text."""
    rows = []
    for item in _plain(items):
        rows.append(
            {key: (str(value) if isinstance(value, dict) else value) for key, value in item.items()}
        )
    return rows


@router.get("/event-counts", responses=responses())
def event_counts(
    session: ReadSession,
    since: Day | None = None,
    type: str | None = None,
    actor: Actor = scope("events:read"),
) -> list[dict[str, object]]:
    """Events per day, type and source, as the consumers counted them."""
    return service.event_counts(session, since=since, event_type=type)


@router.get("/metrics", response_model=list[MetricOut], responses=TABLE)
def list_metrics(request: Request, format: Format = None, actor: Actor = READ):
    """The catalogue of metrics, each with its definition: formula, population, window."""
    catalogue = [metric_out(metric) for metric in reports.catalogue()]
    if _wants_csv(request, format):
        return _csv([item.model_dump() for item in catalogue])
    return catalogue


@router.get("/kpis", response_model=KpisOut, responses=TABLE)
def get_kpis(
    request: Request,
    session: ReadSession,
    chosen: SegmentedPeriod,
    codes: Metrics = None,
    format: Format = None,
    actor: Actor = READ,
):
    """The figures of a period (default: the last 7 local days) beside the period of the
    same length before it, for some stores, channels and a segment."""
    compared = reports.compare(session, chosen, codes or ())
    figures = [figure_out(item.metric, item.figure, item) for item in compared]
    if _wants_csv(request, format):
        return _csv([figure.model_dump() for figure in figures])
    before = chosen.before()
    return KpisOut(
        start=chosen.start,
        end=chosen.end,
        previous_start=before.start,
        previous_end=before.end,
        stores=list(chosen.stores),
        channels=list(chosen.channels),
        segment=chosen.segment,
        figures=figures,
    )


@router.get("/kpis/breakdown", response_model=BreakdownOut, responses=TABLE)
def get_kpi_breakdown(
    request: Request,
    session: ReadSession,
    by: Annotated[Dimension, Query(description="store, channel or segment")],
    chosen: SegmentedPeriod,
    codes: Metrics = None,
    format: Format = None,
    actor: Actor = READ,
):
    """The figures of a period split by store, channel or segment."""
    wanted = {metric.code: metric for metric in reports.known_metrics(codes or ())}
    split = measures.breakdown(session, chosen, list(wanted), by=by)
    groups = [
        BreakdownGroupOut(
            key=key,
            figures=[figure_out(wanted[figure.metric], figure) for figure in figures],
        )
        for key, figures in split.items()
    ]
    if _wants_csv(request, format):
        return _csv(
            [{by: group.key, **figure.model_dump()} for group in groups for figure in group.figures]
        )
    return BreakdownOut(by=by, start=chosen.start, end=chosen.end, groups=groups)


@router.get("/kpis/{code}/series", response_model=SeriesOut, responses=TABLE)
def get_kpi_series(
    request: Request,
    session: ReadSession,
    code: Annotated[str, Path(max_length=60, description="A metric code")],
    chosen: SegmentedPeriod,
    by: Annotated[Dimension | None, Query(description="Split by store, channel or segment")] = None,
    format: Format = None,
    actor: Actor = READ,
):
    """A metric day by day over a period, split by store, channel or segment if asked."""
    metric = metrics.metric(code)
    points = [point_out(point) for point in measures.series(session, code, chosen, by=by)]
    if _wants_csv(request, format):
        return _csv([point.model_dump() for point in points])
    return SeriesOut(
        metric=metric.code,
        name=metric.name,
        unit=metric.unit,
        by=by,
        start=chosen.start,
        end=chosen.end,
        points=points,
    )


@router.get("/operations", responses=responses(404))
def get_operations(
    session: ReadSession,
    platform: PlatformDep,
    stores: Stores = None,
    actor: Actor = READ,
) -> dict[str, Any]:
    """Live operations: the pickups waiting now and their age, reservations expiring and
    lines refused in the last hour and today, the outbox backlog, the unification and
    till-to-CRM delays of the last hour."""
    chosen = reports.scope_for(
        session, actor=actor, time_zone=platform.settings.business_time_zone, stores=stores or ()
    )
    live = measures.operations(session, now=utcnow(), stores=chosen.stores)
    plain: dict[str, Any] = _plain(live)
    return plain


Horizon = Annotated[int, Query(ge=1, le=3650, description="Days ahead the value is predicted over")]


@router.get("/customer-value", responses=responses(404, 409))
def get_customer_value(
    session: ReadSession,
    chosen: Period,
    horizon_days: Horizon = 365,
    actor: Actor = READ,
) -> dict[str, Any]:
    """The customers' predicted value (BG/NBD for their purchases, Gamma-Gamma for their
    spend) fitted on the recognised purchases of the period; 409 ``not_enough_history``
    with too few repeat customers. Each customer's row only to a key that reads profiles."""
    value: dict[str, Any] = _plain(
        lifetime.customer_value(session, chosen, horizon_days=horizon_days)
    )
    if not _reads_people(actor):
        value.pop("rows", None)
    return value


@router.get("/retention-cohorts", responses=TABLE)
def list_retention_cohorts(
    request: Request,
    session: ReadSession,
    chosen: Period,
    format: Format = None,
    actor: Actor = READ,
) -> Any:
    """The customers by month of first purchase, and how many bought again month after
    month."""
    cohorts = lifetime.retention_cohorts(session, chosen)
    if _wants_csv(request, format):
        return _csv(_rows(list(cohorts)))
    return _plain(list(cohorts))


@router.get("/rfm-segments", responses=TABLE)
def list_rfm_segments(
    request: Request,
    session: ReadSession,
    chosen: Period,
    format: Format = None,
    actor: Actor = READ,
) -> Any:
    """The recognised customers by recency, frequency and monetary value; a few customers
    of each segment only to a key that reads profiles."""
    segments = lifetime.rfm_segments(session, chosen)
    if not _reads_people(actor):
        segments = [replace(segment, examples=()) for segment in segments]
    if _wants_csv(request, format):
        return _csv(_rows(list(segments)))
    return _plain(list(segments))


@router.post(
    "/surveys",
    status_code=201,
    response_model=SurveyAnswerOut | SurveyBatchOut,
    responses=responses(404, 409),
)
def record_survey_answers(
    body: SurveyAnswerIn | SurveyBatchIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("surveys:write"),
):
    """Record customers' NPS (0 to 10) or satisfaction (1 to 5) answers: one, or up to 500
    as ``{"answers": [...]}``. An ``external_id`` this key posted before is the same answer
    (``repeated``); a store's key answers for its own store."""
    answers = body.answers if isinstance(body, SurveyBatchIn) else [body]
    zone = platform.settings.business_time_zone

    def record(session: Session) -> SurveyAnswerOut | SurveyBatchOut:
        recorded = surveys.record_answers(session, answers=answers, actor=actor, time_zone=zone)
        if isinstance(body, SurveyAnswerIn):
            return recorded[0]
        repeated = sum(answer.repeated for answer in recorded)
        return SurveyBatchOut(
            recorded=len(recorded) - repeated, repeated=repeated, answers=recorded
        )

    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="record_survey_answers",
        payload=body,
        status_code=201,
        action=record,
    )
