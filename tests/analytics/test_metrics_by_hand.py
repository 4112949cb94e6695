"""Each metric the KPI facts compute, on a small hand-built history fed through the real
consumer, against the answer worked out by hand in the test (the identity metrics, NPS and
the survey half of CSAT are the customers' and the surveys' tests)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from omnicanal.analytics import measures
from omnicanal.analytics.facts import Keeping, keep_facts
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.metrics import UnknownMetric
from omnicanal.carts.events import CartCreated
from omnicanal.engagement.events import (
    MessageFailed,
    MessageSent,
    MessageWithdrawn,
    MessageWithheld,
)
from omnicanal.fulfilment.events import FulfilmentLineRejected
from omnicanal.inventory.events import ReservationLapsed, StockMoved, StockReserved
from omnicanal.orders.events import OrderCancelled, OrderLineCancelled
from omnicanal.platform.events import Event
from omnicanal.platform.wiring import Platform
from omnicanal.pricing.events import PurchaseCostChanged
from tests.analytics.kpi_history import (
    DAY,
    event,
    feed,
    figure,
    fulfilment,
    opened,
    order_moved,
    placed,
    reservation,
    returned,
    scope,
    till,
    value,
)

NEXT_DAY = DAY + timedelta(days=1)


def _stores(platform: Platform) -> None:
    feed(
        platform,
        opened("PARIS-01"),
        opened("LYON-01"),
        opened("WH-1", kind="warehouse"),
    )


def _line_cancelled(
    order_id: str, moment: str, quantity: int, refund: int, sku: str = "SKU-1"
) -> Event:
    payload = OrderLineCancelled(
        order_id=order_id,
        order_line_id=f"{order_id}-line",
        sku=sku,
        quantity=quantity,
        reason="not found",
        refund_minor=refund,
        currency="EUR",
    )
    return event(payload, moment)


def _stock(sku: str, location: str, on_hand: int, moment: str = "2026-03-01T08:00") -> Event:
    payload = StockMoved(
        sku=sku,
        location=location,
        kind="receipt",
        quantity=on_hand,
        on_hand=on_hand,
        reserved=0,
        reason="",
        reference=None,
    )
    return event(payload, moment)


def test_orders_count_every_order_placed_that_day_cancelled_ones_included(platform):
    """An order counts on the day it was placed, even once cancelled."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00"),
        placed("o2", "2026-03-02T12:00"),
        placed("o3", "2026-03-02T16:00"),
        placed("o4", "2026-03-03T09:00"),
        order_moved(OrderCancelled, "o2", "2026-03-02T13:00"),
    )
    # o1, o2 (cancelled since: it was placed) and o3 on the 2nd; o4 on the 3rd.
    assert value(platform, "orders") == 3
    assert value(platform, "orders", scope(NEXT_DAY)) == 1


def test_sales_add_the_totals_in_the_business_currency_only(platform):
    """Sales add the orders' totals in euros; an order in dollars is left out."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", total=1000),
        placed("o2", "2026-03-02T10:00", total=2500),
        placed("o3", "2026-03-02T11:00", total=9999, currency="USD"),
    )
    sales = figure(platform, "sales")
    # 1000 + 2500; the order in dollars is not added to euros.
    assert (sales.value, sales.currency) == (3500, "EUR")


def test_net_sales_take_the_cancelled_units_and_the_refunds_off(platform):
    """Net sales are sales less the cancelled units' amounts and the refunds."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", total=1000),
        placed("o2", "2026-03-02T10:00", total=2500),
        _line_cancelled("o2", "2026-03-02T15:00", quantity=1, refund=500),
        returned(
            "refunded",
            "r1",
            "o1",
            "2026-03-05T10:00",
            amount_minor=300,
            currency="EUR",
            method="original_payment",
            reference=None,
        ),
    )
    # 3500 sold - 500 cancelled - 300 refunded (a week later, credited to the order's day).
    assert value(platform, "net_sales") == 2700


