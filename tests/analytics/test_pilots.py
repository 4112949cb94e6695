"""Pilot-store experiments on a real database: defined before the launch, controls chosen by
similarity, judged by difference in differences against the thresholds set in advance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from omnicanal.analytics import pilots
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.pilot_models import Pilot, PilotStore
from omnicanal.analytics.pilot_schemas import PilotIn
from omnicanal.platform.actors import OPERATOR, Actor
from omnicanal.platform.clock import simulated
from omnicanal.platform.errors import DomainError
from tests.analytics.pilot_builders import (
    BASELINE_START,
    END,
    START,
    flat,
    identification_history,
    make_stores,
    messages_history,
)

HEAD_OFFICE = Actor(
    key_id="01HEADOFFICE0000000000000", channel="back_office", scopes=frozenset({"analytics:write"})
)
TILL = Actor(
    key_id="01TILL000000000000000000A",
    channel="store",
    location_id="01LOC",
    location_code="P1",
    scopes=frozenset({"analytics:read", "analytics:write"}),
)
AFTER = END + timedelta(days=1)
STOPPED_AT = datetime(2026, 2, 7, 15, 30, tzinfo=UTC)


def _identification_pilot(**changes: object) -> PilotIn:
    body: dict[str, object] = {
        "code": "scan-carte",
        "name": "Scan de la carte en caisse",
        "preset": "customer_identification",
        "stores": ["P1", "P2"],
        "controls": ["C1", "C2", "C3"],
        "start": START,
    }
    return PilotIn.model_validate({**body, **changes})


def _chain(platform, *, pilot_rate: float, during: float) -> None:  # type: ignore[no-untyped-def]
    """Two pilot stores at ``pilot_rate`` over the baseline then ``during``; three controls
    flat at 40 %, a warehouse."""
    make_stores(platform, "P1", "P2", "C1", "C2", "C3")
    make_stores(platform, "ENTREPOT", kind="warehouse")
    for store in ("P1", "P2"):
        identification_history(platform, store, flat(pilot_rate) + flat(during))
    for store in ("C1", "C2", "C3"):
        identification_history(platform, store, flat(0.40, 56))


def _create(platform, body: PilotIn, actor: Actor = HEAD_OFFICE):  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return pilots.create_pilot(session, body, actor=actor)


def _verdict(platform, pilot_id: str, today: date):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return pilots.verdict(session, pilot_id, today=today)


def test_a_preset_gives_the_metric_the_length_and_the_thresholds(platform):
    """The identification test: 28 days from the start, the baseline the 28 days before,
    +5 points to succeed, -2 points to stop, 14 days before a verdict."""
    _chain(platform, pilot_rate=0.50, during=0.50)

    made = _create(platform, _identification_pilot())

    assert made.metric == "store_identification_rate" and made.better == "up"
    assert (made.start, made.end) == (START, END)
    assert (made.baseline_start, made.baseline_end) == (BASELINE_START, START - timedelta(days=1))
    assert (made.success_threshold, made.stop_threshold, made.minimum_days) == (0.05, -0.02, 14)
    assert made.stores == ["P1", "P2"] and made.controls == ["C1", "C2", "C3"]
    assert made.created_by == "key:01HEADOFFICE0000000000000" and not made.controls_chosen


def test_a_pilot_that_lifts_identification_by_ten_points_against_flat_controls_succeeds(platform):
    """(60 % - 50 %) - (40 % - 40 %) = +10 points, beyond the +5 points set before: « réussite »."""
    _chain(platform, pilot_rate=0.50, during=0.60)
    made = _create(platform, _identification_pilot())

    judged = _verdict(platform, made.id, AFTER)

    assert judged.status == "finished" and judged.days_observed == 28
    assert judged.pilot.before == pytest.approx(0.50) and judged.pilot.during == pytest.approx(0.60)
    assert judged.control.before == pytest.approx(0.40)
    assert judged.control.during == pytest.approx(0.40)
    assert judged.design == "difference_in_differences"
    assert judged.effect == pytest.approx(0.10)
    assert judged.effect_low == pytest.approx(0.10) and judged.effect_high == pytest.approx(0.10)
    assert judged.pre_trend == pytest.approx(0.0, abs=1e-12) and judged.parallel_trends is True
    assert (judged.outcome, judged.decision) == ("success", "réussite")
    assert judged.explanation.startswith("Réussite : l'effet estimé sur « Taux d'identification")
    assert "+10,0\u00a0points" in judged.explanation
    assert len(judged.days) == 56 and judged.days[0].pilot == pytest.approx(0.50)


def test_a_pilot_worse_than_its_stop_threshold_is_stopped_while_it_runs(platform):
    """Identification down 5 points at the pilots, controls flat, 20 days in: past the stop
    at -2 points, « arrêt » before the end."""
    _chain(platform, pilot_rate=0.50, during=0.45)
    made = _create(platform, _identification_pilot())

    judged = _verdict(platform, made.id, START + timedelta(days=20))

    assert judged.status == "running" and judged.days_observed == 20
    assert judged.effect == pytest.approx(-0.05)
    assert (judged.outcome, judged.decision) == ("stop", "arrêt")
    assert "seuil d'arrêt (-2,0\u00a0points)" in judged.explanation


def test_a_small_lift_is_inconclusive_at_the_end(platform):
    """+2 points against a success at +5: « non concluant »."""
    _chain(platform, pilot_rate=0.50, during=0.52)
    made = _create(platform, _identification_pilot())

    judged = _verdict(platform, made.id, AFTER)

    assert judged.effect == pytest.approx(0.02)
    assert (judged.outcome, judged.decision) == ("inconclusive", "non concluant")
    assert "n'atteint pas le seuil de réussite (+5,0\u00a0points)" in judged.explanation


def test_a_pilot_gives_no_verdict_before_its_minimum_days(platform):
    """Three days in, even a good lift waits: « en cours », 3 of the 14 days required."""
    _chain(platform, pilot_rate=0.50, during=0.60)
    made = _create(platform, _identification_pilot())

    judged = _verdict(platform, made.id, START + timedelta(days=3))

    assert judged.status == "running" and judged.days_observed == 3
    assert (judged.outcome, judged.decision) == ("pending", "en cours")
    assert "3 jours observés sur les 14 requis" in judged.explanation


def test_a_planned_pilot_says_when_it_starts(platform):
    """The day before its start: planned, nothing observed, the baseline described."""
    _chain(platform, pilot_rate=0.50, during=0.60)
    made = _create(platform, _identification_pilot())

    judged = _verdict(platform, made.id, START - timedelta(days=1))

    assert judged.status == "planned" and judged.days_observed == 0 and judged.effect is None
    assert judged.decision == "en cours"
    assert "commence le 2 février 2026" in judged.explanation


def test_pilots_drifting_apart_before_the_launch_are_flagged(platform):
    """Pilots climbing a point a day over the baseline while controls stay flat: the pre-trend
    is 14 points, its interval excludes zero, and the sentence warns."""
    _chain(platform, pilot_rate=0.40, during=0.70)
    rising = [0.40 + 0.01 * day for day in range(28)]
    for store in ("P3", "P4"):
        make_stores(platform, store)
        identification_history(platform, store, rising + flat(0.70))
    made = _create(platform, _identification_pilot(code="derive", stores=["P3", "P4"]))

    judged = _verdict(platform, made.id, AFTER)

    assert judged.pre_trend == pytest.approx(0.14)
    assert judged.parallel_trends is False
    assert "tendances parallèles est fragile" in judged.explanation


def test_controls_are_the_stores_most_like_the_pilots(platform):
    """Over the baseline: C1 is P1's twin, C2 sells three times as much, C3 sits 30 points
    lower, C4 climbs; C1 comes first at distance 0, and C3 never before C2's size."""
    make_stores(platform, "P1", "C1", "C2", "C3", "C4")
    identification_history(platform, "P1", flat(0.50))
    identification_history(platform, "C1", flat(0.50))
    identification_history(platform, "C2", flat(0.50), basket_minor=15_000)
    identification_history(platform, "C3", flat(0.20))
    identification_history(platform, "C4", [0.365 + 0.01 * day for day in range(28)])
    before = Scope(start=BASELINE_START, end=START - timedelta(days=1))

    with platform.db.reading() as session:
        chosen = pilots.choose_controls(
            session, ["P1"], count=4, metric="store_identification_rate", before=before
        )

    assert chosen[0].store == "C1"
    assert chosen[0].distance == pytest.approx(0.0)
    assert chosen[0].level == pytest.approx(0.50) and chosen[0].trend == pytest.approx(0.0)
    assert chosen[0].reason == (
        "Niveau 50,0\u00a0% contre 50,0\u00a0% pour les pilotes ; tendance de +0,0\u00a0point "
        "par semaine contre +0,0\u00a0point ; ventes à 100\u00a0% de celles des pilotes."
    )
    assert sorted(choice.store for choice in chosen) == ["C1", "C2", "C3", "C4"]
    assert all(a.distance <= b.distance for a, b in pairwise(chosen))


