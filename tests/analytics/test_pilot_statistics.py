"""The pure statistics of a pilot: the daily gap, the difference in differences and its
block-bootstrap interval, the pre-trend check, the choice of controls and the decision."""

from __future__ import annotations

import numpy as np
import pytest

from omnicanal.analytics.pilot_statistics import (
    Estimate,
    block_length,
    daily_gap,
    decide,
    difference_in_differences,
    distances,
    group_means,
    pre_trend,
    slope,
)

BEFORE, DURING = 28, 14
BASELINE = np.arange(BEFORE + DURING) < BEFORE


def _panel(pilot_shift: float, *, trend: float = 0.0, noise: float = 0.0, seed: int = 7):
    """Two pilot and three control stores over 28 baseline and 14 pilot days, around 10 %;
    every store follows ``trend`` a day, the pilots move by ``pilot_shift`` at the launch."""
    rng = np.random.default_rng(seed)
    days = np.arange(BEFORE + DURING)
    levels = np.array([0.10, 0.12, 0.09, 0.11, 0.10])[:, None]
    values = levels + trend * days + noise * rng.standard_normal((5, len(days)))
    values[:2, BEFORE:] += pilot_shift
    pilots = np.array([True, True, False, False, False])
    return values, pilots


def _estimate(values, pilots):  # type: ignore[no-untyped-def]
    gap = daily_gap(values, pilots, BASELINE)
    return difference_in_differences(gap[:BEFORE], gap[BEFORE:])


def test_a_pilot_that_drops_by_five_points_while_controls_stay_flat_has_an_effect_of_minus_five():
    """(0.06 - 0.11) - (0.10 - 0.10): the pilots' drop, measured against flat controls."""
    values, pilots = _panel(-0.05)

    estimate = _estimate(values, pilots)

    assert estimate is not None
    assert estimate.effect == pytest.approx(-0.05)
    assert estimate.low == pytest.approx(-0.05) and estimate.high == pytest.approx(-0.05)
    assert (estimate.before_days, estimate.during_days) == (BEFORE, DURING)


def test_parallel_trends_give_no_effect():
    """Every store rising by 0.1 point a day: the season moves both groups, the effect is 0."""
    values, pilots = _panel(0.0, trend=0.001)

    estimate = _estimate(values, pilots)

    assert estimate is not None
    assert estimate.effect == pytest.approx(0.0, abs=1e-12)


def test_a_shared_trend_does_not_hide_the_pilots_own_move():
    """Controls rising, pilots rising as much and dropping 3 points: the effect is -3 points."""
    values, pilots = _panel(-0.03, trend=0.002)

    estimate = _estimate(values, pilots)

    assert estimate is not None
    assert estimate.effect == pytest.approx(-0.03)


def test_the_interval_of_noisy_panels_holds_the_true_effect_about_nine_times_in_ten():
    """Daily noise of 2 points around a true drop of 5, in 200 panels: the 90 % interval
    holds -0.05 in 80 % to 97 % of them (89.5 % here; the percentile interval would be near
    the lower bound), and excludes 0 in every one."""
    estimates = [_estimate(*_panel(-0.05, noise=0.02, seed=seed)) for seed in range(200)]

    held = sum(e is not None and e.low <= -0.05 <= e.high for e in estimates)
    assert 0.80 <= held / 200 <= 0.97
    assert all(e is not None and e.high < 0 for e in estimates)


def test_the_interval_of_noise_alone_holds_zero_about_nine_times_in_ten():
    """No effect, only noise, in 200 panels: the interval straddles zero in 80 % to 97 %."""
    estimates = [_estimate(*_panel(0.0, noise=0.02, seed=seed)) for seed in range(200)]

    held = sum(e is not None and e.low <= 0 <= e.high for e in estimates)
    assert 0.80 <= held / 200 <= 0.97


def test_the_same_data_gives_the_same_interval_every_time():
    """The bootstrap's seed is fixed: a verdict asked twice says the same thing."""
    values, pilots = _panel(-0.01, noise=0.02)

    assert _estimate(values, pilots) == _estimate(values, pilots)


def test_days_where_a_group_has_no_value_are_left_out():
    """A day without any control value has no gap and counts in neither period; a pilot
    store missing a day leaves the other one to speak, measured from its own baseline."""
    values, pilots = _panel(-0.05)
    values[2:, 3] = np.nan
    values[0, BEFORE + 1] = np.nan

    gap = daily_gap(values, pilots, BASELINE)
    estimate = difference_in_differences(gap[:BEFORE], gap[BEFORE:])

    assert np.isnan(gap[3]) and not np.isnan(gap[BEFORE + 1])
    assert estimate is not None
    assert (estimate.before_days, estimate.during_days) == (BEFORE - 1, DURING)
    assert estimate.effect == pytest.approx(-0.05)


def test_fewer_than_two_days_of_the_pilot_with_a_value_give_no_estimate():
    """Nothing, or a single day, observed during the pilot yet: no effect to state."""
    gap = np.array([0.01, 0.02, 0.01])

    assert difference_in_differences(gap, np.array([np.nan, np.nan])) is None
    assert difference_in_differences(gap, np.array([])) is None
    assert difference_in_differences(gap, np.array([0.03, np.nan])) is None


