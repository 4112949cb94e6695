"""The loyalty measures: pure figures by the hundred, then from real orders and points
through the API (SQLite and PostgreSQL): members' share of sales per channel, recognised
against anonymous baskets, points liability, redemption rate, members by tier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.loyalty.measures import (
    Baskets,
    Sold,
    average,
    baskets,
    channel_shares,
    is_member_sale,
    liability_minor,
    ratio,
    redemption_rate,
    uplift,
)
from omnicanal.orders import service as orders
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from tests.builders import auth, make_key
from tests.loyalty.builders import CUSTOMER, enrol, give_points, hold, make_programme
from tests.returns.builders import CARD, DELIVERY, TILL, make_shop, till_order, web_order

NOW = datetime(2026, 6, 1, 10, tzinfo=UTC)
REFS = ["email:ines@example.fr", "email:zoe@example.fr", "u-42", None]

sold = st.lists(
    st.builds(
        Sold,
        channel=st.sampled_from(["web", "store", "app"]),
        currency=st.sampled_from(["EUR", "CHF"]),
        customer_ref=st.sampled_from(REFS),
        total_minor=st.integers(min_value=0, max_value=500_000),
        placed_at=st.integers(min_value=0, max_value=60).map(lambda d: NOW - timedelta(days=d)),
    ),
    max_size=40,
)
joined = st.dictionaries(
    st.tuples(st.sampled_from(REFS[:3]), st.sampled_from(["EUR", "CHF"])),
    st.integers(min_value=0, max_value=60).map(lambda d: NOW - timedelta(days=d)),
)


def test_the_seeds_eighteen_percent_is_an_uplift_of_point_eighteen():
    """Recognised baskets of 59 € on average against anonymous ones of 50 €: +18 %."""
    side = Baskets(
        "EUR",
        recognised_orders=4,
        recognised_sales_minor=23_600,
        anonymous_orders=10,
        anonymous_sales_minor=50_000,
    )

    assert (side.recognised_average_minor, side.anonymous_average_minor) == (5900, 5000)
    assert (side.uplift, side.recognised_share) == (0.18, 0.2857)


@settings(max_examples=200)
@given(sold, joined)
def test_members_shares_add_up_to_the_channels_sales(orders_, member_since):
    """Each channel's member sales are part of its sales; the channels together hold every
    order and every cent; an order counts as a member's only once its customer had
    joined."""
    shares = channel_shares(orders_, member_since)

    assert sum(share.orders for share in shares) == len(orders_)
    assert sum(share.sales_minor for share in shares) == sum(o.total_minor for o in orders_)
    for share in shares:
        assert 0 <= share.member_sales_minor <= share.sales_minor
        assert 0 <= share.member_orders <= share.orders
        assert share.member_share == ratio(share.member_sales_minor, share.sales_minor)
    assert sum(share.member_orders for share in shares) == sum(
        1 for order in orders_ if is_member_sale(order, member_since)
    )


@settings(max_examples=200)
@given(sold)
def test_recognised_and_anonymous_baskets_split_every_order(orders_):
    """Every order is recognised (filed under a customer) or anonymous, once; the uplift
    says which average basket is bigger."""
    sides = baskets(orders_)

    assert sum(s.recognised_orders + s.anonymous_orders for s in sides) == len(orders_)
    assert sum(s.recognised_orders for s in sides) == sum(1 for o in orders_ if o.customer_ref)
    for side in sides:
        if side.uplift is not None:
            recognised = side.recognised_sales_minor * side.anonymous_orders
            anonymous = side.anonymous_sales_minor * side.recognised_orders
            assert (side.uplift > 0) == (recognised > anonymous) or abs(side.uplift) < 0.0001


def test_an_order_before_joining_is_not_a_members():
    """Inès ordered on 1 May and joined on 10 May: that order is not a member's; the one of
    20 May is; an order in another currency is not either."""
    since = {("email:ines@example.fr", "EUR"): datetime(2026, 5, 10, tzinfo=UTC)}

    def order(day: int, currency: str = "EUR") -> Sold:
        return Sold(
            "web", currency, "email:ines@example.fr", 100, datetime(2026, 5, day, tzinfo=UTC)
        )

    assert [is_member_sale(order(1), since), is_member_sale(order(20), since)] == [False, True]
    assert is_member_sale(order(20, "CHF"), since) is False
    assert is_member_sale(Sold("web", "EUR", None, 100, NOW), since) is False


def test_ratios_averages_and_liability_round_as_said():
    """Ratios to four decimals (None over nothing), averages half up, liability rounded
    down at the point's value."""
    assert (ratio(2, 3), ratio(1, 0), redemption_rate(0, 0)) == (0.6667, None, None)
    assert (average(10, 4), average(9, 4), average(5, 0)) == (3, 2, None)
    assert liability_minor(1001, Decimal("0.5")) == 500
    assert liability_minor(-3, Decimal(1)) == 0
    assert uplift(100, 1, 0, 3) is None
    assert uplift(150, 1, 100, 1) == 0.5