def test_a_pilot_without_controls_gets_the_nearest_ones(platform):
    """No control named: the three nearest stores over the baseline, their distance kept."""
    _chain(platform, pilot_rate=0.40, during=0.50)

    made = _create(platform, _identification_pilot(controls=[], control_count=2))

    assert made.controls_chosen and len(made.controls) == 2
    assert set(made.controls) <= {"C1", "C2", "C3"}
    with platform.db.reading() as session:
        kept = session.scalars(select(PilotStore.distance).where(PilotStore.role == "control"))
        assert all(distance is not None for distance in kept)


def test_a_chain_wide_metric_is_judged_against_its_own_baseline(platform):
    """Messages are the chain's, not a store's: the consistent-messages pilot has no control,
    and 12 % withdrawn during against 5 % before is +7 points, a before/after success that
    says it removed nothing that moved everywhere."""
    make_stores(platform, "P1", "C1")
    messages_history(platform, flat(0.05) + flat(0.12))
    body = _identification_pilot(
        code="messages", preset="consistent_messages", stores=["P1"], controls=[]
    )

    made = _create(platform, body)
    judged = _verdict(platform, made.id, AFTER)

    assert made.controls == [] and not made.controls_chosen
    assert judged.design == "before_after"
    assert judged.effect == pytest.approx(0.07)
    assert judged.control.before is None and judged.pilot.before == pytest.approx(0.05)
    assert judged.decision == "réussite"
    assert "Sans magasin témoin" in judged.explanation
    assert judged.method.startswith("Comparaison avant/après")


