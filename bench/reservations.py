"""Hot-SKU reservation storm: many clients, one SKU, more requests than units.

One store fulfils web, app, store and call_centre; one SKU has ``--units`` units there.
``--factor`` x units clients' requests each reserve ONE unit, spread over four API keys
(one per channel). Modes, each on its own SKU with the same stock, the same database:

* ``raw``       the baseline: plain DBAPI (sqlite3 / psycopg), one transaction per attempt:
                the conditional ``UPDATE stock_levels ... WHERE available >= 1`` and, when it
                hit, an INSERT of a reservation row. No omnicanal code.
* ``raw-core``  the same two statements through SQLAlchemy Core (``engine.begin()`` + text()),
                to tell SQLAlchemy's own cost apart from omnicanal's.
* ``raw-last``  the same statements in omnicanal's order: the INSERT first, the conditional
                UPDATE last (the row lock is then held through the COMMIT only); a miss
                rolls back.
* ``raw-units`` the other design, in the bench only: one row per unit in a table of its own;
                an attempt claims one with ``SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1`` and
                an UPDATE, then inserts the reservation row (SQLite: the same statements
                under ``BEGIN IMMEDIATE``, which has no row locks to skip).
* ``inproc``    threads calling ``omnicanal.inventory.service.reserve`` inside
                ``platform.db.transaction()`` (InsufficientStock counts as a refusal).
* ``http``      ``--procs`` client processes x ``--proc-threads`` threads (httpx) POSTing
                /v1/reservations to a real uvicorn server run as a subprocess
                (``python -m uvicorn omnicanal.api.asgi:app``, background relay and sweeper on,
                as ``omnicanal serve`` runs it).
* ``open-loop`` the same server, sent ``--rate`` reservations a second for ``--duration``
                seconds on one hot SKU on a fixed schedule, whether or not the earlier ones
                were answered; latency is measured from each request's scheduled time.

Before the storms, ``--serial`` successful reservations per mode, one at a time, give what
one reservation costs: CPU milliseconds, SQL statements and transactions (``http``: the API
application called in this process through ASGI, counted on its engines).

    .venv/bin/python -m bench.reservations                     # both backends, ~2 min
    .venv/bin/python -m bench.reservations --backend sqlite --units 2000 --threads 32
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, MutableMapping
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
    cpu_seconds,
    free_port,
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
MODES = ("raw", "raw-core", "raw-last", "raw-units", "inproc", "http", "open-loop")
SERIAL = ("raw", "raw-core", "raw-last", "raw-units", "inproc", "http")
DESIGNS = {"raw": "update", "raw-last": "update-last", "raw-units": "units"}
"""The plain DBAPI modes and the order of statements each runs (:func:`raw_attempt`)."""
TTL_SECONDS = 900

# An attempt: (start, end, outcome) with perf_counter() times; outcome is OK, REFUSED or
# an error text. perf_counter is CLOCK_MONOTONIC on Linux, comparable across processes.
Attempt = tuple[float, float, str]


@dataclass
class Tally:
    """SQL statements and transactions, counted from every thread of a mode."""

    statements: int = 0
    transactions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, statements: int = 0, transactions: int = 0) -> None:
        with self.lock:
            self.statements += statements
            self.transactions += transactions


_QUIET = threading.local()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """What this thread runs here is not counted (a client's warm-up)."""
    _QUIET.on = True
    try:
        yield
    finally:
        _QUIET.on = False


@contextlib.contextmanager
def counted(engines: list[Any], tally: Tally) -> Iterator[None]:
    """Count the statements and transactions that ``engines`` run into ``tally``."""
    from sqlalchemy import event

    def statement(*_: Any) -> None:
        if not getattr(_QUIET, "on", False):
            tally.add(statements=1)

    def transaction(*_: Any) -> None:
        if not getattr(_QUIET, "on", False):
            tally.add(transactions=1)

    engines = list(dict.fromkeys(engines))
    for engine in engines:
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "begin", transaction)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", statement)
            event.remove(engine, "begin", transaction)


# -- driving clients ------------------------------------------------------------------------


def describe(error: BaseException) -> str:
    """An attempt's error as one short line (its type, and its first line if any)."""
    lines = str(error).splitlines()
    return f"{type(error).__name__}: {lines[0][:120]}" if lines else type(error).__name__


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
            outcome = describe(error)
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


