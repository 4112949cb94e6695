"""Checkout throughput: 3-line carts with mixed fulfilment methods, checked out concurrently.

One warehouse and four stores; every order is a 3-line cart checked out with a mix of
methods, in a cycle of five journeys: web (ship, ship, pickup), app (pickup, pickup, ship),
a till (carry-out, carry-out, endless aisle), the call centre (3 x ship), web (reserve &
try, ship, ship). Stock is plentiful: every checkout should succeed. Modes, on the same
database, each with carts of its own:

* ``inproc``  threads calling ``omnicanal.orders.service.checkout`` in
              ``platform.db.transaction()``.
* ``http``    ``--procs`` client processes x ``--proc-threads`` threads POSTing
              ``/v1/orders`` to a real uvicorn server run as a subprocess (relay and sweeper
              on, as ``omnicanal serve`` runs it).
* ``raw``     the baseline: plain DBAPI (sqlite3 / psycopg), one transaction per order, with
              as many threads as HTTP clients, doing the conditional stock updates and
              inserting the very rows the HTTP checkouts wrote (orders, lines, fulfilments,
              their lines, both histories, reservations, ledger lines, outbox events, the
              cart's update), copied with fresh ids. No omnicanal code, no pricing, no
              sourcing: what the database alone costs for the same writes.

Printed per mode: orders/s and the ratio to ``raw``, latencies, SQL statements per order,
CPU ms per order (``http``: the server's, from the first checkout until its outbox relay has
published their events, less the relay thread's) and, for ``http``, the relay thread's CPU
per order (on the embedded bus the consumers run in it). The server is
:func:`instrumented_app`, which counts them.

    .venv/bin/python -m bench.checkout                        # both backends, ~1 min
    .venv/bin/python -m bench.checkout --backend sqlite --orders 600
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from random import Random
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
    print_machine,
    ratio,
    resolve_backends,
)
from bench.reservations import UvicornServer

MODES = ("inproc", "http", "raw")
STORES = ("STORE-1", "STORE-2", "STORE-3", "STORE-4")
WAREHOUSE = "WH-BENCH"
SKUS = [f"BENCH-{i:03d}" for i in range(60)]
KEYS = ("web", "app", "store", "call_centre")
ADDRESSES = [("Lyon", 45.76, 4.84), ("Paris", 48.86, 2.35), ("Lille", 50.63, 3.06)]
OK = "ok"
Attempt = tuple[float, float, str]


# -- set-up ---------------------------------------------------------------------------------


@dataclass
class Scenario:
    tokens: dict[str, str]
    actors: dict[str, Any]
    carts: dict[str, list[dict[str, Any]]]  # mode -> checkout bodies (with their cart ids)


def _journey(i: int, skus: list[str], rng: Random) -> tuple[str, dict[str, Any]]:
    """The key to use and the fulfilment choice per SKU for order ``i``."""
    ship = {"method": "ship"}

    def pickup(store: str) -> dict[str, str]:
        return {"method": "pickup", "location": store}

    kind = i % 5
    if kind == 0:
        return "web", dict(zip(skus, (ship, ship, pickup("STORE-2")), strict=True))
    if kind == 1:
        return "app", dict(zip(skus, (pickup("STORE-3"), pickup("STORE-3"), ship), strict=True))
    if kind == 2:
        carry = {"method": "carry_out"}
        return "store", dict(zip(skus, (carry, carry, {"method": "endless_aisle"}), strict=True))
    if kind == 3:
        return "call_centre", dict.fromkeys(skus, ship)
    hold = {"method": "reserve_and_try", "location": "STORE-4", "reserve_days": 2}
    return "web", dict(zip(skus, (hold, ship, ship), strict=True))


def set_up(platform: Any, orders: int, modes: list[str]) -> Scenario:
    """The network, 60 SKUs with plenty of stock, one key per channel, and the carts."""
    from omnicanal.carts import service as carts
    from omnicanal.carts.schemas import CartIn, CartLineIn
    from omnicanal.catalog.schemas import ProductIn, VariantIn
    from omnicanal.inventory import service as inventory
    from omnicanal.network import service as network
    from omnicanal.network.schemas import Capabilities, LocationIn
    from omnicanal.platform.actors import OPERATOR, ChannelKind
    from omnicanal.platform.address import Address
    from omnicanal.platform.auth import create_api_key
    from omnicanal.pricing.products import create_priced_products

    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
        network.create_location(
            session,
            data=LocationIn(
                code=WAREHOUSE,
                name="Bench warehouse",
                kind="warehouse",
                address=Address(latitude=47.9, longitude=1.9),
                capabilities=Capabilities(ships=True),
                channels=["web", "app", "call_centre"],
            ),
            actor=OPERATOR,
        )
        for n, code in enumerate(STORES):
            network.create_location(
                session,
                data=LocationIn(
                    code=code,
                    name=f"Bench store {code}",
                    kind="store",
                    address=Address(latitude=45.7 + n, longitude=4.8 - n),
                    capabilities=Capabilities(
                        sells_in_store=True, ships=True, click_and_collect=True
                    ),
                    channels=["web", "app", "store", "call_centre"],
                ),
                actor=OPERATOR,
            )
        create_priced_products(
            session,
            products=[
                ProductIn(
                    code=f"P-{sku}",
                    name=f"Bench {sku}",
                    category="Bench",
                    variants=[VariantIn(sku=sku, price_minor=4990)],
                )
                for sku in SKUS
            ],
            actor=OPERATOR,
            currency="EUR",
        )
        inventory.count_stock(
            session,
            lines=[(sku, WAREHOUSE, 1_000_000) for sku in SKUS]
            + [(sku, store, 100_000) for sku in SKUS for store in STORES],
            actor=OPERATOR,
            reason="bench: opening stock",
        )
        tokens, actors = {}, {}
        for channel in KEYS:
            place = network.get_location(session, "STORE-1") if channel == "store" else None
            key, token = create_api_key(
                session, channel=ChannelKind(channel), name=f"bench {channel}", location=place
            )
            tokens[channel], actors[channel] = token, key.actor()
    rng = Random("omnicanal-bench-checkout")
    bodies: dict[str, list[dict[str, Any]]] = {}
    for mode in modes:
        bodies[mode] = []
        with platform.db.transaction() as session:
            for i in range(orders):
                skus = rng.sample(SKUS, 3)
                key, choices = _journey(i, skus, rng)
                cart = carts.create_cart(
                    session,
                    data=CartIn(
                        customer_ref=f"CUST-{rng.randrange(5000):05d}",
                        lines=[CartLineIn(sku=sku, quantity=rng.choice((1, 1, 2))) for sku in skus],
                    ),
                    actor=actors[key],
                    currency="EUR",
                )
                city, latitude, longitude = rng.choice(ADDRESSES)
                bodies[mode].append(
                    {
                        "_key": key,
                        "cart_id": cart.id,
                        "fulfilment_by_sku": choices,
                        "delivery_address": {
                            "city": city,
                            "latitude": latitude,
                            "longitude": longitude,
                        },
                        "payment": {
                            "provider": "bench-psp",
                            "reference": f"psp_{i}",
                            "status": "authorised",
                        },
                    }
                )
    return Scenario(tokens=tokens, actors=actors, carts=bodies)


def drive(
    client: int,
    n_clients: int,
    total: int,
    attempt: Callable[[int], str],
    barrier: Any,
    out: list[Attempt],
) -> None:
    """One client: wait for the start, then make attempts client, client + n, ... < total."""
    barrier.wait()
    for i in range(client, total, n_clients):
        started = time.perf_counter()
        try:
            outcome = attempt(i)
        except Exception as error:
            outcome = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
        out.append((started, time.perf_counter(), outcome))


def _run_threads(
    n_clients: int, bodies: list[dict[str, Any]], make: Callable[[int], Callable[[int], str]]
) -> list[Attempt]:
    attempts = [make(client) for client in range(n_clients)]
    barrier = threading.Barrier(n_clients)
    results: list[list[Attempt]] = [[] for _ in range(n_clients)]
    threads = [
        threading.Thread(
            target=drive,
            args=(client, n_clients, len(bodies), attempts[client], barrier, results[client]),
            daemon=True,
        )
        for client in range(n_clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [a for per_client in results for a in per_client]


# -- modes ----------------------------------------------------------------------------------


def run_inproc(platform: Any, scenario: Scenario, clients: int) -> tuple[list[Attempt], int]:
    """The attempts, and the SQL statements they sent."""
    from sqlalchemy import event

    from omnicanal.orders import service
    from omnicanal.orders.schemas import CheckoutIn

    bodies = scenario.carts["inproc"]
    statements = _StatementCounter()

    def checkout(i: int) -> str:
        body = dict(bodies[i])
        actor = scenario.actors[body.pop("_key")]
        with platform.db.transaction() as session:
            order = service.checkout(session, data=CheckoutIn.model_validate(body), actor=actor)
        return f"{OK}:{order.id}"

    engines = {platform.db.write_engine, platform.db.read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", statements.count)
    try:
        attempts = _run_threads(clients, bodies, lambda client: checkout)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", statements.count)
    return attempts, statements.total()


# -- the instrumented server ----------------------------------------------------------------

RELAY_THREAD = "outbox-relay"
COUNTERS_PATH = "/_bench/counters"


class _StatementCounter:
    """SQL statements sent, by the kind of thread that sent them (the relay, or any other)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_kind: Counter[str] = Counter()

    def count(self, *_: Any) -> None:
        kind = "relay" if threading.current_thread().name == RELAY_THREAD else "checkout"
        with self._lock:
            self.by_kind[kind] += 1

    def total(self) -> int:
        return sum(self.by_kind.values())


