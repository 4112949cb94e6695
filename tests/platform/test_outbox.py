"""The transactional outbox and the in-process bus, on SQLite and PostgreSQL (no NATS)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.analytics.models import DailyEventCount
from omnicanal.analytics.service import CONSUMERS as ANALYTICS
from omnicanal.inventory import service as inventory
from omnicanal.inventory.models import StockLevel
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.network.errors import LocationExists
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.bus import Consumer, InProcessBus, deliver
from omnicanal.platform.events import Event, OutboxEvent, ProcessedEvent
from omnicanal.platform.relay import OutboxRelay
from omnicanal.platform.wiring import Platform
from tests.builders import make_location, make_product, receive

ANALYTICS_CONSUMER = ANALYTICS[0]


def outbox(platform: Platform) -> list[tuple[str, str, bool]]:
    """Every outbox row as (id, type, published), in commit order."""
    with platform.db.reading() as session:
        return [
            (row.id, row.type, row.published)
            for row in session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
        ]


def counted(platform: Platform) -> Counter[str]:
    """The analytics consumer's counts per event type."""
    with platform.db.reading() as session:
        rows = session.execute(
            select(DailyEventCount.event_type, func.sum(DailyEventCount.count)).group_by(
                DailyEventCount.event_type
            )
        )
        return Counter({event_type: int(total) for event_type, total in rows})


def processed(platform: Platform, consumer: str) -> list[str]:
    """The event ids ``consumer`` has recorded as handled."""
    with platform.db.reading() as session:
        return sorted(
            session.scalars(
                select(ProcessedEvent.event_id).where(ProcessedEvent.consumer == consumer)
            )
        )


def some_events(platform: Platform) -> list[tuple[str, str, bool]]:
    """A store, a product and two receipts, through the real use cases; the outbox after."""
    make_location(platform, "LYON1")
    (sku,) = make_product(platform, "ROBE1")
    receive(platform, sku, "LYON1", 5)
    receive(platform, sku, "LYON1", 2)
    return outbox(platform)


def test_a_use_case_writes_its_events_to_the_outbox_in_its_transaction(platform: Platform) -> None:
    """Each committed use case leaves its events in the outbox, unpublished, in commit order."""
    rows = some_events(platform)

    assert [event_type for _, event_type, _ in rows] == [
        "network.location_opened",
        "catalog.product_created",
        "inventory.stock_moved",
        "inventory.back_in_stock",
        "inventory.stock_moved",
    ]
    assert [published for _, _, published in rows] == [False] * 5
    assert len({event_id for event_id, _, _ in rows}) == 5


def test_a_failed_use_case_leaves_no_events(platform: Platform) -> None:
    """A transaction that raises after recording an event leaves neither the change nor it."""
    make_location(platform, "LYON1")
    (sku,) = make_product(platform, "ROBE1")
    before = outbox(platform)

    with pytest.raises(RuntimeError, match="a later step failed"), platform.db.transaction() as s:
        inventory.record_movement(
            s,
            data=MovementIn(sku=sku, location="LYON1", kind=MovementKind.receipt, quantity=5),
            actor=OPERATOR,
        )
        raise RuntimeError("a later step failed")
    with pytest.raises(LocationExists):
        make_location(platform, "LYON1")

    assert outbox(platform) == before
    with platform.db.reading() as session:
        assert session.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0))) == 0


def test_the_relay_delivers_each_event_to_the_analytics_consumer_once(platform: Platform) -> None:
    """Draining the outbox through the in-process bus counts every event once and marks it."""
    rows = some_events(platform)
    relay = platform.relay()

    assert relay.drain() == 5
    assert relay.drain() == 0

    assert counted(platform) == Counter(event_type for _, event_type, _ in rows)
    assert outbox(platform) == [(event_id, event_type, True) for event_id, event_type, _ in rows]
    assert processed(platform, ANALYTICS_CONSUMER.name) == sorted(row[0] for row in rows)
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).where(OutboxEvent.published_at.is_(None))) == 0


def test_a_failing_consumer_leaves_the_event_unpublished_until_it_succeeds(
    platform: Platform,
) -> None:
    """A handler that raises stops the batch at that event; the next run delivers it once."""
    rows = some_events(platform)
    failing_on = {rows[1][0]}
    handled: list[str] = []

    def fussy(_session: Session, event: Event) -> None:
        if event.id in failing_on:
            raise RuntimeError("the mail server is down")
        handled.append(event.id)

    consumers = [ANALYTICS_CONSUMER, Consumer(name="test.fussy", all_events=True, handler=fussy)]
    relay = OutboxRelay(platform.db, InProcessBus(platform.db, consumers), batch_size=100)

    assert relay.publish_once() == 1
    assert [published for _, _, published in outbox(platform)] == [True] + [False] * 4
    assert handled == [rows[0][0]]

    failing_on.clear()
    assert relay.drain() == 4

    assert handled == [row[0] for row in rows]
    assert counted(platform) == Counter(event_type for _, event_type, _ in rows)
    assert [published for _, _, published in outbox(platform)] == [True] * 5
    with platform.db.reading() as session:
        attempts = session.scalar(select(OutboxEvent.attempts).where(OutboxEvent.id == rows[1][0]))
    assert attempts == 1


def test_a_poison_event_is_given_up_after_its_attempts_and_the_rest_flows(
    platform: Platform,
) -> None:
    """One consumer failing on one event forever cannot stall the events behind it."""
    rows = some_events(platform)
    poison = rows[1][0]
    handled: list[str] = []

    def broken_on_one(_session: Session, event: Event) -> None:
        if event.id == poison:
            raise ValueError("this event can never be handled")
        handled.append(event.id)

    consumers = [
        ANALYTICS_CONSUMER,
        Consumer(name="test.broken", all_events=True, handler=broken_on_one),
    ]
    relay = OutboxRelay(
        platform.db, InProcessBus(platform.db, consumers, max_attempts=3), batch_size=100
    )

    assert [relay.publish_once() for _ in range(3)] == [1, 0, 4]

    assert handled == [row[0] for row in rows if row[0] != poison]
    assert counted(platform) == Counter(event_type for _, event_type, _ in rows)
    assert [published for _, _, published in outbox(platform)] == [True] * 5


def test_delivering_an_event_twice_handles_it_once(platform: Platform) -> None:
    """deliver() remembers the event id: the second delivery is skipped."""
    event = Event(type="test.delivered", subject="tests/1", data={}, source="/channels/system")

    assert deliver(platform.db, ANALYTICS_CONSUMER, event) is True
    assert deliver(platform.db, ANALYTICS_CONSUMER, event) is False

    assert counted(platform) == Counter({"test.delivered": 1})
    assert processed(platform, ANALYTICS_CONSUMER.name) == [event.id]


def test_concurrent_deliveries_of_one_event_handle_it_once(platform: Platform) -> None:
    """Eight threads delivering the same event at once (two workers, a redelivery): one wins."""
    event = Event(type="test.delivered", subject="tests/1", data={}, source="/channels/system")
    start = threading.Barrier(8)
    results: list[bool] = []

    def worker() -> None:
        start.wait(timeout=30)
        results.append(deliver(platform.db, ANALYTICS_CONSUMER, event))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [False] * 7 + [True]
    assert counted(platform) == Counter({"test.delivered": 1})
