"""The NATS JetStream adapter against a real server: publisher, relay, worker, durable consumers.

Set ``OMNICANAL_TEST_NATS_URL`` (e.g. ``nats://127.0.0.1:4222``, JetStream enabled) to run
the tests that need the server. Each test has its own stream and subject prefix and deletes
the stream at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import nats.js.errors
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.analytics.models import DailyEventCount
from omnicanal.analytics.service import CONSUMERS as ANALYTICS
from omnicanal.events_catalogue import load_events
from omnicanal.inventory.events import StockMoved, StockReserved
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.bus import Consumer, deliver
from omnicanal.platform.config import Settings
from omnicanal.platform.events import (
    DomainEvent,
    Event,
    OutboxEvent,
    ProcessedEvent,
    record_event,
)
from omnicanal.platform.nats import (
    NatsPublisher,
    durable_name,
    filter_subjects,
)
from omnicanal.platform.wiring import Platform
from omnicanal.platform.worker import retry_delay, run_worker
from tests.builders import make_location, make_product, receive
from tests.conftest import NATS_URL, free_port, make_platform

ANALYTICS_CONSUMER = ANALYTICS[0]
INVENTORY_EVENTS = tuple(
    declared for declared in load_events().values() if declared.type.startswith("inventory.")
)


class BulkRecorded(DomainEvent):
    """One of many events a test commits at once."""

    type = "test.bulk"
    example = {"n": 1}

    n: int

    @property
    def subject(self) -> str:
        return f"tests/{self.n}"


# --- helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """A message as stored in the stream."""

    seq: int
    subject: str
    msg_id: str
    body: dict[str, Any]


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, what: str, every: float = 0.05
) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


# The test's own look at the stream: a loaded machine may take seconds to answer, so the
# client waits far longer than nats-py's 5 s defaults (connect, and each JetStream request).
CLIENT_TIMEOUT = 60


async def _with_js(work: Callable[[Any], Any]) -> Any:
    assert NATS_URL is not None
    client = await nats.connect(NATS_URL, connect_timeout=CLIENT_TIMEOUT, max_reconnect_attempts=1)
    try:
        return await work(client.jetstream(timeout=CLIENT_TIMEOUT))
    finally:
        await client.close()


def stream_count(settings: Settings) -> int:
    """How many messages the test's stream holds (0 if it does not exist yet)."""

    async def count(js: Any) -> int:
        try:
            return int((await js.stream_info(settings.nats_stream)).state.messages)
        except nats.js.errors.NotFoundError:
            return 0

    return int(asyncio.run(_with_js(count)))


def stream_messages(settings: Settings) -> list[Message]:
    """Every message in the test's stream, in stream order."""

    async def read(js: Any) -> list[Message]:
        state = (await js.stream_info(settings.nats_stream)).state
        messages: list[Message] = []
        sequences = list(range(state.first_seq, state.last_seq + 1)) if state.messages else []
        for start in range(0, len(sequences), 500):
            raws = await asyncio.gather(
                *(js.get_msg(settings.nats_stream, seq) for seq in sequences[start : start + 500])
            )
            messages.extend(
                Message(raw.seq, raw.subject, raw.headers["Nats-Msg-Id"], json.loads(raw.data))
                for raw in raws
            )
        return messages

    return list(asyncio.run(_with_js(read)))


def delete_stream(settings: Settings) -> None:
    async def delete(js: Any) -> None:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(settings.nats_stream)

    asyncio.run(_with_js(delete))


def consumer_caught_up(settings: Settings, durable: str) -> bool:
    """Whether ``durable`` has acknowledged every message in the stream."""

    async def check(js: Any) -> bool:
        stream = (await js.stream_info(settings.nats_stream)).state
        try:
            info = await js.consumer_info(settings.nats_stream, durable)
        except nats.js.errors.NotFoundError:
            return False
        return bool(
            stream.messages
            and info.num_pending == 0
            and info.num_ack_pending == 0
            and info.ack_floor.consumer_seq == info.delivered.consumer_seq
        )

    return bool(asyncio.run(_with_js(check)))


def outbox(platform: Platform) -> list[tuple[str, str, bool]]:
    """Every outbox row as (id, type, published), in commit order."""
    with platform.db.reading() as session:
        return [
            (row.id, row.type, row.published)
            for row in session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
        ]


def outbox_events(platform: Platform) -> list[Event]:
    with platform.db.reading() as session:
        return [
            row.to_event() for row in session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
        ]


def unpublished(platform: Platform) -> int:
    with platform.db.reading() as session:
        return int(
            session.scalar(select(func.count()).where(OutboxEvent.published.is_(False))) or 0
        )


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
    with platform.db.reading() as session:
        return sorted(
            session.scalars(
                select(ProcessedEvent.event_id).where(ProcessedEvent.consumer == consumer)
            )
        )


