"""Counters returning the same order line at once never take back more than was bought
(real threads, a real server)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnicanal.api.app import create_app
from omnicanal.returns.models import ReturnedQuantity, ReturnLine
from tests.builders import auth
from tests.returns.builders import make_shop, return_body, web_order


def test_two_counters_returning_the_same_dress_at_once_take_it_back_once(platform, live_server):
    """Twelve requests from Lyon and Paris for the one unit bought: exactly one succeeds."""
    shop = make_shop(platform)
    with TestClient(create_app(platform, background=False)) as client:
        order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    keys = [shop.lyon, shop.paris]
    start = threading.Barrier(12)

    def take_back(n: int) -> tuple[int, str]:
        with httpx.Client(base_url=live_server.url, timeout=120) as http:
            start.wait()
            response = http.post("/v1/returns", json=return_body(order), headers=auth(keys[n % 2]))
            return response.status_code, response.json().get("code", "")

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = Counter(pool.map(take_back, range(12)))

    assert outcomes == {(201, ""): 1, (409, "return_quantity_exceeded"): 11}
    with platform.db.reading() as session:
        assert session.scalar(select(func.sum(ReturnLine.quantity))) == 1
        assert session.scalar(select(ReturnedQuantity.claimed)) == 1


def test_concurrent_partial_returns_of_a_line_never_exceed_what_was_bought(platform, live_server):
    """Five units bought, eight counters asking for one or two at once: the units taken
    back add up to at most five, and every refusal says so."""
    shop = make_shop(platform)
    with TestClient(create_app(platform, background=False)) as client:
        order = web_order(client, platform, shop.web, (shop.robe_m, 5))
    start = threading.Barrier(8)

    def take_back(n: int) -> tuple[int, int]:
        quantity = 1 + n % 2
        with httpx.Client(base_url=live_server.url, timeout=120) as http:
            start.wait()
            response = http.post(
                "/v1/returns",
                json=return_body(order, (0, quantity)),
                headers=auth(shop.lyon if n % 3 else shop.paris),
            )
        assert response.status_code in (201, 409), response.text
        return response.status_code, quantity

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(take_back, range(8)))

    taken = sum(quantity for status, quantity in outcomes if status == 201)
    assert 4 <= taken <= 5
    with platform.db.reading() as session:
        assert session.scalar(select(func.sum(ReturnLine.quantity))) == taken
        assert session.scalar(select(ReturnedQuantity.claimed)) == taken
