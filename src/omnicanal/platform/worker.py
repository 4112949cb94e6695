"""The ``omnicanal worker`` process: the outbox relay, the periodic jobs and the durable
consumers, until SIGTERM or SIGINT.

Each consumer (``omnicanal.platform.bus.Consumer``) is a durable pull consumer on the event
stream (``omnicanal.platform.nats``): several worker processes share its messages. A consumer
fetches what has piled up, up to its ``batch_size`` messages, and handles them in one
transaction (``bus.deliver_batch``, which also remembers the event ids, so a redelivery takes
effect once); a message is acknowledged once that transaction has committed. Should the
handler raise on one event, the events before it are committed and acknowledged, that one is
negatively acknowledged, to retry later, and the rest go on in a batch of their own; should
the whole batch fail (a batch handler raised), each message is delivered on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from omnicanal.platform import heap
from omnicanal.platform.bus import Consumer, HandlerFailed, deliver, deliver_batch
from omnicanal.platform.events import Event
from omnicanal.platform.nats import (
    ACK_WAIT_SECONDS,
    MSG_ID_HEADER,
    connect,
    durable_name,
    ensure_stream,
    filter_subjects,
    subscribe,
)
from omnicanal.platform.wiring import Platform

__all__ = ["retry_delay", "run_worker"]

log = logging.getLogger(__name__)

T = TypeVar("T")

FETCH_TIMEOUT_SECONDS = 1.0
RETRY_BASE_SECONDS = 0.5
RETRY_MAX_SECONDS = 60.0
STATS_EVERY_SECONDS = 30.0


def _install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM and SIGINT set ``stop`` (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum: int, _frame: object) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


async def _wait(stop: threading.Event, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def retry_delay(deliveries: int) -> float:
    """Seconds before a failed delivery is tried again: doubling, capped."""
    return float(min(RETRY_BASE_SECONDS * 2 ** max(deliveries - 1, 0), RETRY_MAX_SECONDS))


class _ConsumerLoop:
    """One durable pull consumer: fetch, deliver, ack; until ``stop`` is set."""

    def __init__(self, platform: Platform, consumer: Consumer, stop: threading.Event) -> None:
        self.platform = platform
        self.consumer = consumer
        self.stop = stop
        self.durable = durable_name(consumer.name)
        self.subjects = filter_subjects(platform.settings.nats_subject_prefix, consumer)
        self.handled = self.repeats = self.failed = 0
        self._last_stats = time.monotonic()
        # A consumer takes what has piled up, up to a batch, and handles it in one
        # transaction (``fetch`` answers with what is there, waiting only when nothing is).
        self.fetch_size = consumer.batch_size

    async def subscribe(self, js: JetStreamContext) -> JetStreamContext.PullSubscription:
        return await subscribe(
            js,
            stream=self.platform.settings.nats_stream,
            durable=self.durable,
            subjects=self.subjects,
        )

    async def run(self, js: JetStreamContext) -> None:
        subscription = None
        while subscription is None and not self.stop.is_set():
            try:
                subscription = await self.subscribe(js)
            except Exception as error:
                log.warning("cannot bind consumer %s (%s); retrying", self.durable, error)
                await _wait(self.stop, 2)
        while subscription is not None and not self.stop.is_set():
            try:
                messages = await subscription.fetch(self.fetch_size, timeout=FETCH_TIMEOUT_SECONDS)
            except TimeoutError:
                messages = []
            except Exception as error:
                log.warning("fetch for %s failed (%s); retrying", self.durable, error)
                await _wait(self.stop, 1)
                continue
            if len(messages) > 1 and not self.stop.is_set():
                messages = await self.handle_batch(messages)
            for message in messages:
                try:
                    if self.stop.is_set():
                        await message.nak()  # hand it to another worker now
                    else:
                        await self.handle(message)
                except Exception as error:
                    log.warning(
                        "ack for %s failed (%s); it will be redelivered", self.durable, error
                    )
            self._log_stats()
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        self._log_stats(force=True)

    async def handle(self, message: Msg) -> None:
        """Deliver one message to the consumer; ack it, or nak it to retry later."""
        try:
            event = Event.from_cloudevent(json.loads(message.data))
        except (ValueError, KeyError, TypeError) as error:
            log.error(
                "%s: message %s on %s is not a CloudEvent (%s); dropped",
                self.durable,
                (message.headers or {}).get(MSG_ID_HEADER),
                message.subject,
                error,
            )
            await message.term()
            return
        if not self.consumer.wants(event.type):
            await message.ack()
            return
        try:
            first = await self._in_thread(
                [message], deliver, self.platform.db, self.consumer, event
            )
        except Exception as error:
            await self._retry_later(message, event, error)
            return
        await message.ack()
        self.handled += 1
        self.repeats += not first

    async def handle_batch(self, messages: list[Msg]) -> list[Msg]:
        """Deliver the events of many messages in one transaction and ack them; returns the
        messages left to handle one by one (those that are not this consumer's events, and
        all of them if the batch failed as a whole: each then retries, or fails, on its
        own). A handler failing on one event leaves it to be redelivered later."""
        events: list[Event] = []
        wanted: list[Msg] = []
        rest: list[Msg] = []
        for message in messages:
            try:
                event = Event.from_cloudevent(json.loads(message.data))
            except (ValueError, KeyError, TypeError):
                rest.append(message)  # ``handle`` drops it, saying why
                continue
            if self.consumer.wants(event.type):
                events.append(event)
                wanted.append(message)
            else:
                rest.append(message)
        while events:
            try:
                fresh = await self._in_thread(
                    wanted, deliver_batch, self.platform.db, self.consumer, events
                )
            except HandlerFailed as failure:
                done, failing = wanted[: failure.position], wanted[failure.position]
                await self._ack(done)
                self.handled += len(done)
                await self._retry_later(failing, failure.event, failure.__cause__)
                events = events[failure.position + 1 :]
                wanted = wanted[failure.position + 1 :]
                continue
            except Exception:
                log.exception(
                    "%s failed on a batch of %d events; delivering them one by one",
                    self.consumer.name,
                    len(events),
                )
                return wanted + rest
            await self._ack(wanted)
            self.handled += len(events)
            self.repeats += len(events) - fresh
            break
        return rest

    async def _ack(self, messages: list[Msg]) -> None:
        for message in messages:
            try:
                await message.ack()
            except Exception as error:
                log.warning("ack for %s failed (%s); it will be redelivered", self.durable, error)

    async def _retry_later(self, message: Msg, event: Event, error: BaseException | None) -> None:
        """Nak a message whose handler failed, to have it redelivered after a delay."""
        self.failed += 1
        delay = retry_delay(message.metadata.num_delivered)
        log.error(
            "%s failed on event %s (%s), delivery %d; retrying in %.1fs",
            self.consumer.name,
            event.id,
            event.type,
            message.metadata.num_delivered,
            delay,
            exc_info=error,
        )
        try:
            await message.nak(delay=delay)
        except Exception as nak_error:
            log.warning("nak for %s failed (%s); it will be redelivered", self.durable, nak_error)

    async def _in_thread(self, messages: list[Msg], work: Callable[..., T], *args: object) -> T:
        """Run ``work`` in a thread; tell JetStream the messages are in progress meanwhile."""
        running = asyncio.ensure_future(asyncio.to_thread(work, *args))
        while True:
            done, _ = await asyncio.wait({running}, timeout=ACK_WAIT_SECONDS / 3)
            if done:
                return running.result()
            for message in messages:
                with contextlib.suppress(Exception):
                    await message.in_progress()

    def _log_stats(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_stats < STATS_EVERY_SECONDS:
            return
        if self.handled or self.failed:
            log.info(
                "%s: handled %d events (%d repeats skipped), %d failures",
                self.consumer.name,
                self.handled,
                self.repeats,
                self.failed,
            )
        self.handled = self.repeats = self.failed = 0
        self._last_stats = now


async def _consume(platform: Platform, stop: threading.Event) -> None:
    """Run every consumer against JetStream until ``stop`` is set."""
    client: Client | None = None
    while client is None and not stop.is_set():
        try:
            client = await connect(platform.settings, name="omnicanal-worker")
            js = client.jetstream()
            await ensure_stream(js, platform.settings)
        except Exception as error:
            log.warning(
                "cannot reach NATS at %s (%s); retrying",
                platform.settings.bus_url,
                error or type(error).__name__,
            )
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.close()
                client = None
            await _wait(stop, 2)
    if client is None:
        return
    loops = [_ConsumerLoop(platform, consumer, stop) for consumer in platform.consumers]
    tasks = [asyncio.create_task(loop.run(js), name=loop.durable) for loop in loops]
    try:
        while not stop.is_set():
            await asyncio.sleep(0.1)
        # Let each loop finish the message it is on (bounded by the fetch timeout).
        if tasks:
            await asyncio.wait(tasks, timeout=ACK_WAIT_SECONDS)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await client.close()


def run_worker(
    platform: Platform, *, stop: threading.Event | None = None, settle_heap: bool = False
) -> None:
    """Relay the outbox, run the periodic jobs (expiry, erasures, retention) and the durable
    consumers until stopped. ``settle_heap``: once they are started, set what start-up built
    aside from garbage collection (:mod:`omnicanal.platform.heap`; ``omnicanal worker``)."""
    stop = stop or threading.Event()
    restore_signals = _install_signal_handlers(stop)
    settings = platform.settings
    wake = threading.Event()
    relay = platform.relay()
    platform.db.on_events_committed(wake.set)
    threads = [
        threading.Thread(
            target=relay.run,
            args=(stop, wake),
            kwargs={
                "poll_seconds": settings.relay_poll_seconds,
                "linger_seconds": settings.relay_linger_seconds,
            },
            name="outbox-relay",
            daemon=True,
        ),
    ]
    for thread in threads:
        thread.start()
    threads += platform.run_jobs(stop)
    if settle_heap:
        heap.settle()
    bus = (
        "the in-process bus"
        if platform.embedded_bus
        else (f"stream {settings.nats_stream} at {settings.bus_url}")
    )
    log.info(
        "worker started: relaying the outbox (batches of %d) to %s; consumers: %s",
        settings.relay_batch_size,
        bus,
        ", ".join(consumer.name for consumer in platform.consumers) or "none",
    )
    try:
        if platform.embedded_bus:
            while not stop.wait(0.5):
                pass
        else:
            asyncio.run(_consume(platform, stop))
    finally:
        stop.set()
        wake.set()
        for thread in threads:
            thread.join(timeout=30)
        relay.publisher.close()
        restore_signals()
        log.info("worker stopped")
