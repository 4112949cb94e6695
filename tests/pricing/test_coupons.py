"""Coupons: expiry, single use per customer, a global cap that holds under concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError
from omnicanal.pricing import service as pricing
from omnicanal.pricing.errors import CouponAlreadyUsed, CouponUsageExhausted
from omnicanal.pricing.models import CouponRedemption, Promotion
from tests.builders import auth, make_key, snapshot
from tests.pricing.builders import make_promotion, make_sku

CHECKOUT = Actor(key_id=None, channel="web", name="checkout-test", scopes=frozenset({"*"}))


def priced_with(platform, coupon, customer_ref):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return pricing.price_cart(
            session,
            currency="EUR",
            channel="web",
            lines=[("ROBE-M", 1)],
            customer_ref=customer_ref,
            coupon_codes=[coupon],
        )


def redeem(platform, coupon, customer_ref, order_id):  # type: ignore[no-untyped-def]
    priced = priced_with(platform, coupon, customer_ref)
    with platform.db.transaction() as session:
        pricing.redeem_coupons(
            session, priced=priced, customer_ref=customer_ref, order_id=order_id, actor=CHECKOUT
        )


def uses(platform, code):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return session.scalar(select(Promotion.times_used).where(Promotion.code == code))


def test_a_coupon_applies_when_given_and_is_used_up_by_redeeming_it(platform):
    make_sku(platform, "ROBE-M", 4990)
    make_promotion(platform, "BIENVENUE", "percent_off", percent=20, requires_coupon=True)

    priced = priced_with(platform, " bienvenue ", "C-1")
    assert priced.coupons == ["BIENVENUE"]
    assert priced.total_minor == 3992
    redeem(platform, "BIENVENUE", "C-1", "ORDER-1")

    assert uses(platform, "BIENVENUE") == 1
    with platform.db.reading() as session:
        row = session.scalars(select(CouponRedemption)).one()
    assert (row.customer_ref, row.order_id, row.code) == ("C-1", "ORDER-1", "BIENVENUE")


def test_an_expired_coupon_is_a_problem_with_its_code_and_changes_nothing(platform, client):
    make_sku(platform, "ROBE-M", 4990)
    make_promotion(
        platform,
        "NOEL",
        "percent_off",
        percent=15,
        requires_coupon=True,
        starts_at=utcnow() - timedelta(days=30),
        ends_at=utcnow() - timedelta(days=1),
    )
    web = make_key(platform, "web")
    cart = client.post(
        "/v1/carts", json={"lines": [{"sku": "ROBE-M", "quantity": 1}]}, headers=auth(web)
    ).json()
    before = snapshot(platform)

    added = client.post(f"/v1/carts/{cart['id']}/coupons", json={"code": "noel"}, headers=auth(web))
    quoted = client.post(
        "/v1/pricing/quote",
        json={"lines": [{"sku": "ROBE-M", "quantity": 1}], "coupons": ["NOEL"]},
        headers=auth(web),
    )

    for response in (added, quoted):
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "coupon_expired"
        assert response.json()["coupon"] == "NOEL"
    assert snapshot(platform) == before
    assert client.get(f"/v1/carts/{cart['id']}", headers=auth(web)).json()["coupons"] == []


def test_a_coupon_used_twice_by_one_customer_is_a_problem_and_changes_nothing(platform, client):
    make_sku(platform, "ROBE-M", 4990)
    make_promotion(
        platform, "UNEFOIS", "amount_off", amount_minor=1000, currency="EUR", requires_coupon=True
    )
    redeem(platform, "UNEFOIS", "C-7", "ORDER-1")
    web = make_key(platform, "web")
    cart = client.post(
        "/v1/carts",
        json={"customer_ref": "C-7", "lines": [{"sku": "ROBE-M", "quantity": 1}]},
        headers=auth(web),
    ).json()
    before = snapshot(platform)

    added = client.post(
        f"/v1/carts/{cart['id']}/coupons", json={"code": "UNEFOIS"}, headers=auth(web)
    )

    assert added.status_code == 409
    assert added.json()["code"] == "coupon_already_used"
    assert snapshot(platform) == before
    assert uses(platform, "UNEFOIS") == 1


def test_redeeming_a_coupon_a_second_time_rolls_the_whole_redemption_back(platform):
    """A checkout that priced the coupon before the first use was committed is still refused."""
    make_sku(platform, "ROBE-M", 4990)
    make_promotion(platform, "UNEFOIS", "percent_off", percent=10, requires_coupon=True)
    stale = priced_with(platform, "UNEFOIS", "C-7")
    redeem(platform, "UNEFOIS", "C-7", "ORDER-1")
    before = snapshot(platform)

    with pytest.raises(CouponAlreadyUsed), platform.db.transaction() as session:
        pricing.redeem_coupons(
            session, priced=stale, customer_ref="C-7", order_id="ORDER-2", actor=CHECKOUT
        )

    assert snapshot(platform) == before
    assert uses(platform, "UNEFOIS") == 1


def test_an_exhausted_coupon_is_refused_to_the_next_customer(platform):
    make_sku(platform, "ROBE-M", 4990)
    make_promotion(platform, "RARE", "percent_off", percent=10, requires_coupon=True, usage_limit=1)
    stale = priced_with(platform, "RARE", "C-2")
    redeem(platform, "RARE", "C-1", "ORDER-1")

    with pytest.raises(CouponUsageExhausted), platform.db.transaction() as session:
        pricing.redeem_coupons(
            session, priced=stale, customer_ref="C-2", order_id="ORDER-2", actor=CHECKOUT
        )
    with pytest.raises(CouponUsageExhausted):
        priced_with(platform, "RARE", "C-3")
    assert uses(platform, "RARE") == 1


def test_a_coupon_that_did_not_apply_is_not_redeemed(platform):
    make_sku(platform, "ROBE-M", 4990)
    make_promotion(
        platform,
        "GROS",
        "amount_off",
        amount_minor=2000,
        currency="EUR",
        requires_coupon=True,
        min_subtotal_minor=10_000,
    )

    redeem(platform, "GROS", "C-1", "ORDER-1")

    assert uses(platform, "GROS") == 0
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(CouponRedemption)) == 0


def test_concurrent_checkouts_redeem_a_capped_coupon_exactly_its_cap(platform):
    """Twenty threads, twenty customers, a cap of seven: seven succeed, thirteen are refused."""
    make_sku(platform, "ROBE-M", 4990)
    make_promotion(
        platform, "FLASH", "percent_off", percent=30, requires_coupon=True, usage_limit=7
    )
    priced = {n: priced_with(platform, "FLASH", f"C-{n}") for n in range(20)}
    start = threading.Barrier(20)

    def checkout(n: int) -> str:
        start.wait()
        try:
            with platform.db.transaction() as session:
                pricing.redeem_coupons(
                    session,
                    priced=priced[n],
                    customer_ref=f"C-{n}",
                    order_id=f"ORDER-{n}",
                    actor=CHECKOUT,
                )
        except DomainError as error:
            return error.code
        return "redeemed"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = Counter(pool.map(checkout, range(20)))

    assert outcomes == {"redeemed": 7, "coupon_exhausted": 13}
    assert uses(platform, "FLASH") == 7
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(CouponRedemption)) == 7


def test_one_customer_checking_out_twice_at_once_uses_a_coupon_once(platform):
    make_sku(platform, "ROBE-M", 4990)
    make_promotion(platform, "PERSO", "percent_off", percent=10, requires_coupon=True)
    priced = priced_with(platform, "PERSO", "C-1")
    start = threading.Barrier(8)

    def checkout(n: int) -> str:
        start.wait()
        try:
            with platform.db.transaction() as session:
                pricing.redeem_coupons(
                    session, priced=priced, customer_ref="C-1", order_id=f"O-{n}", actor=CHECKOUT
                )
        except DomainError as error:
            return error.code
        return "redeemed"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(checkout, range(8)))

    assert outcomes == {"redeemed": 1, "coupon_already_used": 7}
    assert uses(platform, "PERSO") == 1
