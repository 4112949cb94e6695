"""Hot-SKU reservation storm: many clients, one SKU, more requests than units.

One store fulfils web, app, store and call_centre; one SKU has ``--units`` units there.
``--factor`` x units clients' requests each reserve ONE unit, spread over four API keys
(one per channel). Modes, each on its own SKU with the same stock, the same database:

* ``raw``       the baseline: plain DBAPI (sqlite3 / psycopg), one transaction per attempt:
                the conditional ``UPDATE stock_levels ... WHERE available >= 1`` and, when it
                hit, an INSERT of a reservation row. No omnicanal code.
* ``raw-core``  the same two statements through SQLAlchemy Core (``engine.begin()`` + text()),
                to tell SQLAlchemy's own cost apart from omnicanal's.
* ``inproc``    threads calling ``omnicanal.inventory.service.reserve`` inside
                ``platform.db.transaction()`` (InsufficientStock counts as a refusal).
* ``http``      ``--procs`` client processes x ``--proc-threads`` threads (httpx) POSTing
                /v1/reservations to a real uvicorn server run as a subprocess
                (``python -m uvicorn omnicanal.api.asgi:app``, background relay and sweeper on,
                as ``omnicanal serve`` runs it).

    .venv/bin/python -m bench.reservations                     # both backends, ~1 min
    .venv/bin/python -m bench.reservations --backend sqlite --units 2000 --threads 32
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rich.table import Table

from bench.common import (
    BenchDatabase,
    Latencies,
    build_platform_on,
    console,
    fresh_database,
    ms,
    print_load_after,
    print_machine,
    profile_calls,
    ratio,
    resolve_backends,
)

OK, REFUSED = "ok", "refused"
CHANNELS = ("web", "app", "store", "call_centre")
STORE = "HOT-STORE"
WARM_SKU = "HOT-WARM"
MODES = ("raw", "raw-core", "inproc", "http")
TTL_SECONDS = 900

# An attempt: (start, end, outcome) with perf_counter() times; outcome is OK, REFUSED or
# an error text. perf_counter is CLOCK_MONOTONIC on Linux, comparable across processes.
Attempt = tuple[float, float, str]


# -- driving clients ------------------------------------------------------------------------


def drive_client(
    client: int,
    n_clients: int,
    total: int,
    attempt: Callable[[int], str],
    barrier: Any,
    out: list[Attempt],
) -> None:
    """One client: wait for the start, then make attempts client, client + n, ... < total.

    Attempt ``i`` uses channel key ``i % 4``."""
    barrier.wait()
    for i in range(client, total, n_clients):
        started = time.perf_counter()
        try:
            outcome = attempt(i % len(CHANNELS))
        except Exception as error:
            outcome = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
        out.append((started, time.perf_counter(), outcome))


def run_threads(
    n_clients: int, total: int, make_attempt: Callable[[int], Callable[[int], str]]
) -> list[Attempt]:
    """``n_clients`` threads, each with its own attempt function (made, and warmed up,
    before the common start)."""
    attempts = [make_attempt(client) for client in range(n_clients)]
    barrier = threading.Barrier(n_clients)
    results: list[list[Attempt]] = [[] for _ in range(n_clients)]
    threads = [
        threading.Thread(
            target=drive_client,
            args=(client, n_clients, total, attempts[client], barrier, results[client]),
            daemon=True,
        )
        for client in range(n_clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [a for per_client in results for a in per_client]


# -- the scenario ---------------------------------------------------------------------------


@dataclass
class Scenario:
    units: int
    location_id: str
    tokens: dict[str, str]  # channel -> API key secret
    actors: dict[str, Any]  # channel -> omnicanal Actor
    variant_ids: dict[str, str] = field(default_factory=dict)  # sku -> id


def sku_for(mode: str) -> str:
    return f"HOT-{mode.upper()}"


def set_up(platform: Any, units: int, modes: list[str]) -> Scenario:
    """Store, SKUs and keys, made through omnicanal's own use cases."""
    from omnicanal.catalog import service as catalog
    from omnicanal.catalog.schemas import ProductIn, VariantIn
    from omnicanal.inventory import service as inventory
    from omnicanal.inventory.schemas import MovementIn, MovementKind
    from omnicanal.network import service as network
    from omnicanal.network.schemas import Capabilities, LocationIn
    from omnicanal.platform.actors import OPERATOR, ChannelKind
    from omnicanal.platform.address import Address
    from omnicanal.platform.auth import create_api_key
    from omnicanal.pricing.products import create_priced_products

    skus = [sku_for(mode) for mode in modes] + [WARM_SKU]
    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
        location = network.create_location(
            session,
            data=LocationIn(
                code=STORE,
                name="Hot store",
                kind="store",
                address=Address(city="Lyon", latitude=45.764, longitude=4.8357),
                capabilities=Capabilities(
                    sells_in_store=True, ships=True, click_and_collect=True, accepts_returns=True
                ),
                channels=list(CHANNELS),
            ),
            actor=OPERATOR,
        )
        create_priced_products(
            session,
            products=[
                ProductIn(
                    code="HOT",
                    name="Hot product",
                    category="Bench",
                    variants=[VariantIn(sku=sku, price_minor=4990) for sku in skus],
                )
            ],
            actor=OPERATOR,
            currency="EUR",
        )
    for sku in skus:
        with platform.db.transaction() as session:
            inventory.record_movement(
                session,
                data=MovementIn(
                    sku=sku,
                    location=STORE,
                    kind=MovementKind.receipt,
                    quantity=units if sku != WARM_SKU else 100_000,
                ),
                actor=OPERATOR,
            )
    tokens, actors = {}, {}
    with platform.db.transaction() as session:
        place = network.get_location(session, STORE)
        for channel in CHANNELS:
            key, token = create_api_key(
                session,
                channel=ChannelKind(channel),
                name=f"bench {channel}",
                location=place if channel == "store" else None,
            )
            tokens[channel], actors[channel] = token, key.actor()
        variant_ids = {sku: v.id for sku, v in catalog.resolve_skus(session, skus).items()}
    return Scenario(
        units=units, location_id=location.id, tokens=tokens, actors=actors, variant_ids=variant_ids
    )


