"""The KPI facts the consumer keeps from the events: where and to whom an order is credited,
when units count as sold, what a replay out of order or an erased person's event does, and
an order placed through the API reaching the figures through the relay."""

from __future__ import annotations

from sqlalchemy import select

from omnicanal.analytics.facts import forget_customers
from omnicanal.analytics.models import (
    BusinessFact,
    FulfilmentFact,
    LocationFact,
    OrderFact,
    StockFact,
)
from omnicanal.carts.events import CartCreated
from omnicanal.fulfilment.events import FulfilmentLineRejected
from omnicanal.inventory import service as inventory
from omnicanal.network.events import LocationUpdated
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.events import Event
from omnicanal.platform.wiring import Platform
from omnicanal.pricing.events import PurchaseCostChanged
from tests.analytics.kpi_history import (
    event,
    feed,
    figure,
    fulfilment,
    opened,
    placed,
    scope,
    till,
    value,
)
from tests.builders import auth, make_location, make_product
from tests.orders.builders import CAPTURED, checkout_body, line, make_shop


def _order(platform: Platform, order_id: str) -> OrderFact:
    with platform.db.reading() as session:
        found = session.get(OrderFact, order_id)
        assert found is not None
        return found


def _fulfilment(platform: Platform, fulfilment_id: str) -> FulfilmentFact:
    with platform.db.reading() as session:
        found = session.get(FulfilmentFact, fulfilment_id)
        assert found is not None
        return found


def test_an_order_is_credited_to_its_till_its_pickup_store_or_no_store(platform):
    """A till sale to the till's store, a pickup to the store of the pickup, a home delivery
    to none; a customer makes it recognised."""
    feed(platform, opened("PARIS-01"), opened("LYON-01"))
    feed(
        platform,
        placed(
            "sale",
            "2026-03-02T10:00",
            channel="store",
            lines=[("SKU-1", 1, "carry_out", "PARIS-01")],
            source=till("PARIS-01"),
        ),
        placed(
            "pickup", "2026-03-02T11:00", lines=[("SKU-1", 1, "pickup", "LYON-01")], customer="c1"
        ),
        placed("parcel", "2026-03-02T12:00"),
        placed(
            "aisle",
            "2026-03-02T13:00",
            channel="store",
            lines=[("SKU-1", 1, "endless_aisle", None)],
            source=till("LYON-01"),
        ),
    )
    credited = {
        order_id: (_order(platform, order_id).store, _order(platform, order_id).segment)
        for order_id in ("sale", "pickup", "parcel", "aisle")
    }
    assert credited == {
        "sale": ("PARIS-01", "anonymous"),
        "pickup": ("LYON-01", "recognised"),
        "parcel": ("", "anonymous"),
        "aisle": ("LYON-01", "anonymous"),
    }
    assert _order(platform, "pickup").click_and_collect
    assert _order(platform, "aisle").endless_aisle


def test_an_order_knows_its_carts_channel_and_its_cost_when_every_sku_has_one(platform):
    """An order keeps its cart's channel, and its cost only when every SKU has one."""
    cart = CartCreated(
        cart_id="k1",
        channel="app",
        anonymous_id="cookie-1",
        customer_ref=None,
        currency="EUR",
        lines=[],
        coupons=[],
    )
    feed(
        platform,
        event(cart, "2026-03-01T20:00"),
        event(
            PurchaseCostChanged(sku="SKU-1", currency="EUR", cost_minor=400, previous_minor=None),
            "2026-03-01T08:00",
        ),
        placed("known", "2026-03-02T09:00", cart="k1", lines=[("SKU-1", 3, "ship", None)]),
        placed(
            "unknown",
            "2026-03-02T09:00",
            lines=[("SKU-1", 1, "ship", None), ("SKU-9", 1, "ship", None)],
        ),
    )
    known = _order(platform, "known")
    assert (known.cart_channel, known.cost_minor, known.units) == ("app", 1200, 3)
    assert _order(platform, "unknown").cost_minor is None


def test_units_a_store_rejected_do_not_leave_from_it(platform):
    """Two lines of one unit, one rejected: the parcel that leaves holds one unit."""
    feed(platform, opened("PARIS-01"))
    rejected = FulfilmentLineRejected(
        fulfilment_id="f1",
        order_id="o1",
        location="PARIS-01",
        line_id="l2",
        order_line_id="ol2",
        sku="SKU-2",
        quantity=1,
        reason="not_found",
    )
    lines = [("SKU-1", 1), ("SKU-2", 1)]
    feed(
        platform,
        placed(
            "o1", "2026-03-02T09:00", lines=[("SKU-1", 1, "ship", None), ("SKU-2", 1, "ship", None)]
        ),
        fulfilment("allocated", "f1", "o1", "2026-03-02T09:00", method="ship", lines=lines),
        event(rejected, "2026-03-02T10:00"),
        fulfilment("shipped", "f1", "o1", "2026-03-02T15:00", method="ship", lines=lines),
    )
    sold = figure(platform, "sell_through", scope(stores=("PARIS-01",)))
    assert sold.numerator == 1
    assert _fulfilment(platform, "f1").rejected_units == 1
    assert _order(platform, "o1").ship_from_store


