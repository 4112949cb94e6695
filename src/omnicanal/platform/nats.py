"""The NATS JetStream adapter: the outbox publisher and the ``omnicanal worker`` process.

Events go to one stream (``settings.nats_stream``), on the subject
``{settings.nats_subject_prefix}.{event.type}``, as structured-mode CloudEvents JSON with the
header ``Nats-Msg-Id: {event.id}``. JetStream drops a message whose id it has seen within the
stream's duplicate window, so a relay that re-publishes a batch after a crash (or two relays
publishing the same rows) leaves one message per event in the stream.

Each consumer (``omnicanal.platform.bus.Consumer``) is a durable pull consumer on that stream:
several worker processes share its messages; a message is acknowledged once the handler's
transaction has committed (``bus.deliver``, which also remembers the event id, so a
redelivery takes effect once) and negatively acknowledged, to retry later, if it raised. A
consumer with a ``batch_handler`` (the real-time matcher) fetches up to its ``batch_size``
messages and handles them in one transaction (``bus.deliver_batch``); should that fail, each
message is delivered on its own.

nats-py is asyncio and the relay is synchronous: the publisher runs its own event loop in a
background thread and hands it coroutines with ``asyncio.run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StorageType

from omnicanal.platform.bus import Consumer, deliver, deliver_batch
from omnicanal.platform.config import Settings
from omnicanal.platform.erasure import mentions
from omnicanal.platform.events import Event
from omnicanal.platform.wiring import Platform

log = logging.getLogger(__name__)

T = TypeVar("T")

MSG_ID_HEADER = "Nats-Msg-Id"
CONNECT_TIMEOUT_SECONDS = 5.0
PUBLISH_TIMEOUT_SECONDS = 10.0
FETCH_BATCH = 20
FETCH_TIMEOUT_SECONDS = 1.0
ACK_WAIT_SECONDS = 10.0
RETRY_BASE_SECONDS = 0.5
RETRY_MAX_SECONDS = 60.0
STATS_EVERY_SECONDS = 30.0
SCRUB_BATCH = 500


def subject_for(prefix: str, event_type: str) -> str:
    """The subject an event of ``event_type`` is published on."""
    return f"{prefix}.{event_type}"


def filter_subject(prefix: str, pattern: str) -> str:
    """A NATS subject filter matching at least the event types ``pattern`` matches.

    Consumer patterns are ``fnmatch`` patterns, whose ``*`` also matches dots, so the filter
    ends in ``>`` from the first token holding a wildcard: ``*`` → ``{prefix}.>``,
    ``inventory.*`` → ``{prefix}.inventory.>``. The worker checks ``Consumer.wants`` as well.
    """
    tokens: list[str] = []
    for token in pattern.split("."):
        if any(char in token for char in "*?["):
            tokens.append(">")
            break
        tokens.append(token)
    return ".".join([prefix, *tokens])


def filter_subjects(prefix: str, patterns: Sequence[str]) -> list[str]:
    """The subject filters of a consumer's patterns, without repeats."""
    subjects = list(dict.fromkeys(filter_subject(prefix, pattern) for pattern in patterns))
    everything = f"{prefix}.>"
    return [everything] if everything in subjects or not subjects else subjects


