"""The NATS JetStream adapter: connecting, the event stream, the outbox publisher, the
durable consumers' subscriptions, and erasing messages from the stream.

Events go to one stream (``settings.nats_stream``), on the subject
``{settings.nats_subject_prefix}.{event.type}``, as structured-mode CloudEvents JSON with the
header ``Nats-Msg-Id: {event.id}`` (and ``traceparent``, the W3C trace context of the
request that recorded it, when it was traced). JetStream drops a message whose id it has
seen within the stream's duplicate window, so a relay that re-publishes a batch after a
crash (or two relays publishing the same rows) leaves one message per event in the stream.

Each consumer (``omnicanal.platform.bus.Consumer``) is a durable pull consumer on that stream,
which the ``omnicanal worker`` process (``omnicanal.platform.worker``) runs.

nats-py is asyncio and the relay is synchronous: the publisher runs its own event loop in a
background thread and hands it coroutines with ``asyncio.run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StorageType

from omnicanal.platform.bus import Consumer
from omnicanal.platform.config import Settings
from omnicanal.platform.erasure import mentions
from omnicanal.platform.events import Event

log = logging.getLogger(__name__)

T = TypeVar("T")

MSG_ID_HEADER = "Nats-Msg-Id"
TRACEPARENT_HEADER = "traceparent"
CONNECT_TIMEOUT_SECONDS = 5.0
PUBLISH_TIMEOUT_SECONDS = 10.0
ACK_WAIT_SECONDS = 10.0
SCRUB_BATCH = 500


def subject_for(prefix: str, event_type: str) -> str:
    """The subject an event of ``event_type`` is published on."""
    return f"{prefix}.{event_type}"


def filter_subjects(prefix: str, consumer: Consumer) -> list[str]:
    """The subject filters of a consumer: one per event type it declares, or every subject
    of the prefix (``{prefix}.>``) for a consumer of all events. The worker checks
    ``Consumer.wants`` as well."""
    if consumer.all_events:
        return [f"{prefix}.>"]
    return [subject_for(prefix, event_type) for event_type in consumer.types]


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


def _headers(event: Event) -> dict[str, str]:
    """A message's headers: its id, for JetStream's deduplication, and its trace context."""
    if event.traceparent is None:
        return {MSG_ID_HEADER: event.id}
    return {MSG_ID_HEADER: event.id, TRACEPARENT_HEADER: event.traceparent}


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
                    headers=_headers(event),
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


def consumer_config(durable: str, subjects: Sequence[str]) -> ConsumerConfig:
    """The configuration of a durable pull consumer of ``subjects``."""
    single = len(subjects) == 1
    return ConsumerConfig(
        name=durable,
        durable_name=durable,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ACK_WAIT_SECONDS,
        max_deliver=-1,
        filter_subject=subjects[0] if single else None,
        filter_subjects=None if single else list(subjects),
    )


async def subscribe(
    js: JetStreamContext, *, stream: str, durable: str, subjects: Sequence[str]
) -> JetStreamContext.PullSubscription:
    """Create the durable consumer of ``subjects`` on ``stream`` (or update it in place) and
    bind a pull subscription to it."""
    try:
        await js.add_consumer(stream, config=consumer_config(durable, subjects))
    except nats.js.errors.APIError as error:
        log.warning("consumer %s on %s kept as it is: %s", durable, stream, error)
    subscription = await js.pull_subscribe_bind(durable=durable, stream=stream)
    log.info("consuming %s as durable %s on stream %s", ", ".join(subjects), durable, stream)
    return subscription


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
        for seq, raw in zip(sequences, found, strict=True):
            if isinstance(raw, BaseException) or raw.data is None:
                continue  # deleted already
            if mentions(raw.data.decode("utf-8", "replace"), selectors):
                # Without no_erase, JetStream overwrites the message on disk, not just unlinks it.
                deleted += bool(await js.delete_msg(stream, seq))
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
