"""A pilot's verdict and a proposed control said in French, with numbers and dates as a
French reader writes them (Babel): a share as « 4,2 % », its change as « -1,5 point »."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from omnicanal.analytics.kpis import Metric
from omnicanal.analytics.pilot_schemas import Decision, PilotOut, PilotStatus
from omnicanal.analytics.pilot_statistics import CONFIDENCE, REPLICATES, Estimate, Outcome

__all__ = [
    "DECISIONS",
    "METHOD",
    "METHOD_BEFORE_AFTER",
    "change",
    "control_reason",
    "explain",
    "level",
]

LOCALE = "fr_FR"
SIGNED = "+#,##0.0;-#,##0.0"
DECISIONS: dict[Outcome, Decision] = {
    "success": "réussite",
    "stop": "arrêt",
    "inconclusive": "non concluant",
    "pending": "en cours",
}
METHOD = (
    "Différence de différences des moyennes quotidiennes des magasins pilotes et témoins ; "
    f"intervalle à {CONFIDENCE * 100:.0f}\u00a0% par bootstrap circulaire par blocs de jours "
    f"({format_decimal(REPLICATES, locale=LOCALE)} tirages, graine fixe) ; tendances "
    "parallèles vérifiées sur la période de référence (sa seconde moitié contre la "
    "première)."
)

METHOD_BEFORE_AFTER = (
    "Comparaison avant/après des moyennes quotidiennes de l'enseigne (la mesure n'existe que "
    "pour toute l'enseigne : pas de magasin témoin) ; intervalle à "
    f"{CONFIDENCE * 100:.0f}\u00a0% par bootstrap circulaire par blocs de jours "
    f"({format_decimal(REPLICATES, locale=LOCALE)} tirages, graine fixe)."
)


def level(value: float, unit: str) -> str:
    """A value of the metric as a French reader writes it."""
    if unit == "ratio":
        return format_percent(value, "#,##0.0\u00a0%", locale=LOCALE)
    if unit == "money":
        return format_decimal(value / 100, "#,##0.00", locale=LOCALE)
    if unit == "seconds":
        return f"{format_decimal(value / 60, '#,##0.0', locale=LOCALE)}\u00a0min"
    if unit == "days":
        return f"{format_decimal(value, '#,##0.0', locale=LOCALE)}\u00a0j"
    return format_decimal(value, "#,##0.##", locale=LOCALE)


def change(value: float, unit: str) -> str:
    """A difference of the metric, signed: a share's in percentage points."""
    if unit == "ratio":
        points = value * 100
        word = "point" if abs(round(points, 1)) < 2 else "points"
        return f"{format_decimal(points, SIGNED, locale=LOCALE)}\u00a0{word}"
    if unit == "money":
        return format_decimal(value / 100, "+#,##0.00;-#,##0.00", locale=LOCALE)
    if unit == "seconds":
        return f"{format_decimal(value / 60, SIGNED, locale=LOCALE)}\u00a0min"
    if unit == "days":
        return f"{format_decimal(value, SIGNED, locale=LOCALE)}\u00a0j"
    return format_decimal(value, "+#,##0.##;-#,##0.##", locale=LOCALE)


def control_reason(
    metric: Metric,
    store: npt.NDArray[np.float64],
    pilots: npt.NDArray[np.float64],
) -> str:
    """Why a store is close to the pilots: its level, weekly trend and sales beside theirs
    (each a ``[level, trend per day, sales per day]`` row)."""
    unit = metric.unit
    sentence = (
        f"Niveau {level(store[0], unit)} contre {level(pilots[0], unit)} pour les pilotes ; "
        f"tendance de {change(store[1] * 7, unit)} par semaine contre "
        f"{change(pilots[1] * 7, unit)}"
    )
    if pilots[2] > 0:
        share = format_percent(store[2] / pilots[2], "#,##0\u00a0%", locale=LOCALE)
        return f"{sentence} ; ventes à {share} de celles des pilotes."
    return f"{sentence} ; pas de ventes relevées chez les pilotes."


