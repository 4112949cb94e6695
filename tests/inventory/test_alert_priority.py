"""The rule that orders stock alerts: the demand a shortage puts at risk, per day."""

from __future__ import annotations

import pytest

from omnicanal.inventory.priority import (
    COVER_HORIZON_DAYS,
    ONLINE_WEIGHT,
    SALES_WINDOW_DAYS,
    AlertFacts,
    Priority,
    rank,
    sort_key,
)


def facts(
    *,
    status: str = "out_of_stock",
    available: int = 0,
    units_sold: int = 0,
    online: bool = False,
) -> AlertFacts:
    return AlertFacts(status=status, available=available, units_sold=units_sold, online=online)


def ordered(*lines: AlertFacts) -> list[AlertFacts]:
    return sorted(lines, key=lambda line: sort_key(line, rank(line)))


def test_an_empty_line_risks_its_whole_daily_sales():
    ranking = rank(facts(units_sold=56))

    assert ranking.daily_sales == 2.0
    assert ranking.score == 2.0
    assert ranking.days_of_cover == 0.0
    assert ranking.priority is Priority.urgent


def test_a_line_online_shoppers_can_buy_weighs_double():
    offline = rank(facts(units_sold=14))
    online = rank(facts(units_sold=14, online=True))

    assert offline.score == 0.5
    assert online.score == 0.5 * ONLINE_WEIGHT
    assert (offline.priority, online.priority) == (Priority.high, Priority.urgent)


def test_a_low_line_is_more_urgent_the_fewer_days_its_units_cover():
    """28 sold in 28 days: 1 a day; 7 left cover 7 days, half the horizon."""
    half = rank(facts(status="low_stock", available=7, units_sold=28))
    nearly_out = rank(facts(status="low_stock", available=1, units_sold=28))

    assert half.days_of_cover == 7.0
    assert half.score == pytest.approx(1 - 7 / COVER_HORIZON_DAYS, abs=1e-6)
    assert nearly_out.score > half.score


def test_a_low_line_covering_the_horizon_risks_nothing_yet():
    ranking = rank(facts(status="low_stock", available=3, units_sold=2))

    assert ranking.days_of_cover == 42.0
    assert ranking.score == 0.0
    assert ranking.priority is Priority.normal


def test_a_line_that_sold_nothing_in_the_window_is_dormant_even_when_empty():
    ranking = rank(facts(units_sold=0, online=True))

    assert ranking.score == 0.0
    assert ranking.days_of_cover is None
    assert ranking.priority is Priority.dormant


def test_a_slow_seller_at_zero_is_normal():
    ranking = rank(facts(units_sold=3))

    assert ranking.score == pytest.approx(3 / SALES_WINDOW_DAYS, abs=1e-6)
    assert ranking.priority is Priority.normal


def test_the_fastest_seller_at_risk_comes_first():
    slow = facts(units_sold=5)
    fast = facts(units_sold=40)
    medium_online = facts(units_sold=20, online=True)

    assert ordered(slow, fast, medium_online) == [medium_online, fast, slow]


def test_at_equal_risk_empty_then_online_then_fewest_units_come_first():
    """Nothing sold: the score is 0 for all; the ties break in the rule's order."""
    low_offline = facts(status="low_stock", available=2)
    low_offline_fewer = facts(status="low_stock", available=1)
    low_online = facts(status="low_stock", available=3, online=True)
    out_offline = facts()

    assert ordered(low_offline, low_online, out_offline, low_offline_fewer) == [
        out_offline,
        low_online,
        low_offline_fewer,
        low_offline,
    ]


def test_a_negative_availability_reads_as_empty():
    """Reserved beyond the shelf (a count found fewer): nothing to sell, nothing covers."""
    ranking = rank(facts(status="out_of_stock", available=-2, units_sold=28))

    assert ranking.score == 1.0
    assert ranking.days_of_cover == 0.0


def test_a_line_still_selling_comes_before_a_dormant_one_at_equal_score():
    """Both risk nothing today; the one that sells is watched first."""
    selling = facts(status="low_stock", available=3, units_sold=2)
    dormant = facts(status="out_of_stock")

    assert ordered(dormant, selling) == [selling, dormant]
