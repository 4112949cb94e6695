"""The transactional outbox and the in-process bus, on SQLite and PostgreSQL (no NATS)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence

import psycopg
import pytest
from sqlalchemy import event as sqla_event
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from omnicanal.analytics.models import DailyEventCount
from omnicanal.analytics.service import CONSUMERS as ANALYTICS
from omnicanal.bootstrap import build_platform
from omnicanal.inventory import service as inventory
from omnicanal.inventory.models import StockLevel
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.network.errors import LocationExists
from omnicanal.network.events import ChannelCreated
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.bus import Consumer, InProcessBus, deliver, deliver_batch
from omnicanal.platform.db import OUTBOX_CHANNEL
from omnicanal.platform.events import (
    COPY_FROM_EVENTS,
    Event,
    OutboxEvent,
    ProcessedEvent,
    record_event,
)
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
    # The first event's handler ran twice: in the batch that the failure rolled back, then
    # in its own savepoint, committed.
    assert handled == [rows[0][0]] * 2

    failing_on.clear()
    assert relay.drain() == 4

    assert handled[2:] == [row[0] for row in rows[1:]]
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

    # The event before the poison one was handled twice: in the batch its failure rolled
    # back, then in its own savepoint, committed.
    assert handled == [rows[0][0], *(row[0] for row in rows if row[0] != poison)]
    assert counted(platform) == Counter(event_type for _, event_type, _ in rows)
    assert [published for _, _, published in outbox(platform)] == [True] * 5


def test_a_consumer_takes_a_relay_batch_in_one_transaction(platform: Platform) -> None:
    """Every event of a relay batch reaches the handler in order, in one session, and each
    is remembered as handled, as when they came one by one."""
    rows = some_events(platform)
    sessions: list[Session] = []
    seen: list[str] = []

    def note(session: Session, event: Event) -> None:
        sessions.append(session)
        seen.append(event.id)

    consumers = [Consumer(name="test.noting", all_events=True, handler=note)]
    relay = OutboxRelay(platform.db, InProcessBus(platform.db, consumers), batch_size=100)

    assert relay.drain() == 5

    assert seen == [row[0] for row in rows]
    assert all(session is sessions[0] for session in sessions)
    assert processed(platform, "test.noting") == sorted(seen)


def test_a_batch_whose_handlers_all_succeed_costs_no_savepoint(platform: Platform) -> None:
    """The handlers of a batch run in its one transaction; savepoints (two statements per
    event) are taken only to run a batch again after a handler raised."""
    rows = some_events(platform)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    consumers = [
        Consumer(name="test.counting", all_events=True, handler=ANALYTICS_CONSUMER.handler)
    ]
    relay = OutboxRelay(platform.db, InProcessBus(platform.db, consumers), batch_size=100)
    sqla_event.listen(platform.db.write_engine, "before_cursor_execute", note)
    try:
        assert relay.drain() == len(rows)
    finally:
        sqla_event.remove(platform.db.write_engine, "before_cursor_execute", note)

    assert [s for s in statements if "SAVEPOINT" in s.upper()] == []
    assert counted(platform) == Counter(event_type for _, event_type, _ in rows)
    assert processed(platform, "test.counting") == sorted(row[0] for row in rows)


def test_a_consumers_read_ahead_sees_the_batch_before_its_handler_sees_each_event(
    platform: Platform,
) -> None:
    """The read-ahead gets the batch's new events once, in the handlers' transaction and
    before them, so what it keeps for the transaction is there for each handler."""
    rows = some_events(platform)
    calls: list[tuple[str, Session, list[str]]] = []

    def ahead(session: Session, events: Sequence[Event]) -> None:
        calls.append(("ahead", session, [e.id for e in events]))

    def note(session: Session, event: Event) -> None:
        calls.append(("handler", session, [event.id]))

    consumers = [Consumer(name="test.ahead", all_events=True, handler=note, read_ahead=ahead)]
    relay = OutboxRelay(platform.db, InProcessBus(platform.db, consumers), batch_size=100)

    assert relay.drain() == len(rows)

    ids = [row[0] for row in rows]
    assert [(kind, seen) for kind, _, seen in calls] == [
        ("ahead", ids),
        *[("handler", [event_id]) for event_id in ids],
    ]
    assert all(session is calls[0][1] for _, session, _ in calls)


def test_a_failing_read_ahead_leaves_the_handlers_to_read_for_themselves(
    platform: Platform,
) -> None:
    """A read-ahead is only an optimisation: should it fail (here after a statement the
    database refuses, which on PostgreSQL would spoil the transaction), the batch is still
    handled, once, and nothing it did stays."""
    rows = some_events(platform)

    def ahead(session: Session, _events: Sequence[Event]) -> None:
        session.execute(text("SELECT * FROM no_such_table"))

    consumers = [
        Consumer(
            name="test.counting",
            all_events=True,
            handler=ANALYTICS_CONSUMER.handler,
            read_ahead=ahead,
        )
    ]
    relay = OutboxRelay(platform.db, InProcessBus(platform.db, consumers), batch_size=100)

    assert relay.drain() == len(rows)

    assert counted(platform) == Counter(event_type for _, event_type, _ in rows)
    assert processed(platform, "test.counting") == sorted(row[0] for row in rows)


def test_a_handler_failing_mid_batch_undoes_only_its_own_writes(platform: Platform) -> None:
    """The events before the failing one stay handled; what the failing handler wrote is
    rolled back with it; the next run handles it, and the rest, once."""
    rows = some_events(platform)
    failing_on = {rows[2][0]}

    def count_then_fail(session: Session, event: Event) -> None:
        ANALYTICS_CONSUMER.handler(session, event)
        if event.id in failing_on:
            raise RuntimeError("failed after writing")

    consumers = [Consumer(name="test.counting", all_events=True, handler=count_then_fail)]
    relay = OutboxRelay(platform.db, InProcessBus(platform.db, consumers), batch_size=100)

    assert relay.publish_once() == 2

    assert counted(platform) == Counter(event_type for _, event_type, _ in rows[:2])
    assert processed(platform, "test.counting") == sorted(row[0] for row in rows[:2])
    failing_on.clear()
    assert relay.drain() == 3
    assert counted(platform) == Counter(event_type for _, event_type, _ in rows)
    assert processed(platform, "test.counting") == sorted(row[0] for row in rows)


def test_a_failing_batch_handler_hands_each_event_to_the_single_handler(
    platform: Platform,
) -> None:
    """When the batch handler raises, nothing of it stays, and each event of the batch goes
    through the single handler, once."""
    rows = some_events(platform)
    singles: list[str] = []

    def refuse(_session: Session, _events: Sequence[Event]) -> None:
        raise RuntimeError("the batch handler always fails")

    consumers = [
        Consumer(
            name="test.bulk",
            all_events=True,
            handler=lambda _session, event: singles.append(event.id),
            batch_handler=refuse,
        )
    ]
    relay = OutboxRelay(platform.db, InProcessBus(platform.db, consumers), batch_size=100)

    assert relay.drain() == 5

    assert singles == [row[0] for row in rows]
    assert processed(platform, "test.bulk") == sorted(singles)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_commit_that_wrote_events_notifies_the_relays_of_every_process(
    platform: Platform,
) -> None:
    """On PostgreSQL a transaction that wrote events NOTIFYs as it commits (one that wrote
    none, or rolled back, does not), and a relay LISTENing in another process publishes
    them then, not at its next poll an hour later."""
    url = platform.db.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
        with platform.db.transaction() as session:
            session.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError), platform.db.transaction() as session:
            record_event(
                session, ChannelCreated(code="kiosk", name="Kiosk", kind="store"), actor=OPERATOR
            )
            raise RuntimeError("rolled back")
        make_location(platform, "LYON1")
        listener.execute(f"NOTIFY {OUTBOX_CHANNEL}, 'end'")
        heard = []
        for notification in listener.notifies(timeout=60):
            if notification.payload == "end":
                break
            heard.append(notification.channel)
    assert heard == [OUTBOX_CHANNEL]

    stop, wake = threading.Event(), threading.Event()
    relay = platform.relay()
    running = threading.Thread(
        target=relay.run, args=(stop, wake), kwargs={"poll_seconds": 3600}, daemon=True
    )
    running.start()
    other = build_platform(platform.settings)  # its commits do not touch ``wake``
    try:
        make_location(other, "PARIS1")
        deadline = time.monotonic() + 60
        while [published for _, _, published in outbox(platform)] != [True, True]:
            assert time.monotonic() < deadline, "the relay was not woken by the commit"
            stop.wait(0.05)
    finally:
        stop.set()
        wake.set()
        running.join(timeout=30)
        other.close()
    assert not running.is_alive()


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


def test_concurrent_deliveries_of_one_batch_handle_each_event_once(platform: Platform) -> None:
    """Four workers delivering the same batch at once (redeliveries racing the first): each
    event is counted once, and what each says it handled adds up to the batch."""
    events = [
        Event(type="test.delivered", subject=f"tests/{n}", data={}, source="/channels/system")
        for n in range(20)
    ]
    start = threading.Barrier(4)
    results: list[int] = []

    def worker() -> None:
        start.wait(timeout=30)
        results.append(deliver_batch(platform.db, ANALYTICS_CONSUMER, events))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(results) == 20
    assert counted(platform) == Counter({"test.delivered": 20})
    assert processed(platform, ANALYTICS_CONSUMER.name) == sorted(event.id for event in events)


class _Recording:
    """A publisher that accepts every event and remembers the batches it was handed."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def publish(self, events: Sequence[Event]) -> int:
        self.batches.append([event.subject for event in events])
        return len(events)

    def close(self) -> None:
        pass