def instrumented_app() -> Any:
    """The server's ASGI app (``omnicanal.api.asgi``), which also answers ``GET
    /_bench/counters``: its process CPU, its relay thread's CPU (the relay runs the embedded
    bus's consumers too) and the SQL statements sent, by kind of thread. uvicorn loads it
    with ``--factory``."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from omnicanal.api.app import create_app

    app = create_app()
    statements = _StatementCounter()
    event.listen(Engine, "before_cursor_execute", statements.count)

    def counters() -> dict[str, Any]:
        relay = next((t for t in threading.enumerate() if t.name == RELAY_THREAD), None)
        relay_cpu = (
            time.clock_gettime(time.pthread_getcpuclockid(relay.ident))
            if relay is not None and relay.ident is not None
            else 0.0
        )
        return {
            "cpu": time.process_time(),
            "relay_cpu": relay_cpu,
            "statements": dict(statements.by_kind),
        }

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == COUNTERS_PATH:
            body = json.dumps(counters()).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return wrapped


class InstrumentedServer(UvicornServer):
    """The uvicorn subprocess of ``bench.reservations``, serving :func:`instrumented_app`."""

    def __init__(self, db: BenchDatabase) -> None:
        super().__init__(db, app="bench.checkout:instrumented_app", factory=True)

    def counters(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}{COUNTERS_PATH}", timeout=30).json())

    def wait_drained(self, timeout: float = 300) -> bool:
        """Until the relay has published every event (and its consumers handled them)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if httpx.get(f"{self.url}/healthz", timeout=30).json().get("outbox_backlog") == 0:
                return True
            time.sleep(0.5)
        return False


