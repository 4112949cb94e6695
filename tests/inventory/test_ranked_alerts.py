"""The network's stock alerts, most urgent first: sales velocity from the ledger, online
exposure from the channels, filters and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.inventory import alerts
from omnicanal.inventory import service as inventory
from omnicanal.inventory.priority import Priority
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.network.errors import UnknownChannel, UnknownLocation
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from omnicanal.pricing import products as priced
from tests.builders import make_location, make_product, receive


def make_in_category(platform: Platform, code: str, category: str) -> str:
    """A one-size product of ``category``; returns its SKU."""
    with platform.db.transaction() as session:
        priced.create_priced_products(
            session,
            products=[
                ProductIn(
                    code=code,
                    name=f"Produit {code}",
                    category=category,
                    variants=[VariantIn(sku=f"{code}-M", size="M", price_minor=2990)],
                )
            ],
            actor=OPERATOR,
            currency="EUR",
        )
    return f"{code}-M"


def sell(platform: Platform, sku: str, location: str, quantity: int) -> None:
    with platform.db.transaction() as session:
        inventory.record_movement(
            session,
            data=MovementIn(sku=sku, location=location, kind=MovementKind.sale, quantity=quantity),
            actor=OPERATOR,
        )


@dataclass(frozen=True)
class Network:
    robe: str
    jean: str
    coat: str
    bag: str


@pytest.fixture
def network(platform: Platform) -> Network:
    """LYON sells over its counter only; PARIS also serves the web shop and the app.

    LYON: the dress sold out (20 in 28 days), the jean low and selling slowly, the coat low
    and never sold. PARIS: the dress sold out (8 sold) and a bag (another category) empty.
    """
    make_location(platform, "LYON", channels=("store",))
    make_location(platform, "PARIS", latitude=48.8566, longitude=2.3522, city="Paris")
    robe, jean, coat = (make_product(platform, code)[0] for code in ("ROBE", "JEAN", "MANTEAU"))
    bag = make_in_category(platform, "SAC", "Sacs")
    receive(platform, robe, "LYON", 20)
    sell(platform, robe, "LYON", 20)
    receive(platform, jean, "LYON", 3)
    sell(platform, jean, "LYON", 1)
    receive(platform, coat, "LYON", 1)
    receive(platform, robe, "PARIS", 8)
    sell(platform, robe, "PARIS", 8)
    receive(platform, bag, "PARIS", 1)
    sell(platform, bag, "PARIS", 1)
    return Network(robe=robe, jean=jean, coat=coat, bag=bag)


def lines(page: alerts.AlertPage) -> list[tuple[str, str, Priority]]:
    return [(row.sku, row.location, row.priority) for row in page.items]


def test_the_fastest_seller_out_of_stock_comes_first_and_the_unsold_last(platform, network):
    with platform.db.reading() as session:
        page = alerts.ranked_alerts(session)

    assert lines(page) == [
        (network.robe, "LYON", Priority.high),  # 20/28 a day, counter only: 0.71
        (network.robe, "PARIS", Priority.high),  # 8/28 a day, online x2: 0.57
        (network.bag, "PARIS", Priority.normal),  # 1/28 a day, online x2: 0.07
        (network.jean, "LYON", Priority.normal),  # 2 left cover 56 days: nothing at risk yet
        (network.coat, "LYON", Priority.dormant),
    ]
    first = page.items[0]
    assert (first.rank, first.units_sold, first.available, first.online) == (1, 20, 0, False)
    assert first.category == "Robes" and first.product == "Produit ROBE"
    assert page.items[1].online is True
    assert page.total == 5
    assert page.by_priority == {
        Priority.urgent: 0,
        Priority.high: 2,
        Priority.normal: 2,
        Priority.dormant: 1,
    }


def test_sales_older_than_the_window_no_longer_count(platform, network):
    with platform.db.reading() as session:
        page = alerts.ranked_alerts(session, now=utcnow() + timedelta(days=29))

    assert {row.priority for row in page.items} == {Priority.dormant}
    assert [row.units_sold for row in page.items] == [0, 0, 0, 0, 0]


def test_filters_keep_a_location_a_channel_a_category_or_an_alert(platform, network):
    with platform.db.reading() as session:
        lyon = alerts.ranked_alerts(session, location="LYON")
        web = alerts.ranked_alerts(session, channel="web")
        bags = alerts.ranked_alerts(session, category="Sacs")
        low = alerts.ranked_alerts(session, status="low_stock")
        jean = alerts.ranked_alerts(session, sku_contains="jea")

    assert {row.location for row in lyon.items} == {"LYON"} and lyon.total == 3
    assert [(row.sku, row.location) for row in web.items] == [
        (network.robe, "PARIS"),
        (network.bag, "PARIS"),
    ]
    assert [row.sku for row in bags.items] == [network.bag]
    assert [row.sku for row in low.items] == [network.jean, network.coat]
    assert [row.sku for row in jean.items] == [network.jean]


def test_the_alerts_come_a_page_at_a_time_in_rank_order(platform, network):
    with platform.db.reading() as session:
        first = alerts.ranked_alerts(session, per_page=2)
        second = alerts.ranked_alerts(session, per_page=2, page=2)
        beyond = alerts.ranked_alerts(session, per_page=2, page=9)

    assert (first.pages, first.total) == (3, 5)
    assert [row.rank for row in first.items] == [1, 2]
    assert [row.rank for row in second.items] == [3, 4]
    assert (second.items[0].sku, second.items[0].location) == (network.bag, "PARIS")
    assert beyond.page == 3 and [row.rank for row in beyond.items] == [5]


def test_an_unknown_location_or_channel_is_refused(platform, network):
    with platform.db.reading() as session:
        with pytest.raises(UnknownLocation):
            alerts.ranked_alerts(session, location="NOWHERE")
        with pytest.raises(UnknownChannel):
            alerts.ranked_alerts(session, channel="fax")