def test_a_woken_relay_lets_the_next_commits_join_its_batch(platform: Platform) -> None:
    """Woken by a commit, the relay waits its linger before it reads the outbox: the events
    of the commits made meanwhile go out in the same batch, so each consumer opens one
    transaction for all of them instead of one per commit."""
    publisher = _Recording()
    relay = OutboxRelay(platform.db, publisher)
    stop, wake = threading.Event(), threading.Event()
    running = threading.Thread(
        target=relay.run,
        args=(stop, wake),
        kwargs={"poll_seconds": 3600, "linger_seconds": 1.5},
        daemon=True,
    )
    running.start()

    def published(count: int) -> None:
        deadline = time.monotonic() + 60
        while sum(len(batch) for batch in publisher.batches) < count:
            assert time.monotonic() < deadline, "the relay did not publish the events"
            stop.wait(0.05)

    try:
        with platform.db.transaction() as session:
            record_event(session, _channel("zero"), actor=OPERATOR)
        wake.set()
        published(1)  # the relay is up, and waits for the next commit
        for code in ("one", "two", "three"):
            with platform.db.transaction() as session:
                record_event(session, _channel(code), actor=OPERATOR)
            wake.set()
            stop.wait(0.2)  # a relay reading at once would have taken "one" alone
        published(4)
    finally:
        stop.set()
        wake.set()
        running.join(timeout=30)
    assert publisher.batches == [
        ["channels/zero"],
        ["channels/one", "channels/two", "channels/three"],
    ]


