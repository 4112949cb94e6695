"""The outbox relay and the embedded bus's consumers draining a realistic backlog.

Per backend, one database is filled through the use cases: ``--checkouts`` 3-line checkouts
(``bench.checkout``'s carts and journeys), ``--reservations`` single-unit reservations of a
hot SKU (``bench.reservations``'s store and keys), both from ``--threads`` threads, and
``--messages`` tracking messages of the demo's customers posted to ``/v1/batch`` in batches
of 100 (``bench.ingest``'s messages, the app in process). Every event they wrote stays
unpublished; the rate at which they were written is the arrival rate (in process, so above
what the HTTP benches reach), and their CPU per event the arrival's cost.

That database is then copied, once per mode, and the relay drains each copy through the
embedded bus with every consumer the platform declares (analytics, the customers' timeline,
loyalty, the journeys, webhooks...), in batches of ``--batch-size``, until nothing is left
(the consumers write events of their own):

* ``per-event``  the delivery as it was: each event handed to each consumer in a transaction
                 of its own (its ``processed_events`` row read, then written), the consumers
                 that had a batch handler then (analytics, webhooks) taking the relay batch at
                 once.
* ``batches``    the bus as it is: each consumer takes the relay batch in one transaction
                 (one multi-row INSERT of its ``processed_events`` rows, skipping those there).

Printed per mode: events/s, CPU ms per event (the bench process: the relay and the consumers
run in it; PostgreSQL's own CPU not counted), SQL statements per event, the ratio to
``per-event``, the drain rate ÷ the arrival rate, and the arrival's CPU per event ÷ the
drain's. Both copies must end with the same rows in every table and every event published:
the table says whether they do.

    .venv/bin/python -m bench.relay                            # both backends, ~1-2 min
    .venv/bin/python -m bench.relay --backend sqlite --checkouts 100 --messages 300
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from bench.common import (
    BenchDatabase,
    build_platform_on,
    console,
    fresh_database,
    postgres_admin_url,
    print_load_after,
    print_machine,
    ratio,
    resolve_backends,
)
from omnicanal.platform import heap

MODES = ("per-event", "batches")
INGEST_BATCH = 100


# -- the load -------------------------------------------------------------------------------


@dataclass
class Load:
    events: int
    seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else float("nan")


def _outbox_size(platform: Any) -> int:
    from omnicanal.platform.events import OutboxEvent

    with platform.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


def _in_threads(threads: int, items: Sequence[Any], work: Any) -> None:
    """``work(item)`` for every item, from ``threads`` threads at once."""
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(work, items):
            pass


def fill_outbox(platform: Any, args: argparse.Namespace) -> Load:
    """Checkouts, reservations and tracking messages through the use cases; the events they
    wrote and the time the writing took (set-ups excluded)."""
    from fastapi.testclient import TestClient

    from bench import checkout, ingest, reservations
    from omnicanal.api.app import create_app
    from omnicanal.inventory import service as inventory
    from omnicanal.inventory.errors import InsufficientStock
    from omnicanal.inventory.schemas import ReservationIn
    from omnicanal.orders import service as orders
    from omnicanal.orders.schemas import CheckoutIn

    events, seconds, cpu_seconds = 0, 0.0, 0.0

    def timed(work: Any) -> None:
        nonlocal events, seconds, cpu_seconds
        before = _outbox_size(platform)
        heap.settle()  # what set-up built is frozen, as in a started server
        cpu, started = time.process_time(), time.perf_counter()
        work()
        seconds += time.perf_counter() - started
        cpu_seconds += time.process_time() - cpu
        events += _outbox_size(platform) - before

    if args.checkouts:
        shop = checkout.set_up(platform, args.checkouts, ["inproc"])

        def check_out(body: dict[str, Any]) -> None:
            data = {key: value for key, value in body.items() if key != "_key"}
            with platform.db.transaction() as session:
                orders.checkout(
                    session, data=CheckoutIn.model_validate(data), actor=shop.actors[body["_key"]]
                )

        timed(lambda: _in_threads(args.threads, shop.carts["inproc"], check_out))
    if args.reservations:
        hot = reservations.set_up(platform, args.reservations, ["inproc"])
        channels = list(hot.actors)

        def reserve(n: int) -> None:
            try:
                with platform.db.transaction() as session:
                    inventory.reserve(
                        session,
                        data=ReservationIn(sku=reservations.sku_for("inproc"), quantity=1),
                        actor=hot.actors[channels[n % len(channels)]],
                        default_ttl_seconds=900,
                    )
            except InsufficientStock:
                pass

        timed(lambda: _in_threads(args.threads, range(args.reservations), reserve))
    if args.messages:
        write_key, _ = ingest._keys(platform)
        messages = ingest.demo_messages(args.messages, seed=1)
        client = TestClient(create_app(platform, background=False))

        def post() -> None:
            for start in range(0, len(messages), INGEST_BATCH):
                answer = client.post(
                    "/v1/batch",
                    json={"batch": messages[start : start + INGEST_BATCH], "writeKey": write_key},
                )
                answer.raise_for_status()

        timed(post)
    return Load(events, seconds, cpu_seconds)


# -- copies of the filled database ----------------------------------------------------------


@contextmanager
def copy_of(db: BenchDatabase, mode: str) -> Iterator[BenchDatabase]:
    """A copy of ``db`` (which nothing may hold open) for one mode, removed afterwards."""
    if db.is_sqlite:
        with sqlite3.connect(db.sqlite_path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target = db.workdir / f"{mode}.db"
        shutil.copyfile(db.sqlite_path, target)
        try:
            yield BenchDatabase(db.backend, f"sqlite:///{target}", db.workdir)
        finally:
            for suffix in ("", "-wal", "-shm"):
                target.with_name(target.name + suffix).unlink(missing_ok=True)
        return
    source = make_url(db.url).database
    name = f"{source}_{mode.replace('-', '_')}"
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        url = make_url(db.url).set(database=name).render_as_string(hide_password=False)
        yield BenchDatabase(db.backend, url, db.workdir)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the drain ------------------------------------------------------------------------------


# The consumer given a batch handler when the bus began to hand every consumer batches.
BATCHED_SINCE = ("customers.timeline",)


def per_event_bus(db: Any, consumers: Sequence[Any]) -> Any:
    """The embedded bus delivering as it did before batches: every event to every consumer
    in a transaction of its own, then the relay batch to the consumers that had a batch
    handler then."""
    from omnicanal.platform.bus import InProcessBus, deliver, deliver_batch

    class PerEventBus(InProcessBus):
        def publish(self, events: Sequence[Any]) -> int:
            singles = [
                c for c in self.consumers if c.batch_handler is None or c.name in BATCHED_SINCE
            ]
            for event_ in events:
                for consumer in singles:
                    if consumer.wants(event_.type):
                        deliver(self.db, consumer, event_)
            for consumer in self.consumers:
                if consumer not in singles:
                    deliver_batch(self.db, consumer, events)
            return len(events)

    return PerEventBus(db, consumers)


@dataclass
class Drain:
    backend: str
    mode: str
    events: int
    seconds: float
    cpu_seconds: float
    statements: int
    tables: dict[str, int]
    unpublished: int
    consumers: dict[str, tuple[int, float, float, int]]
    """Per consumer, from its deliveries (``bus.consumer_work``): events handled, CPU
    seconds, seconds, SQL statements."""

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else float("nan")


def table_rows(platform: Any) -> dict[str, int]:
    """Rows per table, the bookkeeping of the relay and the bus left out."""
    from omnicanal.bootstrap import load_models

    skipped = {"outbox", "alembic_version"}
    with platform.db.reading() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in load_models().sorted_tables
            if table.name not in skipped
        }


def drain(db: BenchDatabase, mode: str, batch_size: int) -> Drain:
    """Relay every unpublished event of ``db`` through the embedded bus, timed."""
    from omnicanal.platform.bus import InProcessBus, consumer_work
    from omnicanal.platform.events import OutboxEvent
    from omnicanal.platform.relay import OutboxRelay

    platform = build_platform_on(db, migrate_schema=False)
    try:
        if mode == "per-event":
            bus = per_event_bus(platform.db, platform.consumers)
        else:
            bus = InProcessBus(platform.db, platform.consumers)
        relay = OutboxRelay(platform.db, bus, batch_size=batch_size)
        statements = [0]

        def count(*_: Any) -> None:
            statements[0] += 1

        engines = {platform.db.write_engine, platform.db.read_engine}
        relay.pending()  # the pools' first connections, outside the figures
        heap.settle()  # as `omnicanal worker` does once started
        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
        work_before = consumer_work()
        cpu, started = time.process_time(), time.perf_counter()
        relayed = 0
        # Consumers write events of their own (points earned, profiles linked): drained too.
        while batch := relay.drain():
            relayed += batch
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        work_after = consumer_work()
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
        with platform.db.reading() as session:
            left = session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published.is_(False))
            )
        return Drain(
            db.backend,
            mode,
            relayed,
            seconds,
            cpu,
            statements[0],
            table_rows(platform),
            int(left or 0),
            _work_between(work_before, work_after),
        )
    finally:
        platform.close()


# -- the run --------------------------------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace) -> tuple[Load, list[Drain]]:
    with fresh_database(backend, "relay") as db:
        platform = build_platform_on(db, pool_size=max(20, args.threads))
        try:
            with console.status(f"[bold]{backend}[/bold]: checkouts, reservations, messages"):
                load = fill_outbox(platform, args)
        finally:
            platform.close()
        console.print(
            f"  {backend}: {load.events:,} events written in {load.seconds:.1f} s "
            f"({load.per_second:,.0f}/s), {_pending(db):,} unpublished in all"
        )
        drains = []
        for mode in args.modes:
            with copy_of(db, mode) as copy, console.status(f"[bold]{backend}[/bold]: {mode}"):
                drains.append(drain(copy, mode, args.batch_size))
    return load, drains


def _pending(db: BenchDatabase) -> int:
    engine = create_engine(db.url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM outbox WHERE NOT published")))
    finally:
        engine.dispose()


def print_results(load: Load, drains: list[Drain], batch_size: int) -> None:
    if not drains:
        return
    backend = drains[0].backend
    base = next((d for d in drains if d.mode == "per-event"), drains[0])
    table = Table(
        title=f"{backend}: draining {base.events:,} events (relay batches of {batch_size})",
        title_justify="left",
    )
    for column in ("mode", "events", "seconds", "events/s", "÷ per-event", "÷ arrival",
                   "CPU ms/event", "÷ arrival CPU", "SQL/event", "same rows", "left"):  # fmt: skip
        table.add_column(column, justify="left" if column == "mode" else "right")
    for d in drains:
        same = "yes" if d.tables == base.tables else _differences(base.tables, d.tables)
        table.add_row(
            d.mode,
            f"{d.events:,}",
            f"{d.seconds:.2f}",
            f"{d.per_second:,.0f}",
            ratio(d.per_second / base.per_second, good_when_high=True),
            f"{d.per_second / load.per_second:.1f}x",
            f"{d.cpu_seconds * 1000 / max(d.events, 1):.2f}",
            f"{load.cpu_seconds / load.events / (d.cpu_seconds / max(d.events, 1)):.1f}x",
            f"{d.statements / max(d.events, 1):.2f}",
            same,
            str(d.unpublished),
        )
    console.print(table)
    console.print(
        f"  arrival = {load.per_second:,.0f} events/s: the events the in-process load wrote "
        "÷ its time (checkouts and reservations from 4 threads, tracking batches of 100); "
        "÷ arrival = the drain's rate ÷ that. CPU = user+sys of this process (relay and "
        "consumers; the database server's not). ÷ arrival CPU = the load's CPU per event "
        f"({load.cpu_seconds * 1000 / max(load.events, 1):.2f} ms) ÷ the drain's: how many "
        "times the arrival rate one core of relay keeps up with, whatever else loads the "
        "machine. same rows = every table (outbox aside) holds as many rows as after "
        "per-event.\n"
    )


def _work_between(
    before: dict[str, Any], after: dict[str, Any]
) -> dict[str, tuple[int, float, float, int]]:
    """What each consumer's deliveries took between two readings of ``bus.consumer_work``."""
    found = {}
    for name, work in after.items():
        was = before.get(name)
        events = work.events - (was.events if was else 0)
        cpu = work.cpu_seconds - (was.cpu_seconds if was else 0.0)
        seconds = work.seconds - (was.seconds if was else 0.0)
        statements = work.statements - (was.statements if was else 0)
        if events or cpu:
            found[name] = (events, cpu, seconds, statements)
    return found