# -- modes ----------------------------------------------------------------------------------


def run_inproc(platform: Any, scenario: Scenario, clients: int, total: int) -> list[Attempt]:
    from omnicanal.inventory import service
    from omnicanal.inventory.errors import InsufficientStock
    from omnicanal.inventory.schemas import ReservationIn

    sku = sku_for("inproc")

    def reserve_once(target: str, channel_index: int) -> str:
        actor = scenario.actors[CHANNELS[channel_index]]
        try:
            with platform.db.transaction() as session:
                service.reserve(
                    session,
                    data=ReservationIn(sku=target, quantity=1),
                    actor=actor,
                    default_ttl_seconds=TTL_SECONDS,
                )
        except InsufficientStock:
            return REFUSED
        return OK

    def make(client: int) -> Callable[[int], str]:
        reserve_once(WARM_SKU, client % len(CHANNELS))  # warm: pool connection, caches
        return lambda channel_index: reserve_once(sku, channel_index)

    return run_threads(clients, total, make)


_RAW_UPDATE = (
    "UPDATE stock_levels SET reserved = reserved + 1, updated_at = {p} "
    "WHERE variant_id = {p} AND location_id = {p} "
    "AND on_hand - reserved - safety_stock >= 1"
)
_RAW_INSERT = (
    "INSERT INTO reservations (id, variant_id, location_id, channel, quantity, status, "
    "reference, expires_at, created_at, ended_at, actor) "
    "VALUES ({p}, {p}, {p}, {p}, 1, 'active', NULL, {p}, {p}, NULL, {p})"
)