def test_a_chain_wide_metric_takes_no_control_store(platform):
    """Naming controls for the messages' share is refused: ``controls_not_comparable``."""
    make_stores(platform, "P1", "C1")
    body = _identification_pilot(code="messages", preset="consistent_messages", stores=["P1"])

    with pytest.raises(DomainError) as refused:
        _create(platform, body.model_copy(update={"controls": ["C1"]}))

    assert refused.value.code == "controls_not_comparable"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"stores": ["P1", "NOPE"]}, "unknown_store", "stores"),
        ({"controls": ["ENTREPOT"]}, "not_a_store", "controls"),
        ({"controls": ["C1", "P2"]}, "controls_overlap_pilots", "controls"),
        ({"stores": ["P1", "P1"]}, "duplicate_store", "stores"),
        ({"preset": None}, "pilot_metric_required", "metric"),
        ({"metric": "bonheur"}, "unknown_metric", "metric"),
        ({"metric": "stock_cover", "preset": None}, "metric_without_direction", "metric"),
        ({"success_threshold": -0.05}, "threshold_wrong_side", "success_threshold"),
        ({"stop_threshold": 0.01}, "threshold_wrong_side", "stop_threshold"),
        ({"preset": None, "metric": "orders"}, "pilot_threshold_required", "success_threshold"),
        ({"preset": "miracle"}, "unknown_preset", "preset"),
        ({"end": START - timedelta(days=1)}, "pilot_dates_invalid", "end"),
        ({"end": START + timedelta(days=400)}, "pilot_dates_invalid", "end"),
        ({"baseline_end": START}, "pilot_dates_invalid", "baseline_end"),
        ({"baseline_start": START - timedelta(days=3)}, "pilot_dates_invalid", "baseline_start"),
        ({"minimum_days": 40}, "pilot_dates_invalid", "minimum_days"),
    ],
)
def test_a_pilot_that_breaks_a_rule_is_refused_and_nothing_is_written(
    platform, changes, code, field
):
    """Each rule has its code and names its field; the refused pilot leaves no row."""
    _chain(platform, pilot_rate=0.50, during=0.50)

    with pytest.raises(DomainError) as refused:
        _create(platform, _identification_pilot(**changes))

    assert (refused.value.code, refused.value.field) == (code, field)
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Pilot)) == 0
        assert session.scalar(select(func.count()).select_from(PilotStore)) == 0