def test_a_collection_told_before_the_readiness_keeps_the_fulfilment_collected(platform):
    """A replay out of order: nothing raises, the end stands, the units count once."""
    feed(platform, opened("PARIS-01"))
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", lines=[("SKU-1", 1, "pickup", "PARIS-01")]),
        fulfilment("collected", "f1", "o1", "2026-03-02T15:00", pickup_wait_seconds=30.0),
        fulfilment("ready_for_pickup", "f1", "o1", "2026-03-02T11:00"),
        fulfilment("checked_in", "f1", "o1", "2026-03-02T14:59"),
    )
    row = _fulfilment(platform, "f1")
    assert (row.status, row.wait_seconds, row.lead_seconds) == ("collected", 30.0, 7200.0)
    assert figure(platform, "sell_through").numerator == 1


def test_events_of_an_order_never_seen_are_counted_where_they_can_be(platform):
    """A fulfilment of an order placed before the facts were kept: its units still leave."""
    feed(platform, opened("PARIS-01"))
    feed(
        platform, fulfilment("collected", "f1", "old", "2026-03-02T15:00", pickup_wait_seconds=5.0)
    )
    assert figure(platform, "sell_through").numerator == 1
    assert value(platform, "pickup_wait") is None


def test_an_erased_persons_events_are_skipped_without_a_failure(platform):
    """Their strings nulled by the erasure, they no longer fit their class."""
    good = placed("o1", "2026-03-02T09:00", customer="c1")
    erased = Event(
        type=good.type,
        subject="orders/o2",
        data={**good.data, "order_id": None, "customer_ref": None},
        source=good.source,
        time=good.time,
    )
    assert feed(platform, erased, good) == 2
    assert value(platform, "orders") == 1


def test_a_stores_time_zone_change_moves_its_next_days(platform):
    """A store moved to another time zone counts its next orders on that zone's days."""
    feed(platform, opened("PARIS-01"))
    moved = LocationUpdated(
        code="PARIS-01",
        name="Paris Rivoli",
        address_line="1 rue de Rivoli",
        postcode="75001",
        city="Paris",
        timezone="America/New_York",
        opening_hours=None,
        changed=["timezone", "name"],
    )
    feed(platform, event(moved, "2026-03-01T12:00"))
    feed(platform, placed("o1", "2026-03-02T03:00", lines=[("SKU-1", 1, "pickup", "PARIS-01")]))
    with platform.db.reading() as session:
        place = session.get(LocationFact, "PARIS-01")
        assert place is not None
        assert (place.name, place.timezone, place.kind) == (
            "Paris Rivoli",
            "America/New_York",
            "store",
        )
    # 03:00 UTC on the 2nd is 22:00 on the 1st in New York.
    assert str(_order(platform, "o1").day) == "2026-03-01"


def test_a_stock_count_sets_the_counted_levels_from_the_ledger(platform):
    """A count lists no quantities in its event: the counted locations' levels are read."""
    make_location(platform, "PARIS-01")
    (sku,) = make_product(platform, "ROBE")
    with platform.db.transaction() as session:
        inventory.count_stock(
            session,
            lines=[inventory.StockCount(sku=sku, location="PARIS-01", quantity=7)],
            actor=OPERATOR,
            reason="inventaire",
        )
    platform.relay().drain()
    with platform.db.reading() as session:
        levels = session.execute(select(StockFact.sku, StockFact.location, StockFact.on_hand)).all()
    assert [tuple(level) for level in levels] == [(sku, "PARIS-01", 7)]


def test_an_order_placed_through_the_api_reaches_the_figures_through_the_relay(platform, client):
    """A web order and a till sale, relayed: 2 orders, their totals, one till sale."""
    shop = make_shop(platform)
    web = client.post("/v1/orders", json=checkout_body(line(shop.robe, 2)), headers=auth(shop.web))
    sale = client.post(
        "/v1/orders",
        json={"lines": [line(shop.jean, 1)], "payment": CAPTURED},
        headers=auth(shop.lyon),
    )
    assert web.status_code == sale.status_code == 201, (web.text, sale.text)
    platform.relay().drain()
    orders = [web.json(), sale.json()]
    today = scope(_order(platform, orders[0]["id"]).day)
    assert value(platform, "orders", today) == 2
    assert value(platform, "sales", today) == sum(order["total_minor"] for order in orders)
    assert value(platform, "orders", scope(today.start, stores=("LYON-01",))) == 1
    assert value(platform, "store_identification_rate", today) == 0
    assert figure(platform, "sell_through", scope(today.start, stores=("LYON-01",))).numerator == 1
    with platform.db.reading() as session:
        kept = session.get(BusinessFact, 1)
        assert kept is not None
        assert (kept.timezone, kept.currency) == ("Europe/Paris", "EUR")


def test_an_erased_customer_leaves_the_order_facts_and_their_orders_stay(platform):
    """Erasure removes the customer from the order facts, not the orders."""
    feed(
        platform,
        placed("o1", "2026-03-02T09:00", customer="c1"),
        placed("o2", "2026-03-02T10:00", customer="c2"),
    )
    with platform.db.transaction() as session:
        assert forget_customers(session, customer_refs=["c1"]) == 1
    erased = _order(platform, "o1")
    assert (erased.customer_ref, erased.segment) == (None, "recognised")
    assert _order(platform, "o2").customer_ref == "c2"
    assert value(platform, "recognised_share") == 1
