"""Properties of the engine over generated carts and promotions (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.pricing.engine import Cart, Kind, Line, Promotion, Target, price

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
CATEGORY = {"A": "Robes", "B": "Robes", "C": "Jeans", "D": "Jeans", "E": "Sacs"}
CHANNELS = ("web", "app", "store", "call_centre")

lines = st.lists(
    st.builds(
        lambda sku, quantity, unit: Line(sku, quantity, unit, CATEGORY[sku]),
        st.sampled_from(sorted(CATEGORY)),
        st.integers(1, 6),
        st.integers(0, 30_000),
    ),
    min_size=1,
    max_size=6,
)
percents = st.decimals(Decimal("0.01"), Decimal(100), places=2)


@st.composite
def promotions(draw: st.DrawFn, *, channel_scoped: bool) -> Promotion:
    kind = draw(st.sampled_from(list(Kind)))
    target = draw(st.sampled_from(list(Target)))
    start = draw(st.none() | st.integers(-3, 3).map(lambda d: NOW + timedelta(days=d)))
    return Promotion(
        code=f"P{draw(st.integers(0, 10**6))}",
        kind=kind,
        target=target,
        skus=frozenset(draw(st.lists(st.sampled_from(sorted(CATEGORY)), min_size=1, max_size=3))),
        categories=frozenset(
            draw(st.lists(st.sampled_from(["Robes", "Jeans", "Sacs"]), min_size=1))
        ),
        percent=draw(percents),
        amount_minor=draw(st.integers(0, 40_000)),
        buy_quantity=draw(st.integers(1, 3)),
        get_quantity=draw(st.integers(1, 2)),
        get_percent=draw(percents),
        bundle_skus=tuple(
            draw(st.lists(st.sampled_from(sorted(CATEGORY)), min_size=2, max_size=3, unique=True))
        ),
        currency=draw(st.sampled_from([None, "EUR", "EUR", "GBP"])),
        requires_coupon=draw(st.booleans()),
        customer_conditions=draw(st.sampled_from([{}, {}, {"tier": frozenset({"gold"})}])),
        channels=(
            frozenset(draw(st.lists(st.sampled_from(CHANNELS), max_size=2)))
            if channel_scoped
            else frozenset()
        ),
        starts_at=start,
        ends_at=draw(
            st.none() | st.integers(1, 5).map(lambda d: (start or NOW) + timedelta(days=d))
        ),
        priority=draw(st.integers(-2, 2)),
        stackable=draw(st.booleans()),
        exclusive=draw(st.integers(0, 4)) == 0,
        min_subtotal_minor=draw(st.sampled_from([0, 0, 5000, 50_000])),
    )


def carts(channel: str = "web"):  # type: ignore[no-untyped-def]
    return st.builds(
        lambda ls, shipping, coupons, tier: Cart(
            currency="EUR",
            channel=channel,
            lines=tuple(ls),
            at=NOW,
            shipping_minor=shipping,
            customer_attributes={"tier": tier} if tier else {},
            coupon_codes=frozenset(coupons),
        ),
        lines,
        st.integers(0, 1500),
        st.sets(st.sampled_from([f"P{n}" for n in range(20)])),
        st.sampled_from([None, "gold", "silver"]),
    )


@settings(max_examples=200, deadline=None)
@given(carts(), st.lists(promotions(channel_scoped=True), max_size=6))
def test_totals_add_up_and_never_go_below_zero(cart, rules):
    """Total = line totals + shipping - shipping discount; no discount exceeds its subtotal."""
    result = price(cart, rules)

    assert result.total_minor == (
        sum(line.total_minor for line in result.lines)
        + result.shipping_minor
        - result.shipping_discount_minor
    )
    assert result.total_minor >= 0
    for line in result.lines:
        assert 0 <= line.discount_minor <= line.subtotal_minor
        assert line.total_minor == line.subtotal_minor - line.discount_minor
    assert 0 <= result.shipping_discount_minor <= result.shipping_minor
    assert result.discount_minor <= result.subtotal_minor
    assert sum(a.amount_minor for a in result.adjustments) == (
        result.discount_minor + result.shipping_discount_minor
    )
    assert all(a.amount_minor > 0 for a in result.adjustments)
    assert len(result.explanation) == len(result.adjustments)


@settings(max_examples=120, deadline=None)
@given(carts(), st.lists(promotions(channel_scoped=False), max_size=6))
def test_the_same_cart_costs_the_same_on_every_channel_without_channel_scoped_promotions(
    cart, rules
):
    results = [price(replace(cart, channel=channel), rules) for channel in CHANNELS]

    assert len({r.total_minor for r in results}) == 1
    assert len({(r.lines, r.adjustments, r.explanation) for r in results}) == 1


@settings(max_examples=120, deadline=None)
@given(carts(), st.lists(promotions(channel_scoped=True), max_size=6))
def test_channels_differ_only_where_a_channel_scoped_promotion_applied(cart, rules):
    scoped = {rule.code for rule in rules if rule.channels}
    web = price(replace(cart, channel="web"), rules)
    store = price(replace(cart, channel="store"), rules)

    if web.total_minor != store.total_minor:
        applied = {a.promotion for a in (*web.adjustments, *store.adjustments)}
        assert applied & scoped


@settings(max_examples=80, deadline=None)
@given(carts(), st.lists(promotions(channel_scoped=True), max_size=6), st.randoms())
def test_the_result_does_not_depend_on_the_order_promotions_are_given_in(cart, rules, random):
    # Codes must be distinct for "by priority, then code" to be a total order.
    rules = list({rule.code: rule for rule in rules}.values())
    shuffled = list(rules)
    random.shuffle(shuffled)

    assert price(cart, rules) == price(cart, shuffled)