def test_the_average_basket_divides_sales_by_the_orders_in_the_currency(platform):
    """The average basket is sales over the orders in the same currency."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", total=1000),
        placed("o2", "2026-03-02T10:00", total=2500),
        placed("o3", "2026-03-02T11:00", total=9999, currency="USD"),
    )
    # (1000 + 2500) / 2 orders in euros.
    assert value(platform, "average_basket") == 1750


def test_units_per_transaction_divide_the_units_ordered_by_the_orders(platform):
    """Units per transaction are the units ordered over the orders."""
    _stores(platform)
    feed(
        platform,
        placed(
            "o1", "2026-03-02T09:00", lines=[("SKU-1", 2, "ship", None), ("SKU-2", 1, "ship", None)]
        ),
        placed("o2", "2026-03-02T10:00", lines=[("SKU-1", 1, "ship", None)]),
    )
    # (2 + 1 + 1) units / 2 orders.
    assert value(platform, "units_per_transaction") == 2


def test_a_cancellation_counts_on_the_day_its_order_was_placed(platform):
    """The cancellation rate is of the orders placed that day, whenever they were cancelled."""
    _stores(platform)
    feed(
        platform,
        placed("o0", "2026-03-01T10:00"),
        placed("o1", "2026-03-02T09:00"),
        placed("o2", "2026-03-02T10:00"),
        placed("o3", "2026-03-02T11:00"),
        placed("o4", "2026-03-02T12:00"),
        order_moved(OrderCancelled, "o0", "2026-03-02T08:00"),
        order_moved(OrderCancelled, "o4", "2026-03-03T09:00"),
    )
    # Of the 4 orders placed on the 2nd, o4 was cancelled (on the 3rd): 1 / 4. o0's
    # cancellation counts on the 1st, where it was placed.
    assert value(platform, "cancellation_rate") == 0.25
    assert value(platform, "cancellation_rate", scope(DAY - timedelta(days=1))) == 1.0


def test_the_click_and_collect_share_counts_pickups_and_try_ons(platform):
    """Orders with a line collected or tried on in a store over all orders."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", lines=[("SKU-1", 1, "pickup", "PARIS-01")]),
        placed("o2", "2026-03-02T10:00"),
        placed("o3", "2026-03-02T11:00", lines=[("SKU-1", 1, "reserve_and_try", "LYON-01")]),
        placed("o4", "2026-03-02T12:00"),
    )
    # o1 and o3 of 4.
    assert value(platform, "click_and_collect_share") == 0.5


def test_the_ship_from_store_share_counts_home_deliveries_sent_from_a_store(platform):
    """Home deliveries with a parcel from a store over home deliveries."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00"),
        placed("o2", "2026-03-02T10:00"),
        placed("o3", "2026-03-02T11:00", lines=[("SKU-1", 1, "pickup", "PARIS-01")]),
        fulfilment("shipped", "f1", "o1", "2026-03-03T10:00", method="ship", location="PARIS-01"),
        fulfilment("shipped", "f2", "o2", "2026-03-03T11:00", method="ship", location="WH-1"),
        fulfilment("delivered", "f1", "o1", "2026-03-04T10:00", method="ship", location="PARIS-01"),
    )
    # o1 (from PARIS-01) of the home deliveries o1 and o2: 1 / 2.
    assert value(platform, "ship_from_store_share") == 0.5


def test_the_pickup_lead_time_is_the_mean_time_from_order_to_ready(platform):
    """The mean time from the order to the pickup being ready."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", lines=[("SKU-1", 1, "pickup", "PARIS-01")]),
        placed("o2", "2026-03-02T10:00", lines=[("SKU-1", 1, "pickup", "PARIS-01")]),
        fulfilment("ready_for_pickup", "f1", "o1", "2026-03-02T11:00"),
        fulfilment("ready_for_pickup", "f2", "o2", "2026-03-02T10:30"),
    )
    # (2 h + 30 min) / 2 = (7200 + 1800) / 2 seconds.
    assert value(platform, "pickup_lead_time") == 4500


