"""Concurrent checkouts from every channel never oversell (real threads, real server)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from omnicanal.inventory.models import Reservation, StockLevel
from omnicanal.orders.models import Order
from tests.builders import auth, make_key, make_location, make_product, receive
from tests.orders.builders import AUTHORISED, CAPTURED, DELIVERY_LYON


def test_concurrent_checkouts_for_the_last_units_never_oversell(platform, live_server):
    """48 simultaneous two-line checkouts (lines in either order) for 12 units: 12 orders."""
    make_location(platform, "LYON-01", channels=("web", "app", "store", "call_centre"))
    (hot,) = make_product(platform, "BASKET-NOVA")
    (plenty,) = make_product(platform, "CHAUSSETTES")
    receive(platform, hot, "LYON-01", 12)
    receive(platform, plenty, "LYON-01", 500)
    keys = [
        make_key(platform, "web"),
        make_key(platform, "app"),
        make_key(platform, "call_centre"),
        make_key(platform, "store", location="LYON-01"),
    ]
    methods = [
        {"method": "ship"},
        {"method": "pickup", "location": "LYON-01"},
        {"method": "ship"},
        {"method": "carry_out"},
    ]
    start = threading.Barrier(48)

    def checkout(n: int) -> tuple[int, str]:
        lines = [
            {"sku": hot, "quantity": 1, "fulfilment": methods[n % 4]},
            {"sku": plenty, "quantity": 1, "fulfilment": methods[n % 4]},
        ]
        body = {
            "lines": lines if n % 2 else lines[::-1],
            "delivery_address": DELIVERY_LYON,
            "payment": CAPTURED if n % 4 == 3 else AUTHORISED,
        }
        with httpx.Client(base_url=live_server.url, timeout=120) as http:
            start.wait()
            response = http.post("/v1/orders", json=body, headers=auth(keys[n % 4]))
            return response.status_code, response.json().get("code", "")

    with ThreadPoolExecutor(max_workers=48) as pool:
        outcomes = Counter(pool.map(checkout, range(48)))

    assert outcomes == {(201, ""): 12, (409, "insufficient_stock"): 36}
    with platform.db.reading() as session:
        orders = session.scalar(select(func.count()).select_from(Order))
        levels = {
            variant: (on_hand, reserved)
            for variant, on_hand, reserved in session.execute(
                select(StockLevel.variant_id, StockLevel.on_hand, StockLevel.reserved)
            )
        }
        held = session.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.status == "active"
            )
        )
    assert orders == 12
    (hot_level, plenty_level) = sorted(levels.values(), key=lambda level: level[0])
    sold_over_the_counter = 12 - hot_level[0]
    assert hot_level[0] - hot_level[1] == 0, "every hot unit is sold or reserved, none twice"
    assert plenty_level == (500 - sold_over_the_counter, 12 - sold_over_the_counter)
    assert held == 2 * (12 - sold_over_the_counter)
