"""The shapes of the pilot-store experiments (ADR 0041): what a pilot is defined with, how it
reads back, its verdict, a proposed control store, the seeds' presets, and the errors.

Pydantic holds the shape and the bounds (lengths, finite numbers, sane years); the rules
that need the catalogue of metrics or the stores (a threshold on the right side, a store
that exists) are the use cases' (:mod:`omnicanal.analytics.pilots`), each with its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from omnicanal.platform.bounds import Day, RequestModel
from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "MAX_PERIOD_DAYS",
    "MAX_STORES",
    "MAX_THRESHOLD",
    "MIN_BASELINE_DAYS",
    "PRESETS",
    "ControlChoice",
    "DayMeans",
    "Decision",
    "GroupMeans",
    "PilotIn",
    "PilotOut",
    "PilotPreset",
    "PilotStatus",
    "StopIn",
    "Verdict",
]

CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_STORES = 50
"""The most pilot stores, and the most control stores, of one pilot."""
MAX_PERIOD_DAYS = 366
"""The longest pilot, and the longest baseline."""
MIN_BASELINE_DAYS = 7
"""The shortest baseline: a week, so that the pre-trend check has days to compare."""
DEFAULT_BASELINE_DAYS = 28
DEFAULT_PILOT_DAYS = 28
DEFAULT_CONTROLS = 3
MAX_THRESHOLD = 1e12
"""The largest threshold in any metric's unit (money in minor units included)."""

PilotStatus = Literal["planned", "running", "finished", "stopped"]
Decision = Literal["réussite", "arrêt", "non concluant", "en cours"]
StoreCode = Annotated[str, Field(min_length=1, max_length=50)]
Threshold = Annotated[float, Field(ge=-MAX_THRESHOLD, le=MAX_THRESHOLD)]