def set_up(platform: Any, units: int, modes: list[str], open_loop_units: int = 0) -> Scenario:
    """Store, SKUs and keys, made through omnicanal's own use cases (the open loop's SKU
    has ``open_loop_units``: every request of a steady rate finds one)."""
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
                    quantity={WARM_SKU: 100_000, sku_for("open-loop"): open_loop_units}.get(
                        sku, units
                    ),
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


def run_inproc(
    platform: Any, scenario: Scenario, clients: int, total: int, tally: Tally
) -> list[Attempt]:
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
        with quiet():
            reserve_once(WARM_SKU, client % len(CHANNELS))  # warm: pool connection, caches
        return lambda channel_index: reserve_once(sku, channel_index)

    with counted([platform.db.write_engine, platform.db.read_engine], tally):
        return run_threads(clients, total, make)


_RAW_UPDATE = (
    "UPDATE stock_levels SET reserved = reserved + 1, updated_at = {p} "
    "WHERE variant_id = {p} AND location_id = {p} "
    "AND on_hand - reserved - safety_stock >= 1"
)
_RAW_INSERT = (
    "INSERT INTO reservations (id, variant_id, location_id, channel, quantity, status, "
    "reference, expires_at, created_at, updated_at, ended_at, actor) "
    "VALUES ({p}, {p}, {p}, {p}, 1, 'active', NULL, {p}, {p}, {p}, NULL, {p})"
)


_UNITS_TABLE = "bench_units"
_RAW_CLAIM = (
    "SELECT id FROM bench_units WHERE variant_id = {p} AND location_id = {p} "
    "AND reservation_id IS NULL LIMIT 1"
)
_RAW_MARK = "UPDATE bench_units SET reservation_id = {p} WHERE id = {p}"


def create_units(db: BenchDatabase, scenario: Scenario, counts: dict[str, int]) -> None:
    """The table of the ``raw-units`` design: one row per unit, claimed by a reservation."""
    key = "INTEGER PRIMARY KEY" if db.is_sqlite else "BIGSERIAL PRIMARY KEY"
    p = "?" if db.is_sqlite else "%s"
    connection = db.dbapi_connect()
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"CREATE TABLE {_UNITS_TABLE} (id {key}, variant_id VARCHAR(26) NOT NULL, "
            "location_id VARCHAR(26) NOT NULL, reservation_id VARCHAR(26))"
        )
        cursor.execute(
            f"CREATE INDEX ix_bench_units_free ON {_UNITS_TABLE} (variant_id, location_id) "
            "WHERE reservation_id IS NULL"
        )
        for sku, count in counts.items():
            cursor.executemany(
                f"INSERT INTO {_UNITS_TABLE} (variant_id, location_id) VALUES ({p}, {p})",
                [(scenario.variant_ids[sku], scenario.location_id)] * count,
            )
        if not db.is_sqlite:
            connection.commit()
        cursor.close()
    finally:
        connection.close()


def raw_attempt(
    db: BenchDatabase,
    connection: Any,
    *,
    design: str,
    variant_id: str,
    location_id: str,
    channel: str,
    tally: Tally | None,
) -> str:
    """One attempt on a plain DBAPI connection, in one transaction. ``update``: the
    conditional UPDATE, then the INSERT of the reservation when it hit. ``update-last``: the
    INSERT first and the conditional UPDATE last (rolled back when it misses), as omnicanal
    orders them. ``units``: claim a free unit row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)
    and mark it, then the INSERT."""
    from ulid import ULID

    p = "?" if db.is_sqlite else "%s"
    skip_locked = "" if db.is_sqlite else " FOR UPDATE SKIP LOCKED"
    now = datetime.now(UTC)
    stamp, expires = db.timestamp(now), db.timestamp(now + timedelta(seconds=TTL_SECONDS))
    reservation_id = str(ULID())
    statements = 0
    if db.is_sqlite:
        connection.execute("BEGIN IMMEDIATE")
    cursor = connection.cursor()
    row = (reservation_id, variant_id, location_id, channel, expires, stamp, stamp, "bench")
    try:
        if design == "update-last":
            cursor.execute(_RAW_INSERT.format(p=p), row)
            cursor.execute(_RAW_UPDATE.format(p=p), (stamp, variant_id, location_id))
            hit = cursor.rowcount == 1
            statements += 2
        elif design == "update":
            cursor.execute(_RAW_UPDATE.format(p=p), (stamp, variant_id, location_id))
            hit = cursor.rowcount == 1
            statements += 1
        else:
            cursor.execute(_RAW_CLAIM.format(p=p) + skip_locked, (variant_id, location_id))
            unit = cursor.fetchone()
            statements += 1
            hit = unit is not None
            if unit is not None:
                cursor.execute(_RAW_MARK.format(p=p), (reservation_id, unit[0]))
                statements += 1
        if hit and design != "update-last":
            cursor.execute(_RAW_INSERT.format(p=p), row)
            statements += 1
        if hit:
            if db.is_sqlite:
                connection.execute("COMMIT")
            else:
                connection.commit()
        elif db.is_sqlite:
            connection.execute("ROLLBACK")
        else:
            connection.rollback()
    except BaseException:
        if db.is_sqlite:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
        else:
            connection.rollback()
        raise
    finally:
        cursor.close()
    if tally is not None:
        tally.add(statements=statements, transactions=1)
    return OK if hit else REFUSED


