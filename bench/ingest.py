"""Tracking ingestion: events per second through ``/v1/batch`` from the real Segment client,
time-to-unification under that load, and the raw database storing the same events.

The events are the demo's (``omnicanal.demo.customers``): French customers browsing the web
shop and the app and buying in stores, with messy identifiers, in time order. Per backend,
on a fresh database:

* ``omnicanal``  ``segment-analytics-python`` (``--threads`` upload threads, batches of
                 ``--batch`` messages, gzip) posting to a real uvicorn server run as a
                 subprocess (``python -m uvicorn omnicanal.api.asgi:app``, as ``omnicanal
                 serve`` runs it). Every message is parsed, deduplicated, resolved through the
                 identity graph and written to the profile timeline before the answer.
* ``raw``        the baseline: plain DBAPI (sqlite3 / psycopg), the same messages in the same
                 batches, one transaction per batch, ``executemany`` INSERT of one row per
                 message (id, type, ids, time, JSON payload). No HTTP, no identity.

Time-to-unification is measured from outside while the load runs: a probe identifies a
known cookie with a new email through its own Segment client (sync mode) and polls
``GET /v1/profiles/lookup?email=…`` until the profile answers with that cookie's history; the
time from the call to that answer is one sample. The server's own figure (ingestion →
profile written, ``unification_ms``) comes from ``/v1/customers/metrics``.

    .venv/bin/python -m bench.ingest                      # both backends, 20,000 messages
    .venv/bin/python -m bench.ingest --backend sqlite --messages 50000 --threads 4
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
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

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
RAW_TABLE = "bench_raw_events"


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``python -m uvicorn omnicanal.api.asgi:app`` in a subprocess, on a free port."""

    def __init__(self, db: BenchDatabase) -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        env = {
            **os.environ,
            "OMNICANAL_DATABASE_URL": db.url,
            "OMNICANAL_DATA_DIR": str(db.workdir),
        }
        self.log = open(db.workdir / "uvicorn.log", "w+b")  # noqa: SIM115
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "omnicanal.api.asgi:app", "--host", "127.0.0.1",
             "--port", port, "--log-level", "warning", "--no-access-log"],
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
    """Identifies a fresh visitor every ``every`` seconds and times until the profile shows it."""

    def __init__(self, url: str, write_key: str, token: str, every: float = 0.1) -> None:
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
            time.sleep(0.002)
        self.failures += 1

    def run(self) -> None:
        n = 0
        while not self.stop.wait(self.every):
            n += 1
            try:
                self.probe(n)
            except Exception:
                self.failures += 1


def run_omnicanal(
    db: BenchDatabase, messages: list[dict[str, Any]], args: argparse.Namespace
) -> Outcome:
    from segment.analytics import Client

    platform = build_platform_on(db)
    write_key, token = _keys(platform)
    platform.close()
    server = Server(db)
    errors: list[str] = []
    try:
        server.wait_ready()
        client = Client(
            write_key,
            host=server.url,
            gzip=True,
            upload_size=args.batch,
            thread=args.threads,
            max_queue_size=len(messages) + 10,
            on_error=lambda error, batch: errors.append(str(error)),
        )
        prober = Prober(server.url, write_key, token)
        prober.start()
        started = time.perf_counter()
        for message in messages:
            send_with_segment(client, message)
        client.flush()
        seconds = time.perf_counter() - started
        prober.stop.set()
        prober.join(timeout=60)
        client.join()
        metrics = httpx.get(
            f"{server.url}/v1/customers/metrics", headers={"Authorization": f"Bearer {token}"}
        ).json()
    finally:
        server.stop()
    stored = metrics["events"] - 2 * len(prober.samples) - prober.failures
    if prober.failures:
        errors.append(f"{prober.failures} probes failed")
    times = metrics["time_to_unification"]
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
    )


def run_raw(db: BenchDatabase, messages: list[dict[str, Any]], args: argparse.Namespace) -> Outcome:
    connection = db.dbapi_connect()
    mark = "?" if db.is_sqlite else "%s"
    json_type = "TEXT" if db.is_sqlite else "JSON"
    create = (
        f"CREATE TABLE {RAW_TABLE} (id VARCHAR(100) PRIMARY KEY, type VARCHAR(20), "
        f"user_id VARCHAR(200), anonymous_id VARCHAR(200), occurred_at TIMESTAMP, "
        f"payload {json_type})"
    )
    insert = f"INSERT INTO {RAW_TABLE} VALUES ({', '.join([mark] * 6)})"
    cursor = connection.cursor()
    cursor.execute(create)
    if not db.is_sqlite:
        connection.commit()
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
    cursor.execute(f"SELECT count(*) FROM {RAW_TABLE}")
    stored = cursor.fetchone()[0]
    connection.close()
    return Outcome(db.backend, "raw", len(messages), seconds, stored)


def run_backend(
    backend: str, messages: list[dict[str, Any]], args: argparse.Namespace
) -> list[Outcome]:
    with fresh_database(backend, "ingest") as db:
        outcome = run_omnicanal(db, messages, args)
        raw = run_raw(db, messages, args)
    return [raw, outcome]


def print_results(outcomes: list[Outcome]) -> None:
    table = Table(title="Tracking ingestion", title_justify="left")
    for name in ("backend", "mode", "messages", "stored", "events/s", "vs raw",
                 "probe p50 ms", "probe p99 ms", "server p50 ms", "server p99 ms", "profiles",
                 "errors"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("backend", "mode") else "right")
    raws = {o.backend: o for o in outcomes if o.mode == "raw"}
    for o in outcomes:
        base = raws.get(o.backend)
        table.add_row(
            o.backend,
            o.mode,
            f"{o.messages:,}",
            f"{o.stored:,}",
            f"{o.per_second:,.0f}",
            ratio(o.per_second / base.per_second, good_when_high=True)
            if base and o is not base
            else "-",
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
        "of its flush (all acknowledged). Probe = identify of a visitor through a second "
        "Segment client until GET /v1/profiles/lookup shows the visitor's page on the identified "
        "profile (n = samples). Server = ingestion → profile written, as the server measured "
        "it (includes waiting for the write lock behind other batches).\n"
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
    args = parser.parse_args(argv)
    backends = resolve_backends(args.backend)
    messages = demo_messages(args.messages, args.seed)
    print_machine(
        "bench/ingest",
        backends,
        {
            "load": f"{len(messages):,} demo messages, batches of {args.batch}, "
            f"{args.threads} upload threads, gzip",
            "server": "1 uvicorn process, embedded bus (relay in-process)",
        },
    )
    outcomes: list[Outcome] = []
    for backend in backends:
        console.print(f"[bold]{backend}[/bold]: running…")
        outcomes += run_backend(backend, messages, args)
    print_results(outcomes)


if __name__ == "__main__":
    main()
