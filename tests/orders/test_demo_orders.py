"""The demo's orders: every journey, realistic pickup waits, the same orders for a seed."""

from __future__ import annotations

from collections import Counter
from random import Random

import pytest

from omnicanal.bootstrap import build_platform
from omnicanal.demo import generate
from omnicanal.demo.orders import generate_orders
from omnicanal.fulfilment import queries
from omnicanal.orders import service as orders
from omnicanal.platform import migrate
from omnicanal.platform.config import Settings

pytestmark = pytest.mark.slow

DAYS = 14


def _demo_orders(tmp_path, name: str) -> list:  # type: ignore[type-arg]
    """Two weeks of demo orders on a fresh SQLite database; the orders, oldest first."""
    platform = build_platform(Settings(database_url=f"sqlite:///{tmp_path / name}"))
    migrate.prepare(platform.db)
    with platform.db.transaction() as session:
        demo = generate.DemoRetailer(seed=7, currency="EUR")
        # The steps the demo runs before its orders (network, catalogue, stock, keys); the
        # customers and the showcase come after the orders and do not shape them.
        for step in generate.STEPS:
            if step.name == "orders":
                break
            step.run(session, demo, Random(f"omnicanal-demo:7:{step.name}"), lambda *_: None)
        generate_orders(
            session, demo, Random("omnicanal-demo:7:orders"), lambda *_: None, days=DAYS
        )
    with platform.db.reading() as session:
        page = orders.list_orders(session, limit=500)
        placed = [orders.get_order(session, order_id=item.id) for item in reversed(page.items)]
        waits = queries.pickup_waits(session)
    platform.close()
    return [placed, waits]


def _shape(order) -> tuple:  # type: ignore[no-untyped-def, type-arg]
    return (
        order.channel,
        order.location,
        order.customer_ref,
        order.status,
        order.total_minor,
        tuple((line.sku, line.quantity, line.method) for line in order.lines),
        tuple((f.method, f.location, f.status) for f in order.fulfilments),
        tuple((h.subject, h.to_status, h.at - order.placed_at) for h in order.history),
    )


def test_the_demo_orders_cover_every_journey_and_are_the_same_for_a_seed(tmp_path):
    first, waits = _demo_orders(tmp_path, "one.db")
    second, _ = _demo_orders(tmp_path, "two.db")

    assert [_shape(order) for order in first] == [_shape(order) for order in second]
    assert len(first) > 8 * DAYS
    methods = Counter(f.method for order in first for f in order.fulfilments)
    assert set(methods) == {"ship", "pickup", "carry_out", "reserve_and_try", "endless_aisle"}
    channels = Counter(order.channel for order in first)
    assert {"web", "app", "store", "call_centre"} <= set(channels)
    statuses = Counter(order.status for order in first)
    assert statuses["completed"] > statuses["cancelled"] > 0
    shipped_from = Counter(
        f.location.startswith("WH-")
        for order in first
        for f in order.fulfilments
        if f.method == "ship"
    )
    assert shipped_from[True] > shipped_from[False] > 0, "mostly warehouses, some stores"
    assert waits.overall.measured > 10
    assert 60 < waits.overall.p50_seconds < 15 * 60
    assert waits.overall.p90_seconds > waits.overall.p50_seconds
    for order in first:
        assert order.history[0].to_status == "placed"
        assert order.history[-1].to_status == order.status or order.status == "allocated"