def run_raw_dbapi(
    db: BenchDatabase,
    scenario: Scenario,
    clients: int,
    total: int,
    tally: Tally,
    *,
    mode: str = "raw",
) -> list[Attempt]:
    """The baseline (``raw``: the database doing the conditional update + insert, nothing
    else), the same with the UPDATE last (``raw-last``), or the unit-row design
    (``raw-units``)."""
    design = DESIGNS[mode]
    location_id = scenario.location_id

    def make(client: int) -> Callable[[int], str]:
        connection = db.dbapi_connect()

        def attempt(variant_id: str, channel_index: int, counting: Tally | None) -> str:
            return raw_attempt(
                db,
                connection,
                design=design,
                variant_id=variant_id,
                location_id=location_id,
                channel=CHANNELS[channel_index],
                tally=counting,
            )

        attempt(scenario.variant_ids[WARM_SKU], client % len(CHANNELS), None)
        target = scenario.variant_ids[sku_for(mode)]
        return lambda channel_index: attempt(target, channel_index, tally)

    return run_threads(clients, total, make)


class _Refused(Exception):
    pass


def core_engine(db: BenchDatabase, pool_size: int) -> Any:
    """A pooled SQLAlchemy engine configured as omnicanal's (SQLite: WAL, BEGIN IMMEDIATE)."""
    from sqlalchemy import create_engine, event

    if not db.is_sqlite:
        return create_engine(db.url, pool_size=pool_size, max_overflow=pool_size)
    engine = create_engine(
        db.url,
        connect_args={"timeout": 60, "check_same_thread": False},
        pool_size=pool_size,
        max_overflow=pool_size,
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

    return engine


def core_attempt(
    db: BenchDatabase,
    engine: Any,
    *,
    variant_id: str,
    location_id: str,
    channel: str,
    tally: Tally | None,
) -> str:
    """The baseline's two statements through ``engine.begin()`` and ``text()``."""
    from sqlalchemy import text
    from ulid import ULID

    now = datetime.now(UTC)
    stamp, expires = db.timestamp(now), db.timestamp(now + timedelta(seconds=TTL_SECONDS))
    try:
        with engine.begin() as connection:
            hit = connection.execute(
                text(_RAW_UPDATE.format(p=":{}").format("now", "v", "loc")),
                {"now": stamp, "v": variant_id, "loc": location_id},
            ).rowcount
            if hit != 1:
                raise _Refused
            connection.execute(
                text(
                    _RAW_INSERT.format(p=":{}").format(
                        "id", "v", "loc", "ch", "exp", "now", "now", "actor"
                    )
                ),
                {
                    "id": str(ULID()),
                    "v": variant_id,
                    "loc": location_id,
                    "ch": channel,
                    "exp": expires,
                    "now": stamp,
                    "actor": "bench:core",
                },
            )
    except _Refused:
        if tally is not None:
            tally.add(statements=1, transactions=1)
        return REFUSED
    if tally is not None:
        tally.add(statements=2, transactions=1)
    return OK


def run_raw_core(
    db: BenchDatabase, scenario: Scenario, clients: int, total: int, tally: Tally
) -> list[Attempt]:
    """The baseline through SQLAlchemy Core: a pooled engine configured as omnicanal's,
    ``engine.begin()`` and two text() statements."""
    engine = core_engine(db, clients)

    def attempt(variant_id: str, channel_index: int, counting: Tally | None) -> str:
        return core_attempt(
            db,
            engine,
            variant_id=variant_id,
            location_id=scenario.location_id,
            channel=CHANNELS[channel_index],
            tally=counting,
        )

    def make(client: int) -> Callable[[int], str]:
        attempt(scenario.variant_ids[WARM_SKU], client % len(CHANNELS), None)
        target = scenario.variant_ids[sku_for("raw-core")]
        return lambda channel_index: attempt(target, channel_index, tally)

    try:
        return run_threads(clients, total, make)
    finally:
        engine.dispose()


# -- HTTP -----------------------------------------------------------------------------------


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


class UvicornServer:
    """``python -m uvicorn omnicanal.api.asgi:app`` (or another app, ``factory`` when it is
    a function building the app) in a subprocess, on a free port."""

    def __init__(
        self, db: BenchDatabase, *, app: str = "omnicanal.api.asgi:app", factory: bool = False
    ) -> None:
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
                *(["--factory"] if factory else []),
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
                # The open loop's idle connections stay open: a server closing one as the
                # client reuses it would count as an error that no real client pays.
                "--timeout-keep-alive",
                "120",
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
        return cpu_seconds(self.process.pid)

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


class InProcessApi:
    """The API application called in this process through ASGI, with no server and no
    client: what omnicanal's own code costs per request, and the SQL it sends."""

    def __init__(self, platform: Any) -> None:
        from omnicanal.api.app import create_app

        self.app = create_app(platform, background=False)
        self.loop = asyncio.new_event_loop()
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.loop.run_until_complete(self._lifespan.__aenter__())

    async def _call(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "headers": [
                (b"host", b"bench"),
                (b"authorization", f"Bearer {token}".encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
        messages: list[dict[str, Any]] = [{"type": "http.request", "body": body}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)  # the client never disconnects
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(dict(message))

        await self.app(scope, receive, send)
        answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return int(sent[0]["status"]), answer

    def post(self, path: str, payload: dict[str, Any], token: str) -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._call(path, json.dumps(payload).encode(), token))

    def close(self) -> None:
        self.loop.run_until_complete(self._lifespan.__aexit__(None, None, None))
        self.loop.close()


@contextlib.contextmanager
def thread_pool_inline() -> Iterator[None]:
    """Run what FastAPI sends to its thread pool in the calling thread, so that a profiler
    of that thread sees it (the thread hop's own cost is then left out)."""
    import anyio.to_thread

    original = anyio.to_thread.run_sync

    async def inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    try:
        yield
    finally:
        anyio.to_thread.run_sync = original


# -- open loop ------------------------------------------------------------------------------


async def _open_loop(url: str, token: str, sku: str, rate: float, count: int) -> list[Attempt]:
    """``count`` reservations sent ``rate`` a second on a fixed schedule, whatever the
    answers; each attempt's start is its scheduled time."""
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:

        async def one(target: str, scheduled: float) -> Attempt:
            try:
                response = await http.post(
                    "/v1/reservations", json={"sku": target, "quantity": 1}, headers=headers
                )
                outcome = OK if response.status_code == 201 else f"HTTP {response.status_code}"
                if response.status_code == 409:
                    outcome = REFUSED
            except Exception as error:
                outcome = describe(error)
            return scheduled, time.perf_counter(), outcome

        # Warm: a few connections open and the server's caches filled, off the schedule.
        await asyncio.gather(*(one(WARM_SKU, time.perf_counter()) for _ in range(8)))
        start = time.perf_counter() + 0.2
        tasks = []
        for i in range(count):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(sku, scheduled)))
        return list(await asyncio.gather(*tasks))


def run_open_loop(
    db: BenchDatabase, scenario: Scenario, rate: float, count: int
) -> tuple[list[Attempt], float, str]:
    """Returns the attempts, the server's CPU seconds during the run, and its log tail."""
    server = UvicornServer(db)
    try:
        note = server.wait_ready()
        if note:
            console.print(f"  [yellow]note:[/yellow] {note}")
        cpu_before = server.cpu_seconds
        attempts = asyncio.run(
            _open_loop(server.url, scenario.tokens["web"], sku_for("open-loop"), rate, count)
        )
        return attempts, server.cpu_seconds - cpu_before, server.tail(limit=None)
    finally:
        server.stop()


# -- one reservation at a time --------------------------------------------------------------


@dataclass
class Serial:
    """What one successful reservation costs, measured one at a time."""

    mode: str
    backend: str
    count: int
    cpu_seconds: float
    tally: Tally

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds * 1000 / self.count

    @property
    def statements(self) -> float:
        return self.tally.statements / self.count

    @property
    def transactions(self) -> float:
        return self.tally.transactions / self.count


def _one_reservation(
    db: BenchDatabase, platform: Any, scenario: Scenario, mode: str
) -> tuple[Callable[[Tally | None], None], Callable[[], None]]:
    """A call that makes one successful reservation of the warm SKU in ``mode`` (the raw
    modes count what they send into the tally given), and what closes its connection."""
    from omnicanal.inventory import service
    from omnicanal.inventory.schemas import ReservationIn

    warm_id, location_id = scenario.variant_ids[WARM_SKU], scenario.location_id
    if mode in DESIGNS:
        connection = db.dbapi_connect()
        design = DESIGNS[mode]

        def raw(tally: Tally | None) -> None:
            outcome = raw_attempt(
                db,
                connection,
                design=design,
                variant_id=warm_id,
                location_id=location_id,
                channel="web",
                tally=tally,
            )
            assert outcome == OK, outcome

        return raw, connection.close
    if mode == "raw-core":
        engine = core_engine(db, 1)

        def core(tally: Tally | None) -> None:
            outcome = core_attempt(
                db, engine, variant_id=warm_id, location_id=location_id, channel="web", tally=tally
            )
            assert outcome == OK, outcome

        return core, engine.dispose
    if mode == "inproc":

        def inproc(_: Tally | None) -> None:
            with platform.db.transaction() as session:
                service.reserve(
                    session,
                    data=ReservationIn(sku=WARM_SKU, quantity=1),
                    actor=scenario.actors["web"],
                    default_ttl_seconds=TTL_SECONDS,
                )

        return inproc, lambda: None
    api = InProcessApi(platform)

    def http(_: Tally | None) -> None:
        status, answer = api.post(
            "/v1/reservations", {"sku": WARM_SKU, "quantity": 1}, scenario.tokens["web"]
        )
        assert status == 201, answer[:300]

    return http, api.close


def measure_serial(
    db: BenchDatabase, platform: Any, scenario: Scenario, backend: str, modes: list[str], n: int
) -> list[Serial]:
    """``n`` successful reservations of the warm SKU per mode, one after the other: the
    bench process's CPU and the statements sent, per reservation (counted by the raw modes
    themselves, on omnicanal's engines for the others)."""
    engines = [platform.db.write_engine, platform.db.read_engine]
    results: list[Serial] = []
    for mode in (m for m in SERIAL if m in modes):
        tally = Tally()
        once, close = _one_reservation(db, platform, scenario, mode)
        counting = (
            counted(engines, tally) if mode in ("inproc", "http") else contextlib.nullcontext()
        )
        try:
            for _ in range(10):
                once(None)
            with counting:
                cpu = time.process_time()
                for _ in range(n):
                    once(tally)
                cpu = time.process_time() - cpu
        finally:
            close()
        results.append(Serial(mode, backend, n, cpu, tally))
    return results


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
    tally: Tally | None = None  # what the mode sent, where it was counted
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

    @property
    def cpu_ms_per_attempt(self) -> float:
        return self.cpu_seconds * 1000 / len(self.attempts)

    def latencies(self, which: str | None = None) -> Latencies:
        return Latencies.of([e - s for s, e, o in self.attempts if which is None or o == which])


def check_stock(db: BenchDatabase, scenario: Scenario, outcome: Outcome, sku: str) -> None:
    """Read back the stock of the mode's SKU (``raw-units``: its unit rows) and its
    reservation rows."""
    variant_id = scenario.variant_ids[sku]
    p = "?" if db.is_sqlite else "%s"
    connection = db.dbapi_connect()
    try:
        cursor = connection.cursor()
        if outcome.mode == "raw-units":
            cursor.execute(
                f"SELECT count(*), count(reservation_id) FROM {_UNITS_TABLE} "
                f"WHERE variant_id = {p} AND location_id = {p}",
                (variant_id, scenario.location_id),
            )
        else:
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
    "raw-last": "raw, UPDATE last",
    "raw-units": "raw unit rows, SKIP LOCKED",
    "inproc": "omnicanal in-process",
    "http": "omnicanal HTTP",
    "open-loop": "omnicanal HTTP, open loop",
}