def test_measures_from_real_orders_and_points(platform, client):
    """Five sales and a cancelled one: Inès (a member) twice, Zoé (known, not a member)
    once, two walk-ins; Inès spent 200 of her points at the counter. The measures say it
    exactly."""
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.web)
    give_points(platform, ines["id"], 500)
    web_order(client, platform, shop.web, (shop.robe_m, 2))
    web_order(client, platform, shop.web, (shop.robe_m, 1), customer_ref=None)
    till_order(client, shop.lyon, (shop.robe_m, 1), customer_ref="email:zoe@example.fr")
    till_order(client, shop.lyon, (shop.robe_m, 1), customer_ref=None)
    held = hold(client, shop.lyon, ines["id"], points=200)
    assert held.status_code == 201, held.text
    paid = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "payment": TILL,
            "tenders": [held.json()["tender"]],
        },
        headers=auth(shop.lyon),
    )
    assert paid.status_code == 201, paid.text
    cancelled = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.veste, "quantity": 1}],
            "delivery_address": DELIVERY,
            "payment": CARD,
            "fulfilment": {"method": "ship"},
        },
        headers=auth(shop.web),
    )
    with platform.db.transaction() as session:
        orders.cancel_order(session, order_id=cancelled.json()["id"], reason="test", actor=OPERATOR)
    platform.relay().drain()
    reader = make_key(platform, "call_centre", scopes=["loyalty:read"])

    response = client.get(
        "/v1/loyalty/measures",
        params={"since": (utcnow() - timedelta(days=1)).isoformat()},
        headers=auth(reader),
    )

    assert response.status_code == 200, response.text
    measures = response.json()
    assert measures["sales"] == [
        {
            "channel": "store",
            "currency": "EUR",
            "orders": 3,
            "sales_minor": 14970,
            "member_orders": 1,
            "member_sales_minor": 4990,
            "member_share": 0.3333,
        },
        {
            "channel": "web",
            "currency": "EUR",
            "orders": 2,
            "sales_minor": 14970,
            "member_orders": 1,
            "member_sales_minor": 9980,
            "member_share": 0.6667,
        },
    ]
    assert measures["baskets"] == [
        {
            "currency": "EUR",
            "recognised_orders": 3,
            "recognised_average_minor": 6653,
            "anonymous_orders": 2,
            "anonymous_average_minor": 4990,
            "recognised_share": 0.6,
            "uplift": 0.3333,
        }
    ]
    [club] = measures["programmes"]
    assert club == {
        "programme": "CLUB",
        "currency": "EUR",
        "point_value_minor": "1.0000",
        "members": 1,
        "members_joined": 1,
        "members_by_tier": [{"tier": None, "name": None, "members": 1}],
        "available_points": 300,
        "pending_points": 99 + 47,
        "held_points": 0,
        "liability_minor": 446,
        "points_earned": 146,
        "points_redeemed": 200,
        "redemption_rate": 1.3699,
    }


def test_a_hold_is_owed_and_an_expired_point_is_not(platform, client):
    """Points held by a redemption nobody captured yet are still owed; points whose time is
    up are not, before or after the expiry job."""
    shop = make_shop(platform)
    make_programme(platform, tiers=[{"code": "silver", "name": "Argent", "threshold": 0}])
    ines = enrol(client, shop.web)
    give_points(platform, ines["id"], 300, now=utcnow() - timedelta(days=800))
    give_points(platform, ines["id"], 500)
    assert hold(client, shop.web, ines["id"], points=120).status_code == 201
    reader = make_key(platform, "web")

    [club] = client.get("/v1/loyalty/measures", headers=auth(reader)).json()["programmes"]

    assert (club["available_points"], club["held_points"], club["liability_minor"]) == (
        380,
        120,
        500,
    )
    assert club["members_by_tier"] == [{"tier": "silver", "name": "Argent", "members": 1}]
    assert (club["points_earned"], club["points_redeemed"], club["redemption_rate"]) == (
        0,
        0,
        None,
    )


def test_a_marketplace_reads_no_measures(platform, client):
    """The measures are the retailer's own: a marketplace key is refused (403)."""
    shop = make_shop(platform)

    answer = client.get("/v1/loyalty/measures", headers=auth(shop.marketplace))

    assert answer.status_code == 403
