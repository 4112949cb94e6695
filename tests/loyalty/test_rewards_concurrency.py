"""A reward is single use on every channel: the same personal coupon sent by four channels
at once pays one order only (real threads, a real server, SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from omnicanal.pricing.models import CouponRedemption, Promotion
from tests.builders import auth
from tests.loyalty.builders import CARD
from tests.loyalty.reward_builders import VOUCHER, issue, rewards, shop_with_member
from tests.returns.builders import CARD as CARD_PAYMENT
from tests.returns.builders import DELIVERY, TILL

THREADS = 12


def test_one_reward_sent_by_four_channels_at_once_pays_one_order(platform, client, live_server):
    """Inès's 10 € voucher in twelve checkouts at once, from the web, the app, the call
    centre and the Lyon counter, each filing her under another of her references: one
    order gets 10 € off, the others are refused (409), the coupon is used once, and the
    reward names the order that used it."""
    shop, admin, ines = shop_with_member(platform, client, VOUCHER)
    [voucher] = issue(client, admin, ines["id"])
    online = {
        "delivery_address": DELIVERY,
        "payment": CARD_PAYMENT,
        "fulfilment": {"method": "ship"},
    }
    channels = [
        (shop.web, {"customer_ref": "email:ines@example.fr", **online}),
        (shop.app, {"customer_ref": "ines@example.fr", **online}),
        (shop.call_centre, {"customer_ref": f"loyalty_card:{CARD.replace('-', '')}", **online}),
        (shop.lyon, {"customer_ref": ines["profile_id"], "payment": TILL}),
    ]
    start = threading.Barrier(THREADS)

    def checkout(n: int) -> tuple[int, str]:
        key, body = channels[n % len(channels)]
        with httpx.Client(base_url=live_server.url, timeout=120) as http:
            start.wait()
            response = http.post(
                "/v1/orders",
                json={
                    "lines": [{"sku": shop.robe_m, "quantity": 1}],
                    "coupons": [voucher["coupon_code"]],
                    **body,
                },
                headers=auth(key),
            )
        answer = response.json()
        return response.status_code, answer.get("code", "") or str(answer.get("total_minor"))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = Counter(pool.map(checkout, range(THREADS)))

    assert outcomes[(201, "3990")] == 1, outcomes
    refused = {outcome: count for outcome, count in outcomes.items() if outcome[0] != 201}
    assert sum(refused.values()) == THREADS - 1
    assert {code for status, code in refused} <= {"coupon_exhausted", "coupon_already_used"}
    assert {status for status, _ in refused} == {409}
    with platform.db.reading() as session:
        used = session.scalar(
            select(Promotion.times_used).where(Promotion.code == voucher["coupon_code"])
        )
        [order_id] = session.scalars(select(CouponRedemption.order_id)).all()
        redemptions = session.scalar(select(func.count()).select_from(CouponRedemption))
    assert (used, redemptions) == (1, 1)
    platform.relay().drain()
    [reward] = rewards(client, shop.web, ines["id"])
    assert (reward["status"], reward["order_id"]) == ("used", order_id)