@dataclass
class ServerFigures:
    """What the server spent on a run: from the first checkout until its events are
    relayed and consumed."""

    cpu_seconds: float = 0.0
    relay_cpu_seconds: float = 0.0
    statements: int = 0
    relay_statements: int = 0
    drained: bool = True

    @classmethod
    def between(cls, start: dict[str, Any], end: dict[str, Any], *, drained: bool) -> Any:
        def sent(kind: str) -> int:
            return int(end["statements"].get(kind, 0) - start["statements"].get(kind, 0))

        return cls(
            cpu_seconds=end["cpu"] - start["cpu"],
            relay_cpu_seconds=end["relay_cpu"] - start["relay_cpu"],
            statements=sent("checkout"),
            relay_statements=sent("relay"),
            drained=drained,
        )


def _http_process(
    base_url: str,
    tokens: dict[str, str],
    bodies: list[dict[str, Any]],
    first_client: int,
    threads: int,
    n_clients: int,
    barrier: Any,
    queue: Any,
) -> None:
    """A client process: ``threads`` httpx clients (one connection each)."""

    def make(_: int) -> Callable[[int], str]:
        http = httpx.Client(base_url=base_url, timeout=300)
        http.get("/healthz")

        def attempt(i: int) -> str:
            body = dict(bodies[i])
            key = body.pop("_key")
            response = http.post(
                "/v1/orders", json=body, headers={"Authorization": f"Bearer {tokens[key]}"}
            )
            if response.status_code == 201:
                return f"{OK}:{response.json()['id']}"
            code = ""
            with contextlib.suppress(ValueError):
                code = response.json().get("code", "")
            return f"HTTP {response.status_code} {code}".strip()

        return attempt

    attempts = [make(first_client + t) for t in range(threads)]
    results: list[list[Attempt]] = [[] for _ in range(threads)]
    workers = [
        threading.Thread(
            target=drive,
            args=(first_client + t, n_clients, len(bodies), attempts[t], barrier, results[t]),
            daemon=True,
        )
        for t in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put([a for per_thread in results for a in per_thread])


def run_http(
    db: BenchDatabase, scenario: Scenario, procs: int, threads: int
) -> tuple[list[Attempt], ServerFigures]:
    """The attempts, and what the server spent on them (relay and consumers included)."""
    server = InstrumentedServer(db)
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
                    scenario.carts["http"],
                    p * threads,
                    threads,
                    n_clients,
                    barrier,
                    queue,
                ),
                daemon=True,
            )
            for p in range(procs)
        ]
        for worker in workers:
            worker.start()
        barrier.wait(timeout=300)
        start = server.counters()
        attempts = [a for _ in workers for a in queue.get(timeout=900)]
        end_of_checkouts = server.counters()
        drained = server.wait_drained()
        end = server.counters()
        figures = ServerFigures.between(start, end, drained=drained)
        # The statements of the checkouts alone (the drain's health checks are not theirs).
        checkouts = ServerFigures.between(start, end_of_checkouts, drained=drained)
        figures.statements = checkouts.statements
        for worker in workers:
            worker.join(timeout=30)
        return attempts, figures
    finally:
        server.stop()