def durable_name(consumer_name: str) -> str:
    """The JetStream durable name of a consumer (no dots, wildcards or spaces allowed)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", consumer_name)


def _servers(url: str) -> list[str]:
    return [server.strip() for server in url.split(",") if server.strip()]


async def connect(settings: Settings, *, name: str) -> Client:
    """Connect to the configured NATS servers; fail after a few seconds, reconnect forever."""
    client = Client()

    async def on_error(error: Exception) -> None:
        log.warning("nats (%s): %s", name, error or type(error).__name__)

    async def on_disconnected() -> None:
        if not client.is_closed:  # closing on purpose also reports a disconnection
            log.warning("nats (%s): disconnected; reconnecting", name)

    async def on_reconnected() -> None:
        log.info("nats (%s): reconnected to %s", name, client.connected_url)

    try:
        await asyncio.wait_for(
            client.connect(
                servers=_servers(settings.bus_url),
                name=name,
                error_cb=on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=on_reconnected,
                connect_timeout=2,
                reconnect_time_wait=1,
                max_reconnect_attempts=-1,
            ),
            CONNECT_TIMEOUT_SECONDS,
        )
    except BaseException:
        with contextlib.suppress(Exception):
            await client.close()
        raise
    return client


async def ensure_stream(js: JetStreamContext, settings: Settings) -> None:
    """Create the event stream, or bring its subjects and duplicate window up to settings."""
    name = settings.nats_stream
    subjects = f"{settings.nats_subject_prefix}.>"
    window = float(settings.nats_duplicate_window_seconds)
    try:
        info = await js.stream_info(name)
    except nats.js.errors.NotFoundError:
        try:
            await js.add_stream(
                name=name, subjects=[subjects], duplicate_window=window, storage=StorageType.FILE
            )
            log.info("created stream %s for %s (duplicate window %ss)", name, subjects, window)
            return
        except nats.js.errors.APIError:
            info = await js.stream_info(name)  # another worker created it at the same time
    config = info.config
    changes: dict[str, Any] = {}
    if subjects not in (config.subjects or []):
        changes["subjects"] = [*(config.subjects or []), subjects]
    if config.duplicate_window != window:
        changes["duplicate_window"] = window
    if changes:
        await js.update_stream(config.evolve(**changes))
        log.info("updated stream %s: %s", name, changes)


class _LoopThread:
    """An asyncio event loop running in a daemon thread, for synchronous callers."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coroutine: Coroutine[Any, Any, T], *, timeout: float) -> T:
        """Run ``coroutine`` on the loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


class NatsPublisher:
    """Publishes events to the JetStream stream; the relay's ``Publisher`` for ``nats://``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prefix = settings.nats_subject_prefix
        self._lock = threading.Lock()
        self._runner: _LoopThread | None = None
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        self._stream_ready = False

    def publish(self, events: Sequence[Event]) -> int:
        """Publish ``events``; return how many of them, a prefix, JetStream acknowledged."""
        if not events:
            return 0
        with self._lock:
            if self._runner is None:
                self._runner = _LoopThread("nats-publisher")
            runner = self._runner
        try:
            return runner.call(
                self._publish(list(events)),
                timeout=CONNECT_TIMEOUT_SECONDS + 2 * PUBLISH_TIMEOUT_SECONDS,
            )
        except Exception as error:
            log.warning(
                "could not publish %d events to NATS at %s (%s: %s); the relay will retry",
                len(events),
                self.settings.bus_url,
                type(error).__name__,
                error,
            )
            return 0

    async def _jetstream(self) -> JetStreamContext:
        if self._client is None or self._client.is_closed:
            self._client = await connect(self.settings, name="omnicanal-relay")
            self._js = self._client.jetstream(timeout=PUBLISH_TIMEOUT_SECONDS)
            self._stream_ready = False
        assert self._js is not None
        if not self._stream_ready:
            await ensure_stream(self._js, self.settings)
            self._stream_ready = True
        return self._js

    async def _publish(self, events: list[Event]) -> int:
        js = await self._jetstream()
        payloads: list[bytes] = []
        for event in events:
            try:
                payloads.append(json.dumps(event.to_cloudevent(), separators=(",", ":")).encode())
            except (TypeError, ValueError):
                log.exception(
                    "event %s (%s) is not JSON; it stays in the outbox", event.id, event.type
                )
                break
        results = await asyncio.gather(
            *(
                js.publish(
                    subject_for(self.prefix, event.type),
                    payload,
                    timeout=PUBLISH_TIMEOUT_SECONDS,
                    stream=self.settings.nats_stream,
                    headers={MSG_ID_HEADER: event.id},
                )
                for event, payload in zip(events, payloads, strict=False)
            ),
            return_exceptions=True,
        )
        accepted = 0
        duplicates = 0
        for event, result in zip(events, results, strict=False):
            if isinstance(result, BaseException):
                if isinstance(result, nats.js.errors.NoStreamResponseError):
                    self._stream_ready = False  # the stream was deleted: create it again
                log.warning(
                    "JetStream did not accept event %s (%s): %s: %s; %d of %d accepted",
                    event.id,
                    event.type,
                    type(result).__name__,
                    result,
                    accepted,
                    len(events),
                )
                break
            accepted += 1
            duplicates += bool(result.duplicate)
        log.debug(
            "published %d events to %s (%d already there)",
            accepted,
            self.settings.nats_stream,
            duplicates,
        )
        return accepted

    async def _disconnect(self) -> None:
        client, self._client, self._js = self._client, None, None
        if client is not None and not client.is_closed:
            await client.close()

    def close(self) -> None:
        """Flush and close the connection and stop the event loop thread."""
        with self._lock:
            runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            runner.call(self._disconnect(), timeout=CONNECT_TIMEOUT_SECONDS)
        except Exception as error:
            log.warning("closing the NATS connection failed: %s", error)
        runner.stop()


# --- the worker -------------------------------------------------------------------------------


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


async def _scrub(js: JetStreamContext, stream: str, selectors: Sequence[str]) -> int:
    try:
        state = (await js.stream_info(stream)).state
    except nats.js.errors.NotFoundError:
        return 0
    if not state.messages:
        return 0
    deleted = 0
    for start in range(state.first_seq, state.last_seq + 1, SCRUB_BATCH):
        sequences = range(start, min(start + SCRUB_BATCH, state.last_seq + 1))
        found = await asyncio.gather(
            *(js.get_msg(stream, seq) for seq in sequences), return_exceptions=True
        )
        for raw in found:
            if isinstance(raw, BaseException) or raw.data is None:
                continue  # deleted already
            if mentions(raw.data.decode("utf-8", "replace"), selectors):
                # Without no_erase, JetStream overwrites the message on disk, not just unlinks it.
                deleted += bool(await js.delete_msg(stream, raw.seq))
    return deleted


