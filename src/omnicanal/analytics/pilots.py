"""Pilot-store experiments: defined before the launch, watched while they run, judged by
difference in differences against control stores (ADR 0041).

« Les tests locaux valident des hypothèses avant un déploiement massif. Commencez par des
magasins pilotes… Définissez des critères d'arrêt et de réussite avant de lancer. »

A pilot names the stores that try something, the metric it must move, its days, and the
success and stop thresholds of the effect. Its control stores are named or chosen by
similarity over the baseline (:func:`choose_controls`); a metric the measures know for the
whole chain only takes none and is judged before/after. Once defined a pilot is never
edited; it can only be stopped before its end, with a reason. :func:`verdict` reads the
metric's daily values per store (``measures.daily_values``) and hands them to the pure
statistics of :mod:`omnicanal.analytics.pilot_statistics`;
:mod:`omnicanal.analytics.pilot_wording` says the verdict in French.

Who: head office defines, compares and stops pilots (a key bound to a store, a till's,
never, whatever its scopes); a store's key reads the pilots its store takes part in; a
marketplace's reads none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicanal.analytics import metrics
from omnicanal.analytics import pilot_statistics as statistics
from omnicanal.analytics.kpis import Metric, Scope
from omnicanal.analytics.pilot_controls import (
    check_stores,
    choose_controls,
    known_metric,
    panel,
)
from omnicanal.analytics.pilot_models import CONTROL, PILOT, Pilot, PilotStore
from omnicanal.analytics.pilot_schemas import (
    DEFAULT_BASELINE_DAYS,
    DEFAULT_PILOT_DAYS,
    MAX_PERIOD_DAYS,
    MIN_BASELINE_DAYS,
    PRESETS,
    ControlChoice,
    ControlsNotComparable,
    ControlsOverlapPilots,
    DayMeans,
    DuplicateStore,
    GroupMeans,
    MetricWithoutDirection,
    NoControlStores,
    PilotAlreadyOver,
    PilotAlreadyStopped,
    PilotCodeTaken,
    PilotDatesInvalid,
    PilotForbidden,
    PilotIn,
    PilotMetricRequired,
    PilotOut,
    PilotPreset,
    PilotStatus,
    ThresholdRequired,
    ThresholdWrongSide,
    UnknownPilot,
    UnknownPreset,
    Verdict,
)
from omnicanal.analytics.pilot_wording import (
    DECISIONS,
    METHOD,
    METHOD_BEFORE_AFTER,
    explain,
)
from omnicanal.platform.access import FIRST_PARTY, is_privileged
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import LocationForbidden
from omnicanal.platform.clock import event_time
from omnicanal.platform.db import rowcount
from omnicanal.platform.errors import DomainError
from omnicanal.platform.ids import new_id

__all__ = [
    "PRESETS",
    "ControlChoice",
    "PilotIn",
    "PilotOut",
    "PilotPreset",
    "Verdict",
    "check_head_office",
    "choose_controls",
    "create_pilot",
    "get_pilot",
    "list_pilots",
    "pilot_status",
    "stop_pilot",
    "verdict",
]


def check_head_office(actor: Actor) -> None:
    """Refuse a till's key (bound to a store) and a marketplace's, whatever their scopes."""
    if is_privileged(actor):
        return
    if actor.location_code is not None or actor.channel not in FIRST_PARTY:
        raise PilotForbidden("Pilots are defined, compared and stopped by head office.")


def _check_reader(actor: Actor | None) -> None:
    if actor is not None and not is_privileged(actor) and actor.channel not in FIRST_PARTY:
        raise PilotForbidden("A marketplace key reads no pilot.")


def _period(body: PilotIn, preset: PilotPreset | None) -> tuple[date, date, date, date]:
    """The pilot's first and last day and its baseline's, defaults filled in and checked."""
    start = body.start
    end = body.end or start + timedelta(days=(preset.days if preset else DEFAULT_PILOT_DAYS) - 1)
    baseline_end = body.baseline_end or start - timedelta(days=1)
    baseline_start = body.baseline_start or baseline_end - timedelta(days=DEFAULT_BASELINE_DAYS - 1)
    if end < start:
        raise PilotDatesInvalid("A pilot ends on or after its first day.", field="end")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise PilotDatesInvalid(f"A pilot lasts at most {MAX_PERIOD_DAYS} days.", field="end")
    if baseline_end >= start:
        raise PilotDatesInvalid(
            "The baseline ends before the pilot's first day.", field="baseline_end"
        )
    baseline_days = (baseline_end - baseline_start).days + 1
    if not MIN_BASELINE_DAYS <= baseline_days <= MAX_PERIOD_DAYS:
        raise PilotDatesInvalid(
            f"A baseline lasts {MIN_BASELINE_DAYS} to {MAX_PERIOD_DAYS} days.",
            field="baseline_start",
        )
    return baseline_start, baseline_end, start, end


def _thresholds(
    body: PilotIn, preset: PilotPreset | None, better: str, *, days: int
) -> tuple[float, float, int]:
    success = body.success_threshold
    stop = body.stop_threshold
    if preset is not None:
        success = preset.success_threshold if success is None else success
        stop = preset.stop_threshold if stop is None else stop
    if success is None or stop is None:
        raise ThresholdRequired(
            "State the success and stop thresholds before the launch.",
            field="success_threshold" if success is None else "stop_threshold",
        )
    sign = 1.0 if better == "up" else -1.0
    way = "above" if better == "up" else "below"
    if sign * success <= 0:
        raise ThresholdWrongSide(
            f"This metric is better {better}: a success threshold lies {way} zero.",
            field="success_threshold",
        )
    if sign * stop >= 0:
        raise ThresholdWrongSide(
            f"This metric is better {better}: a stop threshold lies on the other side of zero.",
            field="stop_threshold",
        )
    minimum = body.minimum_days or (preset.minimum_days if preset else min(7, days))
    if minimum > days:
        raise PilotDatesInvalid(
            f"The minimum days before a verdict ({minimum}) exceed the pilot's {days} days.",
            field="minimum_days",
        )
    return success, stop, minimum


def _check_disjoint(stores: Sequence[str], controls: Sequence[str]) -> None:
    for field, codes in (("stores", stores), ("controls", controls)):
        if len(set(codes)) != len(codes):
            twice = next(code for code in codes if codes.count(code) > 1)
            raise DuplicateStore(f"'{twice}' is listed twice.", field=field, store=twice)
    both = sorted(set(stores) & set(controls))
    if both:
        raise ControlsOverlapPilots(
            f"{', '.join(both)} cannot be a pilot store and a control.", field="controls"
        )


def create_pilot(session: Session, body: PilotIn, *, actor: Actor) -> PilotOut:
    """Define a pilot before its launch (head office); controls chosen when none is named."""
    check_head_office(actor)
    preset = None
    if body.preset is not None:
        preset = PRESETS.get(body.preset)
        if preset is None:
            raise UnknownPreset(
                f"There is no preset '{body.preset}' ({', '.join(PRESETS)}).", field="preset"
            )
    code = body.metric or (preset.metric if preset else None)
    if code is None:
        raise PilotMetricRequired("Name the metric the pilot must move.", field="metric")
    metric = known_metric(code)
    if metric.better not in ("up", "down"):
        raise MetricWithoutDirection(
            f"'{code}' is neither better up nor down: no pilot can improve it.", field="metric"
        )
    baseline_start, baseline_end, start, end = _period(body, preset)
    success, stop, minimum = _thresholds(body, preset, metric.better, days=(end - start).days + 1)
    _check_disjoint(body.stores, body.controls)
    check_stores(session, body.stores, field="stores")
    check_stores(session, body.controls, field="controls")
    if session.scalar(select(Pilot.id).where(Pilot.code == body.code)) is not None:
        raise PilotCodeTaken(f"A pilot already has the code '{body.code}'.", field="code")
    distances: dict[str, float | None] = dict.fromkeys(body.controls)
    chain_only = "store" not in metric.dimensions
    if chain_only and body.controls:
        raise ControlsNotComparable(
            f"'{code}' is measured for the whole chain only: the pilot is judged against its "
            "own baseline, without control stores.",
            field="controls",
        )
    if not body.controls and not chain_only:
        before = Scope(start=baseline_start, end=baseline_end)
        chosen = choose_controls(
            session, body.stores, count=body.control_count, metric=code, before=before
        )
        if not chosen:
            raise NoControlStores(
                "No other store has figures of this metric over the baseline: name the "
                "control stores.",
                field="controls",
            )
        distances = {choice.store: choice.distance for choice in chosen}
    pilot = Pilot(
        id=new_id(),
        code=body.code,
        name=body.name,
        preset=preset.code if preset else None,
        metric=code,
        better=metric.better,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        start_day=start,
        end_day=end,
        success_threshold=success,
        stop_threshold=stop,
        minimum_days=minimum,
        controls_chosen=bool(distances) and not body.controls,
        created_by=actor.label,
        created_at=event_time(),
    )
    rows = [PilotStore(pilot_id=pilot.id, store=store, role=PILOT) for store in body.stores]
    rows += [
        PilotStore(pilot_id=pilot.id, store=store, role=CONTROL, distance=distance)
        for store, distance in distances.items()
    ]
    try:
        # A savepoint: a twin request that took the code meanwhile is a refusal, not a 500.
        with session.begin_nested():
            session.add(pilot)
            session.flush()
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        raise PilotCodeTaken(f"A pilot already has the code '{body.code}'.", field="code") from None
    return _out(pilot, rows)


def _out(pilot: Pilot, stores: Sequence[PilotStore]) -> PilotOut:
    return PilotOut(
        id=pilot.id,
        code=pilot.code,
        name=pilot.name,
        preset=pilot.preset,
        metric=pilot.metric,
        better="up" if pilot.better == "up" else "down",
        stores=sorted(row.store for row in stores if row.role == PILOT),
        controls=sorted(row.store for row in stores if row.role == CONTROL),
        controls_chosen=pilot.controls_chosen,
        baseline_start=pilot.baseline_start,
        baseline_end=pilot.baseline_end,
        start=pilot.start_day,
        end=pilot.end_day,
        success_threshold=pilot.success_threshold,
        stop_threshold=pilot.stop_threshold,
        minimum_days=pilot.minimum_days,
        created_by=pilot.created_by,
        created_at=pilot.created_at,
        stopped_at=pilot.stopped_at,
        stopped_by=pilot.stopped_by,
        stop_reason=pilot.stop_reason,
    )


def _load(session: Session, pilot_id: str, *, actor: Actor | None = None) -> Pilot:
    """The pilot of this id (or code), if the caller may read it."""
    _check_reader(actor)
    pilot = session.get(Pilot, pilot_id) or session.scalar(
        select(Pilot).where(Pilot.code == pilot_id)
    )
    if pilot is None:
        raise UnknownPilot(f"There is no pilot '{pilot_id}'.")
    if actor is not None and actor.location_code is not None and not is_privileged(actor):
        stores = session.scalars(select(PilotStore.store).where(PilotStore.pilot_id == pilot.id))
        if actor.location_code not in set(stores):
            raise LocationForbidden(
                f"This key belongs to store {actor.location_code}, which takes no part in "
                "this pilot."
            )
    return pilot


def _stores_of(session: Session, pilot_ids: Sequence[str]) -> dict[str, list[PilotStore]]:
    found: dict[str, list[PilotStore]] = {pilot_id: [] for pilot_id in pilot_ids}
    query = select(PilotStore).where(PilotStore.pilot_id.in_(pilot_ids))
    for row in session.scalars(query):
        found[row.pilot_id].append(row)
    return found


def get_pilot(session: Session, pilot_id: str, *, actor: Actor | None = None) -> PilotOut:
    """A pilot by its id (or its code)."""
    pilot = _load(session, pilot_id, actor=actor)
    return _out(pilot, _stores_of(session, [pilot.id])[pilot.id])


def list_pilots(session: Session, *, actor: Actor | None = None) -> list[PilotOut]:
    """Every pilot, the latest to start first (a store's key: those its store is in)."""
    _check_reader(actor)
    query = select(Pilot).order_by(Pilot.start_day.desc(), Pilot.code)
    if actor is not None and actor.location_code is not None and not is_privileged(actor):
        mine = select(PilotStore.pilot_id).where(PilotStore.store == actor.location_code)
        query = query.where(Pilot.id.in_(mine))
    pilots = list(session.scalars(query))
    stores = _stores_of(session, [pilot.id for pilot in pilots])
    return [_out(pilot, stores[pilot.id]) for pilot in pilots]


def stop_pilot(session: Session, pilot_id: str, *, reason: str, actor: Actor) -> PilotOut:
    """Stop a pilot before its end, with the reason (head office)."""
    check_head_office(actor)
    pilot = _load(session, pilot_id)
    now = event_time()
    if pilot.stopped_at is None and now.date() > pilot.end_day:
        raise PilotAlreadyOver(
            f"The pilot '{pilot.code}' ended on {pilot.end_day}: its verdict stands."
        )
    # One conditional UPDATE: of two stops racing, one finds the pilot stopped already.
    stopped = session.execute(
        update(Pilot)
        .where(Pilot.id == pilot.id, Pilot.stopped_at.is_(None))
        .values(stopped_at=now, stopped_by=actor.label, stop_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    if rowcount(stopped) == 0:
        raise PilotAlreadyStopped(f"The pilot '{pilot.code}' was stopped already.")
    return _out(pilot, _stores_of(session, [pilot.id])[pilot.id])


def pilot_status(pilot: PilotOut, today: date) -> PilotStatus:
    """Planned before its first day, running until its last, finished after; stopped once
    someone stopped it."""
    if pilot.stopped_at is not None:
        return "stopped"
    if today < pilot.start:
        return "planned"
    return "finished" if today > pilot.end else "running"


def verdict(session: Session, pilot_id: str, *, today: date, actor: Actor | None = None) -> Verdict:
    """Where the pilot stands on ``today`` (a local day; the days before it are over): its
    effect by difference in differences, the 90 % interval, the pre-trend check, and the
    decision the thresholds set before the launch give."""
    pilot = _load(session, pilot_id, actor=actor)
    out = _out(pilot, _stores_of(session, [pilot.id])[pilot.id])
    status = pilot_status(out, today)
    try:
        about: Metric | None = metrics.metric(pilot.metric)
    except DomainError:
        about = None  # a metric since retired from the catalogue: judged without its words
    last = min(out.end, today - timedelta(days=1))
    if out.stopped_at is not None:
        last = min(last, out.stopped_at.date() - timedelta(days=1))
    days = Scope(start=out.baseline_start, end=max(last, out.baseline_start)).days
    if last < out.baseline_start:
        days = []
    compared = [*out.stores, *out.controls]
    # Without controls (a metric known for the whole chain only), the gap is the pilots' own
    # series: a before/after comparison.
    design = "difference_in_differences" if out.controls else "before_after"
    values = panel(session, pilot.metric, compared, days)
    pilots = np.array([index < len(out.stores) for index in range(len(compared))])
    in_baseline = np.array([day <= out.baseline_end for day in days], dtype=bool)
    in_pilot = np.array([out.start <= day <= last for day in days], dtype=bool)
    gap = statistics.daily_gap(values, pilots, in_baseline)
    pilot_means = statistics.group_means(values, pilots)
    control_means = statistics.group_means(values, ~pilots)
    before, during = gap[in_baseline], gap[in_pilot]
    estimate = statistics.difference_in_differences(before, during)
    placebo = statistics.pre_trend(before)
    observed = int(np.sum(~np.isnan(during)))
    if out.stopped_at is not None:
        outcome: statistics.Outcome = "stop"
    else:
        outcome = statistics.decide(
            estimate,
            better=out.better,
            success=out.success_threshold,
            stop=out.stop_threshold,
            finished=status == "finished",
            enough_days=observed >= out.minimum_days,
        )
    known = ~np.isnan(gap)

    def mean(series: np.ndarray, where: np.ndarray) -> float | None:
        chosen = series[where & known & ~np.isnan(series)]
        return float(chosen.mean()) if len(chosen) else None

    parallel = None
    if placebo is not None:
        parallel = bool(placebo.low <= 0 <= placebo.high)
    return Verdict(
        pilot_id=out.id,
        code=out.code,
        name=out.name,
        metric=out.metric,
        metric_name=about.name if about else out.metric,
        unit=about.unit if about else "count",
        better=out.better,
        status=status,
        today=today,
        days_planned=(out.end - out.start).days + 1,
        days_observed=observed,
        baseline_days=int(np.sum(~np.isnan(before))),
        minimum_days=out.minimum_days,
        pilot=GroupMeans(before=mean(pilot_means, in_baseline), during=mean(pilot_means, in_pilot)),
        control=GroupMeans(
            before=mean(control_means, in_baseline), during=mean(control_means, in_pilot)
        ),
        design=design,
        effect=estimate.effect if estimate else None,
        effect_low=estimate.low if estimate else None,
        effect_high=estimate.high if estimate else None,
        confidence=statistics.CONFIDENCE,
        method=METHOD if out.controls else METHOD_BEFORE_AFTER,
        pre_trend=placebo.effect if placebo else None,
        pre_trend_low=placebo.low if placebo else None,
        pre_trend_high=placebo.high if placebo else None,
        parallel_trends=parallel,
        success_threshold=out.success_threshold,
        stop_threshold=out.stop_threshold,
        outcome=outcome,
        decision=DECISIONS[outcome],
        explanation=explain(
            out,
            about,
            status=status,
            outcome=outcome,
            estimate=estimate,
            placebo=placebo,
            observed=observed,
        ),
        days=[
            DayMeans(day=day, pilot=_finite(pilot_means[i]), control=_finite(control_means[i]))
            for i, day in enumerate(days)
        ],
    )


def _finite(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