# -- the raw baseline -----------------------------------------------------------------------

# Tables in insertion (foreign key) order, how to find an order's rows, and the columns that
# point at ids the copy renames.
COPIED = (
    ("orders", "id IN ({ids})", {"id": "order", "cart_id": "cart"}),
    ("order_lines", "order_id IN ({ids})", {"id": "line", "order_id": "order"}),
    ("reservations", "reference IN ({ids})", {"id": "reservation", "reference": "order"}),
    ("fulfilments", "order_id IN ({ids})", {"id": "fulfilment", "order_id": "order"}),
    (
        "fulfilment_lines",
        "fulfilment_id IN (SELECT id FROM fulfilments WHERE order_id IN ({ids}))",
        {
            "id": "new",
            "fulfilment_id": "fulfilment",
            "order_line_id": "line",
            "reservation_id": "reservation",
        },
    ),
    ("order_status_history", "order_id IN ({ids})", {"id": "new", "order_id": "order"}),
    (
        "fulfilment_status_history",
        "order_id IN ({ids})",
        {"id": "new", "fulfilment_id": "fulfilment", "order_id": "order"},
    ),
    (
        "stock_movements",
        "reference IN (SELECT id FROM reservations WHERE reference IN ({ids}))",
        {"id": "new", "reference": "reservation"},
    ),
)