def test_the_pickup_wait_is_the_mean_wait_of_the_customers_who_checked_in(platform):
    """The mean wait at the counter of the customers who said they had arrived."""
    _stores(platform)
    orders = [
        placed(f"o{n}", "2026-03-02T09:00", lines=[("SKU-1", 1, "pickup", "PARIS-01")])
        for n in (1, 2, 3)
    ]
    feed(
        platform,
        *orders,
        fulfilment("collected", "f1", "o1", "2026-03-02T15:00", pickup_wait_seconds=120.0),
        fulfilment("collected", "f2", "o2", "2026-03-02T16:00", pickup_wait_seconds=300.0),
        fulfilment("collected", "f3", "o3", "2026-03-02T17:00"),
    )
    # f3's customer never checked in: (120 + 300) / 2.
    assert value(platform, "pickup_wait") == 210


def test_the_reservation_failure_rate_counts_expiries_and_rejected_lines(platform):
    """Expired reservations and rejected lines over the reservations made, where they happened."""
    _stores(platform)
    rejected = FulfilmentLineRejected(
        fulfilment_id="f1",
        order_id="o1",
        location="PARIS-01",
        line_id="l1",
        order_line_id="ol1",
        sku="SKU-1",
        quantity=1,
        reason="damaged",
    )
    feed(
        platform,
        *(reservation(StockReserved, f"r{n}", f"2026-03-02T0{n}:00") for n in range(1, 5)),
        reservation(ReservationLapsed, "r1", "2026-03-02T09:15"),
        event(rejected, "2026-03-02T10:00"),
        reservation(StockReserved, "r9", "2026-03-02T10:00", location="LYON-01"),
    )
    # At PARIS-01: (1 expired + 1 rejected) / 4 reserved.
    assert value(platform, "reservation_failure_rate", scope(stores=("PARIS-01",))) == 0.5
    # The chain: 2 / 5.
    assert value(platform, "reservation_failure_rate") == 0.4


