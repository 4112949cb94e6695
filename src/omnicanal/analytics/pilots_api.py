"""HTTP routes of the pilot-store experiments (``/v1/analytics/pilots``, ADR 0041): define a
pilot (head office, ``analytics:write``), list and read them, watch one's verdict, stop it;
the seeds' presets; the control stores closest to some stores."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from omnicanal.analytics import pilots
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.pilot_schemas import (
    DEFAULT_BASELINE_DAYS,
    MAX_STORES,
    PRESETS,
    ControlChoice,
    PilotIn,
    PilotOut,
    PilotPresetOut,
    StopIn,
    Verdict,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Day
from omnicanal.platform.errors import InvalidInput
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.problems import responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/analytics/pilots", tags=["analytics"])

READ = "analytics:read"
WRITE = "analytics:write"


def _today(platform: PlatformDep) -> date:
    """Today in the business's time zone: the days before it are over."""
    return datetime.now(platform.settings.business_zone).date()


@router.post("", status_code=201, response_model=PilotOut, responses=responses(409))
def create_pilot(
    body: PilotIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope(WRITE),
):
    """Define a pilot before its launch: its stores, the metric it must move, its days, its
    success and stop thresholds (in the metric's unit), from one of the presets or not.
    Without ``controls``, the ``control_count`` stores closest over the baseline are chosen.
    Head office only: a store's key is refused (403 ``pilot_forbidden``) whatever its
    scopes."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="pilot",
        payload=body,
        status_code=201,
        action=lambda session: pilots.create_pilot(session, body, actor=actor),
    )


@router.get("", response_model=list[PilotOut], responses=responses())
def list_pilots(session: ReadSession, actor: Actor = scope(READ)):
    """Every pilot, the latest to start first (a store's key: those its store takes part
    in)."""
    return pilots.list_pilots(session, actor=actor)


@router.get("/presets", response_model=list[PilotPresetOut], responses=responses())
def list_presets(actor: Actor = scope(READ)):
    """The seeds' three tests, with their metric, length and default thresholds."""
    return [
        PilotPresetOut.model_validate(preset, from_attributes=True) for preset in PRESETS.values()
    ]


@router.get("/controls", response_model=list[ControlChoice], responses=responses(409))
def choose_controls(
    session: ReadSession,
    platform: PlatformDep,
    stores: Annotated[str, Query(min_length=1, description="Pilot store codes: A,B")],
    metric: Annotated[str, Query(min_length=1, max_length=60)],
    count: Annotated[int, Query(ge=1, le=MAX_STORES)] = 3,
    start: Annotated[
        Day | None, Query(description="First baseline day (default: 28 days ago)")
    ] = None,
    end: Annotated[Day | None, Query(description="Last baseline day (default: yesterday)")] = None,
    actor: Actor = scope(READ),
):
    """The stores closest to ``stores`` over the baseline, nearest first: the metric's level
    and daily trend and the sales volume, standardised; each with its distance and why."""
    pilots.check_head_office(actor)
    codes = [code.strip() for code in stores.split(",") if code.strip()]
    if not codes or len(codes) > MAX_STORES:
        raise InvalidInput(f"Name 1 to {MAX_STORES} stores: A,B.", field="stores")
    last = end or _today(platform) - timedelta(days=1)
    first = start or last - timedelta(days=DEFAULT_BASELINE_DAYS - 1)
    if last < first or (last - first).days >= 366:
        raise InvalidInput("The baseline runs from start to end, at most 366 days.", field="end")
    before = Scope(start=first, end=last)
    return pilots.choose_controls(session, codes, count=count, metric=metric, before=before)


@router.get("/{pilot_id}", response_model=PilotOut, responses=responses(404))
def get_pilot(pilot_id: str, session: ReadSession, actor: Actor = scope(READ)):
    """A pilot by its id or its code, as it was defined."""
    return pilots.get_pilot(session, pilot_id, actor=actor)


@router.get("/{pilot_id}/verdict", response_model=Verdict, responses=responses(404))
def pilot_verdict(
    pilot_id: str,
    session: ReadSession,
    platform: PlatformDep,
    today: Annotated[Day | None, Query(description="Judge as on this day (default: today)")] = None,
    actor: Actor = scope(READ),
):
    """Where the pilot stands: its status, the pilot and control means before and during,
    the difference-in-differences effect with its 90 % interval, the pre-trend check, and
    the decision (« réussite », « arrêt », « non concluant », « en cours ») with a French
    sentence."""
    return pilots.verdict(session, pilot_id, today=today or _today(platform), actor=actor)


@router.post("/{pilot_id}/stop", response_model=PilotOut, responses=responses(404, 409))
def stop_pilot(
    pilot_id: str,
    body: StopIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope(WRITE),
):
    """Stop a pilot before its end, with the reason (head office)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"pilot:{pilot_id}:stop",
        payload=body,
        action=lambda session: pilots.stop_pilot(
            session, pilot_id, reason=body.reason, actor=actor
        ),
    )
