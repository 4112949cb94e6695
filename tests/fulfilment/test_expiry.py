"""Holds and uncollected pickups expire: their stock comes back and the order follows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from omnicanal.fulfilment.states import Action
from omnicanal.inventory import service as inventory
from omnicanal.inventory.models import Reservation, StockLevel
from omnicanal.orders import service as orders
from omnicanal.platform.clock import utcnow
from tests.orders.builders import WEB, line, make_shop, place


def _reserved(platform) -> int:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return sum(session.scalars(select(StockLevel.reserved)))


def _view(platform, order_id):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return orders.get_order(session, order_id=order_id)


def test_an_expired_reserve_and_try_hold_gives_its_stock_back_at_the_next_sweep(platform):
    shop = make_shop(platform)
    three_days_ago = utcnow() - timedelta(days=3)
    order = place(
        platform,
        line(shop.jean, 1, "reserve_and_try", location="PARIS-01", reserve_days=2),
        now=three_days_ago,
    )
    assert _reserved(platform) == 1

    platform.sweep_expired()

    view = _view(platform, order.id)
    assert view.status == "cancelled"
    (fulfilment,) = view.fulfilments
    assert fulfilment.status == "expired"
    assert view.history[-2].reason == "the hold ended without a purchase"
    assert view.history[-2].actor == "operator:sweeper"
    assert view.lines[0].cancelled_quantity == 1
    assert _reserved(platform) == 0
    with platform.db.reading() as session:
        assert session.scalar(select(Reservation.status)) == "released"


def test_a_hold_the_inventory_sweeper_expired_first_still_ends_its_fulfilment(platform):
    shop = make_shop(platform)
    order = place(platform, line(shop.jean, 1, "reserve_and_try", location="PARIS-01"))
    later = utcnow() + timedelta(days=4)
    with platform.db.transaction() as session:
        assert inventory.release_expired(session, actor=orders.SWEEPER, now=later) == 1
    with platform.db.transaction() as session:
        assert orders.expire_overdue(session, now=later) == 1
    view = _view(platform, order.id)
    assert (view.status, view.fulfilments[0].status) == ("cancelled", "expired")
    assert _reserved(platform) == 0


def test_a_hold_still_running_is_left_alone(platform):
    shop = make_shop(platform)
    order = place(platform, line(shop.jean, 1, "reserve_and_try", location="PARIS-01"))
    platform.sweep_expired()
    assert _view(platform, order.id).fulfilments[0].status == "held"
    assert _reserved(platform) == 1


def test_an_uncollected_pickup_expires_after_its_window(platform):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    fulfilment_id = order.fulfilments[0].id
    ten_days_ago = utcnow() - timedelta(days=10)
    for action in (Action.pick, Action.ready):
        with platform.db.transaction() as session:
            orders.act(
                session, fulfilment_id=fulfilment_id, action=action, actor=WEB, now=ten_days_ago
            )
    assert platform.expire_fulfilments() == 1
    view = _view(platform, order.id)
    assert (view.status, view.fulfilments[0].status) == ("cancelled", "expired")
    assert _reserved(platform) == 0


def test_a_customer_who_checked_in_is_never_sent_away_by_the_sweeper(platform):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    fulfilment_id = order.fulfilments[0].id
    ten_days_ago = utcnow() - timedelta(days=10)
    for action in (Action.pick, Action.ready, Action.check_in):
        with platform.db.transaction() as session:
            orders.act(
                session, fulfilment_id=fulfilment_id, action=action, actor=WEB, now=ten_days_ago
            )
    assert platform.expire_fulfilments() == 0
    assert _view(platform, order.id).fulfilments[0].status == "checked_in"
