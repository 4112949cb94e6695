"""What a pilot is judged on: the stores the measures know, the metric's daily values of
some stores as a ``stores x days`` array, and the choice of control stores by similarity over
the baseline (ADR 0041)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.analytics import measures, metrics
from omnicanal.analytics import pilot_statistics as statistics
from omnicanal.analytics.kpis import Metric, Scope
from omnicanal.analytics.models import LocationFact
from omnicanal.analytics.pilot_schemas import (
    ControlChoice,
    NotAStore,
    PilotMetricUnknown,
    PilotWithoutBaseline,
    UnknownStore,
)
from omnicanal.analytics.pilot_wording import control_reason
from omnicanal.platform.errors import DomainError

__all__ = [
    "VOLUME_METRIC",
    "check_stores",
    "choose_controls",
    "known_metric",
    "panel",
    "stores_known",
]

VOLUME_METRIC = "sales"
"""The metric whose baseline level tells a store's size, for the choice of controls."""


def known_metric(code: str, *, field: str = "metric") -> Metric:
    """The metric ``code``, or ``unknown_metric`` naming ``field``."""
    try:
        return metrics.metric(code)
    except DomainError:
        raise PilotMetricUnknown(f"There is no metric '{code}'.", field=field) from None


def stores_known(session: Session) -> dict[str, LocationFact]:
    """Every location the measures know, by code."""
    return {row.code: row for row in session.scalars(select(LocationFact))}


def check_stores(session: Session, codes: Sequence[str], *, field: str) -> None:
    """Refuse a code the measures know no location of, or one that is not a store."""
    known = stores_known(session)
    for code in codes:
        place = known.get(code)
        if place is None:
            raise UnknownStore(f"There is no store '{code}'.", field=field, store=code)
        if place.kind != "store":
            raise NotAStore(f"'{code}' is a {place.kind}, not a store.", field=field, store=code)


def panel(session: Session, code: str, stores: Sequence[str], days: Sequence[date]) -> np.ndarray:
    """The ``stores x days`` array of the metric's daily values (NaN: none)."""
    panel = np.full((len(stores), len(days)), np.nan)
    if not days or not stores:
        return panel
    scope = Scope(start=days[0], end=days[-1], stores=tuple(stores))
    values = measures.daily_values(session, code, scope)
    column = {day: index for index, day in enumerate(days)}
    for row, store in enumerate(stores):
        for day, value in values.get(store, {}).items():
            if value is not None and day in column:
                panel[row, column[day]] = value
    return panel


def choose_controls(
    session: Session, stores: Sequence[str], *, count: int, metric: str, before: Scope
) -> list[ControlChoice]:
    """The ``count`` other stores closest to ``stores`` over the ``before`` days: the level
    and the daily trend of ``metric`` and the sales volume, standardised; nearest first."""
    about = known_metric(metric)
    check_stores(session, stores, field="stores")
    places = {code: row for code, row in stores_known(session).items() if row.kind == "store"}
    candidates = sorted(code for code in places if code not in set(stores))
    compared = [*stores, *candidates]
    days = before.days
    values = panel(session, metric, compared, days)
    sales = panel(session, VOLUME_METRIC, compared, days)
    with np.errstate(all="ignore"):
        level = np.array([np.nanmean(row) if np.any(~np.isnan(row)) else np.nan for row in values])
        volume = np.array([np.nanmean(row) if np.any(~np.isnan(row)) else 0.0 for row in sales])
    trend = np.array([statistics.slope(row) for row in values])
    features = np.column_stack([level, trend, volume])
    usable = ~np.isnan(features).any(axis=1)
    pilots = np.array([index < len(stores) for index in range(len(compared))])
    if not (usable & pilots).any():
        raise PilotWithoutBaseline(
            f"The pilot stores have no figures of '{metric}' from {before.start} to {before.end}.",
            field="stores",
        )
    kept = usable
    distance = statistics.distances(features[kept], pilots[kept])
    profile = features[kept][pilots[kept]].mean(axis=0)
    ranked = sorted(
        (float(distance[position]), compared[index])
        for position, index in enumerate(np.flatnonzero(kept))
        if not pilots[index]
    )
    choices = []
    for gap, code in ranked[:count]:
        index = compared.index(code)
        choices.append(
            ControlChoice(
                store=code,
                name=places[code].name,
                distance=round(gap, 6),
                level=float(level[index]),
                trend=float(trend[index]),
                sales=float(volume[index]),
                reason=control_reason(about, features[index], profile),
            )
        )
    return choices