def test_the_return_rate_counts_the_units_of_returns_that_ended_with_the_item_back(platform):
    """Units of returns refunded, exchanged or closed over the units ordered."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", lines=[("SKU-1", 4, "ship", None)]),
        placed("o2", "2026-03-02T10:00"),
        returned(
            "refunded",
            "r1",
            "o1",
            "2026-03-09T10:00",
            amount_minor=100,
            currency="EUR",
            method="original_payment",
            reference=None,
        ),
        returned("cancelled", "r2", "o2", "2026-03-09T11:00", note="kept"),
    )
    # 1 unit of o1 came back; o2's return was cancelled: 1 / (4 + 1) units ordered.
    assert value(platform, "return_rate") == 0.2


def test_the_exchange_ratio_compares_exchanges_with_refunds(platform):
    """Exchanges over exchanges and refunds."""
    _stores(platform)
    refund = {"amount_minor": 100, "currency": "EUR", "method": "store_credit", "reference": None}
    feed(
        platform,
        placed("o1", "2026-03-02T09:00"),
        returned(
            "exchanged",
            "r1",
            "o1",
            "2026-03-03T10:00",
            new_order_id="o9",
            price_difference_minor=0,
            currency="EUR",
            new_skus=["SKU-2"],
        ),
        returned("refunded", "r2", "o1", "2026-03-03T11:00", **refund),
        returned("refunded", "r3", "o1", "2026-03-03T12:00", **refund),
        returned("closed", "r4", "o1", "2026-03-03T13:00", note="rien à rendre"),
    )
    # 1 exchange / (1 exchange + 2 refunds); a closed return is neither.
    assert value(platform, "exchange_refund_ratio") == pytest.approx(1 / 3)


def test_sell_through_compares_the_units_sold_with_those_still_on_hand(platform):
    """Units sold at a store over those sold and those still on hand there."""
    _stores(platform)
    feed(
        platform,
        _stock("SKU-1", "PARIS-01", 6),
        _stock("SKU-2", "PARIS-01", 2),
        _stock("SKU-1", "LYON-01", 50),
        placed("o1", "2026-03-02T09:00", lines=[("SKU-1", 2, "pickup", "PARIS-01")]),
        fulfilment("collected", "f1", "o1", "2026-03-02T15:00", lines=[("SKU-1", 2)]),
        fulfilment(
            "completed", "f2", "o2", "2026-03-02T15:30", method="carry_out", source=till("PARIS-01")
        ),
        fulfilment("shipped", "f3", "o3", "2026-03-02T16:00", method="ship", lines=[("SKU-2", 3)]),
        fulfilment(
            "delivered", "f3", "o3", "2026-03-02T18:00", method="ship", lines=[("SKU-2", 3)]
        ),
        fulfilment(
            "collected", "f4", "o4", "2026-03-02T16:00", location="LYON-01", lines=[("SKU-1", 5)]
        ),
    )
    # At PARIS-01: 2 collected + 1 carried out + 3 shipped (delivered later, not again) = 6
    # sold; 6 + 2 on hand: 6 / (6 + 8).
    paris = figure(platform, "sell_through", scope(stores=("PARIS-01",)))
    assert (paris.value, paris.numerator, paris.denominator) == (pytest.approx(6 / 14), 6, 14)


def test_stock_cover_is_how_many_days_of_the_periods_sales_the_stock_lasts(platform):
    """The stock on hand over the period's daily sales."""
    _stores(platform)
    feed(
        platform,
        _stock("SKU-1", "PARIS-01", 10),
        fulfilment("collected", "f1", "o1", "2026-03-02T15:00", lines=[("SKU-1", 3)]),
        fulfilment("collected", "f2", "o2", "2026-03-03T15:00", lines=[("SKU-1", 1)]),
    )
    # 10 on hand / (4 sold / 2 days) = 5 days.
    two_days = scope(DAY, NEXT_DAY, stores=("PARIS-01",))
    assert value(platform, "stock_cover", two_days) == 5


def test_the_contribution_margin_keeps_the_cost_of_the_units_kept(platform):
    """What the orders kept bring in, less what their kept units cost."""
    _stores(platform)
    costs = [
        event(
            PurchaseCostChanged(sku=sku, currency="EUR", cost_minor=cost, previous_minor=None),
            "2026-03-01T08:00",
        )
        for sku, cost in (("SKU-1", 400), ("SKU-2", 300))
    ]
    feed(
        platform,
        *costs,
        placed(
            "o1",
            "2026-03-02T09:00",
            total=2000,
            lines=[("SKU-1", 2, "ship", None), ("SKU-2", 1, "ship", None)],
        ),
        placed("o2", "2026-03-02T10:00", total=1000, lines=[("SKU-1", 1, "ship", None)]),
        placed("o3", "2026-03-02T11:00", total=5000, lines=[("SKU-3", 1, "ship", None)]),
        placed("o4", "2026-03-02T12:00", total=800, lines=[("SKU-1", 1, "ship", None)]),
        _line_cancelled("o1", "2026-03-02T15:00", quantity=1, refund=500, sku="SKU-2"),
        returned(
            "refunded",
            "r1",
            "o2",
            "2026-03-06T10:00",
            amount_minor=1000,
            currency="EUR",
            method="original_payment",
            reference=None,
        ),
        order_moved(OrderCancelled, "o4", "2026-03-02T13:00"),
    )
    # o1: (2000 - 500 cancelled) - 1100 cost x 2 of 3 units kept = 1500 - 733.33;
    # o2: (1000 - 1000 refunded) - 400 x 0 kept = 0; o3 (SKU-3 has no cost) and o4
    # (cancelled) are left out.
    margin = figure(platform, "contribution_margin")
    assert margin.value == pytest.approx(1500 - 1100 * 2 / 3)
    assert margin.currency == "EUR"


