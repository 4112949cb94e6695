"""Tracking ingestion: events per second through ``/v1/batch`` from the real Segment client,
against a plain FastAPI endpoint inserting the same batches; time-to-unification under that
load; statements per batch and the server's CPU per event.

The events are the demo's (``omnicanal.demo.customers``): French customers browsing the web
shop and the app and buying in stores, with messy identifiers, in time order. Per backend,
on a fresh database, each server a uvicorn subprocess fed by ``segment-analytics-python``
(``--threads`` upload threads, batches of ``--batch`` messages, gzip):

* ``plain``      the baseline: a plain FastAPI ``POST /v1/batch`` (:func:`plain_app`) that
                 reads the body, decompresses and decodes it, and stores each message as one
                 row (id, type, ids, time, JSON payload) with one ``executemany`` in one
                 transaction on a plain DBAPI connection. No validation, no identity.
* ``omnicanal``  omnicanal's app as ``omnicanal serve`` runs it (``create_app()``, its outbox
                 relay and background lanes in the process), wrapped only to count the SQL
                 statements of each ``/v1/batch`` request (:func:`counted_app`). Every message
                 is parsed, deduplicated, resolved through the identity graph and written to
                 the profile timeline before the answer.
* ``raw``        for reference: plain DBAPI in the bench process, the same batches, one
                 transaction and one ``executemany`` each. No HTTP.

The server's CPU is read from ``/proc`` for the uvicorn process: from the first message to
the moment its outbox is empty and the process idle (the relay and the real-time matcher
included), divided by the messages.

Time-to-unification is measured from outside while the load runs: a probe identifies a
known cookie with a new email through its own Segment client (sync mode) and polls
``GET /v1/profiles/lookup?email=…`` until the profile answers with that cookie's history; the
time from the call to that answer is one sample. The server's own figure (ingestion →
profile written, ``unification_ms``) comes from ``/v1/customers/metrics``.

    .venv/bin/python -m bench.ingest                      # both backends, 20,000 messages
    .venv/bin/python -m bench.ingest --backend postgresql --messages 5000   # a quick look
    .venv/bin/python -m bench.ingest --backend sqlite --messages 50000 --threads 4
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import Random
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from rich.table import Table
from starlette.concurrency import run_in_threadpool

from bench.common import (
    BenchDatabase,
    Latencies,
    build_platform_on,
    console,
    cpu_seconds,
    free_port,
    fresh_database,
    ms,
    print_machine,
    ratio,
    resolve_backends,
)

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
RAW_TABLE = "bench_raw_events"
PLAIN_TABLE = "bench_plain_events"
PLAIN_ENV = "OMNICANAL_BENCH_PLAIN"
"""The plain endpoint's database, as JSON: ``{"backend": …, "target": path or libpq URL}``."""


# -- the events -----------------------------------------------------------------------------


