"""Same cart, same customer, same moment: the same total on every channel, unless an override
or a channel-scoped promotion says otherwise (property-based, through the real database)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.network import service as network
from omnicanal.platform.clock import utcnow
from omnicanal.pricing import service as pricing
from tests.pricing.builders import make_promotion, make_sku, set_override

PLAIN_CHANNELS = ("web", "call_centre", "marketplace")


def given_a_catalogue_with_promotions(platform) -> None:  # type: ignore[no-untyped-def]
    make_sku(platform, "ROBE-A", 4990)
    make_sku(platform, "ROBE-B", 2990)
    make_sku(platform, "JEAN-C", 7990, category="Jeans")
    make_sku(platform, "SAC-D", 12900, category="Sacs")
    make_promotion(platform, "SOLDES", "percent_off", percent=10)
    make_promotion(
        platform,
        "ROBES-3POUR2",
        "buy_x_get_y",
        buy_quantity=2,
        get_quantity=1,
        target="categories",
        categories=["Robes"],
        priority=5,
        stackable=False,
    )
    make_promotion(
        platform,
        "DUO",
        "bundle_price",
        bundle_skus=["JEAN-C", "SAC-D"],
        amount_minor=18000,
        currency="EUR",
        priority=3,
    )
    make_promotion(platform, "PORT", "free_shipping", min_subtotal_minor=10_000, currency="EUR")
    make_promotion(platform, "BIENVENUE", "percent_off", percent=15, requires_coupon=True)
    make_promotion(
        platform,
        "GOLD",
        "amount_off",
        amount_minor=500,
        currency="EUR",
        target="categories",
        categories=["Jeans"],
        customer_conditions={"tier": "gold"},
    )
    make_promotion(platform, "APP-ONLY", "percent_off", percent=5, channels=["app"])
    set_override(platform, "SAC-D", "store", 9900, reason="Fin de série")


carts = st.fixed_dictionaries(
    {
        "lines": st.lists(
            st.tuples(st.sampled_from(["ROBE-A", "ROBE-B", "JEAN-C", "SAC-D"]), st.integers(1, 4)),
            min_size=1,
            max_size=5,
        ),
        "coupon_codes": st.sampled_from([(), ("BIENVENUE",)]),
        "customer_attributes": st.sampled_from([{}, {"tier": "gold"}, {"tier": "silver"}]),
        "shipping_minor": st.integers(0, 990),
    }
)


def test_the_same_cart_costs_the_same_on_every_channel_but_where_an_override_or_scope_says(
    platform,
):
    given_a_catalogue_with_promotions(platform)
    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
    at = utcnow()

    @settings(max_examples=30, deadline=None)
    @given(carts)
    def check(cart) -> None:  # type: ignore[no-untyped-def]
        with platform.db.reading() as session:
            priced = {
                channel: pricing.price_cart(
                    session, currency="EUR", channel=channel, customer_ref="C-1", at=at, **cart
                )
                for channel in (*PLAIN_CHANNELS, "app", "store")
            }

        def same(a: str, b: str) -> bool:
            left, right = priced[a], priced[b]
            return (left.total_minor, left.lines, left.adjustments) == (
                right.total_minor,
                right.lines,
                right.adjustments,
            )

        assert all(same("web", channel) for channel in PLAIN_CHANNELS)
        if "APP-ONLY" not in {a.promotion for a in priced["app"].adjustments}:
            assert same("web", "app")
        if "SAC-D" not in {sku for sku, _ in cart["lines"]}:
            assert same("web", "store")
        else:
            store_line = next(line for line in priced["store"].lines if line.sku == "SAC-D")
            assert store_line.price_source.startswith("override:")

    check()