def _outbox_inserts(platform: Platform) -> tuple[list[str], Callable[[], None]]:
    """The INSERTs into the outbox sent from now on, and how to stop noting them."""
    inserts: list[str] = []

    def note(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            inserts.append(statement)

    sqla_event.listen(platform.db.write_engine, "before_cursor_execute", note)
    return inserts, lambda: sqla_event.remove(
        platform.db.write_engine, "before_cursor_execute", note
    )


def _channel(code: str) -> ChannelCreated:
    return ChannelCreated(code=code, name=code.title(), kind="store")


def test_a_transactions_events_go_to_the_outbox_in_one_insert_in_the_order_recorded(
    platform: Platform,
) -> None:
    """Events recorded between queries are written together as the transaction commits, in
    the order they were recorded."""
    inserts, stop = _outbox_inserts(platform)
    try:
        with platform.db.transaction() as session:
            for code in ("one", "two", "three"):
                record_event(session, _channel(code), actor=OPERATOR)
                session.execute(select(StockLevel).limit(1))
    finally:
        stop()

    assert len(inserts) == 1
    with platform.db.reading() as session:
        subjects = list(session.scalars(select(OutboxEvent.subject).order_by(OutboxEvent.seq)))
    assert subjects == ["channels/one", "channels/two", "channels/three"]


def test_many_events_of_a_transaction_go_in_one_copy_on_postgresql_in_order(
    platform: Platform,
) -> None:
    """From ``COPY_FROM_EVENTS`` events, PostgreSQL takes them as one COPY (no INSERT whose
    parameters change with their number); SQLite as one INSERT. Same rows, same order."""
    codes = [f"store-{n:02}" for n in range(COPY_FROM_EVENTS * 3)]
    inserts, stop = _outbox_inserts(platform)
    try:
        with platform.db.transaction() as session:
            for code in codes:
                record_event(session, _channel(code), actor=OPERATOR)
    finally:
        stop()

    assert len(inserts) == (0 if platform.db.dialect == "postgresql" else 1)
    with platform.db.reading() as session:
        written = session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)).all()
    assert [event.subject for event in written] == [f"channels/{code}" for code in codes]
    assert all(not event.published and event.attempts == 0 for event in written)
    assert written[0].data["code"] == codes[0]
    assert written[0].time.tzinfo is not None


def test_the_events_of_a_rolled_back_savepoint_are_not_written(platform: Platform) -> None:
    """A savepoint rolled back takes its events with it; those around it stay, in order."""
    with platform.db.transaction() as session:
        record_event(session, _channel("before"), actor=OPERATOR)
        with pytest.raises(RuntimeError), session.begin_nested():
            record_event(session, _channel("undone"), actor=OPERATOR)
            raise RuntimeError("the savepoint rolls back")
        with session.begin_nested():
            record_event(session, _channel("kept"), actor=OPERATOR)
        record_event(session, _channel("after"), actor=OPERATOR)

    with platform.db.reading() as session:
        subjects = list(session.scalars(select(OutboxEvent.subject).order_by(OutboxEvent.seq)))
    assert subjects == ["channels/before", "channels/kept", "channels/after"]


def test_a_read_of_the_outbox_in_the_transaction_sees_the_events_it_recorded(
    platform: Platform,
) -> None:
    """The events recorded so far are written before a statement of the transaction reads
    the outbox (erasure scrubs the events of the very transaction that erases)."""
    with platform.db.transaction() as session:
        recorded = record_event(session, _channel("kiosk"), actor=OPERATOR)
        found = session.scalars(
            select(OutboxEvent.id).where(OutboxEvent.subject == "channels/kiosk")
        )
        assert list(found) == [recorded.id]
        record_event(session, _channel("later"), actor=OPERATOR)

    assert [event_type for _, event_type, _ in outbox(platform)] == ["network.channel_created"] * 2
