"""The checks of ``bench.scale`` once the load has stopped and the workers have drained: the
stock, orders and fulfilments in the database, the outbox against the stream and the
consumers' ``processed_events``, and what the clients were answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import nats
import nats.js.errors
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import create_engine, text

from bench.common import BenchDatabase, console
from bench.scale_load import Load


async def _with_jetstream(url: str, work: Callable[[Any], Awaitable[Any]]) -> Any:
    client = await nats.connect(url, connect_timeout=30)
    try:
        return await work(client.jetstream(timeout=60))
    finally:
        await client.close()


def stream_ids(url: str, stream: str, prefix: str) -> tuple[int, list[str]]:
    """How many messages the stream holds, and their ``Nats-Msg-Id`` headers (read with an
    ephemeral consumer that fetches headers only)."""

    async def read(js: Any) -> tuple[int, list[str]]:
        total = (await js.stream_info(stream)).state.messages
        config = ConsumerConfig(
            headers_only=True,
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL,
            inactive_threshold=60,
        )
        reader = await js.pull_subscribe(f"{prefix}.>", stream=stream, config=config)
        ids: list[str] = []
        while len(ids) < total:
            try:
                messages = await reader.fetch(1000, timeout=5)
            except TimeoutError:
                break
            ids += [(message.headers or {}).get("Nats-Msg-Id", "") for message in messages]
        await reader.unsubscribe()
        return int(total), ids

    total, ids = asyncio.run(_with_jetstream(url, read))
    return total, ids


def durable_states(url: str, stream: str, durables: list[str]) -> dict[str, Any]:
    """Each durable consumer's pending and unacknowledged counts (None if it does not
    exist)."""

    async def read(js: Any) -> dict[str, Any]:
        states: dict[str, Any] = {}
        for durable in durables:
            try:
                info = await js.consumer_info(stream, durable)
            except nats.js.errors.NotFoundError:
                states[durable] = None
                continue
            states[durable] = {"pending": info.num_pending, "unacked": info.num_ack_pending}
        return states

    return dict(asyncio.run(_with_jetstream(url, read)))


def delete_stream(url: str, stream: str) -> None:
    async def delete(js: Any) -> None:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(stream)

    asyncio.run(_with_jetstream(url, delete))


def nats_unreachable_reason(url: str) -> str | None:
    async def ping() -> None:
        client = await nats.connect(url, connect_timeout=3, max_reconnect_attempts=0)
        try:
            await client.jetstream(timeout=5).account_info()
        finally:
            await client.close()

    try:
        asyncio.run(ping())
        return None
    except Exception as error:
        return f"{type(error).__name__}: {error}"


STOCK_CHECKS: dict[str, tuple[str, str]] = {
    "no oversell (reserved <= on_hand - safety, nothing negative)": (
        "stock",
        """
        SELECT count(*) FROM stock_levels
        WHERE reserved > on_hand - safety_stock OR reserved < 0 OR on_hand < 0""",
    ),
    "on_hand = the sum of the stock ledger": (
        "ledger",
        """
        SELECT count(*) FROM stock_levels l LEFT JOIN (
            SELECT variant_id, location_id, sum(quantity) AS q FROM stock_movements
            GROUP BY variant_id, location_id) m
          ON m.variant_id = l.variant_id AND m.location_id = l.location_id
        WHERE l.on_hand <> coalesce(m.q, 0)""",
    ),
    "reserved = the sum of the active reservations": (
        "stock",
        """
        SELECT count(*) FROM stock_levels l LEFT JOIN (
            SELECT variant_id, location_id, sum(quantity) AS q FROM reservations
            WHERE status = 'active' GROUP BY variant_id, location_id) r
          ON r.variant_id = l.variant_id AND r.location_id = l.location_id
        WHERE l.reserved <> coalesce(r.q, 0)""",
    ),
    "every order has fulfilments, every line fully in them": (
        "orders",
        """
        SELECT (SELECT count(*) FROM orders o WHERE NOT EXISTS (
                    SELECT 1 FROM fulfilments f WHERE f.order_id = o.id))
             + (SELECT count(*) FROM order_lines ol LEFT JOIN (
                    SELECT order_line_id, sum(quantity) AS q FROM fulfilment_lines
                    GROUP BY order_line_id) fl ON fl.order_line_id = ol.id
                WHERE ol.quantity - ol.cancelled_quantity <> coalesce(fl.q, 0))""",
    ),
    "every fulfilment line held by its order's reservation": (
        "orders",
        """
        SELECT count(*) FROM fulfilment_lines fl
        JOIN fulfilments f ON f.id = fl.fulfilment_id
        LEFT JOIN reservations r ON r.id = fl.reservation_id
        LEFT JOIN variants v ON v.id = r.variant_id
        WHERE r.id IS NULL OR r.order_id IS DISTINCT FROM f.order_id
           OR r.location_id <> f.location_id OR r.quantity <> fl.quantity
           OR v.sku <> fl.sku OR r.status <> 'active'""",
    ),
    "no order's reservation outside its fulfilments": (
        "orders",
        """
        SELECT count(*) FROM reservations r WHERE r.order_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM fulfilment_lines fl WHERE fl.reservation_id = r.id)""",
    ),
    "one order.placed event per order": (
        "orders",
        """
        SELECT (SELECT count(*) FROM orders o WHERE (
                    SELECT count(*) FROM outbox e
                    WHERE e.type = 'order.placed' AND e.subject = 'orders/' || o.id) <> 1)
             + (SELECT count(*) FROM outbox e WHERE e.type = 'order.placed'
                AND NOT EXISTS (SELECT 1 FROM orders o WHERE e.subject = 'orders/' || o.id))""",
    ),
}


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


def check_all(
    db: BenchDatabase, platform: Any, load: Load, stream: dict[str, Any], durables: list[str]
) -> list[Check]:
    checks: list[Check] = []
    engine = create_engine(db.url)
    with engine.connect() as connection:

        def scalar(sql: str, **params: Any) -> Any:
            return connection.execute(text(sql), params).scalar()

        levels = scalar("SELECT count(*) FROM stock_levels")
        orders = scalar("SELECT count(*) FROM orders")
        movements = scalar("SELECT count(*) FROM stock_movements")
        of = {
            "stock": f"of {levels} stock levels",
            "ledger": f"of {levels} stock levels, {movements:,} movements",
            "orders": f"of {orders:,} orders",
        }
        for name, (about, sql) in STOCK_CHECKS.items():
            wrong = scalar(sql)
            checks.append(Check(name, wrong == 0, f"{wrong} wrong {of[about]}"))
        outbox: dict[str, str] = dict(connection.execute(text("SELECT id, type FROM outbox")).all())
        unpublished = scalar("SELECT count(*) FROM outbox WHERE NOT published")
        ids = stream["ids"]
        doubled = len(ids) - len(set(ids))
        missing = len(set(outbox) - set(ids))
        strangers = len(set(ids) - set(outbox))
        checks.append(
            Check(
                "every outbox event published, once",
                unpublished == 0 and doubled == 0 and missing == 0 and strangers == 0,
                f"{len(outbox):,} events, {stream['messages']:,} messages; {unpublished} "
                f"unpublished, {missing} missing, {doubled} doubled, {strangers} unknown",
            )
        )
        handled: dict[str, set[str]] = {}
        for consumer, event_id in connection.execute(
            text("SELECT consumer, event_id FROM processed_events")
        ):
            handled.setdefault(consumer, set()).add(event_id)
        lost: list[str] = []
        extra: list[str] = []
        for consumer in platform.consumers:
            wanted = {i for i, kind in outbox.items() if consumer.wants(kind)}
            got = handled.get(consumer.name, set())
            if wanted - got:
                lost.append(f"{consumer.name} {len(wanted - got)}")
            if got - wanted:
                extra.append(f"{consumer.name} {len(got - wanted)}")
        total = sum(len(ids) for ids in handled.values())
        checks.append(
            Check(
                "every consumer handled each event it wants, once",
                not lost and not extra,
                f"{total:,} handlings by {len(platform.consumers)} consumers"
                + (f"; not handled: {', '.join(lost)}" if lost else "")
                + (f"; unknown: {', '.join(extra)}" if extra else ""),
            )
        )
        counted: dict[str, int] = dict(
            connection.execute(
                text("SELECT event_type, sum(count) FROM daily_event_counts GROUP BY event_type")
            ).all()
        )
        expected = Counter(outbox.values())
        off = {kind for kind in set(expected) | set(counted) if counted.get(kind) != expected[kind]}
        checks.append(
            Check(
                "event counts per type = the outbox's (no doubled effect)",
                not off,
                f"{len(expected)} types" + (f"; off: {', '.join(sorted(off))}" if off else ""),
            )
        )
        behind = {
            durable: state
            for durable, state in stream["consumers"].items()
            if state is None or state["pending"] or state["unacked"]
        }
        checks.append(
            Check(
                "every durable consumer acknowledged everything",
                not behind,
                f"{len(durables)} durables; behind: {behind or 'none'}",
            )
        )
        known_reservations = set(connection.execute(text("SELECT id FROM reservations")).scalars())
        known_orders = set(connection.execute(text("SELECT id FROM orders")).scalars())
        stored_messages = scalar(
            "SELECT count(*) FROM tracking_messages WHERE message_id = ANY(:ids)",
            ids=list(load.tracked),
        )
        lost_writes = (
            len(load.reservations - known_reservations)
            + len(set(load.orders) - known_orders)
            + (len(load.tracked) - stored_messages)
        )
        checks.append(
            Check(
                "every answered write is in the database",
                lost_writes == 0,
                f"{len(load.reservations):,} reservations, {len(load.orders):,} orders "
                f"(of {orders:,}), {len(load.tracked):,} tracking messages; {lost_writes} lost",
            )
        )
    engine.dispose()
    errors = sum(load.server_errors.values())
    checks.append(
        Check(
            "no 5xx answer",
            errors == 0,
            f"{errors} ({dict(load.server_errors)})" if errors else "0",
        )
    )
    return checks


def wait_drained(db: BenchDatabase, bus: dict[str, str], durables: list[str], limit: float) -> None:
    """Until the outbox is published and every durable consumer there is has acked
    everything, or ``limit`` seconds (the checks then say what is left, and which durable
    consumer was never created)."""
    engine = create_engine(db.url)
    started = time.monotonic()
    try:
        while True:
            with engine.connect() as connection:
                backlog = connection.execute(
                    text("SELECT count(*) FROM outbox WHERE NOT published")
                ).scalar()
            states = durable_states(bus["url"], bus["stream"], durables)
            behind = sum(c["pending"] + c["unacked"] for c in states.values() if c)
            waited = time.monotonic() - started
            console.print(
                f"  draining: {backlog:,} events to publish, {behind:,} messages for the "
                f"consumers ({waited:.0f} s)"
            )
            if (backlog == 0 and behind == 0) or waited > limit:
                return
            time.sleep(2)
    finally:
        engine.dispose()