def test_group_means_average_the_stores_that_have_a_value_that_day():
    """Day 1: (0.1 + 0.3) / 2; day 2: only 0.2 is known; day 3: nobody."""
    values = np.array([[0.1, np.nan, np.nan], [0.3, 0.2, np.nan]])

    means = group_means(values, np.array([True, True]))

    assert means[0] == pytest.approx(0.2) and means[1] == pytest.approx(0.2)
    assert np.isnan(means[2])


def test_the_pre_trend_check_sees_groups_drifting_apart_before_the_launch():
    """Pilots rising 0.1 point a day faster than controls over the baseline: the placebo
    effect between its halves is 14 days x 0.001 = 1.4 points, and its interval excludes 0."""
    values, pilots = _panel(0.0)
    values[:2, :BEFORE] += 0.001 * np.arange(BEFORE)

    placebo = pre_trend(daily_gap(values, pilots, BASELINE)[:BEFORE])

    assert placebo is not None
    assert placebo.effect == pytest.approx(0.014)
    assert placebo.low > 0


def test_the_pre_trend_check_of_parallel_groups_holds_zero():
    """Noise only before the launch: the placebo interval holds 0."""
    values, pilots = _panel(0.0, noise=0.02, seed=11)

    placebo = pre_trend(daily_gap(values, pilots, BASELINE)[:BEFORE])

    assert placebo is not None
    assert placebo.low <= 0 <= placebo.high


def test_the_pre_trend_check_needs_four_days():
    """Three baseline days cannot be split into two halves worth comparing."""
    assert pre_trend(np.array([0.1, 0.2, np.nan, 0.1])) is None


def test_blocks_grow_with_the_cube_root_of_the_period():
    """A week: blocks of 2 days; four weeks: 4; a quarter: 5; a day: 1."""
    assert [block_length(n) for n in (1, 7, 8, 28, 90)] == [1, 2, 2, 4, 5]


def test_the_slope_is_the_least_squares_one_over_the_known_days():
    """0, 2, ?, 6: two a day; a single known day has no slope."""
    assert slope(np.array([0.0, 2.0, np.nan, 6.0])) == pytest.approx(2.0)
    assert np.isnan(slope(np.array([np.nan, 1.0])))


def test_the_nearest_control_is_the_store_most_like_the_pilots():
    """Level, trend and sales standardised: the store equal to the pilot is at distance 0,
    the one twice as big further, the one with another level furthest."""
    features = np.array(
        [
            [0.10, 0.001, 1000.0],  # the pilot
            [0.10, 0.001, 1000.0],  # its twin
            [0.10, 0.001, 2000.0],  # twice its sales
            [0.30, 0.001, 3000.0],  # another level and size
        ]
    )
    pilots = np.array([True, False, False, False])

    found = distances(features, pilots)

    assert found[1] == pytest.approx(0.0)
    assert 0 < found[2] < found[3]


def _estimate_of(effect: float, low: float, high: float) -> Estimate:
    return Estimate(effect, low, high, 28, 14, 0.0, effect)


LOWER = {"better": "down", "success": -0.02, "stop": 0.01}


def test_a_pilot_worse_than_its_stop_threshold_is_stopped_even_while_running():
    """Reservation failures up 1.5 points against a stop at +1 point: « arrêt »."""
    estimate = _estimate_of(0.015, 0.005, 0.025)

    assert decide(estimate, **LOWER, finished=False, enough_days=True) == "stop"
    assert decide(estimate, **LOWER, finished=True, enough_days=True) == "stop"


def test_a_finished_pilot_beyond_its_success_threshold_with_an_interval_clear_of_zero_succeeds():
    """Failures down 3 points (interval -4 to -2) against a success at -2 points."""
    estimate = _estimate_of(-0.03, -0.04, -0.02)

    assert decide(estimate, **LOWER, finished=True, enough_days=True) == "success"


def test_success_is_only_declared_at_the_end():
    """The same good effect halfway through: still « en cours »."""
    estimate = _estimate_of(-0.03, -0.04, -0.02)

    assert decide(estimate, **LOWER, finished=False, enough_days=True) == "pending"


def test_an_effect_short_of_the_threshold_or_too_uncertain_is_inconclusive():
    """-1 point against a success at -2; or -3 points whose interval reaches +0.5."""
    short = _estimate_of(-0.01, -0.015, -0.005)
    uncertain = _estimate_of(-0.03, -0.065, 0.005)

    assert decide(short, **LOWER, finished=True, enough_days=True) == "inconclusive"
    assert decide(uncertain, **LOWER, finished=True, enough_days=True) == "inconclusive"


def test_too_few_days_give_no_verdict_yet():
    """Before the minimum days, even a harmful effect waits: « en cours »; at the end,
    « non concluant »."""
    harmful = _estimate_of(0.05, 0.04, 0.06)

    assert decide(harmful, **LOWER, finished=False, enough_days=False) == "pending"
    assert decide(harmful, **LOWER, finished=True, enough_days=False) == "inconclusive"
    assert decide(None, **LOWER, finished=True, enough_days=True) == "inconclusive"


def test_a_metric_better_up_reads_its_thresholds_the_other_way():
    """Identification up 6 points against a success at +5: « réussite »; down 3 against a
    stop at -2: « arrêt »."""
    higher = {"better": "up", "success": 0.05, "stop": -0.02}

    assert decide(_estimate_of(0.06, 0.055, 0.07), **higher, finished=True, enough_days=True) == (
        "success"
    )
    assert decide(
        _estimate_of(-0.03, -0.04, -0.02), **higher, finished=False, enough_days=True
    ) == ("stop")