def some_events(platform: Platform) -> list[tuple[str, str, bool]]:
    """A store, a product and two receipts through the real use cases; the outbox after."""
    make_location(platform, "LYON1")
    (sku,) = make_product(platform, "ROBE1")
    receive(platform, sku, "LYON1", 5)
    receive(platform, sku, "LYON1", 2)
    return outbox(platform)


def bulk_events(platform: Platform, count: int) -> None:
    """``count`` events committed in one transaction."""
    with platform.db.transaction() as session:
        for n in range(count):
            record_event(session, BulkRecorded(n=n), actor=OPERATOR)


class WorkerThread:
    """``run_worker`` in a thread of the test process, stopped at the end."""

    def __init__(self, platform: Platform) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=run_worker, args=(platform,), kwargs={"stop": self.stop}, daemon=True
        )

    def __enter__(self) -> WorkerThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the worker did not stop within 60s"


class WorkerProcess:
    """``omnicanal worker`` as a separate process, logging to a file."""

    def __init__(self, platform: Platform, log: Path) -> None:
        settings = platform.settings
        self.log = log
        self.env = {
            **os.environ,
            "OMNICANAL_DATABASE_URL": settings.resolved_database_url(),
            "OMNICANAL_BUS_URL": settings.bus_url,
            "OMNICANAL_NATS_STREAM": settings.nats_stream,
            "OMNICANAL_NATS_SUBJECT_PREFIX": settings.nats_subject_prefix,
            "OMNICANAL_RELAY_BATCH_SIZE": "50",
            "OMNICANAL_RELAY_POLL_SECONDS": "0.2",
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "omnicanal", "worker"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self) -> int:
        """SIGTERM, and the exit status once it has stopped."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def ensure_dead(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def nats_platform(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Platform]:
    """A migrated, empty database on ``backend`` whose bus is a fresh stream on the test server."""
    if not NATS_URL:
        pytest.skip("NATS tests need OMNICANAL_TEST_NATS_URL (a NATS server with JetStream)")
    tag = uuid.uuid4().hex[:12]
    platform = make_platform(
        backend,
        tmp_path,
        request,
        bus_url=NATS_URL,
        nats_stream=f"TEST_{tag}",
        nats_subject_prefix=f"test{tag}.events",
        relay_poll_seconds=0.2,
    )
    yield platform
    platform.close()
    delete_stream(platform.settings)


# --- subjects and names (no server needed) ------------------------------------------------------


def test_the_event_classes_of_a_consumer_become_its_subject_filters() -> None:
    """One filter per declared event type; a consumer of every event takes the whole prefix."""
    reserving = Consumer(
        name="test.reserving", events=(StockReserved, StockMoved), handler=lambda _s, _e: None
    )

    assert filter_subjects("oc.events", reserving) == [
        "oc.events.inventory.reserved",
        "oc.events.inventory.stock_moved",
    ]
    assert filter_subjects("oc.events", ANALYTICS_CONSUMER) == ["oc.events.>"]
    assert durable_name("analytics.event_counts") == "analytics_event_counts"
    assert [retry_delay(n) for n in (1, 2, 3, 20)] == [0.5, 1.0, 2.0, 60.0]


def test_a_publisher_that_cannot_reach_nats_accepts_nothing_and_does_not_raise() -> None:
    """With no server listening, publish() returns 0 within its timeout; the relay retries."""
    publisher = NatsPublisher(Settings(bus_url=f"nats://127.0.0.1:{free_port()}"))
    event = Event(type="test.lost", subject="tests/1", data={}, source="/channels/system")
    started = time.monotonic()
    try:
        assert publisher.publish([event]) == 0
    finally:
        publisher.close()
    assert time.monotonic() - started < 30


# --- the publisher and the relay ----------------------------------------------------------------


@pytest.mark.nats
def test_committed_events_are_published_to_the_stream_once_each(nats_platform: Platform) -> None:
    """The relay publishes each committed event once, in commit order, as a CloudEvent."""
    settings = nats_platform.settings
    rows = some_events(nats_platform)
    relay = nats_platform.relay()
    try:
        assert relay.drain() == 5
        assert relay.drain() == 0
        messages = stream_messages(settings)
        assert [m.subject for m in messages] == [
            f"{settings.nats_subject_prefix}.{event_type}" for _, event_type, _ in rows
        ]
        assert [m.msg_id for m in messages] == [event_id for event_id, _, _ in rows]
        assert [m.body["id"] for m in messages] == [event_id for event_id, _, _ in rows]
        assert {m.body["specversion"] for m in messages} == {"1.0"}
        assert messages[0].body["data"]["code"] == "LYON1"
        assert outbox(nats_platform) == [(i, t, True) for i, t, _ in rows]

        make_location(nats_platform, "PARIS1")
        assert relay.drain() == 1
        assert relay.drain() == 0
        assert stream_count(settings) == 6
    finally:
        relay.publisher.close()


@pytest.mark.nats
def test_a_relay_killed_between_publish_and_mark_leaves_one_message_per_event(
    nats_platform: Platform,
) -> None:
    """Events published but never marked are published again on restart and deduplicated."""
    settings = nats_platform.settings
    rows = some_events(nats_platform)
    crashed = NatsPublisher(settings)
    try:
        assert crashed.publish(outbox_events(nats_platform)[:3]) == 3  # then the process died
    finally:
        crashed.close()
    assert unpublished(nats_platform) == 5
    assert stream_count(settings) == 3

    relay = nats_platform.relay()
    try:
        assert relay.drain() == 5
    finally:
        relay.publisher.close()

    messages = stream_messages(settings)
    assert stream_count(settings) == 5
    assert sorted(m.msg_id for m in messages) == sorted(event_id for event_id, _, _ in rows)
    assert len({m.body["id"] for m in messages}) == 5
    assert unpublished(nats_platform) == 0


@pytest.mark.nats
def test_a_killed_worker_restarted_publishes_every_event_once(
    nats_platform: Platform, tmp_path: Path
) -> None:
    """SIGKILL a worker mid-outbox, restart two: one message and one count per event."""
    settings = nats_platform.settings
    total = 3000
    bulk_events(nats_platform, total)
    first = WorkerProcess(nats_platform, tmp_path / "worker-1.log")
    # Small batches: hundreds of them to publish, so the worker is still mid-outbox when this
    # test sees its first messages and kills it, however the load shares the machine.
    first.env["OMNICANAL_RELAY_BATCH_SIZE"] = "5"
    restarted = [WorkerProcess(nats_platform, tmp_path / f"worker-{n}.log") for n in (2, 3)]

    def logs() -> str:
        return "\n".join(worker.tail() for worker in restarted)

    try:
        first.start()
        # Killed as soon as it has published anything; its start-up (imports, connection)
        # may take long under load.
        wait_until(
            lambda: stream_count(settings) > 0,
            timeout=180,
            every=0.005,
            what=f"the first worker to publish\n{first.tail()}",
        )
        first.kill()
        in_stream_at_kill = stream_count(settings)
        marked_at_kill = total - unpublished(nats_platform)
        assert 0 < in_stream_at_kill < total, first.tail()
        assert marked_at_kill <= in_stream_at_kill  # rows are marked only once acknowledged

        for worker in restarted:  # two relays on one outbox, two workers on one durable
            worker.start()
        wait_until(
            lambda: unpublished(nats_platform) == 0,
            timeout=180,
            what=f"the outbox to be published\n{logs()}",
        )
        wait_until(
            lambda: counted(nats_platform)["test.bulk"] == total,
            timeout=300,
            what=f"the analytics consumer to count every event\n{logs()}",
        )
        wait_until(
            lambda: consumer_caught_up(settings, durable_name(ANALYTICS_CONSUMER.name)),
            timeout=120,
            what="the analytics consumer to ack everything",
        )
        assert [worker.terminate() for worker in restarted] == [0, 0], logs()
    finally:
        first.ensure_dead()
        for worker in restarted:
            worker.ensure_dead()

    messages = stream_messages(settings)
    assert stream_count(settings) == total
    assert len({m.msg_id for m in messages}) == total
    assert {m.body["id"] for m in messages} == {event.id for event in outbox_events(nats_platform)}
    assert counted(nats_platform) == Counter({"test.bulk": total})
    assert len(processed(nats_platform, ANALYTICS_CONSUMER.name)) == total
    assert [worker.tail().count("worker stopped") for worker in restarted] == [1, 1]


# --- durable consumers --------------------------------------------------------------------------


@pytest.mark.nats
def test_the_durable_consumer_counts_each_event_once_even_when_delivered_twice(
    nats_platform: Platform,
) -> None:
    """A second message carrying the same CloudEvent id is acked without being counted again."""
    settings = nats_platform.settings
    durable = durable_name(ANALYTICS_CONSUMER.name)
    with WorkerThread(nats_platform):
        rows = some_events(nats_platform)
        expected = Counter(event_type for _, event_type, _ in rows)
        wait_until(
            lambda: counted(nats_platform) == expected,
            timeout=30,
            what="the analytics consumer to count the events",
        )

        again = outbox_events(nats_platform)[0]
        body = json.dumps(again.to_cloudevent()).encode()
        subject = f"{settings.nats_subject_prefix}.{again.type}"

        async def republish(js: Any) -> tuple[bool, bool]:
            same_id = await js.publish(subject, body, headers={"Nats-Msg-Id": again.id})
            new_id = await js.publish(subject, body, headers={"Nats-Msg-Id": f"{again.id}-again"})
            return bool(same_id.duplicate), bool(new_id.duplicate)

        assert asyncio.run(_with_js(republish)) == (True, False)
        assert stream_count(settings) == 6
        wait_until(
            lambda: consumer_caught_up(settings, durable),
            timeout=30,
            what="the analytics consumer to ack the repeated event",
        )

    assert counted(nats_platform) == expected
    assert processed(nats_platform, ANALYTICS_CONSUMER.name) == sorted(row[0] for row in rows)
    assert deliver(nats_platform.db, ANALYTICS_CONSUMER, again) is False
    assert counted(nats_platform) == expected


@pytest.mark.nats
def test_a_consumer_that_fails_gets_the_event_again_until_it_succeeds(
    nats_platform: Platform,
) -> None:
    """A handler that raises is nak'ed and redelivered; each event takes effect once."""
    attempts: Counter[str] = Counter()
    handled: list[str] = []
    lock = threading.Lock()

    def flaky(_session: Session, event: Event) -> None:
        with lock:
            attempts[event.id] += 1
            if attempts[event.id] == 1:
                raise RuntimeError("the first try always fails")
            handled.append(event.id)

    nats_platform.consumers.append(
        Consumer(name="test.flaky", events=INVENTORY_EVENTS, handler=flaky)
    )
    with WorkerThread(nats_platform):
        rows = some_events(nats_platform)
        inventory_ids = [i for i, t, _ in rows if t.startswith("inventory.")]
        wait_until(
            lambda: sorted(handled) == sorted(inventory_ids),
            timeout=30,
            what="the flaky consumer to handle every inventory event",
        )
        wait_until(
            lambda: consumer_caught_up(nats_platform.settings, "test_flaky"),
            timeout=30,
            what="the flaky consumer to ack everything",
        )

    assert len(inventory_ids) == 3
    assert sorted(handled) == sorted(inventory_ids)
    assert attempts == Counter({event_id: 2 for event_id in inventory_ids})
    assert processed(nats_platform, "test.flaky") == sorted(inventory_ids)


