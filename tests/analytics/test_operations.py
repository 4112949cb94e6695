"""The live operations view: pickups waiting now and their age, reservations and lines failing
in the last hour and today, the outbox backlog, the till → customer records delay."""

from __future__ import annotations

from datetime import timedelta

from omnicanal.analytics import measures
from omnicanal.analytics.facts import Keeping, keep_facts
from omnicanal.fulfilment.events import FulfilmentLineRejected
from omnicanal.inventory.events import ReservationLapsed
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import simulated
from omnicanal.platform.events import record_event
from omnicanal.platform.wiring import Platform
from omnicanal.pricing.events import PurchaseCostChanged
from tests.analytics.kpi_history import (
    at,
    event,
    feed,
    fulfilment,
    opened,
    placed,
    reservation,
    till,
)


def _view(platform: Platform, now: str, stores: tuple[str, ...] = ()) -> measures.Operations:
    with platform.db.reading() as session:
        return measures.operations(session, now=at(now), stores=stores)


def test_a_pickup_waiting_for_its_customer_is_listed_with_its_age(platform):
    """A pickup ready and not collected is listed, the oldest first, with its age."""
    feed(platform, opened("PARIS-01"), opened("LYON-01"))
    feed(
        platform,
        fulfilment("ready_for_pickup", "waiting", "o1", "2026-03-02T10:00"),
        fulfilment("ready_for_pickup", "arrived", "o2", "2026-03-02T10:20"),
        fulfilment("checked_in", "arrived", "o2", "2026-03-02T10:25"),
        fulfilment("ready_for_pickup", "gone", "o3", "2026-03-02T09:00"),
        fulfilment("collected", "gone", "o3", "2026-03-02T09:30"),
        fulfilment("ready_for_pickup", "lyon", "o4", "2026-03-02T10:10", location="LYON-01"),
    )

    view = _view(platform, "2026-03-02T10:30", stores=("PARIS-01",))

    # The oldest first; the collected one is gone, Lyon's is not this store's.
    assert [(p.fulfilment_id, p.age_seconds) for p in view.pickups] == [
        ("waiting", 1800.0),
        ("arrived", 600.0),
    ]
    assert view.pickups[1].checked_in_at == at("2026-03-02T10:25")
    assert (view.pickups[0].order_id, view.pickups[0].store) == ("o1", "PARIS-01")
    assert view.pickups_waiting == 2
    assert _view(platform, "2026-03-02T10:30").pickups_waiting == 3


def test_failing_reservations_count_in_the_last_hour_and_since_midnight(platform):
    """Expiries and rejections count in the last hour and since local midnight."""
    feed(platform, opened("PARIS-01"))
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
        # 22:30 UTC on the 1st is 23:30 in Paris: yesterday.
        reservation(ReservationLapsed, "r0", "2026-03-01T22:30"),
        reservation(ReservationLapsed, "r1", "2026-03-02T08:00"),
        reservation(ReservationLapsed, "r2", "2026-03-02T09:45"),
        reservation(ReservationLapsed, "r3", "2026-03-02T10:10"),
        event(rejected, "2026-03-02T10:05"),
    )

    view = _view(platform, "2026-03-02T10:30")

    # Last hour (since 09:30): r2, r3; today (since 23:00 UTC on the 1st): r1, r2, r3.
    assert (view.reservations_expired_last_hour, view.reservations_expired_today) == (2, 3)
    assert (view.lines_rejected_last_hour, view.lines_rejected_today) == (1, 1)


def test_the_outbox_backlog_counts_what_the_relay_has_not_published(platform):
    """The backlog and its oldest event's age, then none once relayed."""
    with platform.db.transaction() as session, simulated(at("2026-03-02T10:00")):
        for sku in ("A", "B"):
            record_event(
                session,
                PurchaseCostChanged(sku=sku, currency="EUR", cost_minor=1, previous_minor=None),
                actor=OPERATOR,
            )

    waiting = _view(platform, "2026-03-02T10:30")
    platform.relay().drain()
    relayed = _view(platform, "2026-03-02T10:30")

    assert (waiting.outbox_backlog, waiting.outbox_oldest_age_seconds) == (2, 1800.0)
    assert (relayed.outbox_backlog, relayed.outbox_oldest_age_seconds) == (0, 0.0)


def test_the_till_delay_of_the_last_hour_is_the_mean_of_its_till_sales(platform):
    """The live till delay is the mean of the last hour's till sales."""
    feed(platform, opened("PARIS-01"))
    sales = [
        placed("s0", "2026-03-02T08:00", channel="store", source=till("PARIS-01")),
        placed("s1", "2026-03-02T10:00", channel="store", source=till("PARIS-01")),
        placed("s2", "2026-03-02T10:15", channel="store", source=till("PARIS-01")),
    ]
    delays = {sales[0].id: 100, sales[1].id: 1, sales[2].id: 5}
    keeping = Keeping(
        zone=platform.settings.business_zone,
        currency="EUR",
        received=lambda sent: sent.time + timedelta(seconds=delays[sent.id]),
    )
    with platform.db.transaction() as session:
        keep_facts(session, sales, keeping=keeping)

    view = _view(platform, "2026-03-02T10:30")

    # s0 is more than an hour old: (1 + 5) / 2.
    assert view.till_crm_delay_seconds == 3
    assert _view(platform, "2026-03-02T12:00").till_crm_delay_seconds is None
