"""Retried writes with the same Idempotency-Key do not double anything, even when concurrent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from omnicanal.inventory.models import Reservation, StockLevel
from tests.builders import auth, make_key, make_location, make_product, receive


def test_ten_simultaneous_retries_with_one_key_reserve_once(platform, live_server):
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "PARKA-SOL")
    receive(platform, sku, "LYON-01", 10)
    headers = auth(make_key(platform, "app"), **{"Idempotency-Key": "cart-7/checkout"})

    def attempt(_: int) -> tuple[int, str]:
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            response = http.post(
                "/v1/reservations", json={"sku": sku, "quantity": 3}, headers=headers
            )
            return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = set(pool.map(attempt, range(10)))

    assert len(answers) == 1
    ((status, _),) = answers
    assert status == 201
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Reservation)) == 1
        assert session.scalar(select(StockLevel.reserved)) == 3


def test_keys_are_scoped_to_their_owner(platform, client):
    """Two applications may use the same key string without seeing each other's answers."""
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "GILET-ANA")
    receive(platform, sku, "LYON-01", 10)

    for channel in ("web", "app"):
        response = client.post(
            "/v1/reservations",
            json={"sku": sku, "quantity": 1},
            headers=auth(make_key(platform, channel), **{"Idempotency-Key": "order-1"}),
        )
        assert response.status_code == 201
        assert response.json()["channel"] == channel


def test_a_failed_write_is_not_remembered_so_a_retry_can_succeed(platform, client):
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "BLAZER-EVA")
    headers = auth(make_key(platform, "web"), **{"Idempotency-Key": "retry-me"})

    refused = client.post("/v1/reservations", json={"sku": sku, "quantity": 1}, headers=headers)
    receive(platform, sku, "LYON-01", 1)
    accepted = client.post("/v1/reservations", json={"sku": sku, "quantity": 1}, headers=headers)

    assert (refused.status_code, accepted.status_code) == (409, 201)