def test_the_recognised_share_counts_the_orders_naming_a_customer(platform):
    """Orders naming a customer over all orders."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", customer="c1"),
        placed("o2", "2026-03-02T10:00"),
        placed("o3", "2026-03-02T11:00", customer="c2"),
        placed("o4", "2026-03-02T12:00"),
    )
    # 2 of 4; a segment filter does not apply to it, and the figure says so.
    assert value(platform, "recognised_share") == 0.5
    filtered = figure(platform, "recognised_share", scope(segment="anonymous"))
    assert (filtered.value, filtered.scoped) == (0.5, False)


def test_the_store_identification_rate_counts_the_till_sales_naming_a_customer(platform):
    """Till sales naming a customer over till sales."""
    _stores(platform)
    paris = till("PARIS-01")
    feed(
        platform,
        placed("s1", "2026-03-02T09:00", channel="store", customer="c1", source=paris),
        placed("s2", "2026-03-02T10:00", channel="store", source=paris),
        placed("s3", "2026-03-02T11:00", channel="store", source=paris),
        placed("w1", "2026-03-02T12:00", customer="c2"),
    )
    # s1 of the three till sales; the web order is no till sale.
    assert value(platform, "store_identification_rate") == pytest.approx(1 / 3)
    assert value(platform, "store_identification_rate", scope(stores=("LYON-01",))) is None


def test_the_baskets_of_recognised_and_anonymous_customers_are_apart(platform):
    """Each segment's sales over its orders."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", customer="c1", total=1000),
        placed("o2", "2026-03-02T10:00", customer="c2", total=3000),
        placed("o3", "2026-03-02T11:00", total=500),
        placed("o4", "2026-03-02T12:00", total=1500),
    )
    # (1000 + 3000) / 2 and (500 + 1500) / 2.
    assert value(platform, "basket_recognised") == 2000
    assert value(platform, "basket_anonymous") == 1000


def test_cross_channel_conversion_counts_carts_bought_on_another_channel(platform):
    """Orders from a cart started on another channel over orders from a cart."""
    _stores(platform)
    carts = [
        event(
            CartCreated(
                cart_id=cart,
                channel=channel,
                anonymous_id=None,
                customer_ref=None,
                currency="EUR",
                lines=[],
                coupons=[],
            ),
            "2026-03-01T20:00",
        )
        for cart, channel in (("k1", "web"), ("k2", "app"), ("k3", "web"))
    ]
    feed(
        platform,
        *carts,
        placed("o1", "2026-03-02T09:00", cart="k1", channel="store", source=till("PARIS-01")),
        placed("o2", "2026-03-02T10:00", cart="k2", channel="app"),
        placed("o3", "2026-03-02T11:00", cart="k3"),
        placed("o4", "2026-03-02T12:00"),
    )
    # k1 started on the web, bought at the till: 1 of the 3 orders from a cart.
    assert value(platform, "cross_channel_conversion") == pytest.approx(1 / 3)


def test_purchase_frequency_is_orders_per_recognised_customer(platform):
    """Recognised customers' orders not cancelled over those customers."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", customer="c1"),
        placed("o2", "2026-03-10T09:00", customer="c1"),
        placed("o3", "2026-03-20T09:00", customer="c1"),
        placed("o4", "2026-03-05T09:00", customer="c2"),
        placed("o5", "2026-03-06T09:00"),
        order_moved(OrderCancelled, "o3", "2026-03-20T10:00"),
    )
    # c1: 2 orders left (o3 cancelled), c2: 1; the anonymous one is nobody's: 3 / 2.
    march = scope(date(2026, 3, 1), date(2026, 3, 31))
    assert value(platform, "purchase_frequency", march) == 1.5


def test_retention_and_churn_follow_the_customers_of_the_period_before(platform):
    """Of the period before's customers, those who bought again, and those who did not."""
    _stores(platform)
    feed(
        platform,
        placed("b1", "2026-02-24T09:00", customer="c1"),
        placed("b2", "2026-02-25T09:00", customer="c2"),
        placed("b3", "2026-03-01T09:00", customer="c3"),
        placed("n1", "2026-03-03T09:00", customer="c1"),
        placed("n2", "2026-03-08T09:00", customer="c3"),
        placed("n3", "2026-03-04T09:00", customer="c4"),
    )
    # Week of 2-8 March; the week before (23 Feb - 1 Mar) had c1, c2 and c3; c1 and c3
    # came back (c4 is new): 2 / 3 kept, 1 / 3 lost.
    week = scope(DAY, DAY + timedelta(days=6))
    assert value(platform, "retention_rate", week) == pytest.approx(2 / 3)
    assert value(platform, "churn_rate", week) == pytest.approx(1 / 3)


