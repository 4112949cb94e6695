"""The returns KPIs, measured on a small dataset whose figures are known."""

from __future__ import annotations

from datetime import timedelta

from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.returns import service
from omnicanal.returns.schemas import CancelIn, ExchangeIn, InspectIn, RefundIn, ReturnIn
from tests.builders import auth
from tests.returns.builders import make_shop, policy, return_body, till_order, web_order

HOUR = timedelta(hours=1)


def test_the_returns_kpis_of_a_small_period(platform, client):
    """Three web orders and a till sale; two returns refunded (after 3 h and 1 h), one
    exchanged, one cancelled."""
    shop = make_shop(platform)
    a = web_order(client, platform, shop.web, (shop.robe_m, 1), (shop.veste, 1))
    b = web_order(client, platform, shop.web, (shop.robe_m, 1))
    web_order(client, platform, shop.web, (shop.veste, 1))
    c = till_order(client, shop.lyon, (shop.robe_m, 1))
    rules = policy()
    t0 = utcnow()

    def opened(body: dict[str, object], now):  # type: ignore[no-untyped-def]
        with platform.db.transaction() as session:
            return service.open_return(
                session, data=ReturnIn.model_validate(body), actor=OPERATOR, policy=rules, now=now
            )

    def settle(return_id: str, received, refunded) -> None:  # type: ignore[no-untyped-def]
        with platform.db.transaction() as session:
            service.inspect(
                session, return_id=return_id, data=InspectIn(), actor=OPERATOR, now=received
            )
            service.refund(
                session,
                return_id=return_id,
                data=RefundIn(method="store_credit"),
                actor=OPERATOR,
                now=refunded,
            )

    r1 = opened(return_body(a, (0, 1), location="LYON-01", method="counter", satisfaction=4), t0)
    settle(r1.id, t0 + HOUR, t0 + 3 * HOUR)
    r2 = opened(return_body(b, reason="not_as_described", method="post", satisfaction=2), t0)
    with platform.db.transaction() as session:
        service.open_return(
            session,
            data=ReturnIn(token=r2.authorisation.token, location="WH-CENTRE"),  # type: ignore[union-attr]
            actor=OPERATOR,
            policy=rules,
            now=t0 + 24 * HOUR,
        )
    settle(r2.id, t0 + 24 * HOUR, t0 + 25 * HOUR)
    r3 = opened(return_body(c, location="LYON-01", method="counter"), t0)
    with platform.db.transaction() as session:
        service.exchange(
            session,
            return_id=r3.id,
            data=ExchangeIn.model_validate({"lines": [{"sku": shop.robe_l, "quantity": 1}]}),
            actor=OPERATOR,
            policy=rules,
            now=t0,
        )
    r4 = opened(
        return_body(a, (1, 1), reason="changed_mind", location="PARIS-01", method="counter"), t0
    )
    with platform.db.transaction() as session:
        service.cancel_return(session, return_id=r4.id, data=CancelIn(), actor=OPERATOR, now=t0)

    figures = client.get(
        "/v1/returns/metrics",
        params={
            "since": (t0 - 24 * HOUR).isoformat(),
            "until": (t0 + 48 * HOUR).isoformat(),
        },
        headers=auth(shop.web),
    )

    assert figures.status_code == 200, figures.text
    body = figures.json()
    assert (body["returns"], body["units"], body["refunded"], body["exchanged"]) == (4, 4, 2, 1)
    assert body["exchange_ratio"] == 0.3333
    assert body["by_purchase_channel"] == [
        # The exchange's new sale is a store order too.
        {"channel": "store", "orders": 2, "returned_orders": 1, "rate": 0.5},
        {"channel": "web", "orders": 3, "returned_orders": 2, "rate": 0.6667},
    ]
    assert body["by_return_place"] == [
        {
            "return_channel": "post",
            "location": "WH-CENTRE",
            "returns": 1,
            "units": 1,
            "share": 0.25,
        },
        {"return_channel": "store", "location": "LYON-01", "returns": 2, "units": 2, "share": 0.5},
        {
            "return_channel": "store",
            "location": "PARIS-01",
            "returns": 1,
            "units": 1,
            "share": 0.25,
        },
    ]
    assert body["reasons"] == [
        {"reason": "too_small", "returns": 2, "units": 2},
        {"reason": "changed_mind", "returns": 1, "units": 1},
        {"reason": "not_as_described", "returns": 1, "units": 1},
    ]
    assert body["median_seconds_to_refund"] == 7200.0
    assert body["mean_seconds_to_refund"] == 7200.0
    assert (body["satisfaction_responses"], body["satisfaction_average"]) == (2, 3.0)


def test_a_period_without_returns_has_no_ratios(platform, client):
    shop = make_shop(platform)

    body = client.get("/v1/returns/metrics", headers=auth(shop.lyon)).json()

    assert body["returns"] == 0
    assert body["exchange_ratio"] is None
    assert body["median_seconds_to_refund"] is None
    assert body["by_return_place"] == []