def _mark(good: bool) -> str:
    return "[green]✓[/green]" if good else "[bold red]✗[/bold red]"


def print_serial(serials: list[Serial]) -> None:
    table = Table(
        title="One reservation at a time: what each costs (successful reservations, serial)",
        title_justify="left",
    )
    for name in (
        "backend",
        "mode",
        "reservations",
        "CPU ms/reservation",
        "SQL statements/reservation",
        "transactions/reservation",
        "round trips/reservation (PostgreSQL)",
    ):
        table.add_column(name, justify="left" if name in ("backend", "mode") else "right")
    for serial in serials:
        round_trips = "-"
        if serial.backend == "postgresql":
            round_trips = f"{serial.statements + 2 * serial.transactions:.1f}"
        table.add_row(
            serial.backend,
            LABELS[serial.mode],
            str(serial.count),
            f"{serial.cpu_ms:.2f}",
            f"{serial.statements:.1f}",
            f"{serial.transactions:.1f}",
            round_trips,
        )
    console.print(table)
    console.print(
        "  CPU = user+sys of the bench process per reservation (the database's own CPU not "
        "included). 'omnicanal HTTP' calls the API application in this process through ASGI "
        "(middleware, authentication, validation, the write, the JSON answer; no HTTP server "
        "or client). Statements and transactions are counted on the engines "
        "(before_cursor_execute, begin); a PostgreSQL transaction adds its BEGIN and COMMIT "
        "round trips, and no pool pre-ping is sent.\n"
    )