def test_the_till_to_crm_delay_is_the_mean_time_a_till_sale_takes_to_arrive(platform):
    """The mean time from a till sale to its reception by the consumer."""
    _stores(platform)
    paris = till("PARIS-01")
    sales = [
        placed("s1", "2026-03-02T10:00", channel="store", source=paris),
        placed("s2", "2026-03-02T11:00", channel="store", source=paris),
        placed("w1", "2026-03-02T12:00"),
    ]
    delays = {sales[0].id: 2, sales[1].id: 4, sales[2].id: 60}
    keeping = Keeping(
        zone=platform.settings.business_zone,
        currency="EUR",
        received=lambda sent: sent.time + timedelta(seconds=delays[sent.id]),
    )
    with platform.db.transaction() as session:
        keep_facts(session, sales, keeping=keeping)
    # The two till sales took 2 s and 4 s; the web order is none: (2 + 4) / 2.
    assert value(platform, "till_crm_delay") == 3


def test_the_withdrawn_share_counts_messages_stopped_by_a_change_of_situation(platform):
    """Messages withdrawn or withheld by a change of situation over those decided."""
    common = {
        "trigger": "T",
        "kind": "abandoned_cart",
        "purpose": "marketing",
        "profile_id": None,
        "about": "carts/k",
    }
    decided = [
        MessageSent(message_id="m1", channel="email", provider="smtp", **common),
        MessageSent(message_id="m2", channel="email", provider="smtp", **common),
        MessageWithheld(message_id="m3", reason="returned_recently", **common),
        MessageWithheld(message_id="m4", reason="no_consent", **common),
        MessageWithdrawn(message_id="m5", reason="cart_bought", **common),
        MessageFailed(message_id="m6", channel="sms", provider="brevo", reason="refused", **common),
    ]
    feed(platform, *(event(message, "2026-03-02T10:00") for message in decided))
    # m3 (a return since) and m5 (the cart bought) of the 6 decided; no consent is no change.
    assert value(platform, "messages_withdrawn_share") == pytest.approx(2 / 6)


def test_satisfaction_given_at_a_return_counts_in_csat(platform):
    """A score of 4 or 5 given at the end of a return is a satisfied answer."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-01T09:00"),
        returned("closed", "r1", "o1", "2026-03-02T10:00", satisfaction=5, note=""),
        returned("cancelled", "r2", "o1", "2026-03-02T11:00", satisfaction=4, note=""),
        returned("closed", "r3", "o1", "2026-03-02T12:00", satisfaction=2, note=""),
        returned("closed", "r4", "o1", "2026-03-02T13:00", note=""),
    )
    # 5 and 4 are satisfied, 2 is not, r4 gave no score: 2 / 3.
    assert value(platform, "csat") == pytest.approx(2 / 3)


# Filters, days, repeats ----------------------------------------------------------------------


def test_store_channel_and_segment_filters_narrow_the_orders(platform):
    """Each filter keeps its store's, channel's or segment's orders."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", lines=[("SKU-1", 1, "pickup", "PARIS-01")], customer="c1"),
        placed("o2", "2026-03-02T10:00", lines=[("SKU-1", 1, "pickup", "LYON-01")], channel="app"),
        placed("o3", "2026-03-02T11:00", channel="store", source=till("PARIS-01")),
        placed("o4", "2026-03-02T12:00", customer="c2"),
    )
    # PARIS-01: o1 (collected there), o3 (its till); LYON-01: o2; o4 is a home delivery.
    assert value(platform, "orders", scope(stores=("PARIS-01",))) == 2
    assert value(platform, "orders", scope(stores=("LYON-01",))) == 1
    assert value(platform, "orders", scope(stores=("PARIS-01", "LYON-01"))) == 3
    # web: o1 and o4; app: o2; store: o3.
    assert value(platform, "orders", scope(channels=("web",))) == 2
    assert value(platform, "orders", scope(channels=("app", "store"))) == 2
    # recognised: o1 and o4.
    assert value(platform, "orders", scope(segment="recognised")) == 2
    assert value(platform, "orders", scope(stores=("PARIS-01",), segment="anonymous")) == 1