class PilotIn(RequestModel):
    """A pilot, defined before its launch: the ``stores`` that try something, the metric it
    must move, its days, and the ``success_threshold`` and ``stop_threshold`` of the effect
    (in the metric's unit: a share as a fraction, money in minor units). A ``preset`` gives
    the metric, the length, the thresholds and the minimum days, each of which the body may
    still set. Without ``controls``, ``control_count`` stores are chosen by similarity over
    the baseline (by default the 28 days before ``start``)."""

    code: str = Field(min_length=1, max_length=50, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    preset: str | None = Field(default=None, min_length=1, max_length=50)
    metric: str | None = Field(default=None, min_length=1, max_length=60)
    stores: list[StoreCode] = Field(min_length=1, max_length=MAX_STORES)
    controls: list[StoreCode] = Field(default_factory=list, max_length=MAX_STORES)
    control_count: int = Field(default=DEFAULT_CONTROLS, ge=1, le=MAX_STORES)
    start: Day
    end: Day | None = None
    baseline_start: Day | None = None
    baseline_end: Day | None = None
    success_threshold: Threshold | None = None
    stop_threshold: Threshold | None = None
    minimum_days: int | None = Field(default=None, ge=1, le=MAX_PERIOD_DAYS)


class StopIn(RequestModel):
    """Why the pilot is stopped before its end."""

    reason: str = Field(min_length=1, max_length=500)


class PilotOut(BaseModel):
    """A pilot as it was defined (and stopped, if it was)."""

    id: str
    code: str
    name: str
    preset: str | None
    metric: str
    better: Literal["up", "down"]
    stores: list[str]
    controls: list[str]
    controls_chosen: bool
    """The control stores were chosen by similarity over the baseline."""
    baseline_start: date
    baseline_end: date
    start: date
    end: date
    success_threshold: float
    stop_threshold: float
    minimum_days: int
    created_by: str
    created_at: datetime
    stopped_at: datetime | None
    stopped_by: str | None
    stop_reason: str | None


class ControlChoice(BaseModel):
    """A store proposed as a control, and how close it is to the pilot stores over the
    baseline (in standard deviations of the three features together)."""

    store: str
    name: str
    distance: float
    level: float
    """The store's mean daily value of the metric over the baseline."""
    trend: float
    """Its least-squares slope per day over the baseline."""
    sales: float
    """Its mean daily sales over the baseline, in minor units."""
    reason: str
    """Why, in French: « Niveau 4,2 % contre 4,0 % pour les pilotes… »."""


class GroupMeans(BaseModel):
    """The mean daily value of a group of stores, over the baseline and during the pilot
    (the days both groups have a value)."""

    before: float | None
    during: float | None


class DayMeans(BaseModel):
    """A day of the watch chart: the pilot stores' mean and the control stores' mean."""

    day: date
    pilot: float | None
    control: float | None


class Verdict(BaseModel):
    """Where a pilot stands, judged against the thresholds set before its launch."""

    pilot_id: str
    code: str
    name: str
    metric: str
    metric_name: str
    unit: str
    better: Literal["up", "down"]
    status: PilotStatus
    today: date
    days_planned: int
    days_observed: int
    """Days of the pilot (over, and before any stop) on which both groups have a value."""
    baseline_days: int
    minimum_days: int
    pilot: GroupMeans
    control: GroupMeans
    design: Literal["difference_in_differences", "before_after"]
    """Against control stores, or (a metric known for the whole chain only) against the
    pilot's own baseline."""
    effect: float | None
    """The difference in differences: (pilots during - before) - (controls during - before);
    before/after: pilots during - before."""
    effect_low: float | None
    effect_high: float | None
    confidence: float
    method: str
    pre_trend: float | None
    """The placebo effect between the second and the first half of the baseline: about
    zero when the groups moved in parallel before the launch."""
    pre_trend_low: float | None
    pre_trend_high: float | None
    parallel_trends: bool | None
    """The pre-trend interval holds zero (None: too few baseline days to tell)."""
    success_threshold: float
    stop_threshold: float
    outcome: Literal["success", "stop", "inconclusive", "pending"]
    decision: Decision
    explanation: str
    """The decision in a French sentence."""
    days: list[DayMeans]


@dataclass(frozen=True)
class PilotPreset:
    """One of the seeds' example tests, ready to launch on some stores."""

    code: str
    name: str
    description: str
    metric: str
    days: int
    success_threshold: float
    stop_threshold: float
    minimum_days: int


class PilotPresetOut(BaseModel):
    """A preset as the API lists it."""

    code: str
    name: str
    description: str
    metric: str
    days: int
    success_threshold: float
    stop_threshold: float
    minimum_days: int


PRESETS: dict[str, PilotPreset] = {
    preset.code: preset
    for preset in (
        PilotPreset(
            code="realtime_availability",
            name="Test de disponibilité en temps réel",
            description="Mesurer l'échec de réservation sur une semaine pilote.",
            metric="reservation_failure_rate",
            days=7,
            # Two points fewer failed reservations is a success; one point more stops it.
            success_threshold=-0.02,
            stop_threshold=0.01,
            minimum_days=5,
        ),
        PilotPreset(
            code="customer_identification",
            name="Test d'identification client",
            description="Adoption du scan carte fidélité et taux de reconnaissance.",
            metric="store_identification_rate",
            days=28,
            success_threshold=0.05,
            stop_threshold=-0.02,
            minimum_days=14,
        ),
        PilotPreset(
            code="consistent_messages",
            name="Test de messages cohérents",
            description="Synchroniser annulations et relances pour éviter les messages "
            "contradictoires.",
            metric="messages_withdrawn_share",
            days=28,
            success_threshold=0.05,
            stop_threshold=-0.02,
            minimum_days=14,
        ),
    )
}
"""The seeds' three tests: « Commencez par des magasins pilotes… Définissez des critères
d'arrêt et de réussite avant de lancer. »"""


class UnknownPilot(NotFound):
    code = "unknown_pilot"
    title = "Unknown pilot"


class UnknownPreset(InvalidInput):
    code = "unknown_preset"
    title = "Unknown pilot preset"


class PilotMetricUnknown(InvalidInput):
    code = "unknown_metric"
    title = "Unknown metric"


class PilotMetricRequired(InvalidInput):
    code = "pilot_metric_required"
    title = "A pilot names the metric it must move, or a preset"


class MetricWithoutDirection(InvalidInput):
    code = "metric_without_direction"
    title = "A pilot must move a metric that is better up or down"


class ThresholdRequired(InvalidInput):
    code = "pilot_threshold_required"
    title = "A pilot states its success and stop thresholds before its launch"


class ThresholdWrongSide(InvalidInput):
    code = "threshold_wrong_side"
    title = "A success threshold is an improvement and a stop threshold a deterioration"


class PilotDatesInvalid(InvalidInput):
    code = "pilot_dates_invalid"
    title = "The pilot's days or its baseline do not fit"


class UnknownStore(InvalidInput):
    code = "unknown_store"
    title = "Unknown store"


class NotAStore(InvalidInput):
    code = "not_a_store"
    title = "Only stores take part in a pilot"


class DuplicateStore(InvalidInput):
    code = "duplicate_store"
    title = "A store is listed twice"


class ControlsOverlapPilots(InvalidInput):
    code = "controls_overlap_pilots"
    title = "A control store cannot be a pilot store too"


class ControlsNotComparable(InvalidInput):
    code = "controls_not_comparable"
    title = "The metric is measured for the whole chain only: no store can be a control"


class NoControlStores(Conflict):
    code = "no_control_stores"
    title = "No store has baseline figures to serve as a control"


class PilotWithoutBaseline(Conflict):
    code = "pilot_without_baseline"
    title = "The pilot stores have no figures of the metric over the baseline"


class PilotCodeTaken(Conflict):
    code = "pilot_code_taken"
    title = "A pilot already has this code"


class PilotAlreadyStopped(Conflict):
    code = "pilot_already_stopped"
    title = "The pilot was already stopped"


class PilotAlreadyOver(Conflict):
    code = "pilot_already_over"
    title = "The pilot is over: its verdict stands"


class PilotForbidden(Forbidden):
    code = "pilot_forbidden"
    title = "Pilots are defined and compared by head office"