def _day(value: object) -> str:
    return format_date(value, "long", locale=LOCALE)  # type: ignore[arg-type]


def _estimate(estimate: Estimate, unit: str) -> str:
    return (
        f"{change(estimate.effect, unit)} (intervalle à {CONFIDENCE * 100:.0f}\u00a0% : "
        f"{change(estimate.low, unit)} à {change(estimate.high, unit)})"
    )


def explain(
    pilot: PilotOut,
    metric: Metric | None,
    *,
    status: PilotStatus,
    outcome: Outcome,
    estimate: Estimate | None,
    placebo: Estimate | None,
    observed: int,
) -> str:
    """The verdict in one or two French sentences."""
    unit = metric.unit if metric else "count"
    name = f"« {metric.name} »" if metric else "la mesure"
    success = change(pilot.success_threshold, unit)
    stop = change(pilot.stop_threshold, unit)
    measured = (
        f"l'effet estimé sur {name} est de {_estimate(estimate, unit)} après {observed} jour"
        f"{'s' if observed > 1 else ''}"
        if estimate
        else ""
    )
    if pilot.stopped_at is not None:
        text = f"Arrêt : le pilote a été arrêté le {_day(pilot.stopped_at.date())}"
        text += f" ({pilot.stop_reason})." if pilot.stop_reason else "."
        if measured:
            text += f" Jusque-là, {measured}."
    elif status == "planned":
        text = (
            f"En cours : le pilote commence le {_day(pilot.start)} ; la période de référence "
            f"va du {_day(pilot.baseline_start)} au {_day(pilot.baseline_end)}."
        )
    elif estimate is None:
        verb = "Non concluant" if outcome == "inconclusive" else "En cours"
        text = (
            f"{verb} : aucun jour de la période n'a encore de valeur comparable pour les "
            "magasins pilotes et témoins."
        )
    elif outcome == "stop":
        text = (
            f"Arrêt : {measured}, au moins aussi mauvais que le seuil d'arrêt ({stop}) fixé "
            "avant le lancement."
        )
    elif outcome == "success":
        text = (
            f"Réussite : {measured} ; il atteint le seuil de réussite ({success}) et "
            "l'intervalle exclut l'absence d'effet."
        )
    elif outcome == "inconclusive" and observed < pilot.minimum_days:
        text = (
            f"Non concluant : {observed} jour{'s' if observed > 1 else ''} observé"
            f"{'s' if observed > 1 else ''} sur les {pilot.minimum_days} requis avant un "
            "verdict."
        )
    elif outcome == "inconclusive":
        sign = 1 if pilot.better == "up" else -1
        short = sign * estimate.effect < sign * pilot.success_threshold
        why = (
            f"il n'atteint pas le seuil de réussite ({success})"
            if short
            else "son intervalle n'exclut pas l'absence d'effet"
        )
        text = f"Non concluant : {measured} ; {why}."
    elif observed < pilot.minimum_days:
        text = (
            f"En cours : {observed} jour{'s' if observed > 1 else ''} observé"
            f"{'s' if observed > 1 else ''} sur les {pilot.minimum_days} requis avant un "
            "verdict."
        )
    else:
        text = (
            f"En cours : {measured} ; la réussite se juge à la fin du pilote, le "
            f"{_day(pilot.end)} (seuil de réussite {success}, seuil d'arrêt {stop})."
        )
    if not pilot.controls and status != "planned":
        text += (
            " Sans magasin témoin (la mesure n'existe que pour toute l'enseigne), l'effet "
            "compare le pilote à sa période de référence : ce qui a changé partout en même "
            "temps n'en est pas retiré."
        )
    if placebo is not None and not placebo.low <= 0 <= placebo.high:
        text += (
            " Attention : avant le lancement, l'écart entre pilotes et témoins évoluait déjà "
            f"({_estimate(placebo, unit)}) ; l'hypothèse de tendances parallèles est fragile."
        )
    return text