def test_an_order_counts_on_the_local_day_of_its_store(platform):
    """An order's day is its store's local day, else the business's."""
    _stores(platform)
    feed(platform, opened("NYC-01", zone="America/New_York"))
    feed(
        platform,
        # 22:30 UTC on the 1st is 23:30 in Paris: the 1st.
        placed("o1", "2026-03-01T22:30", lines=[("SKU-1", 1, "pickup", "PARIS-01")]),
        # 23:30 UTC on the 1st is 00:30 in Paris on the 2nd.
        placed("o2", "2026-03-01T23:30", lines=[("SKU-1", 1, "pickup", "PARIS-01")]),
        # 03:00 UTC on the 2nd is 22:00 in New York on the 1st.
        placed("o3", "2026-03-02T03:00", lines=[("SKU-1", 1, "pickup", "NYC-01")]),
        # A home delivery has no store: the business's day (Paris), the 2nd.
        placed("o4", "2026-03-01T23:10"),
    )
    first = scope(date(2026, 3, 1))
    assert value(platform, "orders", first) == 2
    assert value(platform, "orders", scope(stores=("PARIS-01",))) == 1
    assert value(platform, "orders") == 2


def test_the_same_events_delivered_twice_count_once(platform):
    """A batch delivered again by the bus changes nothing."""
    _stores(platform)
    events = [
        placed("o1", "2026-03-02T09:00", total=1000, lines=[("SKU-1", 1, "pickup", "PARIS-01")]),
        fulfilment("ready_for_pickup", "f1", "o1", "2026-03-02T10:00"),
        fulfilment("collected", "f1", "o1", "2026-03-02T11:00", pickup_wait_seconds=60.0),
    ]
    assert feed(platform, *events) == 3
    assert feed(platform, *events) == 0
    assert feed(platform, events[2]) == 0
    assert (value(platform, "orders"), value(platform, "sales")) == (1, 1000)
    assert value(platform, "pickup_wait") == 60
    assert figure(platform, "sell_through").numerator == 1


def test_a_week_sums_its_days_before_dividing(platform):
    """A ratio over a week is its days' sums divided, not the mean of its days."""
    _stores(platform)
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", total=1000),
        placed("o2", "2026-03-04T09:00", total=2000),
        placed("o3", "2026-03-04T10:00", total=6000),
    )
    week = Scope(start=DAY, end=DAY + timedelta(days=6))
    # (1000 + 2000 + 6000) / 3, not the mean of the days' baskets.
    assert value(platform, "average_basket", week) == 3000


# Series, splits and the facts other modules read ---------------------------------------------


def _two_stores_two_days(platform: Platform) -> None:
    _stores(platform)
    paris = [("SKU-1", 1, "pickup", "PARIS-01")]
    lyon = [("SKU-1", 1, "pickup", "LYON-01")]
    feed(
        platform,
        placed("p1", "2026-03-02T09:00", lines=paris, total=1000, customer="c1"),
        placed("p2", "2026-03-02T10:00", lines=paris, total=3000),
        placed("l1", "2026-03-02T11:00", lines=lyon, total=500, customer="c2"),
        placed("p3", "2026-03-03T09:00", lines=paris, total=2000, customer="c1"),
        order_moved(OrderCancelled, "p2", "2026-03-02T12:00"),
    )