def demo_messages(count: int, seed: int) -> list[dict[str, Any]]:
    """About ``count`` messages of the demo's customers, in time order, from the web source."""
    from omnicanal.demo.customers import person_messages, plan_people

    rng = Random(f"bench-ingest:{seed}")
    people = plan_people(rng, max(10, count // 6), ("LYON-01", "PARIS-01", "NANTES-01"))
    messages = [m for person in people for _, m in person_messages(person, rng, until=UNTIL)]
    messages.sort(key=lambda m: m["timestamp"])
    return messages[:count]


def _when(message: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(message["timestamp"])


def send_with_segment(client: Any, message: dict[str, Any]) -> None:
    """Hand one message to the Segment client the way an application would."""
    common = {
        "user_id": message.get("userId"),
        "anonymous_id": message.get("anonymousId"),
        "context": dict(message.get("context") or {}),
        "timestamp": _when(message),
        "message_id": message["messageId"],
    }
    kind = message["type"]
    if kind == "identify":
        client.identify(traits=message.get("traits") or {}, **common)
    elif kind == "track":
        client.track(event=message["event"], properties=message.get("properties") or {}, **common)
    elif kind == "page":
        client.page(name=message.get("name"), properties=message.get("properties") or {}, **common)
    elif kind == "screen":
        client.screen(
            name=message.get("name"), properties=message.get("properties") or {}, **common
        )
    else:  # pragma: no cover - the demo sends no alias or group
        raise ValueError(kind)


# -- the server -----------------------------------------------------------------------------


class Server:
    """``python -m uvicorn <app>`` in a subprocess, on a free port."""

    def __init__(
        self, db: BenchDatabase, app: str, *, factory: bool, env: dict[str, str] | None = None
    ) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {
            **os.environ,
            "OMNICANAL_DATABASE_URL": db.url,
            "OMNICANAL_DATA_DIR": str(db.workdir),
            **(env or {}),
        }
        self.log = open(db.workdir / "uvicorn.log", "w+b")  # noqa: SIM115
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, *(["--factory"] if factory else []),
             "--host", "127.0.0.1", "--port", port, "--log-level", "warning", "--no-access-log"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start: {self.tail()}")
            time.sleep(0.1)

    @property
    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def wait_idle(self, limit: float) -> float:
        """Until the outbox is empty and the process has been idle (under 5 % of a core) for
        half a second, at most ``limit`` seconds; how long it took."""
        started = time.monotonic()
        last, last_at = self.cpu_seconds, time.monotonic()
        while time.monotonic() - started < limit:
            time.sleep(0.5)
            cpu, now = self.cpu_seconds, time.monotonic()
            busy = (cpu - last) / (now - last_at)
            last, last_at = cpu, now
            backlog = httpx.get(f"{self.url}/healthz", timeout=10).json().get("outbox_backlog")
            if busy < 0.05 and not backlog:
                return now - started
        return time.monotonic() - started

    def tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# -- the servers' apps ----------------------------------------------------------------------


def _plain_connection(config: dict[str, str]) -> Any:
    if config["backend"] == "sqlite":
        connection = sqlite3.connect(
            config["target"], timeout=60, check_same_thread=False, isolation_level=None
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection
    import psycopg

    return psycopg.connect(config["target"])


def plain_app() -> Any:
    """The baseline server (``uvicorn bench.ingest:plain_app --factory``): ``POST /v1/batch``
    stores each message of the batch as one row, one ``executemany`` in one transaction on a
    DBAPI connection of the request's thread; nothing else."""
    config = json.loads(os.environ[PLAIN_ENV])
    sqlite = config["backend"] == "sqlite"
    mark = "?" if sqlite else "%s"
    insert = f"INSERT INTO {PLAIN_TABLE} VALUES ({', '.join([mark] * 6)})"
    local = threading.local()

    def store(batch: list[dict[str, Any]]) -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = _plain_connection(config)
        rows = [
            (m["messageId"], m["type"], m.get("userId"), m.get("anonymousId"),
             m.get("timestamp"), json.dumps(m))
            for m in batch
        ]  # fmt: skip
        cursor = connection.cursor()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(insert, rows)
        connection.commit()

    app = FastAPI()

    @app.post("/v1/batch")
    async def batch(request: Request) -> JSONResponse:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        await run_in_threadpool(store, json.loads(body)["batch"])
        return JSONResponse({"success": True})

    @app.get("/healthz")
    def health() -> dict[str, Any]:
        return {"status": "ok", "outbox_backlog": 0}

    return app


_statements: ContextVar[list[int] | None] = ContextVar("bench_statements", default=None)


def counted_app() -> Any:
    """omnicanal's app as ``omnicanal serve`` builds it (``create_app()``), wrapped to count
    the SQL statements (an ``executemany`` or a COPY is one) of each ``POST /v1/batch``, with
    the messages it accepted, and those run beside the requests (relay, matcher, jobs);
    ``GET /bench/statements`` answers them."""
    import psycopg
    from sqlalchemy import event

    from omnicanal.api.app import create_app
    from omnicanal.bootstrap import build_platform

    platform = build_platform()
    per_batch: list[tuple[int, int]] = []
    outside = [0]

    def count(*_: Any) -> None:
        box = _statements.get()
        if box is None:
            outside[0] += 1
        else:
            box[0] += 1

    for engine in {platform.db.write_engine, platform.db.read_engine}:
        event.listen(engine, "before_cursor_execute", count)
    copy = psycopg.Cursor.copy

    def counted_copy(self: Any, *args: Any, **kwargs: Any) -> Any:
        count()
        return copy(self, *args, **kwargs)

    psycopg.Cursor.copy = counted_copy  # type: ignore[method-assign]
    inner = create_app(platform, settle_heap=True)  # as the served app does

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        if scope["path"] == "/bench/statements":
            body = json.dumps({"batches": per_batch, "outside": outside[0]}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        box = [0]
        answer: list[bytes] = []

        async def keep(message: Any) -> None:
            if message["type"] == "http.response.body":
                answer.append(message.get("body", b""))
            await send(message)

        token = _statements.set(box)
        try:
            await inner(scope, receive, keep if scope["path"] == "/v1/batch" else send)
        finally:
            _statements.reset(token)
        if scope["path"] == "/v1/batch":
            accepted = json.loads(b"".join(answer) or b"{}").get("accepted", 0)
            per_batch.append((box[0], accepted))

    return app


# -- runs -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    backend: str
    mode: str
    messages: int
    seconds: float
    stored: int
    errors: list[str] = field(default_factory=list)
    probes: Latencies | None = None
    server_p50_ms: float | None = None
    server_p99_ms: float | None = None
    profiles: int | None = None
    statements: float | None = None
    """SQL statements per ``/v1/batch`` request (median)."""
    outside: float | None = None
    """SQL statements run beside the requests (relay, matcher, jobs), per message."""
    cpu_seconds: float | None = None
    """The server's CPU from the first message until it is idle again."""
    drain_seconds: float | None = None
    """From the client's last acknowledgement until the server is idle."""

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else float("nan")


def _keys(platform: Any) -> tuple[str, str]:
    from omnicanal.platform.actors import ChannelKind
    from omnicanal.platform.auth import create_api_key
    from omnicanal.tracking import service as tracking
    from omnicanal.tracking.service import SourceKind

    with platform.db.transaction() as session:
        _, write_key = tracking.create_source(session, kind=SourceKind.web, name="bench")
        _, token = create_api_key(
            session, channel=ChannelKind.call_centre, name="bench", scopes=["profiles:read"]
        )
    return write_key, token


class Prober(threading.Thread):
    """Identifies a fresh visitor every ``every`` seconds and times until the profile shows it
    (polled every 20 ms: the probes load the server lightly, as the plain endpoint has none)."""

    def __init__(self, url: str, write_key: str, token: str, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        from segment.analytics import Client

        self.client = Client(write_key, host=url, sync_mode=True, gzip=True)
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
        self.every = every
        self.stop = threading.Event()
        self.samples: list[float] = []
        self.failures = 0

    def probe(self, n: int) -> None:
        cookie, email = f"probe-cookie-{n}", f"probe.{n}@bench.example"
        self.client.page(anonymous_id=cookie, name="Accueil")
        started = time.perf_counter()
        self.client.identify(anonymous_id=cookie, user_id=f"probe-{n}", traits={"email": email})
        while time.perf_counter() - started < 30:
            response = self.http.get("/v1/profiles/lookup", params={"email": email})
            if response.status_code == 200 and len(response.json()["timeline"]["items"]) == 2:
                self.samples.append(time.perf_counter() - started)
                return
            # Every 20 ms: often enough for the figure, rarely enough not to load the server.
            time.sleep(0.02)
        self.failures += 1

    def run(self) -> None:
        n = 0
        while not self.stop.wait(self.every):
            n += 1
            try:
                self.probe(n)
            except Exception:
                self.failures += 1


def _send_all(
    server: Server,
    write_key: str,
    messages: list[dict[str, Any]],
    args: argparse.Namespace,
    errors: list[str],
) -> float:
    """Hand every message to a Segment client posting to ``server``; seconds until all are
    acknowledged."""
    from segment.analytics import Client

    client = Client(
        write_key,
        host=server.url,
        gzip=True,
        upload_size=args.batch,
        thread=args.threads,
        max_queue_size=len(messages) + 10,
        on_error=lambda error, batch: errors.append(str(error)),
    )
    started = time.perf_counter()
    for message in messages:
        send_with_segment(client, message)
    client.flush()
    seconds = time.perf_counter() - started
    client.join()
    return seconds


def run_omnicanal(
    db: BenchDatabase, messages: list[dict[str, Any]], args: argparse.Namespace
) -> Outcome:
    platform = build_platform_on(db)
    write_key, token = _keys(platform)
    platform.close()
    server = Server(db, "bench.ingest:counted_app", factory=True)
    errors: list[str] = []
    try:
        server.wait_ready()
        server.wait_idle(limit=30)
        counted = httpx.get(f"{server.url}/bench/statements").json()
        prober = Prober(server.url, write_key, token)
        cpu_before = server.cpu_seconds
        prober.start()
        seconds = _send_all(server, write_key, messages, args, errors)
        prober.stop.set()
        prober.join(timeout=60)
        drain = server.wait_idle(limit=args.drain_limit)
        cpu = server.cpu_seconds - cpu_before
        after = httpx.get(f"{server.url}/bench/statements").json()
        metrics = httpx.get(
            f"{server.url}/v1/customers/metrics", headers={"Authorization": f"Bearer {token}"}
        ).json()
    finally:
        server.stop()
    stored = metrics["events"] - 2 * len(prober.samples) - prober.failures
    if prober.failures:
        errors.append(f"{prober.failures} probes failed")
    times = metrics["time_to_unification"]
    # The load's batches, not the probes' single messages.
    batches = [n for n, accepted in after["batches"] if accepted > 1]
    return Outcome(
        backend=db.backend,
        mode="omnicanal",
        messages=len(messages),
        seconds=seconds,
        stored=stored,
        errors=errors,
        probes=Latencies.of(prober.samples),
        server_p50_ms=times["p50_ms"],
        server_p99_ms=times["p99_ms"],
        profiles=metrics["profiles"],
        statements=statistics.median(batches) if batches else None,
        outside=(after["outside"] - counted["outside"]) / len(messages),
        cpu_seconds=cpu,
        drain_seconds=drain,
    )


def _create_table(db: BenchDatabase, name: str) -> None:
    json_type = "TEXT" if db.is_sqlite else "JSON"
    connection = db.dbapi_connect()
    connection.execute(
        f"CREATE TABLE {name} (id VARCHAR(100) PRIMARY KEY, type VARCHAR(20), "
        f"user_id VARCHAR(200), anonymous_id VARCHAR(200), occurred_at TIMESTAMP, "
        f"payload {json_type})"
    )
    if not db.is_sqlite:
        connection.commit()
    connection.close()


def _count(db: BenchDatabase, table: str) -> int:
    connection = db.dbapi_connect()
    stored = int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    connection.close()
    return stored


def run_plain(
    db: BenchDatabase, messages: list[dict[str, Any]], args: argparse.Namespace
) -> Outcome:
    _create_table(db, PLAIN_TABLE)
    target = db.sqlite_path if db.is_sqlite else db.libpq_url
    server = Server(
        db,
        "bench.ingest:plain_app",
        factory=True,
        env={PLAIN_ENV: json.dumps({"backend": db.backend, "target": target})},
    )
    errors: list[str] = []
    try:
        server.wait_ready()
        cpu_before = server.cpu_seconds
        seconds = _send_all(server, "plain", messages, args, errors)
        drain = server.wait_idle(limit=args.drain_limit)
        cpu = server.cpu_seconds - cpu_before
    finally:
        server.stop()
    return Outcome(
        db.backend,
        "plain",
        len(messages),
        seconds,
        _count(db, PLAIN_TABLE),
        errors,
        statements=1,
        outside=0,
        cpu_seconds=cpu,
        drain_seconds=drain,
    )


def run_raw(db: BenchDatabase, messages: list[dict[str, Any]], args: argparse.Namespace) -> Outcome:
    _create_table(db, RAW_TABLE)
    connection = db.dbapi_connect()
    mark = "?" if db.is_sqlite else "%s"
    insert = f"INSERT INTO {RAW_TABLE} VALUES ({', '.join([mark] * 6)})"
    cursor = connection.cursor()
    started = time.perf_counter()
    for start in range(0, len(messages), args.batch):
        rows = [
            (
                m["messageId"],
                m["type"],
                m.get("userId"),
                m.get("anonymousId"),
                db.timestamp(_when(m)),
                json.dumps(m),
            )
            for m in messages[start : start + args.batch]
        ]
        if db.is_sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(insert, rows)
        connection.commit()
    seconds = time.perf_counter() - started
    connection.close()
    return Outcome(db.backend, "raw", len(messages), seconds, _count(db, RAW_TABLE), statements=1)


def run_backend(
    backend: str, messages: list[dict[str, Any]], args: argparse.Namespace
) -> list[Outcome]:
    with fresh_database(backend, "ingest") as db:
        outcome = run_omnicanal(db, messages, args)
        plain = run_plain(db, messages, args)
        raw = run_raw(db, messages, args)
    return [plain, outcome, raw]


def print_results(outcomes: list[Outcome]) -> None:
    table = Table(title="Tracking ingestion", title_justify="left")
    for name in ("backend", "mode", "messages", "stored", "events/s", "vs plain",
                 "stmts/batch", "stmts/event beside", "server CPU ms/event", "drain s",
                 "probe p50 ms", "probe p99 ms", "server p50 ms", "server p99 ms", "profiles",
                 "errors"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("backend", "mode") else "right")
    plains = {o.backend: o for o in outcomes if o.mode == "plain"}
    for o in outcomes:
        base = plains.get(o.backend)
        table.add_row(
            o.backend,
            o.mode,
            f"{o.messages:,}",
            f"{o.stored:,}",
            f"{o.per_second:,.0f}",
            ratio(o.per_second / base.per_second, good_when_high=True)
            if base and o is not base
            else "-",
            f"{o.statements:.0f}" if o.statements is not None else "-",
            f"{o.outside:.2f}" if o.outside is not None else "-",
            f"{o.cpu_seconds * 1000 / o.messages:.2f}" if o.cpu_seconds is not None else "-",
            f"{o.drain_seconds:.1f}" if o.drain_seconds is not None else "-",
            ms(o.probes.p50_ms) if o.probes else "-",
            ms(o.probes.p99_ms) if o.probes else "-",
            ms(o.server_p50_ms) if o.server_p50_ms is not None else "-",
            ms(o.server_p99_ms) if o.server_p99_ms is not None else "-",
            f"{o.profiles:,}" if o.profiles is not None else "-",
            f"[red]{len(o.errors)}[/red]" if o.errors else "0",
        )
    console.print(table)
    console.print(
        "  events/s = messages ÷ time from the first message handed to the client to the end "
        "of its flush (all acknowledged); vs plain = ÷ the plain FastAPI endpoint's. "
        "stmts/batch = SQL statements of one /v1/batch request (median; an executemany or a "
        "COPY is one). stmts/event beside = statements run outside the requests (relay, "
        "real-time matcher, jobs) per message. Server CPU = the uvicorn process's CPU from "
        "the first message until its outbox is empty and it is idle (drain s after the last "
        "acknowledgement), per message. Probe = identify of a visitor through a second "
        "Segment client until GET /v1/profiles/lookup shows the visitor's page on the "
        "identified profile. Server p50/p99 = ingestion → profile written, as the server "
        "measured it (unification_ms).\n"
    )
    for o in outcomes:
        for error in o.errors[:5]:
            console.print(f"[red]{o.backend} {o.mode}:[/red] {error}")
        if o.probes:
            console.print(f"  {o.backend}: {o.probes.count} probes")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100, help="messages per request")
    parser.add_argument("--threads", type=int, default=2, help="Segment client upload threads")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--drain-limit", type=float, default=300.0, help="seconds to wait for the server to idle"
    )
    args = parser.parse_args(argv)
    backends = resolve_backends(args.backend)
    messages = demo_messages(args.messages, args.seed)
    print_machine(
        "bench/ingest",
        backends,
        {
            "load": f"{len(messages):,} demo messages, batches of {args.batch}, "
            f"{args.threads} upload threads, gzip",
            "server": "1 uvicorn process, embedded bus (relay and matcher in-process)",
        },
    )
    outcomes: list[Outcome] = []
    for backend in backends:
        console.print(f"[bold]{backend}[/bold]: running…")
        outcomes += run_backend(backend, messages, args)
    print_results(outcomes)


if __name__ == "__main__":
    main()