def run_raw_dbapi(db: BenchDatabase, scenario: Scenario, clients: int, total: int) -> list[Attempt]:
    """The baseline: the database doing the conditional update + insert, nothing else."""
    from ulid import ULID

    p = "?" if db.is_sqlite else "%s"
    update_sql, insert_sql = _RAW_UPDATE.format(p=p), _RAW_INSERT.format(p=p)
    location_id = scenario.location_id

    def make(client: int) -> Callable[[int], str]:
        connection = db.dbapi_connect()

        def attempt(variant_id: str, channel_index: int) -> str:
            now = datetime.now(UTC)
            stamp, expires = db.timestamp(now), db.timestamp(now + timedelta(seconds=TTL_SECONDS))
            if db.is_sqlite:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    hit = connection.execute(update_sql, (stamp, variant_id, location_id)).rowcount
                    if hit != 1:
                        connection.execute("ROLLBACK")
                        return REFUSED
                    connection.execute(
                        insert_sql,
                        (
                            str(ULID()),
                            variant_id,
                            location_id,
                            CHANNELS[channel_index],
                            expires,
                            stamp,
                            "bench:raw",
                        ),
                    )
                    connection.execute("COMMIT")
                except BaseException:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    raise
                return OK
            try:
                with connection.cursor() as cursor:
                    cursor.execute(update_sql, (stamp, variant_id, location_id))
                    if cursor.rowcount != 1:
                        connection.rollback()
                        return REFUSED
                    cursor.execute(
                        insert_sql,
                        (
                            str(ULID()),
                            variant_id,
                            location_id,
                            CHANNELS[channel_index],
                            expires,
                            stamp,
                            "bench:raw",
                        ),
                    )
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            return OK

        attempt(scenario.variant_ids[WARM_SKU], client % len(CHANNELS))
        target = scenario.variant_ids[sku_for("raw")]
        return lambda channel_index: attempt(target, channel_index)

    return run_threads(clients, total, make)


class _Refused(Exception):
    pass


def run_raw_core(db: BenchDatabase, scenario: Scenario, clients: int, total: int) -> list[Attempt]:
    """The baseline through SQLAlchemy Core: a pooled engine configured as omnicanal's
    (SQLite: WAL, BEGIN IMMEDIATE), ``engine.begin()`` and two text() statements."""
    from sqlalchemy import create_engine, event, text
    from ulid import ULID

    if db.is_sqlite:
        engine = create_engine(
            db.url,
            connect_args={"timeout": 60, "check_same_thread": False},
            pool_size=clients,
            max_overflow=clients,
            pool_timeout=120,
        )

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=60000"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        engine = create_engine(db.url, pool_size=clients, max_overflow=clients)

    update_sql = text(_RAW_UPDATE.format(p=":{}").format("now", "v", "loc"))
    insert_sql = text(
        _RAW_INSERT.format(p=":{}").format("id", "v", "loc", "ch", "exp", "now", "actor")
    )
    location_id = scenario.location_id

    def attempt(variant_id: str, channel_index: int) -> str:
        now = datetime.now(UTC)
        stamp, expires = db.timestamp(now), db.timestamp(now + timedelta(seconds=TTL_SECONDS))
        try:
            with engine.begin() as connection:
                hit = connection.execute(
                    update_sql, {"now": stamp, "v": variant_id, "loc": location_id}
                ).rowcount
                if hit != 1:
                    raise _Refused
                connection.execute(
                    insert_sql,
                    {
                        "id": str(ULID()),
                        "v": variant_id,
                        "loc": location_id,
                        "ch": CHANNELS[channel_index],
                        "exp": expires,
                        "now": stamp,
                        "actor": "bench:core",
                    },
                )
        except _Refused:
            return REFUSED
        return OK

    def make(client: int) -> Callable[[int], str]:
        attempt(scenario.variant_ids[WARM_SKU], client % len(CHANNELS))
        target = scenario.variant_ids[sku_for("raw-core")]
        return lambda channel_index: attempt(target, channel_index)

    try:
        return run_threads(clients, total, make)
    finally:
        engine.dispose()