def print_results(outcomes: list[Outcome]) -> None:
    storms = [o for o in outcomes if o.mode != "open-loop"]
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
        ("SQL/attempt", "right"),
        ("res/s vs raw", "right"),
        ("att/s vs raw", "right"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    baselines = {o.backend: o for o in storms if o.mode == "raw"}
    for index, o in enumerate(storms):
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
            f"{o.cpu_ms_per_attempt:.2f} ({o.cpu_label})",
            f"{o.tally.statements / len(o.attempts):.1f}" if o.tally else "-",
            ratio(o.reservations_per_s / base.reservations_per_s, good_when_high=True)
            if base and base.reservations_per_s
            else "-",
            ratio(o.attempts_per_s / base.attempts_per_s, good_when_high=True) if base else "-",
        )
        if index + 1 < len(storms) and storms[index + 1].backend != o.backend:
            table.add_section()
    console.print(table)
    console.print(
        "  reservations/s = successes ÷ time from the first attempt to the last success "
        "(the sell-out); attempts/s = all attempts ÷ wall time. Latencies are per attempt, "
        "client side; 'ok' = successful attempts only. CPU = user+sys of the bench process "
        "(raw modes and inproc: the database's own CPU not included; PostgreSQL "
        "runs in other processes) or of the uvicorn server process (http: its outbox relay "
        "and sweeper included). SQL/attempt: statements counted in the bench (the server's "
        "are in the serial table above).\n"
    )
    print_open_loop([o for o in outcomes if o.mode == "open-loop"])

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
        checks.add_row(
            o.backend,
            LABELS[o.mode],
            str(o.units),
            str(o.ok),
            f"{_mark(over <= 0)} {over:+d}" if over else f"{_mark(True)} 0",
            str(o.reserved),
            _mark(o.reserved == o.ok),
            str(o.active_rows),
            _mark(o.active_rows == o.ok),
            _mark(o.on_hand == o.units),
        )
    console.print(checks)
    console.print(
        "  raw unit rows: 'final reserved' counts the claimed unit rows and 'on_hand' the unit "
        "rows. The open loop does not sell out: every request finds a unit.\n"
    )
    for o in outcomes:
        for message, count in o.errors_seen.most_common(3):
            console.print(f"  [red]{o.backend} {o.mode}: {count} x {message}[/red]")