def print_consumers(drain: Drain) -> None:
    """Where the drain's CPU went, consumer by consumer: the bus as it is (``batches``; the
    per-event mode delivers most events outside ``deliver_batch``, which counts them)."""
    if drain.mode != "batches" or not drain.consumers:
        return
    table = Table(
        title=f"{drain.backend}, {drain.mode}: the drain's CPU by consumer",
        title_justify="left",
    )
    for column in ("consumer", "events handled", "CPU ms", "CPU ms/handled event",
                   "CPU ms/drained event", "share of the drain's CPU", "seconds",
                   "SQL/handled event"):  # fmt: skip
        table.add_column(column, justify="left" if column == "consumer" else "right")
    ranked = sorted(drain.consumers.items(), key=lambda item: -item[1][1])
    for name, (events, cpu, seconds, statements) in ranked:
        table.add_row(
            name,
            f"{events:,}",
            f"{cpu * 1000:,.0f}",
            f"{cpu * 1000 / events:.3f}" if events else "-",
            f"{cpu * 1000 / max(drain.events, 1):.3f}",
            f"{cpu / drain.cpu_seconds:.0%}" if drain.cpu_seconds else "-",
            f"{seconds:.2f}",
            f"{statements / events:.2f}" if events else "-",
        )
    console.print(table)
    console.print(
        "  CPU of the delivering thread in each consumer's deliveries (its read-ahead, "
        "handlers and bookkeeping), and the SQL statements they sent; the rest of the drain's "
        "CPU is the relay's reading and marking of the outbox.\n"
    )


def _differences(base: dict[str, int], other: dict[str, int]) -> str:
    differ = [f"{name} {base.get(name)}→{n}" for name, n in other.items() if base.get(name) != n]
    return "[red]" + ", ".join(differ[:3]) + "[/red]"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--checkouts", type=int, default=300)
    parser.add_argument("--reservations", type=int, default=500)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=500, help="the relay's batch size")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    args = parser.parse_args(argv)
    backends = resolve_backends(args.backend)
    print_machine("bench.relay", backends)
    for backend in backends:
        load, drains = run_backend(backend, args)
        print_results(load, drains, args.batch_size)
        for drain in drains:
            print_consumers(drain)
    print_load_after()


if __name__ == "__main__":
    main()
