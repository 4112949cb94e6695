"""What a sale means for loyalty as its receipt reads it: the most points a sale can take,
and the points it earns, the same before and after loyalty has handled the order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omnicanal.loyalty import service as loyalty
from tests.loyalty.builders import enrol, make_programme
from tests.returns.builders import make_shop, web_order


@pytest.mark.parametrize(
    ("total", "value", "available", "most"),
    [
        (8900, Decimal(1), 534, 534),
        (8900, Decimal(1), 10_000, 8900),
        (101, Decimal(2), 1000, 50),
        (0, Decimal(1), 1000, 0),
        (500, Decimal("0.5"), 2000, 1000),
    ],
    ids=["the balance", "the total", "never worth more than the total", "nothing", "half a cent"],
)
def test_a_sale_takes_at_most_the_balance_and_no_point_worth_more_than_its_total(
    total, value, available, most
):
    assert loyalty.points_within(total, point_value_minor=value, available=available) == most


def test_the_points_a_sale_earns_read_the_same_before_and_after_loyalty_handles_it(
    platform, client
):
    """Two dresses at 49.90 € on the web: 99 points, pending, whether the receipt is read
    before the bus has run (the rules' estimate) or after (the earning)."""
    shop = make_shop(platform)
    make_programme(platform)
    enrol(client, shop.web)
    order = web_order(client, platform, shop.web, (shop.robe_m, 2))

    with platform.db.reading() as session:
        before = loyalty.points_of_sale(session, order_id=order["id"])
    platform.relay().drain()
    with platform.db.reading() as session:
        after = loyalty.points_of_sale(session, order_id=order["id"])

    assert before is not None and after is not None
    assert (before.earned_points, before.pending, before.recorded) == (99, True, False)
    assert (after.earned_points, after.pending, after.recorded) == (99, True, True)
    assert (after.redeemed_points, after.redeemed_minor) == (0, 0)


def test_a_sale_to_nobody_in_the_programme_is_nothing_to_loyalty(platform, client):
    shop = make_shop(platform)
    make_programme(platform)
    order = web_order(
        client, platform, shop.web, (shop.robe_m, 1), customer_ref="email:personne@example.fr"
    )

    with platform.db.reading() as session:
        assert loyalty.points_of_sale(session, order_id=order["id"]) is None