@pytest.mark.nats
def test_a_batch_consumer_gets_the_events_that_piled_up_in_one_transaction(
    nats_platform: Platform,
) -> None:
    """Events waiting in the stream reach a batch handler together, each exactly once; a
    consumer without one gets them in one transaction too, one handler call each."""
    batches: list[list[str]] = []
    sessions: list[Session] = []
    singles: list[str] = []

    def single(session: Session, event: Event) -> None:
        sessions.append(session)
        singles.append(event.id)

    nats_platform.consumers += [
        Consumer(
            name="test.bulk",
            events=(BulkRecorded,),
            handler=lambda _session, event: batches.append([event.id]),
            batch_handler=lambda _session, events: batches.append([e.id for e in events]),
        ),
        Consumer(name="test.single", events=(BulkRecorded,), handler=single),
    ]
    bulk_events(nats_platform, 20)
    assert nats_platform.relay().drain() == 20
    ids = [event_id for event_id, _, _ in outbox(nats_platform)]
    with WorkerThread(nats_platform):
        for durable in ("test_bulk", "test_single"):
            wait_until(
                lambda durable=durable: consumer_caught_up(nats_platform.settings, durable),
                timeout=30,
                what=f"{durable} to ack everything",
            )

    assert sorted(e for batch in batches for e in batch) == sorted(ids)
    assert len(batches) < 20
    assert processed(nats_platform, "test.bulk") == sorted(ids)
    assert sorted(singles) == sorted(ids)
    assert len({id(session) for session in sessions}) < 20
    assert processed(nats_platform, "test.single") == sorted(ids)


@pytest.mark.nats
def test_a_failing_batch_is_delivered_again_one_event_at_a_time(
    nats_platform: Platform,
) -> None:
    """When the batch handler raises, each event goes through the single handler, once."""
    singles: list[str] = []

    def refuse(_session: Session, _events: Any) -> None:
        raise RuntimeError("the batch handler always fails")

    nats_platform.consumers.append(
        Consumer(
            name="test.bulk",
            events=(BulkRecorded,),
            handler=lambda _session, event: singles.append(event.id),
            batch_handler=refuse,
        )
    )
    bulk_events(nats_platform, 5)
    assert nats_platform.relay().drain() == 5
    ids = [event_id for event_id, _, _ in outbox(nats_platform)]
    with WorkerThread(nats_platform):
        wait_until(
            lambda: consumer_caught_up(nats_platform.settings, "test_bulk"),
            timeout=30,
            what="the consumer to ack everything",
        )

    assert sorted(singles) == sorted(ids)
    assert processed(nats_platform, "test.bulk") == sorted(ids)
