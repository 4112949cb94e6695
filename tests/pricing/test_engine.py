"""The promotions engine, pure: each rule, the rounding rules, stacking and explanations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from omnicanal.pricing.engine import (
    Cart,
    Kind,
    Line,
    Promotion,
    Target,
    allocate,
    half_up,
    price,
)

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def line(sku: str, quantity: int, unit_price: int, category: str = "Robes") -> Line:
    return Line(sku=sku, quantity=quantity, unit_price_minor=unit_price, category=category)


def cart(*lines: Line, **fields: Any) -> Cart:
    fields.setdefault("currency", "EUR")
    fields.setdefault("channel", "web")
    fields.setdefault("at", NOW)
    return Cart(lines=tuple(lines), **fields)


def promo(code: str, kind: Kind, **fields: Any) -> Promotion:
    for name in ("skus", "categories", "channels"):
        if name in fields:
            fields[name] = frozenset(fields[name])
    if "percent" in fields:
        fields["percent"] = Decimal(str(fields["percent"]))
    if "get_percent" in fields:
        fields["get_percent"] = Decimal(str(fields["get_percent"]))
    return Promotion(code=code, kind=kind, **fields)


def discounts(result) -> list[int]:  # type: ignore[no-untyped-def]
    return [priced.discount_minor for priced in result.lines]


# Basics and rounding


def test_a_cart_without_promotions_costs_its_lines_plus_shipping():
    result = price(cart(line("A", 2, 1000), line("B", 1, 250), shipping_minor=490), [])

    assert (result.subtotal_minor, result.discount_minor, result.total_minor) == (2250, 0, 2740)
    assert result.adjustments == () and result.explanation == ()


def test_half_up_rounds_an_exact_half_up_and_anything_less_down():
    assert half_up(1005, Decimal(10)) == 101
    assert half_up(1004, Decimal(10)) == 100
    assert half_up(999, Decimal(50)) == 500
    assert half_up(1, Decimal("12.5")) == 0


def test_a_percentage_off_skus_is_rounded_half_up_on_each_line():
    result = price(
        cart(line("A", 1, 1005), line("B", 1, 1004)),
        [promo("TEN", Kind.percent_off, percent=10, target=Target.skus, skus={"A", "B"})],
    )

    assert discounts(result) == [101, 100]
    assert result.total_minor == 2009 - 201


def test_a_percentage_off_the_cart_is_computed_once_then_allocated_by_largest_remainder():
    """10% of 999 is 99.9 -> 100; three equal lines get 33.3 each, the extra cent goes first."""
    result = price(
        cart(line("A", 1, 333), line("B", 1, 333), line("C", 1, 333)),
        [promo("TEN", Kind.percent_off, percent=10)],
    )

    assert discounts(result) == [34, 33, 33]
    assert result.discount_minor == 100


def test_allocation_follows_the_largest_remainders_not_the_line_order():
    assert allocate(10, [1, 2, 4]) == [1, 3, 6]
    assert allocate(100, [333, 333, 333]) == [34, 33, 33]
    assert allocate(0, [5, 5]) == [0, 0]


def test_allocation_sums_exactly_and_never_exceeds_a_weight():
    for total in range(0, 40):
        shares = allocate(total, [7, 13, 19])
        assert sum(shares) == total
        assert all(share <= weight for share, weight in zip(shares, [7, 13, 19], strict=True))


def test_line_totals_always_sum_to_the_cart_total_with_a_cart_discount():
    result = price(
        cart(line("A", 3, 1999), line("B", 1, 1), line("C", 7, 333), shipping_minor=499),
        [promo("CART", Kind.amount_off, amount_minor=1001, currency="EUR")],
    )

    assert sum(priced.total_minor for priced in result.lines) + 499 == result.total_minor
    assert result.discount_minor == 1001


def test_a_yen_cart_is_explained_without_decimals():
    result = price(
        cart(line("A", 1, 5000), currency="JPY"),
        [promo("TEN", Kind.percent_off, percent=10, name="Dix pour cent")],
    )

    assert result.explanation == ("Dix pour cent (TEN): 10% off the cart: -500 JPY",)


# Each kind


def test_an_amount_off_each_unit_never_takes_a_line_below_zero():
    result = price(
        cart(line("A", 2, 300), line("B", 1, 2000)),
        [promo("FIVE", Kind.amount_off, amount_minor=500, target=Target.skus, skus={"A", "B"})],
    )

    assert discounts(result) == [600, 500]
    assert [priced.total_minor for priced in result.lines] == [0, 1500]


def test_an_amount_off_the_cart_is_capped_at_what_the_cart_costs():
    result = price(
        cart(line("A", 1, 700), shipping_minor=500),
        [promo("BIG", Kind.amount_off, amount_minor=10_000, currency="EUR")],
    )

    assert result.discount_minor == 700
    assert result.total_minor == 500


def test_buy_two_get_one_makes_the_cheapest_unit_free():
    result = price(
        cart(line("A", 2, 3000), line("B", 1, 1000)),
        [promo("B2G1", Kind.buy_x_get_y, buy_quantity=2, get_quantity=1)],
    )

    assert discounts(result) == [0, 1000]
    assert result.adjustments[0].description == "buy 2 get 1 free on the cart (1 unit)"


def test_buy_x_get_y_counts_units_across_lines_of_its_category_only():
    result = price(
        cart(
            line("A", 1, 3000),
            line("B", 2, 2000),
            line("J", 5, 100, category="Jeans"),
        ),
        [
            promo(
                "B2G1",
                Kind.buy_x_get_y,
                buy_quantity=2,
                get_quantity=1,
                target=Target.categories,
                categories={"Robes"},
            )
        ],
    )

    assert discounts(result) == [0, 2000, 0]


def test_buy_x_get_y_at_a_percentage_rounds_half_up_per_free_unit():
    result = price(
        cart(line("A", 4, 999)),
        [promo("HALF", Kind.buy_x_get_y, buy_quantity=1, get_quantity=1, get_percent=50)],
    )

    assert discounts(result) == [1000]


def test_buy_x_get_y_with_too_few_units_is_no_adjustment():
    result = price(
        cart(line("A", 2, 1000)),
        [promo("B2G1", Kind.buy_x_get_y, buy_quantity=2, get_quantity=1)],
    )

    assert result.adjustments == () and result.total_minor == 2000


def test_a_bundle_costs_its_fixed_price_and_its_saving_is_shared_by_value():
    result = price(
        cart(line("A", 1, 3000), line("B", 1, 2000), line("C", 1, 500)),
        [promo("DUO", Kind.bundle_price, bundle_skus=("A", "B"), amount_minor=4000)],
    )

    assert discounts(result) == [600, 400, 0]
    assert result.adjustments[0].skus == ("A", "B")


def test_a_bundle_applies_once_per_complete_set():
    result = price(
        cart(line("A", 3, 3000), line("B", 2, 2000)),
        [promo("DUO", Kind.bundle_price, bundle_skus=("A", "B"), amount_minor=4000)],
    )

    assert result.discount_minor == 2000
    assert "(2 sets)" in result.adjustments[0].description


def test_a_bundle_dearer_than_its_items_takes_nothing_off():
    result = price(
        cart(line("A", 1, 1000), line("B", 1, 1000)),
        [promo("DUO", Kind.bundle_price, bundle_skus=("A", "B"), amount_minor=2500)],
    )

    assert result.adjustments == ()


def test_free_shipping_takes_off_the_shipping_only():
    result = price(
        cart(line("A", 1, 1000), shipping_minor=590), [promo("SHIP", Kind.free_shipping)]
    )

    assert (result.shipping_discount_minor, result.discount_minor, result.total_minor) == (
        590,
        0,
        1000,
    )
    assert result.adjustments[0].skus == ()


def test_free_shipping_for_a_category_needs_an_item_of_that_category():
    rule = promo("SHIPJ", Kind.free_shipping, target=Target.categories, categories={"Jeans"})

    without = price(cart(line("A", 1, 1000), shipping_minor=590), [rule])
    with_jeans = price(
        cart(line("A", 1, 1000), line("J", 1, 100, "Jeans"), shipping_minor=590), [rule]
    )

    assert without.shipping_discount_minor == 0
    assert with_jeans.shipping_discount_minor == 590


# Conditions


def test_a_coupon_promotion_applies_only_when_its_code_is_given():
    rule = promo("WELCOME", Kind.percent_off, percent=20, requires_coupon=True)

    assert price(cart(line("A", 1, 1000)), [rule]).total_minor == 1000
    given = price(cart(line("A", 1, 1000), coupon_codes=frozenset({"WELCOME"})), [rule])
    assert given.total_minor == 800
    assert given.coupons == ("WELCOME",)


def test_a_given_coupon_that_does_not_apply_is_explained_and_not_counted_as_used():
    rule = promo(
        "BIG50",
        Kind.amount_off,
        amount_minor=5000,
        currency="EUR",
        requires_coupon=True,
        min_subtotal_minor=20_000,
    )

    result = price(cart(line("A", 1, 1000), coupon_codes=frozenset({"BIG50"})), [rule])

    assert result.coupons == ()
    assert result.notes == ("Coupon BIG50 did not apply: needs a cart of at least 200,00 EUR.",)


def test_a_customer_condition_accepts_any_of_its_allowed_values():
    rule = promo(
        "VIP",
        Kind.percent_off,
        percent=15,
        customer_conditions={"tier": frozenset({"gold", "platinum"})},
    )

    def total(attributes: dict[str, str]) -> int:
        return price(cart(line("A", 1, 1000), customer_attributes=attributes), [rule]).total_minor

    assert total({"tier": "gold"}) == 850
    assert total({"tier": "platinum"}) == 850
    assert total({"tier": "silver"}) == 1000
    assert total({}) == 1000


def test_a_channel_scoped_promotion_applies_only_on_its_channels():
    rule = promo("APP5", Kind.percent_off, percent=5, channels={"app"})

    assert price(cart(line("A", 1, 1000), channel="app"), [rule]).total_minor == 950
    assert price(cart(line("A", 1, 1000), channel="store"), [rule]).total_minor == 1000


def test_a_promotion_runs_from_its_start_until_just_before_its_end():
    rule = promo(
        "WEEK",
        Kind.percent_off,
        percent=10,
        starts_at=NOW,
        ends_at=NOW + timedelta(days=7),
    )

    def total(at: datetime) -> int:
        return price(cart(line("A", 1, 1000), at=at), [rule]).total_minor

    assert total(NOW - timedelta(microseconds=1)) == 1000
    assert total(NOW) == 900
    assert total(NOW + timedelta(days=7) - timedelta(microseconds=1)) == 900
    assert total(NOW + timedelta(days=7)) == 1000


def test_the_minimum_cart_amount_looks_at_the_subtotal_before_promotions():
    rules = [
        promo("TWENTY", Kind.percent_off, percent=20, priority=10),
        promo("FIVE", Kind.amount_off, amount_minor=500, currency="EUR", min_subtotal_minor=5000),
    ]

    result = price(cart(line("A", 1, 5000)), rules)

    assert [a.promotion for a in result.adjustments] == ["TWENTY", "FIVE"]
    assert result.total_minor == 3500


def test_a_promotion_in_another_currency_does_not_apply():
    rule = promo("GBP5", Kind.amount_off, amount_minor=500, currency="GBP")

    assert price(cart(line("A", 1, 1000)), [rule]).adjustments == ()


# Order, stacking, exclusivity


def test_promotions_run_by_priority_each_on_what_is_left_of_the_line():
    rules = [
        promo("LATER", Kind.amount_off, amount_minor=100, currency="EUR", priority=1),
        promo("FIRST", Kind.percent_off, percent=10, priority=5),
    ]

    result = price(cart(line("A", 1, 1000)), rules)

    assert [a.promotion for a in result.adjustments] == ["FIRST", "LATER"]
    assert result.total_minor == 800


def test_two_percentages_compound_rather_than_add():
    rules = [
        promo("P1", Kind.percent_off, percent=10),
        promo("P2", Kind.percent_off, percent=10),
    ]

    assert price(cart(line("A", 1, 1000)), rules).total_minor == 810


def test_promotions_of_equal_priority_run_in_code_order_whatever_the_given_order():
    rules = [
        promo("B-AMOUNT", Kind.amount_off, amount_minor=333, currency="EUR"),
        promo("A-PERCENT", Kind.percent_off, percent=33),
    ]

    forward = price(cart(line("A", 1, 1000)), rules)
    backward = price(cart(line("A", 1, 1000)), list(reversed(rules)))

    assert forward == backward
    assert [a.promotion for a in forward.adjustments] == ["A-PERCENT", "B-AMOUNT"]


def test_an_exclusive_promotion_stops_the_lower_priority_ones():
    rules = [
        promo("EXCL", Kind.percent_off, percent=30, priority=10, exclusive=True),
        promo("LOWER", Kind.percent_off, percent=10, priority=1),
        promo("CODE", Kind.percent_off, percent=5, requires_coupon=True),
    ]

    result = price(cart(line("A", 1, 1000), coupon_codes=frozenset({"CODE"})), rules)

    assert [a.promotion for a in result.adjustments] == ["EXCL"]
    assert result.total_minor == 700
    assert result.notes == (
        "Coupon CODE did not apply: the exclusive promotion EXCL applied first.",
    )


def test_an_exclusive_promotion_still_follows_higher_priority_ones():
    rules = [
        promo("HIGH", Kind.amount_off, amount_minor=100, currency="EUR", priority=20),
        promo("EXCL", Kind.percent_off, percent=50, priority=10, exclusive=True),
    ]

    assert price(cart(line("A", 1, 1000)), rules).total_minor == 450


def test_an_exclusive_promotion_that_does_not_apply_stops_nothing():
    rules = [
        promo("EXCL", Kind.percent_off, percent=30, priority=10, exclusive=True, channels={"app"}),
        promo("LOWER", Kind.percent_off, percent=10, priority=1),
    ]

    assert price(cart(line("A", 1, 1000)), rules).total_minor == 900


def test_a_non_stackable_promotion_skips_lines_already_discounted():
    rules = [
        promo("A10", Kind.percent_off, percent=10, target=Target.skus, skus={"A"}, priority=5),
        promo("SOLO", Kind.percent_off, percent=50, stackable=False),
    ]

    result = price(cart(line("A", 1, 1000), line("B", 1, 1000)), rules)

    assert discounts(result) == [100, 500]
    assert result.adjustments[1].skus == ("B",)


def test_no_promotion_touches_a_line_after_a_non_stackable_one_discounted_it():
    rules = [
        promo(
            "SOLO",
            Kind.percent_off,
            percent=50,
            target=Target.skus,
            skus={"A"},
            stackable=False,
            priority=5,
        ),
        promo("ALL10", Kind.percent_off, percent=10),
    ]

    result = price(cart(line("A", 1, 1000), line("B", 1, 1000)), rules)

    assert discounts(result) == [500, 100]


def test_a_non_stackable_promotion_with_nothing_left_to_discount_is_no_adjustment():
    rules = [
        promo("ALL10", Kind.percent_off, percent=10, priority=5),
        promo("SOLO", Kind.percent_off, percent=50, stackable=False),
    ]

    result = price(cart(line("A", 1, 1000)), rules)

    assert [a.promotion for a in result.adjustments] == ["ALL10"]


# Explanations and guards


def test_each_adjustment_has_exactly_one_explanation_line_with_its_amount():
    rules = [
        promo(
            "TEN",
            Kind.percent_off,
            percent=10,
            name="Soldes",
            target=Target.categories,
            categories={"Robes"},
            priority=1,
        ),
        promo("SHIP", Kind.free_shipping, name="Livraison offerte"),
    ]

    result = price(cart(line("A", 1, 4990), shipping_minor=490), rules)

    assert result.explanation == (
        "Soldes (TEN): 10% off category Robes: -4,99 EUR",
        "Livraison offerte (SHIP): free shipping: -4,90 EUR",
    )
    assert sum(a.amount_minor for a in result.adjustments) == 499 + 490


def test_a_line_without_units_or_with_a_negative_price_is_refused():
    with pytest.raises(ValueError):
        price(cart(line("A", 0, 1000)), [])
    with pytest.raises(ValueError):
        price(cart(line("A", 1, -1)), [])