# -- HTTP -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http_process(
    base_url: str,
    tokens: dict[str, str],
    sku: str,
    first_client: int,
    threads: int,
    n_clients: int,
    total: int,
    barrier: Any,
    queue: Any,
) -> None:
    """A client process: ``threads`` httpx clients (one connection each)."""
    headers = {channel: {"Authorization": f"Bearer {token}"} for channel, token in tokens.items()}

    def make(client: int) -> Callable[[int], str]:
        http = httpx.Client(base_url=base_url, timeout=300)

        def attempt(target: str, channel_index: int) -> str:
            response = http.post(
                "/v1/reservations",
                json={"sku": target, "quantity": 1},
                headers=headers[CHANNELS[channel_index]],
            )
            if response.status_code == 201:
                return OK
            code = ""
            with contextlib.suppress(ValueError):
                code = response.json().get("code", "")
            if response.status_code == 409 and code == "insufficient_stock":
                return REFUSED
            return f"HTTP {response.status_code} {code}".strip()

        attempt(WARM_SKU, client % len(CHANNELS))
        return lambda channel_index: attempt(sku, channel_index)

    attempts = [make(first_client + t) for t in range(threads)]
    results: list[list[Attempt]] = [[] for _ in range(threads)]
    workers = [
        threading.Thread(
            target=drive_client,
            args=(first_client + t, n_clients, total, attempts[t], barrier, results[t]),
            daemon=True,
        )
        for t in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put([a for per_thread in results for a in per_thread])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), 0 if unknown."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class UvicornServer:
    """``python -m uvicorn omnicanal.api.asgi:app`` in a subprocess, on a free port."""

    def __init__(self, db: BenchDatabase) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "OMNICANAL_DATABASE_URL": db.url,
            "OMNICANAL_DATA_DIR": str(db.workdir),
        }
        self.log = open(db.workdir / "uvicorn.log", "w+b")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "omnicanal.api.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60, drain_timeout: float = 60) -> str:
        """Until /healthz answers, then until the outbox backlog (the set-up's events) is
        drained so the relay is idle at the start; returns a note if it never drains."""
        deadline = time.monotonic() + timeout
        health: dict[str, Any] = {}
        while not health:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not become ready: {self.tail()}")
            try:
                health = httpx.get(f"{self.url}/healthz", timeout=5).json()
            except (httpx.HTTPError, ValueError):
                time.sleep(0.1)
        deadline = time.monotonic() + drain_timeout
        best, best_at = health.get("outbox_backlog"), time.monotonic()
        while health.get("outbox_backlog") not in (0, None):
            now = time.monotonic()
            if health["outbox_backlog"] < best:
                best, best_at = health["outbox_backlog"], now
            if now > deadline or now - best_at > 10:
                return (
                    f"the server's outbox relay is not draining the backlog "
                    f"({health.get('outbox_backlog')} events left); storm started anyway"
                )
            time.sleep(0.2)
            health = httpx.get(f"{self.url}/healthz", timeout=5).json()
        return ""

    def tail(self, limit: int | None = 2000) -> str:
        self.log.flush()
        self.log.seek(0)
        text = self.log.read().decode(errors="replace")
        return text[-limit:] if limit else text

    @property
    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def run_http(
    db: BenchDatabase, scenario: Scenario, procs: int, threads: int, total: int
) -> tuple[list[Attempt], float, str]:
    """Returns the attempts, the server's CPU seconds during the storm, and its log tail."""
    server = UvicornServer(db)
    try:
        note = server.wait_ready()
        if note:
            console.print(f"  [yellow]note:[/yellow] {note}")
        context = multiprocessing.get_context("spawn")
        n_clients = procs * threads
        barrier = context.Barrier(n_clients + 1)
        queue = context.Queue()
        workers = [
            context.Process(
                target=_http_process,
                args=(
                    server.url,
                    scenario.tokens,
                    sku_for("http"),
                    p * threads,
                    threads,
                    n_clients,
                    total,
                    barrier,
                    queue,
                ),
                daemon=True,
            )
            for p in range(procs)
        ]
        for worker in workers:
            worker.start()
        barrier.wait(timeout=300)  # every client connected and warmed up
        cpu_before = server.cpu_seconds
        attempts = [a for _ in workers for a in queue.get(timeout=600)]
        cpu = server.cpu_seconds - cpu_before
        for worker in workers:
            worker.join(timeout=30)
        return attempts, cpu, server.tail(limit=None)
    finally:
        server.stop()


