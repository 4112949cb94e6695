"""Four channels sending the same customer's review of a product at once: one is taken, the
others are told it exists (real threads, a real server, SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from omnicanal.reviews.models import ProductReview
from tests.builders import auth
from tests.returns.builders import make_shop
from tests.reviews.builders import make_customer, review_body


def test_twelve_simultaneous_sends_of_one_review_keep_exactly_one(platform, client, live_server):
    shop = make_shop(platform)
    make_customer(platform, client)
    keys = [shop.web, shop.app, shop.call_centre, shop.lyon]
    start = threading.Barrier(12)

    def send(n: int) -> tuple[int, str]:
        with httpx.Client(base_url=live_server.url, timeout=120) as http:
            start.wait()
            response = http.post("/v1/reviews", json=review_body(), headers=auth(keys[n % 4]))
            return response.status_code, response.json().get("code", "")

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = Counter(pool.map(send, range(12)))

    assert outcomes == {(201, ""): 1, (409, "already_reviewed"): 11}
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ProductReview)) == 1