def _rows(db: BenchDatabase, connection: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = connection.cursor()
    cursor.execute(sql, params)
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    cursor.close()
    return rows


def collect_rows(
    db: BenchDatabase, order_ids: list[str], since_seq: int
) -> tuple[list[Any], list[Any]]:
    """Per order, its rows per table (in insertion order); and the run's outbox events."""
    p = "?" if db.is_sqlite else "%s"
    connection = db.dbapi_connect()
    per_order: dict[str, list[tuple[str, dict[str, Any]]]] = {oid: [] for oid in order_ids}
    ids = ", ".join(p for _ in order_ids)
    reservation_order: dict[str, str] = {}
    fulfilment_order: dict[str, str] = {}
    for table, where, _ in COPIED:
        params = list(order_ids)
        for row in _rows(
            db, connection, f"SELECT * FROM {table} WHERE {where.format(ids=ids)}", params
        ):
            owner = (
                row.get("order_id")
                or (row["id"] if table == "orders" else None)
                or (row["reference"] if table == "reservations" else None)
                or fulfilment_order.get(row.get("fulfilment_id", ""))
                or reservation_order.get(row.get("reference", ""))
            )
            if table == "reservations":
                reservation_order[row["id"]] = owner
            if table == "fulfilments":
                fulfilment_order[row["id"]] = owner
            per_order[owner].append((table, row))
    outbox = _rows(
        db,
        connection,
        f"SELECT id, type, source, subject, time, actor, data FROM outbox WHERE seq > {p} "
        "ORDER BY seq",
        [since_seq],
    )
    connection.close()
    return [per_order[oid] for oid in order_ids], outbox


def run_raw(
    db: BenchDatabase,
    order_rows: list[list[tuple[str, dict[str, Any]]]],
    events: list[dict[str, Any]],
    events_per_order: float,
    cart_ids: list[str],
    clients: int,
) -> tuple[list[Attempt], int]:
    """The same rows, fresh ids, one transaction per order, ``clients`` threads; the
    attempts and the statements they sent."""
    from ulid import ULID

    p = "?" if db.is_sqlite else "%s"
    json_wrap: Callable[[Any], Any] = json.dumps
    if not db.is_sqlite:
        from psycopg.types.json import Json

        json_wrap = Json

    def value(item: Any) -> Any:
        return json_wrap(item) if isinstance(item, dict | list) else item

    reserve_sql = (
        f"UPDATE stock_levels SET reserved = reserved + {p} WHERE variant_id = {p} "
        f"AND location_id = {p} AND on_hand - reserved - safety_stock >= {p}"
    )
    confirm_sql = (
        f"UPDATE stock_levels SET on_hand = on_hand - {p}, reserved = reserved - {p} "
        f"WHERE variant_id = {p} AND location_id = {p} AND on_hand >= {p}"
    )
    cart_sql = (
        f"UPDATE carts SET status = 'checked_out', order_id = {p} WHERE id = {p} "
        "AND status = 'open'"
    )
    outbox_columns = (
        "id",
        "type",
        "source",
        "subject",
        "time",
        "actor",
        "data",
        "published",
        "attempts",
    )
    outbox_sql = (
        f"INSERT INTO outbox ({', '.join(outbox_columns)}) "
        f"VALUES ({', '.join(p for _ in outbox_columns)})"
    )
    renames = {table: columns for table, _, columns in COPIED}

    def statements(i: int) -> list[tuple[str, tuple[Any, ...]]]:
        fresh: dict[str, dict[str, str]] = {}

        def new(kind: str, old: Any) -> Any:
            if old is None:
                return None
            return fresh.setdefault(kind, {}).setdefault(old, str(ULID()))

        plan: list[tuple[str, tuple[Any, ...]]] = []
        for table, row in order_rows[i]:
            row = dict(row)
            for column, kind in renames[table].items():
                if kind == "cart":
                    row[column] = cart_ids[i]
                elif kind == "new":
                    row[column] = str(ULID())
                else:
                    row[column] = new(kind, row[column])
            if table == "reservations":
                key = (row["variant_id"], row["location_id"])
                plan.append((reserve_sql, (row["quantity"], *key, row["quantity"])))
                if row["status"] == "confirmed":
                    q = row["quantity"]
                    plan.append((confirm_sql, (q, q, *key, q)))
            names = list(row)
            plan.append(
                (
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                    f"({', '.join(p for _ in names)})",
                    tuple(value(row[name]) for name in names),
                )
            )
        count = int(events_per_order * (i + 1)) - int(events_per_order * i)
        for k in range(count):
            event = events[(i * 7 + k) % len(events)]
            plan.append(
                (
                    outbox_sql,
                    (
                        str(ULID()),
                        event["type"],
                        event["source"],
                        event["subject"],
                        event["time"],
                        event["actor"],
                        value(event["data"])
                        if not isinstance(event["data"], str)
                        else event["data"],
                        False,
                        0,
                    ),
                )
            )
        order_id = fresh["order"][next(iter(fresh["order"]))]
        plan.append((cart_sql, (order_id, cart_ids[i])))
        return plan

    def make(_: int) -> Callable[[int], str]:
        connection = db.dbapi_connect()

        def attempt(i: int) -> str:
            plan = statements(i)
            with sent_lock:
                sent[0] += len(plan)
            if db.is_sqlite:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    for sql, params in plan:
                        if connection.execute(sql, params).rowcount != 1:
                            raise RuntimeError(f"no row changed by {sql[:60]}")
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                return OK
            try:
                with connection.cursor() as cursor:
                    for sql, params in plan:
                        cursor.execute(sql, params)
                        if cursor.rowcount != 1:
                            raise RuntimeError(f"no row changed by {sql[:60]}")
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            return OK

        return attempt

    sent, sent_lock = [0], threading.Lock()
    attempts = _run_threads(clients, order_rows, make)  # type: ignore[arg-type]
    return attempts, sent[0]


# -- figures --------------------------------------------------------------------------------


@dataclass
class Outcome:
    backend: str
    mode: str
    clients: str
    attempts: list[Attempt]
    cpu_seconds: float
    cpu_label: str
    rows: int = 0
    statements: int | None = None
    relay_cpu_seconds: float | None = None

    @property
    def ok(self) -> int:
        return sum(1 for _, _, outcome in self.attempts if outcome.startswith(OK))

    @property
    def errors(self) -> Counter[str]:
        return Counter(o for _, _, o in self.attempts if not o.startswith(OK))

    @property
    def wall(self) -> float:
        return max(e for _, e, _ in self.attempts) - min(s for s, _, _ in self.attempts)

    @property
    def per_second(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    @property
    def latencies(self) -> Latencies:
        return Latencies.of([e - s for s, e, _ in self.attempts])

    def order_ids(self) -> list[str]:
        return [o.split(":", 1)[1] for _, _, o in self.attempts if o.startswith(f"{OK}:")]


LABELS = {
    "raw": "raw DBAPI, same rows (baseline)",
    "inproc": "omnicanal in-process",
    "http": "omnicanal HTTP",
}


def print_results(outcomes: list[Outcome], orders: int) -> None:
    table = Table(
        title=f"Checkout of {orders} 3-line carts (mixed methods) per mode", title_justify="left"
    )
    for name in (
        "backend",
        "mode",
        "clients",
        "ok",
        "errors",
        "orders/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "SQL/order",
        "CPU ms/order",
        "relay+consumers CPU ms/order",
        "rows/order",
        "orders/s vs raw",
    ):
        table.add_column(name, justify="left" if name in ("backend", "mode") else "right")
    baselines = {o.backend: o for o in outcomes if o.mode == "raw"}
    for o in outcomes:
        base = baselines.get(o.backend)
        latency = o.latencies
        per_order = 1000 / max(len(o.attempts), 1)
        relay = o.relay_cpu_seconds
        table.add_row(
            o.backend,
            LABELS[o.mode],
            o.clients,
            str(o.ok),
            f"[red]{sum(o.errors.values())}[/red]" if o.errors else "0",
            f"{o.per_second:,.1f}",
            ms(latency.p50_ms),
            ms(latency.p90_ms),
            ms(latency.p99_ms),
            f"{o.statements / max(len(o.attempts), 1):.1f}" if o.statements is not None else "-",
            f"{(o.cpu_seconds - (relay or 0.0)) * per_order:.1f} ({o.cpu_label})",
            f"{relay * per_order:.1f}" if relay is not None else "-",
            f"{o.rows / max(o.ok, 1):.1f}",
            ratio(o.per_second / base.per_second, good_when_high=True)
            if base and base.per_second
            else "-",
        )
    console.print(table)
    console.print(
        "  orders/s = successful checkouts ÷ wall time of the mode; latencies per checkout, "
        "client side. rows/order = rows inserted in the tables a checkout writes (the raw "
        "mode copies the http mode's). SQL/order = statements the checkouts sent (http: the "
        "server's, key lookups and idempotency included, its relay's not). CPU = user+sys of "
        "the bench process (inproc, raw: the database's own CPU not included) or of the "
        "uvicorn server (http: from the first checkout until the outbox is drained, without "
        "its relay thread). relay+consumers = the server's relay thread over the same time: "
        "it publishes the checkouts' events to the embedded bus, whose consumers run in it.\n"
    )
    for o in outcomes:
        if o.mode == "http" and o.relay_cpu_seconds is not None:
            total = o.cpu_seconds * 1000 / max(len(o.attempts), 1)
            console.print(f"  {o.backend} http: server CPU in all {total:.1f} ms per order")
    for o in outcomes:
        for message, count in o.errors.most_common(3):
            console.print(f"  [red]{o.backend} {o.mode}: {count} x {message}[/red]")


def run_backend(backend: str, args: argparse.Namespace) -> list[Outcome]:
    modes = [m for m in MODES if m in args.modes]
    clients = args.procs * args.proc_threads
    outcomes: list[Outcome] = []
    with fresh_database(backend, "checkout") as db:
        platform = build_platform_on(db, pool_size=max(20, clients))
        try:
            with console.status(f"[bold]{backend}[/bold]: network, SKUs, keys and carts"):
                scenario = set_up(platform, args.orders, modes)
            for mode in modes:
                rows_before = _row_count(db)
                with console.status(f"[bold]{backend}[/bold]: {LABELS[mode]}…"):
                    cpu_before, label = time.process_time(), "bench"
                    statements: int | None = None
                    relay_cpu: float | None = None
                    if mode == "inproc":
                        attempts, statements = run_inproc(platform, scenario, clients)
                        cpu = time.process_time() - cpu_before
                    elif mode == "http":
                        with platform.db.write_engine.begin() as connection:
                            connection.exec_driver_sql(
                                "UPDATE outbox SET published = TRUE WHERE published = FALSE"
                            )
                        platform.db.dispose()
                        seq_before = _max_seq(db)
                        attempts, server = run_http(db, scenario, args.procs, args.proc_threads)
                        cpu, relay_cpu = server.cpu_seconds, server.relay_cpu_seconds
                        statements = server.statements
                        if not server.drained:
                            console.print("  [yellow]note:[/yellow] the outbox did not drain")
                        label = "server"
                        http = Outcome(backend, mode, "", attempts, cpu, label)
                        events_per_order = (_max_seq(db) - seq_before) / max(http.ok, 1)
                    else:
                        source = next((o for o in outcomes if o.mode == "http"), None)
                        if source is None:
                            console.print("  [yellow]note:[/yellow] raw copies the http rows")
                            continue
                        rows, events = collect_rows(db, source.order_ids(), seq_before)
                        cart_ids = [body["cart_id"] for body in scenario.carts["raw"]]
                        attempts, statements = run_raw(
                            db, rows, events, events_per_order, cart_ids, clients
                        )
                        cpu = time.process_time() - cpu_before
                shown = f"{args.procs}x{args.proc_threads}" if mode == "http" else str(clients)
                outcome = Outcome(backend, mode, shown, attempts, cpu, label)
                outcome.rows = _row_count(db) - rows_before
                outcome.statements, outcome.relay_cpu_seconds = statements, relay_cpu
                outcomes.append(outcome)
                console.print(
                    f"  {backend:<10} {LABELS[mode]:<32} {outcome.ok} ok, "
                    f"{sum(outcome.errors.values())} errors in {outcome.wall:.2f} s"
                )
        finally:
            platform.close()
    return outcomes


def _row_count(db: BenchDatabase) -> int:
    """Rows in the tables a checkout writes (the cart is updated, not inserted)."""
    connection = db.dbapi_connect()
    cursor = connection.cursor()
    total = 0
    for table in [*(name for name, _, _ in COPIED), "outbox"]:
        cursor.execute(f"SELECT count(*) FROM {table}")
        total += int(cursor.fetchone()[0])
    connection.close()
    return total


def _max_seq(db: BenchDatabase) -> int:
    connection = db.dbapi_connect()
    cursor = connection.cursor()
    cursor.execute("SELECT coalesce(max(seq), 0) FROM outbox")
    (seq,) = cursor.fetchone()
    connection.close()
    return int(seq)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.checkout", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--orders", type=int, default=400, help="checkouts per mode (400)")
    parser.add_argument("--procs", type=int, default=2, help="HTTP client processes (2)")
    parser.add_argument(
        "--proc-threads", type=int, default=4, help="threads per HTTP client process (4)"
    )
    parser.add_argument(
        "--modes", nargs="+", choices=MODES, default=list(MODES), help="modes to run (all)"
    )
    args = parser.parse_args(argv)
    backends = resolve_backends(args.backend)
    print_machine(
        "bench.checkout",
        backends,
        {"workload": f"{args.orders} carts x 3 lines per mode, 5 journeys in turn"},
    )
    outcomes: list[Outcome] = []
    for backend in backends:
        outcomes += run_backend(backend, args)
    console.print()
    print_results(outcomes, args.orders)


if __name__ == "__main__":
    main()
