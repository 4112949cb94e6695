"""Counting orders by status and channel, for the back office's board."""

from __future__ import annotations

from datetime import timedelta

from omnicanal.orders import service as orders
from omnicanal.platform.clock import utcnow
from tests.orders.builders import actor, line, make_shop, place


def test_orders_are_counted_by_status_and_channel(platform):
    shop = make_shop(platform)
    place(platform, line(shop.robe))
    place(platform, line(shop.robe))
    place(platform, line(shop.jean), by=actor("app"))

    with platform.db.reading() as session:
        counts = orders.count_orders(session)

    assert [(c.status, c.channel, c.count) for c in counts] == [
        ("allocated", "app", 1),
        ("allocated", "web", 2),
    ]


def test_a_period_counts_only_the_orders_placed_in_it(platform):
    shop = make_shop(platform)
    place(platform, line(shop.robe), now=utcnow() - timedelta(days=3))
    place(platform, line(shop.robe))

    with platform.db.reading() as session:
        counts = orders.count_orders(session, placed_from=utcnow() - timedelta(days=1))

    assert [(c.status, c.channel, c.count) for c in counts] == [("allocated", "web", 1)]