# -- figures --------------------------------------------------------------------------------


@dataclass
class Outcome:
    mode: str
    backend: str
    clients: str
    attempts: list[Attempt]
    units: int
    cpu_seconds: float  # of the process doing the work (bench process, or the server)
    cpu_label: str
    on_hand: int = 0
    reserved: int = 0
    active_rows: int = 0
    errors_seen: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> int:
        return sum(1 for _, _, o in self.attempts if o == OK)

    @property
    def refused(self) -> int:
        return sum(1 for _, _, o in self.attempts if o == REFUSED)

    @property
    def errors(self) -> int:
        return len(self.attempts) - self.ok - self.refused

    @property
    def start(self) -> float:
        return min(s for s, _, _ in self.attempts)

    @property
    def wall(self) -> float:
        return max(e for _, e, _ in self.attempts) - self.start

    @property
    def sold_out_after(self) -> float:
        ends = [e for _, e, o in self.attempts if o == OK]
        return (max(ends) - self.start) if ends else float("nan")

    @property
    def reservations_per_s(self) -> float:
        """Successful reservations per second until the last one (the sell-out)."""
        return self.ok / self.sold_out_after if self.ok else 0.0

    @property
    def attempts_per_s(self) -> float:
        return len(self.attempts) / self.wall

    def latencies(self, which: str | None = None) -> Latencies:
        return Latencies.of([e - s for s, e, o in self.attempts if which is None or o == which])


def check_stock(db: BenchDatabase, scenario: Scenario, outcome: Outcome, sku: str) -> None:
    """Read back the stock level and the reservation rows of the mode's SKU."""
    variant_id = scenario.variant_ids[sku]
    p = "?" if db.is_sqlite else "%s"
    connection = db.dbapi_connect()
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"SELECT on_hand, reserved FROM stock_levels "
            f"WHERE variant_id = {p} AND location_id = {p}",
            (variant_id, scenario.location_id),
        )
        outcome.on_hand, outcome.reserved = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FROM reservations WHERE variant_id = {p} AND status = 'active'",
            (variant_id,),
        )
        (outcome.active_rows,) = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()
    outcome.errors_seen = Counter(o for _, _, o in outcome.attempts if o not in (OK, REFUSED))


LABELS = {
    "raw": "raw DBAPI (baseline)",
    "raw-core": "raw SQLAlchemy Core",
    "inproc": "omnicanal in-process",
    "http": "omnicanal HTTP",
}