def scrub_stream(settings: Settings, selectors: Sequence[str]) -> int:
    """Delete every message of the event stream that contains one of ``selectors``."""
    if not selectors:
        return 0

    async def run() -> int:
        client = await connect(settings, name="omnicanal-erasure")
        try:
            return await _scrub(client.jetstream(), settings.nats_stream, selectors)
        finally:
            with contextlib.suppress(Exception):
                await client.close()

    deleted = asyncio.run(run())
    log.info("erasure: deleted %d messages from stream %s", deleted, settings.nats_stream)
    return deleted


def _sweep_until(platform: Platform, stop: threading.Event) -> None:
    while not stop.wait(platform.settings.sweep_interval_seconds):
        try:
            released = platform.sweep_expired()
            if released:
                log.info("released %d expired reservations", released)
        except Exception:
            log.exception("reservation sweep failed; retrying")


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
        self.subjects = filter_subjects(platform.settings.nats_subject_prefix, consumer.patterns)
        self.handled = self.repeats = self.failed = 0
        self._last_stats = time.monotonic()
        # A consumer that works in bulk takes what has piled up, up to a relay batch, and
        # gets it at once (``fetch`` answers with what is there, waiting only when nothing is).
        self.fetch_size = consumer.batch_size if consumer.batch_handler else FETCH_BATCH

    def config(self) -> ConsumerConfig:
        """The durable consumer's configuration."""
        single = len(self.subjects) == 1
        return ConsumerConfig(
            name=self.durable,
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_SECONDS,
            max_deliver=-1,
            filter_subject=self.subjects[0] if single else None,
            filter_subjects=None if single else self.subjects,
        )

    async def subscribe(self, js: JetStreamContext) -> JetStreamContext.PullSubscription:
        stream = self.platform.settings.nats_stream
        try:
            await js.add_consumer(stream, config=self.config())  # creates, or updates in place
        except nats.js.errors.APIError as error:
            log.warning("consumer %s on %s kept as it is: %s", self.durable, stream, error)
        subscription = await js.pull_subscribe_bind(durable=self.durable, stream=stream)
        log.info(
            "consuming %s as durable %s on stream %s",
            ", ".join(self.subjects),
            self.durable,
            stream,
        )
        return subscription

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
            if len(messages) > 1 and self.consumer.batch_handler and not self.stop.is_set():
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
            first = await self._deliver(message, event)
        except Exception:
            self.failed += 1
            delay = retry_delay(message.metadata.num_delivered)
            log.exception(
                "%s failed on event %s (%s), delivery %d; retrying in %.1fs",
                self.consumer.name,
                event.id,
                event.type,
                message.metadata.num_delivered,
                delay,
            )
            await message.nak(delay=delay)
            return
        await message.ack()
        self.handled += 1
        self.repeats += not first

    async def handle_batch(self, messages: list[Msg]) -> list[Msg]:
        """Deliver the events of many messages to the batch handler in one transaction and
        ack them; returns the messages left to handle one by one (all of them if the batch
        failed: each then retries, or fails, on its own)."""
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
        if not events:
            return rest
        work = asyncio.ensure_future(
            asyncio.to_thread(deliver_batch, self.platform.db, self.consumer, events)
        )
        try:
            while True:
                done, _ = await asyncio.wait({work}, timeout=ACK_WAIT_SECONDS / 3)
                if done:
                    fresh = work.result()
                    break
                for message in wanted:
                    with contextlib.suppress(Exception):
                        await message.in_progress()
        except Exception:
            log.exception(
                "%s failed on a batch of %d events; delivering them one by one",
                self.consumer.name,
                len(events),
            )
            return messages
        for message in wanted:
            try:
                await message.ack()
            except Exception as error:
                log.warning("ack for %s failed (%s); it will be redelivered", self.durable, error)
        self.handled += len(events)
        self.repeats += len(events) - fresh
        return rest

    async def _deliver(self, message: Msg, event: Event) -> bool:
        """Run the handler in a thread; tell JetStream it is in progress while it runs long."""
        work = asyncio.ensure_future(
            asyncio.to_thread(deliver, self.platform.db, self.consumer, event)
        )
        while True:
            done, _ = await asyncio.wait({work}, timeout=ACK_WAIT_SECONDS / 3)
            if done:
                return work.result()
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


def run_worker(platform: Platform, *, stop: threading.Event | None = None) -> None:
    """Relay the outbox, sweep reservations, carry out erasures and retention, and run the
    durable consumers until stopped."""
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
            kwargs={"poll_seconds": settings.relay_poll_seconds},
            name="outbox-relay",
            daemon=True,
        ),
        threading.Thread(
            target=_sweep_until, args=(platform, stop), name="reservation-sweeper", daemon=True
        ),
        threading.Thread(
            target=platform.run_privacy_jobs, args=(stop,), name="privacy-sweeper", daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
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