def test_a_second_pilot_with_the_same_code_is_refused(platform):
    """Codes are unique: 409 ``pilot_code_taken``."""
    _chain(platform, pilot_rate=0.50, during=0.50)
    _create(platform, _identification_pilot())

    with pytest.raises(DomainError) as refused:
        _create(platform, _identification_pilot(stores=["C1"], controls=["C2"]))

    assert refused.value.code == "pilot_code_taken"


def test_a_tills_key_may_not_define_a_pilot_whatever_its_scopes(platform):
    """A key bound to a store is refused with ``pilot_forbidden``."""
    _chain(platform, pilot_rate=0.50, during=0.50)

    with pytest.raises(DomainError) as refused:
        _create(platform, _identification_pilot(), actor=TILL)

    assert refused.value.code == "pilot_forbidden"


def test_a_stopped_pilot_reads_as_stopped_with_its_reason(platform):
    """Stopped by head office: status stopped, « arrêt » with the reason; a second stop is a
    conflict."""
    _chain(platform, pilot_rate=0.50, during=0.60)
    made = _create(platform, _identification_pilot())

    with simulated(STOPPED_AT), platform.db.transaction() as session:
        stopped = pilots.stop_pilot(
            session, made.code, reason="Lecteurs de cartes en panne", actor=OPERATOR
        )
    judged = _verdict(platform, made.id, START + timedelta(days=5))

    assert (
        stopped.stopped_by == "operator:cli"
        and stopped.stop_reason == "Lecteurs de cartes en panne"
    )
    assert judged.status == "stopped"
    assert (judged.outcome, judged.decision) == ("stop", "arrêt")
    assert "(Lecteurs de cartes en panne)" in judged.explanation
    assert stopped.stopped_at == STOPPED_AT
    with pytest.raises(DomainError) as again, platform.db.transaction() as session:
        pilots.stop_pilot(session, made.id, reason="encore", actor=OPERATOR)
    assert again.value.code == "pilot_already_stopped"


def test_a_pilot_that_is_over_cannot_be_stopped(platform):
    """After its last day its verdict stands: ``pilot_already_over``."""
    _chain(platform, pilot_rate=0.50, during=0.60)
    made = _create(platform, _identification_pilot())

    with (
        simulated(datetime(2026, 3, 2, 9, tzinfo=UTC)),
        pytest.raises(DomainError) as refused,
        platform.db.transaction() as session,
    ):
        pilots.stop_pilot(session, made.id, reason="trop tard", actor=OPERATOR)

    assert refused.value.code == "pilot_already_over"


def test_a_stores_key_reads_only_the_pilots_its_store_is_in(platform):
    """P1's key lists the pilot of P1 and P2, not the one of C1; reading the latter is
    refused."""
    _chain(platform, pilot_rate=0.50, during=0.50)
    mine = _create(platform, _identification_pilot())
    other = _create(platform, _identification_pilot(code="autre", stores=["C1"], controls=["C2"]))

    with platform.db.reading() as session:
        listed = pilots.list_pilots(session, actor=TILL)
        everything = pilots.list_pilots(session)
        with pytest.raises(DomainError) as refused:
            pilots.get_pilot(session, other.id, actor=TILL)

    assert [pilot.id for pilot in listed] == [mine.id]
    assert {pilot.id for pilot in everything} == {mine.id, other.id}
    assert refused.value.code == "location_forbidden"


def test_an_unknown_pilot_is_not_found(platform):
    """``unknown_pilot``, by id or by code."""
    with platform.db.reading() as session, pytest.raises(DomainError) as refused:
        pilots.verdict(session, "01NOPE", today=AFTER)

    assert refused.value.code == "unknown_pilot"