def print_results(outcomes: list[Outcome]) -> None:
    table = Table(title="Hot-SKU reservation storm: throughput and latency", title_justify="left")
    for name, justify in [
        ("backend", "left"),
        ("mode", "left"),
        ("clients", "right"),
        ("attempts", "right"),
        ("ok", "right"),
        ("refused", "right"),
        ("errors", "right"),
        ("reservations/s", "right"),
        ("attempts/s", "right"),
        ("p50 ms", "right"),
        ("p99 ms", "right"),
        ("p50 ok", "right"),
        ("p99 ok", "right"),
        ("CPU ms/attempt", "right"),
        ("res/s vs raw", "right"),
        ("att/s vs raw", "right"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    baselines = {o.backend: o for o in outcomes if o.mode == "raw"}
    for o in outcomes:
        base = baselines.get(o.backend)
        all_lat, ok_lat = o.latencies(), o.latencies(OK)
        table.add_row(
            o.backend,
            LABELS[o.mode],
            o.clients,
            str(len(o.attempts)),
            str(o.ok),
            str(o.refused),
            f"[red]{o.errors}[/red]" if o.errors else "0",
            f"{o.reservations_per_s:,.0f}",
            f"{o.attempts_per_s:,.0f}",
            ms(all_lat.p50_ms),
            ms(all_lat.p99_ms),
            ms(ok_lat.p50_ms),
            ms(ok_lat.p99_ms),
            f"{o.cpu_seconds * 1000 / len(o.attempts):.2f} ({o.cpu_label})",
            ratio(o.reservations_per_s / base.reservations_per_s, good_when_high=True)
            if base and base.reservations_per_s
            else "-",
            ratio(o.attempts_per_s / base.attempts_per_s, good_when_high=True) if base else "-",
        )
        if o is not outcomes[-1] and outcomes[outcomes.index(o) + 1].backend != o.backend:
            table.add_section()
    console.print(table)
    console.print(
        "  reservations/s = successes ÷ time from the first attempt to the last success "
        "(the sell-out); attempts/s = all attempts ÷ wall time. Latencies are per attempt, "
        "client side; 'ok' = successful attempts only. CPU = user+sys of the bench process "
        "(raw, raw-core, inproc: the database's own CPU not included; PostgreSQL runs in other "
        "processes) or of the uvicorn server process (http).\n"
    )

    checks = Table(title="Oversell checks (must all be ✓)", title_justify="left")
    for name in (
        "backend",
        "mode",
        "units",
        "ok",
        "ok - units (must be 0)",
        "final reserved",
        "reserved = ok",
        "active rows",
        "rows = ok",
        "on_hand unchanged",
    ):
        checks.add_column(name, justify="left" if name in ("backend", "mode") else "right")
    for o in outcomes:
        over = o.ok - o.units

        def mark(good: bool) -> str:
            return "[green]✓[/green]" if good else "[bold red]✗[/bold red]"

        checks.add_row(
            o.backend,
            LABELS[o.mode],
            str(o.units),
            str(o.ok),
            f"{mark(over == 0)} {over:+d}" if over else f"{mark(True)} 0",
            str(o.reserved),
            mark(o.reserved == o.ok),
            str(o.active_rows),
            mark(o.active_rows == o.ok),
            mark(o.on_hand == o.units),
        )
    console.print(checks)
    for o in outcomes:
        for message, count in o.errors_seen.most_common(3):
            console.print(f"  [red]{o.backend} {o.mode}: {count} x {message}[/red]")


# -- main -----------------------------------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace) -> list[Outcome]:
    modes = [m for m in MODES if m in args.modes]
    total = args.units * args.factor
    outcomes: list[Outcome] = []
    with fresh_database(backend, "reservations") as db:
        platform = build_platform_on(db, pool_size=max(20, args.threads))
        try:
            with console.status(f"[bold]{backend}[/bold]: setting up store, SKUs and keys"):
                scenario = set_up(platform, args.units, modes)
            for mode in modes:
                with console.status(f"[bold]{backend}[/bold]: {LABELS[mode]} storm…"):
                    cpu_label = "bench"
                    cpu_before = time.process_time()
                    server_log = ""
                    if mode == "raw":
                        attempts = run_raw_dbapi(db, scenario, args.threads, total)
                    elif mode == "raw-core":
                        attempts = run_raw_core(db, scenario, args.threads, total)
                    elif mode == "inproc":
                        attempts = run_inproc(platform, scenario, args.threads, total)
                    else:
                        # The events of the set-up and the earlier modes are not part of
                        # the HTTP storm: mark them published so that the server's relay
                        # starts idle instead of relaying them during the storm.
                        with platform.db.write_engine.begin() as connection:
                            connection.exec_driver_sql(
                                "UPDATE outbox SET published = TRUE WHERE published = FALSE"
                            )
                        platform.db.dispose()  # the server has the database to itself
                        attempts, cpu, server_log = run_http(
                            db, scenario, args.procs, args.proc_threads, total
                        )
                        cpu_label = "server"
                    if mode != "http":
                        cpu = time.process_time() - cpu_before
                clients = (
                    f"{args.procs}x{args.proc_threads}" if mode == "http" else str(args.threads)
                )
                outcome = Outcome(mode, backend, clients, attempts, args.units, cpu, cpu_label)
                check_stock(db, scenario, outcome, sku_for(mode))
                outcomes.append(outcome)
                console.print(
                    f"  {backend:<10} {LABELS[mode]:<22} {outcome.ok} ok, {outcome.refused} "
                    f"refused, {outcome.errors} errors in {outcome.wall:.2f} s"
                )
                if server_log.strip():
                    lines = server_log.strip().splitlines()
                    failures = [
                        line
                        for line in lines
                        if line[:1].isalpha()
                        and ("Error" in line.split(":")[0] or "Exception" in line.split(":")[0])
                    ]
                    console.print(
                        f"  [yellow]note:[/yellow] the server logged "
                        f"{server_log.count('Traceback')} traceback(s) in {len(lines)} lines; "
                        f"last error: {failures[-1] if failures else lines[-1]}"
                    )
            if args.profile:
                profile_reserve(platform, scenario, backend, args.profile)
        finally:
            platform.close()
    return outcomes


def profile_reserve(platform: Any, scenario: Scenario, backend: str, count: int) -> None:
    """Serial, uncontended successful reservations under cProfile."""
    from omnicanal.inventory import service
    from omnicanal.inventory.schemas import ReservationIn

    actor = scenario.actors["web"]

    def reserve_once() -> None:
        with platform.db.transaction() as session:
            service.reserve(
                session,
                data=ReservationIn(sku=WARM_SKU, quantity=1),
                actor=actor,
                default_ttl_seconds=TTL_SECONDS,
            )

    for _ in range(20):
        reserve_once()
    profile_calls(
        f"{backend}: service.reserve() in platform.db.transaction(), serial",
        reserve_once,
        count,
        [platform.db.write_engine, platform.db.read_engine],
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reservations", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--units", type=int, default=500, help="units of the hot SKU (500)")
    parser.add_argument(
        "--factor", type=int, default=2, help="attempts per unit: attempts = units x factor (2)"
    )
    parser.add_argument(
        "--threads", type=int, default=16, help="threads of the raw, raw-core and inproc modes (16)"
    )
    parser.add_argument("--procs", type=int, default=4, help="HTTP client processes (4)")
    parser.add_argument(
        "--proc-threads",
        type=int,
        default=4,
        help="threads per HTTP client process (4: 16 clients in all)",
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=list(MODES),
        help="modes to run (all); the ratio needs 'raw'",
    )
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=300,
        default=0,
        metavar="N",
        help="also profile N (300) serial in-process reservations per backend "
        "and print the time per omnicanal function",
    )
    args = parser.parse_args(argv)
    if args.factor < 1 or args.units < 1:
        parser.error("--units and --factor must be at least 1")

    backends = resolve_backends(args.backend)
    print_machine(
        "bench.reservations: hot-SKU storm",
        backends,
        {
            "storm": f"1 SKU x {args.units} units at 1 store; {args.units * args.factor} "
            f"attempts of 1 unit over 4 channel keys ({', '.join(CHANNELS)})",
            "clients": f"{args.threads} threads (raw, raw-core, inproc); "
            f"{args.procs} processes x {args.proc_threads} threads (http)",
        },
    )
    outcomes: list[Outcome] = []
    for backend in backends:
        outcomes += run_backend(backend, args)
    console.print()
    print_results(outcomes)
    print_load_after()


if __name__ == "__main__":
    main()
