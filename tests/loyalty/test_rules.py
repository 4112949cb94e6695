"""The loyalty rules, pure, by the hundred: earning, reversal, value, tiers, first-expiring
first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.loyalty.rules import (
    MAX_POINTS,
    EarningRule,
    Lot,
    PricedLine,
    Rates,
    Tier,
    add_months,
    allocate,
    amount_for_points,
    earn,
    expired,
    expiring_first,
    line_points,
    points_for_amount,
    reversal,
    tier_for,
)
from omnicanal.platform.bounds import MAX_AMOUNT_MINOR

NOW = datetime(2026, 6, 1, 10, tzinfo=UTC)
rates = st.decimals(min_value=0, max_value=20, places=2, allow_nan=False, allow_infinity=False)
amounts = st.integers(min_value=0, max_value=10_000_000)
lines = st.lists(
    st.builds(
        PricedLine,
        line_id=st.uuids().map(str),
        quantity=st.integers(min_value=1, max_value=50),
        amount_minor=amounts,
        category=st.sampled_from(["Robes", "Vestes", "Lingerie"]),
    ),
    min_size=1,
    max_size=8,
)


def test_the_most_specific_rule_gives_the_rate():
    """Category and channel, then category, then channel, then the default."""
    table = Rates(
        default=Decimal(1),
        rules=(
            EarningRule(Decimal(2), category="Robes"),
            EarningRule(Decimal(3), channel="store"),
            EarningRule(Decimal(5), category="Robes", channel="store"),
            EarningRule(Decimal(0), channel="marketplace"),
        ),
    )

    assert table.rate(category="Robes", channels=("store",)) == 5
    assert table.rate(category="Robes", channels=("web",)) == 2
    assert table.rate(category="Vestes", channels=("store",)) == 3
    assert table.rate(category="Vestes", channels=("web",)) == 1
    assert table.rate(category="Vestes", channels=("zalando", "marketplace")) == 0


def test_a_line_earns_its_points_rounded_down():
    assert line_points(4990, Decimal(1)) == 49
    assert line_points(4990, Decimal("1.5")) == 74
    assert line_points(4990, Decimal(1), Decimal("1.25")) == 62
    assert line_points(99, Decimal(1)) == 0


def test_a_line_earns_at_most_the_points_one_change_may_move():
    """The dearest line at the richest rate and multiplier would earn 10^14 points."""
    assert line_points(MAX_AMOUNT_MINOR, Decimal(1000), Decimal(100)) == MAX_POINTS
    assert line_points(MAX_POINTS * 100, Decimal(1)) == MAX_POINTS
    assert line_points(MAX_POINTS * 100 - 100, Decimal(1)) == MAX_POINTS - 1


@given(amount=amounts, weights=st.lists(st.integers(min_value=0, max_value=10**7), max_size=10))
def test_an_amount_is_shared_in_whole_units_that_add_up_to_it(amount, weights):
    shares = allocate(amount, weights)

    assert len(shares) == len(weights)
    assert all(share >= 0 for share in shares)
    assert all(share <= weight for share, weight in zip(shares, weights, strict=True))
    if sum(weights) > 0:
        assert sum(shares) == min(amount, sum(weights))
    else:
        assert sum(shares) == 0


@settings(max_examples=300)
@given(lines=lines, rate=rates, paid=amounts)
def test_points_paid_with_points_earn_nothing_and_no_line_earns_below_zero(lines, rate, paid):
    table = Rates(default=rate)

    earned = earn(lines, rates=table, channels=("web",), paid_with_points_minor=paid)

    total = sum(line.amount_minor for line in lines)
    assert [line.line_id for line in earned] == [line.line_id for line in lines]
    assert all(line.points >= 0 and line.eligible_minor >= 0 for line in earned)
    assert sum(line.eligible_minor for line in earned) == max(0, total - paid)
    assert sum(line.points for line in earned) <= line_points(max(0, total - paid), rate) + len(
        lines
    )


@settings(max_examples=300)
@given(lines=lines, rate=rates, more=st.integers(min_value=0, max_value=100_000))
def test_paying_more_never_earns_fewer_points(lines, rate, more):
    table = Rates(default=rate)
    richer = [
        PricedLine(line.line_id, line.quantity, line.amount_minor + more, line.category)
        for line in lines
    ]

    before = earn(lines, rates=table, channels=("web",))
    after = earn(richer, rates=table, channels=("web",))

    assert all(a.points >= b.points for a, b in zip(after, before, strict=True))


@settings(max_examples=500)
@given(
    earned=st.integers(min_value=0, max_value=1_000_000),
    quantity=st.integers(min_value=1, max_value=40),
    steps=st.lists(st.integers(min_value=1, max_value=40), max_size=12),
)
def test_reversals_of_every_unit_add_up_to_exactly_what_the_line_earned(earned, quantity, steps):
    """Whatever the steps units come back in, the points taken back never exceed what was
    earned, and once every unit is back they are exactly it."""
    units_back, taken = 0, 0
    for step in [*steps, quantity]:
        due = reversal(
            earned=earned, quantity=quantity, units_before=units_back, units=step, taken=taken
        )
        assert due >= 0
        taken += due
        units_back = min(quantity, units_back + step)
        assert taken <= earned
    assert taken == earned


@given(
    earned=st.integers(min_value=1, max_value=10_000),
    quantity=st.integers(min_value=1, max_value=20),
)
def test_one_unit_of_several_takes_back_its_share_rounded_half_up(earned, quantity):
    due = reversal(earned=earned, quantity=quantity, units_before=0, units=1, taken=0)

    assert due == int((Decimal(earned) / quantity).to_integral_value(rounding="ROUND_HALF_UP"))


@given(amount=st.integers(min_value=0, max_value=10**9), value=st.decimals("0.01", "100", places=2))
def test_the_points_asked_for_an_amount_always_cover_it(amount, value):
    points = points_for_amount(amount, value)

    assert Decimal(points) * value >= amount
    assert points == 0 or Decimal(points - 1) * value < amount


@given(points=st.integers(min_value=0, max_value=10**8), value=st.decimals("0.01", "100", places=2))
def test_points_are_worth_their_value_rounded_down(points, value):
    assert (
        amount_for_points(points, value)
        <= Decimal(points) * value
        < amount_for_points(points, value) + 1
    )


TIERS = (
    Tier("bronze", "Bronze", 0),
    Tier("silver", "Argent", 500, Decimal("1.25")),
    Tier("gold", "Or", 2000, Decimal("1.5")),
)


def test_the_highest_tier_the_points_reach_is_the_members():
    assert tier_for(0, TIERS) == TIERS[0]
    assert tier_for(499, TIERS) == TIERS[0]
    assert tier_for(500, TIERS) == TIERS[1]
    assert tier_for(10_000, TIERS) == TIERS[2]
    assert tier_for(10, TIERS[1:]) is None


@given(a=st.integers(min_value=0, max_value=10**6), b=st.integers(min_value=0, max_value=10**6))
def test_more_points_never_mean_a_lower_tier(a, b):
    low, high = sorted((a, b))
    assert (tier_for(low, TIERS) or TIERS[0]).threshold <= (
        tier_for(high, TIERS) or TIERS[0]
    ).threshold


def test_months_are_added_on_the_calendar_the_day_clamped_to_the_months_end():
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 24) == datetime(2028, 11, 15, tzinfo=UTC)
    assert add_months(datetime(2026, 3, 31, tzinfo=UTC), -13) == datetime(2025, 2, 28, tzinfo=UTC)


lots = st.lists(
    st.builds(
        Lot,
        id=st.uuids().map(str),
        remaining=st.integers(min_value=0, max_value=500),
        expires_at=st.one_of(
            st.none(),
            st.integers(min_value=-30, max_value=30).map(lambda d: NOW + timedelta(days=d)),
        ),
    ),
    max_size=10,
    unique_by=lambda lot: lot.id,
)


@settings(max_examples=300)
@given(lots=lots, points=st.integers(min_value=0, max_value=3000))
def test_points_are_taken_from_live_lots_that_expire_first_and_never_from_expired_ones(
    lots, points
):
    plan = expiring_first(lots, points, now=NOW)

    by_id = {lot.id: lot for lot in lots}
    live = [lot for lot in lots if lot.remaining > 0 and not expired(lot, NOW)]
    assert sum(count for _, count in plan) == min(points, sum(lot.remaining for lot in live))
    assert all(not expired(by_id[lot_id], NOW) for lot_id, _ in plan)
    assert all(0 < count <= by_id[lot_id].remaining for lot_id, count in plan)
    # Every lot but the last one used is emptied, and none expiring sooner is left untouched.
    used = [by_id[lot_id] for lot_id, _ in plan]
    assert all(count == by_id[lot_id].remaining for lot_id, count in plan[:-1])
    if plan:
        last = used[-1]
        skipped = [lot for lot in live if lot.id not in {lot.id for lot in used}]
        key = (last.expires_at is None, last.expires_at or NOW)
        assert all((lot.expires_at is None, lot.expires_at or NOW) >= key for lot in skipped)
