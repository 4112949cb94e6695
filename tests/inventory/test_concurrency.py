"""Concurrent writers from every channel never oversell (real threads, real server)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from omnicanal.inventory import service as inventory
from omnicanal.inventory.errors import InsufficientStock
from omnicanal.inventory.models import Reservation, StockLevel
from omnicanal.inventory.schemas import ReservationIn
from omnicanal.platform.actors import Actor
from tests.builders import auth, make_key, make_location, make_product, receive


def test_two_hundred_concurrent_requests_over_http_reserve_exactly_the_fifty_units(
    platform, live_server
):
    """Four channel keys, 200 simultaneous requests for 1 unit, 50 units: 50 succeed."""
    make_location(platform, "LYON-01", channels=("web", "app", "store", "call_centre"))
    (sku,) = make_product(platform, "BASKET-NOVA")
    receive(platform, sku, "LYON-01", 50)
    keys = [
        make_key(platform, "web"),
        make_key(platform, "app"),
        make_key(platform, "call_centre"),
        make_key(platform, "store", location="LYON-01"),
    ]
    start = threading.Barrier(50)

    def reserve(n: int) -> tuple[int, str]:
        with httpx.Client(base_url=live_server.url, timeout=120) as http:
            if n < 50:
                start.wait()
            response = http.post(
                "/v1/reservations",
                json={"sku": sku, "quantity": 1},
                headers=auth(keys[n % 4]),
            )
            return response.status_code, response.json().get("code", "")

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = Counter(pool.map(reserve, range(200)))

    assert outcomes == {(201, ""): 50, (409, "insufficient_stock"): 150}
    web = keys[0]
    with httpx.Client(base_url=live_server.url, timeout=120) as http:
        availability = http.get(
            "/v1/availability", params={"sku": sku, "channel": "web"}, headers=auth(web)
        ).json()
    assert availability["items"][0]["available"] == 0
    with platform.db.reading() as session:
        assert session.scalar(select(StockLevel.reserved)) == 50
        channels = Counter(session.scalars(select(Reservation.channel)))
    assert sum(channels.values()) == 50
    assert set(channels) == {"web", "app", "call_centre", "store"}


def test_concurrent_reservations_and_releases_keep_the_counts_exact(platform):
    """Threads reserving and releasing at once leave reserved == sum of active reservations."""
    make_location(platform, "PARIS-01")
    (sku,) = make_product(platform, "JEAN-DROIT")
    receive(platform, sku, "PARIS-01", 20)
    actor = Actor(key_id=None, channel="web", name="test", scopes=frozenset({"*"}))

    def churn(worker: int) -> int:
        kept = 0
        for round_ in range(10):
            try:
                with platform.db.transaction() as session:
                    held = inventory.reserve(
                        session,
                        data=ReservationIn(sku=sku, quantity=1),
                        actor=actor,
                        default_ttl_seconds=600,
                    )
            except InsufficientStock:
                continue
            if (worker + round_) % 2:
                with platform.db.transaction() as session:
                    inventory.release_reservation(session, reservation_id=held.id, actor=actor)
            else:
                kept += 1
        return kept

    with ThreadPoolExecutor(max_workers=8) as pool:
        kept = sum(pool.map(churn, range(8)))

    with platform.db.reading() as session:
        reserved = session.scalar(select(StockLevel.reserved))
        active = session.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.status == "active"
            )
        )
    assert reserved == active == kept
    assert kept <= 20