OPEN_LOOP_P99_MS = 50


def print_open_loop(outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    table = Table(
        title="Open loop: a steady rate on one hot SKU, latency from each scheduled time",
        title_justify="left",
    )
    for name in (
        "backend",
        "rate asked",
        "rate served",
        "requests",
        "ok",
        "refused",
        "errors",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        f"p99 < {OPEN_LOOP_P99_MS} ms",
        "server CPU ms/request",
    ):
        table.add_column(name, justify="left" if name == "backend" else "right")
    for o in outcomes:
        latency = o.latencies()
        scheduled = max(s for s, _, _ in o.attempts) - o.start
        table.add_row(
            o.backend,
            f"{(len(o.attempts) - 1) / scheduled:,.0f}/s" if scheduled else "-",
            f"{o.ok / o.wall:,.0f}/s",
            str(len(o.attempts)),
            str(o.ok),
            str(o.refused),
            f"[red]{o.errors}[/red]" if o.errors else "0",
            ms(latency.p50_ms),
            ms(latency.p90_ms),
            ms(latency.p99_ms),
            ms(latency.max_ms),
            _mark(latency.p99_ms < OPEN_LOOP_P99_MS),
            f"{o.cpu_ms_per_attempt:.2f}",
        )
    console.print(table)
    console.print(
        "  Requests leave on a fixed schedule whether or not the earlier ones were answered "
        "(one asyncio client, a connection per request in flight); a latency runs from the "
        "request's scheduled time to its answer, so a server that falls behind shows it. "
        "rate served = successes ÷ time from the first scheduled request to the last answer.\n"
    )


# -- main -----------------------------------------------------------------------------------


def _server_note(server_log: str) -> None:
    if not server_log.strip():
        return
    lines = server_log.strip().splitlines()
    failures = [
        line
        for line in lines
        if line[:1].isalpha()
        and ("Error" in line.split(":")[0] or "Exception" in line.split(":")[0])
    ]
    console.print(
        f"  [yellow]note:[/yellow] the server logged {server_log.count('Traceback')} "
        f"traceback(s) in {len(lines)} lines; last error: "
        f"{failures[-1] if failures else lines[-1]}"
    )


def _quiet_relay(platform: Any) -> None:
    """The events of the set-up and the earlier modes are not part of what a server run
    measures: marked published, so that the server's relay starts idle."""
    with platform.db.write_engine.begin() as connection:
        connection.exec_driver_sql("UPDATE outbox SET published = TRUE WHERE published = FALSE")


def run_backend(backend: str, args: argparse.Namespace) -> tuple[list[Outcome], list[Serial]]:
    modes = [m for m in MODES if m in args.modes]
    total = args.units * args.factor
    open_loop_count = int(args.rate * args.duration)
    outcomes: list[Outcome] = []
    serials: list[Serial] = []
    with fresh_database(backend, "reservations") as db:
        platform = build_platform_on(db, pool_size=max(20, args.threads))
        try:
            with console.status(f"[bold]{backend}[/bold]: setting up store, SKUs and keys"):
                scenario = set_up(platform, args.units, modes, open_loop_units=open_loop_count)
                if "raw-units" in modes:
                    # Unit rows for the storm's SKU, and for the warm SKU: the clients'
                    # warm-ups and the serial run.
                    create_units(
                        db,
                        scenario,
                        {
                            sku_for("raw-units"): args.units,
                            WARM_SKU: args.threads + args.serial + 20,
                        },
                    )
            if args.serial:
                with console.status(f"[bold]{backend}[/bold]: one reservation at a time…"):
                    serials = measure_serial(db, platform, scenario, backend, modes, args.serial)
            for mode in modes:
                with console.status(f"[bold]{backend}[/bold]: {LABELS[mode]}…"):
                    cpu_label = "bench"
                    cpu_before = time.process_time()
                    server_log = ""
                    tally: Tally | None = Tally()
                    assert tally is not None
                    units = args.units
                    if mode in DESIGNS:
                        attempts = run_raw_dbapi(
                            db, scenario, args.threads, total, tally, mode=mode
                        )
                    elif mode == "raw-core":
                        attempts = run_raw_core(db, scenario, args.threads, total, tally)
                    elif mode == "inproc":
                        attempts = run_inproc(platform, scenario, args.threads, total, tally)
                    else:
                        _quiet_relay(platform)
                        platform.db.dispose()  # the server has the database to itself
                        tally, cpu_label = None, "server"
                        if mode == "http":
                            attempts, cpu, server_log = run_http(
                                db, scenario, args.procs, args.proc_threads, total
                            )
                        else:
                            units = open_loop_count
                            attempts, cpu, server_log = run_open_loop(
                                db, scenario, args.rate, open_loop_count
                            )
                    if cpu_label == "bench":
                        cpu = time.process_time() - cpu_before
                clients = {
                    "http": f"{args.procs}x{args.proc_threads}",
                    "open-loop": f"{args.rate:g}/s",
                }.get(mode, str(args.threads))
                outcome = Outcome(mode, backend, clients, attempts, units, cpu, cpu_label, tally)
                check_stock(db, scenario, outcome, sku_for(mode))
                outcomes.append(outcome)
                console.print(
                    f"  {backend:<10} {LABELS[mode]:<27} {outcome.ok} ok, {outcome.refused} "
                    f"refused, {outcome.errors} errors in {outcome.wall:.2f} s"
                )
                _server_note(server_log)
            if args.profile:
                profile_reserve(platform, scenario, backend, args.profile)
        finally:
            platform.close()
    return outcomes, serials


def profile_reserve(platform: Any, scenario: Scenario, backend: str, count: int) -> None:
    """Serial, uncontended successful reservations under cProfile: the use case in its
    transaction, then the whole HTTP request through the application in this process."""
    from omnicanal.inventory import service
    from omnicanal.inventory.schemas import ReservationIn

    actor, token = scenario.actors["web"], scenario.tokens["web"]
    engines = [platform.db.write_engine, platform.db.read_engine]

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
        engines,
    )

    api = InProcessApi(platform)

    def request_once() -> None:
        status, answer = api.post("/v1/reservations", {"sku": WARM_SKU, "quantity": 1}, token)
        assert status == 201, answer[:300]

    try:
        with thread_pool_inline():
            for _ in range(20):
                request_once()
            profile_calls(
                f"{backend}: POST /v1/reservations through the application in this process "
                "(thread pool inline), serial",
                request_once,
                count,
                engines,
            )
    finally:
        api.close()


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
        "--threads",
        type=int,
        default=16,
        help="threads of the raw modes and inproc (16)",
    )
    parser.add_argument("--procs", type=int, default=4, help="HTTP client processes (4)")
    parser.add_argument(
        "--proc-threads",
        type=int,
        default=4,
        help="threads per HTTP client process (4: 16 clients in all)",
    )
    parser.add_argument(
        "--rate", type=float, default=100, help="open loop: reservations a second (100)"
    )
    parser.add_argument(
        "--duration", type=float, default=10, help="open loop: seconds at that rate (10)"
    )
    parser.add_argument(
        "--serial",
        type=int,
        default=200,
        metavar="N",
        help="reservations one at a time per mode, for the cost of one (200; 0: none)",
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
        help="also profile N (300) serial reservations per backend, in-process and over the "
        "application, and print the time per omnicanal function",
    )
    args = parser.parse_args(argv)
    if args.factor < 1 or args.units < 1:
        parser.error("--units and --factor must be at least 1")
    if args.rate <= 0 or args.duration <= 0 or args.serial < 0:
        parser.error("--rate and --duration must be positive, --serial at least 0")

    backends = resolve_backends(args.backend)
    print_machine(
        "bench.reservations: hot-SKU storm",
        backends,
        {
            "storm": f"1 SKU x {args.units} units at 1 store; {args.units * args.factor} "
            f"attempts of 1 unit over 4 channel keys ({', '.join(CHANNELS)})",
            "clients": f"{args.threads} threads (raw modes, inproc); "
            f"{args.procs} processes x {args.proc_threads} threads (http)",
            "open loop": f"{args.rate:g} reservations/s for {args.duration:g} s on 1 SKU",
        },
    )
    outcomes: list[Outcome] = []
    serials: list[Serial] = []
    for backend in backends:
        ran, costs = run_backend(backend, args)
        outcomes += ran
        serials += costs
    console.print()
    if serials:
        print_serial(serials)
    print_results(outcomes)
    print_load_after()


if __name__ == "__main__":
    main()