def test_a_series_gives_each_day_its_value_split_by_store(platform):
    """A series has a point per day, per store when split."""
    _two_stores_two_days(platform)
    with platform.db.reading() as session:
        whole = measures.series(session, "average_basket", scope(DAY, NEXT_DAY))
        split = measures.series(session, "orders", scope(DAY, NEXT_DAY), by="store")
    # The 2nd: (1000 + 3000 + 500) / 3; the 3rd: 2000 / 1.
    assert [(p.day, p.key, p.value) for p in whole] == [(DAY, "", 1500), (NEXT_DAY, "", 2000)]
    assert [(p.day, p.key, p.value) for p in split] == [
        (DAY, "LYON-01", 1),
        (DAY, "PARIS-01", 2),
        (NEXT_DAY, "LYON-01", 0),
        (NEXT_DAY, "PARIS-01", 1),
    ]


def test_a_breakdown_gives_each_store_its_figures(platform):
    """A breakdown gives each store its figures, and the chain's for a metric without stores."""
    _two_stores_two_days(platform)
    with platform.db.reading() as session:
        stores = measures.breakdown(
            session,
            scope(DAY),
            ["orders", "cancellation_rate", "messages_withdrawn_share"],
            by="store",
        )
    # PARIS-01: p1, p2 (cancelled): 1 / 2; LYON-01: l1, none cancelled. The messages have no
    # store: each store shows the chain's, and says so.
    assert {store: [f.value for f in found[:2]] for store, found in stores.items()} == {
        "LYON-01": [1, 0],
        "PARIS-01": [2, 0.5],
    }
    assert [found[2].scoped for found in stores.values()] == [False, False]


def test_daily_values_give_each_store_of_a_pilot_its_days(platform):
    """Each store of the scope gets each day's value, None on a day without data."""
    _two_stores_two_days(platform)
    with platform.db.reading() as session:
        values = measures.daily_values(
            session, "recognised_share", scope(DAY, NEXT_DAY, stores=("PARIS-01", "LYON-01"))
        )
    # PARIS-01: p1 of p1 and p2, then p3 alone; LYON-01: l1, then no order (no value).
    assert values == {
        "PARIS-01": {DAY: 0.5, NEXT_DAY: 1.0},
        "LYON-01": {DAY: 1.0, NEXT_DAY: None},
    }


def test_purchases_are_the_recognised_orders_not_cancelled(platform):
    """Purchases are the scope's recognised orders that were not cancelled."""
    _two_stores_two_days(platform)
    with platform.db.reading() as session:
        found = measures.purchases(session, scope(DAY, NEXT_DAY, stores=("PARIS-01",)))
    assert [(p.customer_ref, p.day, p.total_minor, p.store, p.channel) for p in found] == [
        ("c1", DAY, 1000, "PARIS-01", "web"),
        ("c1", NEXT_DAY, 2000, "PARIS-01", "web"),
    ]


def test_places_are_the_locations_opened(platform):
    """Places are the locations the network opened."""
    _stores(platform)
    with platform.db.reading() as session:
        found = measures.places(session)
    assert [(p.code, p.kind, p.timezone) for p in found] == [
        ("LYON-01", "store", "Europe/Paris"),
        ("PARIS-01", "store", "Europe/Paris"),
        ("WH-1", "warehouse", "Europe/Paris"),
    ]


def test_an_unknown_metric_is_refused_with_its_code(platform):
    """A code the catalogue lacks is refused as ``unknown_metric``."""
    with platform.db.reading() as session, pytest.raises(UnknownMetric) as refused:
        measures.figures(session, scope(), ["orders", "bonheur"])
    assert refused.value.code == "unknown_metric"
