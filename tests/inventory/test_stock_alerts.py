"""Stock alerts: SKUs low or out of stock, counted by location and listed for one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from omnicanal.inventory import alerts
from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import ReservationIn
from omnicanal.network.errors import UnknownLocation
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from tests.builders import make_location, make_product, receive


@pytest.fixture
def lyon(platform):
    """LYON holds 2 dresses (low: threshold 3), 5 jeans and an empty level of coats."""
    make_location(platform, "LYON")
    make_location(platform, "PARIS", city="Paris")
    robe, jean, coat = (make_product(platform, code)[0] for code in ("ROBE", "JEAN", "MANTEAU"))
    receive(platform, robe, "LYON", 2)
    receive(platform, jean, "LYON", 5)
    receive(platform, coat, "LYON", 1)
    with platform.db.transaction() as session:
        inventory.reserve(
            session,
            data=ReservationIn(sku=coat, quantity=1, location="LYON", channel="web"),
            actor=OPERATOR,
            default_ttl_seconds=3600,
        )
    return robe, jean, coat


def test_each_location_counts_its_low_and_out_of_stock_skus(platform, lyon):
    with platform.db.reading() as session:
        rows = alerts.stock_alerts(session)

    assert [(r.location, r.skus, r.low_stock, r.out_of_stock) for r in rows] == [
        ("LYON", 3, 1, 1),
        ("PARIS", 0, 0, 0),
    ]


def test_a_location_lists_its_out_of_stock_skus_first(platform, lyon):
    robe, _, coat = lyon

    with platform.db.reading() as session:
        rows = alerts.location_alerts(session, location="LYON")

    assert [(r.sku, r.status, r.available) for r in rows] == [
        (coat, "out_of_stock", 0),
        (robe, "low_stock", 2),
    ]


def test_an_expired_reservation_counts_as_free_stock(platform, lyon):
    _, _, coat = lyon
    later = utcnow() + timedelta(days=60)

    with platform.db.reading() as session:
        counts = alerts.stock_alerts(session, now=later)
        rows = alerts.location_alerts(session, location="LYON", now=later)

    assert (counts[0].low_stock, counts[0].out_of_stock) == (2, 0)
    assert coat in {r.sku for r in rows if r.status == "low_stock"}


def test_an_unknown_location_is_refused(platform, lyon):
    with platform.db.reading() as session, pytest.raises(UnknownLocation):
        alerts.location_alerts(session, location="NOWHERE")
