"""Scale-out proof: several API processes and workers on PostgreSQL + NATS JetStream, mixed
traffic, a worker and an API process SIGKILLed under load, then every invariant checked.

The deployment the docs describe, on one machine: ``omnicanal serve`` processes on ports of
their own (the load generator round-robins over them, as a load balancer would, and skips a
dead one until its ``/healthz`` answers again) and ``omnicanal worker`` processes (the outbox
relay, the durable consumers, the periodic jobs), all on one fresh PostgreSQL database
(``bench.common.fresh_database``) and a fresh JetStream stream.

The traffic, from ``--concurrency`` asyncio tasks (httpx), each repeating one operation at a
time chosen by weight:

* ``reserve``   one unit of one of ``--hot-skus`` hot SKUs at one store (their stock is topped
                up to ``--hot-units`` available before each phase, so every phase sells out);
* ``settle``    one of the reservations made before, released or confirmed (a sale);
* ``checkout``  a cart of 2-3 lines (sometimes a hot SKU) created, then checked out, shipped;
* ``track``     a Segment batch of ``--tracking-batch`` messages (track and identify);
* ``read``      a SKU's stock, an availability of 5 SKUs, or an order placed before.

Every write carries an ``Idempotency-Key`` (a tracking message its ``messageId``): a request
that dies with its API process is sent again, with the same key, to another one.

Phases: the traffic for ``--seconds`` at each count of API processes in ``--apis`` (1, 2 and
4), then ``--chaos-seconds`` more at the largest count during which one worker and then one
API process are SIGKILLed and restarted. The load then stops, the workers drain the outbox
and the stream, and the checks run on the database and the stream:

* no oversell: ``reserved <= on_hand - safety_stock``, nothing negative;
* ``on_hand`` = the sum of the stock ledger (``stock_movements``);
* ``reserved`` = the sum of the active reservations;
* every order has its fulfilments, every line fully in them, each held by a reservation of
  that order, SKU, location and quantity, and no order's reservation is left out of them; one
  ``order.placed`` event per order;
* every outbox event published, once: one message per event in the stream (``Nats-Msg-Id``);
* every consumer handled each event it wants exactly once (``processed_events``), the event
  counts per type equal the outbox's (a doubled handling would count twice), and every
  durable consumer has acknowledged everything;
* every write a client was answered for is in the database; no 5xx.

The load generator is ``bench.scale_load``; the checks are ``bench.scale_checks``. Printed:
throughput per phase (operations/s and its ratio to one API process, latencies, CPU
ms per operation of the API processes, the workers and the load generator, PostgreSQL
commits per operation), each operation's figures, and PASS/FAIL per invariant.

    .venv/bin/python -m bench.scale                           # ~3 min on 2 idle cores
    .venv/bin/python -m bench.scale --apis 1,2,4,8 --workers 3 --seconds 60 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table
from sqlalchemy import create_engine, text

from bench.common import (
    Latencies,
    build_platform_on,
    console,
    cpu_seconds,
    free_port,
    fresh_database,
    ms,
    postgres_unreachable_reason,
    print_load_after,
    print_machine,
)
from bench.scale_checks import (
    Check,
    check_all,
    delete_stream,
    durable_states,
    nats_unreachable_reason,
    stream_ids,
    wait_drained,
)
from bench.scale_load import (
    CART_SKUS,
    OK,
    OPERATIONS,
    REFUSED,
    STORE,
    Load,
    Reporter,
    Sample,
    Target,
    drive,
)
from omnicanal.platform.nats import durable_name

WAREHOUSE = "SCALE-WH"


def hot_skus(count: int) -> list[str]:
    return [f"SCALE-HOT-{i}" for i in range(count)]


# -- set-up ---------------------------------------------------------------------------------


def set_up(platform: Any, hot: list[str]) -> dict[str, str]:
    """A warehouse and a store, the SKUs with their prices and stock, a web key and a
    tracking key; returns the keys' secrets."""
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
        for code, kind, latitude in ((WAREHOUSE, "warehouse", 47.9), (STORE, "store", 45.76)):
            network.create_location(
                session,
                data=LocationIn(
                    code=code,
                    name=f"Scale {kind}",
                    kind=kind,
                    address=Address(latitude=latitude, longitude=4.84),
                    capabilities=Capabilities(
                        ships=True, sells_in_store=kind == "store", click_and_collect=False
                    ),
                    channels=["web", "app", "call_centre"],
                ),
                actor=OPERATOR,
            )
        create_priced_products(
            session,
            products=[
                ProductIn(
                    code=f"P-{sku}",
                    name=f"Scale {sku}",
                    category="Scale",
                    variants=[VariantIn(sku=sku, price_minor=2990)],
                )
                for sku in [*CART_SKUS, *hot]
            ],
            actor=OPERATOR,
            currency="EUR",
        )
        inventory.count_stock(
            session,
            lines=[(sku, WAREHOUSE, 1_000_000) for sku in CART_SKUS],
            actor=OPERATOR,
            reason="scale: opening stock",
        )
        _, web = create_api_key(session, channel=ChannelKind.web, name="scale web")
        _, tracking = create_api_key(
            session, channel=ChannelKind.web, name="scale tracking", scopes=["tracking:write"]
        )
    return {"web": web, "tracking": tracking}


def top_up(platform: Any, hot: list[str], available: int) -> None:
    """Receive what each hot SKU needs at the store to have ``available`` units to sell."""
    from omnicanal.inventory import service as inventory
    from omnicanal.inventory.schemas import MovementIn, MovementKind
    from omnicanal.platform.actors import OPERATOR

    with platform.db.transaction() as session:
        for sku in hot:
            level = session.execute(
                text(
                    "SELECT l.on_hand - l.reserved - l.safety_stock FROM stock_levels l "
                    "JOIN variants v ON v.id = l.variant_id JOIN locations p ON p.id = "
                    "l.location_id WHERE v.sku = :sku AND p.code = :store"
                ),
                {"sku": sku, "store": STORE},
            ).scalar()
            missing = available - (level or 0)
            if missing > 0:
                inventory.record_movement(
                    session,
                    data=MovementIn(
                        sku=sku, location=STORE, kind=MovementKind.receipt, quantity=missing
                    ),
                    actor=OPERATOR,
                )


# -- the processes --------------------------------------------------------------------------


class Process:
    """One ``omnicanal serve`` or ``omnicanal worker``, restartable; its CPU summed over its
    lives."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.args, self.env, self.log = name, args, env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.lives = 0
        self._cpu_before = 0.0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "omnicanal", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.lives += 1

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def cpu(self) -> float:
        current = cpu_seconds(self.process.pid) if self.alive and self.process else 0.0
        return self._cpu_before + current

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, mid-transaction."""
        assert self.process is not None
        self._cpu_before = self.cpu  # the last reading; what it spent after is lost
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int | None:
        """SIGTERM and its exit status (None if it had to be killed)."""
        if not self.alive:
            return None
        assert self.process is not None
        self._cpu_before = self.cpu
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def tail(self, limit: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-limit:] if self.log.exists() else ""


class Api(Process):
    def __init__(self, index: int, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        super().__init__(f"api-{index}", args, env, workdir / f"api-{index}.log")

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


class Worker(Process):
    def __init__(self, index: int, env: dict[str, str], workdir: Path) -> None:
        super().__init__(f"worker-{index}", ["worker"], env, workdir / f"worker-{index}.log")
        self._started_lines = 0

    def start(self) -> None:
        self._started_lines = self.tail(10**9).count("worker started")
        super().start()

    def ready(self) -> bool:
        return self.tail(10**9).count("worker started") > self._started_lines


def wait_ready(processes: list[Process], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(processes)
    while waiting:
        for process in list(waiting):
            if not process.alive:
                raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
            if process.ready():  # type: ignore[attr-defined]
                waiting.remove(process)
        if time.monotonic() > deadline:
            names = ", ".join(p.name for p in waiting)
            raise RuntimeError(f"{names} not ready after {timeout:.0f}s:\n{waiting[0].tail()}")
        time.sleep(0.2)


# -- the run --------------------------------------------------------------------------------


@dataclass
class Phase:
    title: str
    apis: int
    samples: list[Sample]
    seconds: float
    api_cpu: float
    worker_cpu: float
    load_cpu: float
    commits: int


def commits(engine: Any) -> int:
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        return int(
            connection.execute(
                text("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            ).scalar()
        )


def run(args: argparse.Namespace) -> int:
    hot = hot_skus(args.hot_skus)
    tag = uuid.uuid4().hex[:10]
    bus = {"url": args.nats_url, "stream": f"SCALE_{tag}", "prefix": f"scale{tag}.events"}
    with fresh_database("postgresql", "scale") as db:
        # Configured as the workers are: the consumers it checks are the ones they run.
        platform = build_platform_on(
            db,
            bus_url=bus["url"],
            nats_stream=bus["stream"],
            nats_subject_prefix=bus["prefix"],
        )
        tokens = set_up(platform, hot)
        env = {
            **os.environ,
            "OMNICANAL_DATABASE_URL": db.url,
            "OMNICANAL_DATA_DIR": str(db.workdir),
            "OMNICANAL_BUS_URL": bus["url"],
            "OMNICANAL_NATS_STREAM": bus["stream"],
            "OMNICANAL_NATS_SUBJECT_PREFIX": bus["prefix"],
            "OMNICANAL_SECRET_KEY": uuid.uuid4().hex * 2,
            "OMNICANAL_POOL_SIZE": str(args.pool_size),
            "OMNICANAL_LOG_FORMAT": "json",
            "OMNICANAL_RELAY_POLL_SECONDS": "0.2",
            "PYTHONUNBUFFERED": "1",
        }
        apis = [Api(n + 1, env, db.workdir) for n in range(max(args.apis))]
        workers = [Worker(n + 1, env, db.workdir) for n in range(args.workers)]
        durables = sorted(durable_name(consumer.name) for consumer in platform.consumers)
        load = Load(tokens=tokens, hot=hot, tracking_batch=args.tracking_batch)
        stats = create_engine(db.url)
        phases: list[Phase] = []
        try:
            console.print(f"  starting {args.workers} workers and 1 API process …")
            for process in [*workers, apis[0]]:
                process.start()
            wait_ready([*workers, apis[0]])
            most = max(args.apis)
            plan = [(f"{n} API", n, args.seconds, False) for n in args.apis]
            if args.chaos_seconds > 0:
                plan.append((f"{most} API + kills", most, args.chaos_seconds, True))
            for title, count, seconds, chaotic in plan:
                fresh = [api for api in apis[:count] if api.lives == 0]
                if fresh:
                    console.print(f"  starting {len(fresh)} more API processes …")
                    for api in fresh:
                        api.start()
                    wait_ready(list(fresh))
                top_up(platform, hot, args.hot_units)
                phases.append(
                    run_phase(title, apis[:count], workers, load, seconds, args, stats, chaotic)
                )
            console.print("  load stopped; the workers drain the outbox and the stream …")
            wait_drained(db, bus, durables, args.drain_timeout)
            messages, ids = stream_ids(bus["url"], bus["stream"], bus["prefix"])
            stream = {
                "messages": messages,
                "ids": ids,
                "consumers": durable_states(bus["url"], bus["stream"], durables),
            }
            checks = check_all(db, platform, load, stream, durables)
        finally:
            exits = {p.name: p.stop() for p in [*apis, *workers] if p.lives}
            stats.dispose()
            platform.close()
            with contextlib.suppress(Exception):
                delete_stream(bus["url"], bus["stream"])
        if args.keep_logs:
            for process in [*apis, *workers]:
                if process.log.exists():
                    (args.keep_logs / process.log.name).write_bytes(process.log.read_bytes())
    clean = [name for name, code in exits.items() if name.startswith("worker") and code == 0]
    checks.append(
        Check(
            "workers stop cleanly on SIGTERM",
            len(clean) == len(workers),
            f"{len(clean)} of {len(workers)} exited 0",
        )
    )
    print_phases(phases)
    print_operations(phases)
    return print_checks(checks, load)


def run_phase(
    title: str,
    apis: list[Api],
    workers: list[Worker],
    load: Load,
    seconds: float,
    args: argparse.Namespace,
    stats: Any,
    chaotic: bool,
) -> Phase:
    async def go() -> tuple[list[Sample], float]:
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=64)
        clients = [httpx.AsyncClient(base_url=api.url, timeout=30, limits=limits) for api in apis]
        load.targets = [Target(client) for client in clients]
        reporter = Reporter(title, seconds, args.report_every)
        try:
            return await drive(
                load,
                seconds,
                args.concurrency,
                reporter,
                chaos=(lambda: chaos(apis, workers, seconds)) if chaotic else None,
            )
        finally:
            reporter.close()
            for client in clients:
                await client.aclose()

    api_before = sum(api.cpu for api in apis)
    worker_before = sum(worker.cpu for worker in workers)
    commits_before = commits(stats)
    load_before = time.process_time()
    samples, elapsed = asyncio.run(go())
    return Phase(
        title=title,
        apis=len(apis),
        samples=samples,
        seconds=elapsed,
        api_cpu=sum(api.cpu for api in apis) - api_before,
        worker_cpu=sum(worker.cpu for worker in workers) - worker_before,
        load_cpu=time.process_time() - load_before,
        commits=commits(stats) - commits_before,
    )


async def chaos(apis: list[Api], workers: list[Worker], seconds: float) -> None:
    """SIGKILL a worker a quarter into the phase and an API process halfway; restart each at
    once; done when both are back."""
    started = time.monotonic()

    async def kill_and_restart(fraction: float, victim: Process) -> None:
        await asyncio.sleep(max(0.0, started + seconds * fraction - time.monotonic()))
        victim.kill()
        console.print(
            f"  [red]SIGKILL[/red] {victim.name} at {time.monotonic() - started:.1f} s; "
            "restarting it"
        )
        victim.start()
        await asyncio.to_thread(wait_ready, [victim])
        console.print(f"  {victim.name} back at {time.monotonic() - started:.1f} s")

    await asyncio.gather(kill_and_restart(0.25, workers[0]), kill_and_restart(0.5, apis[-1]))


# -- printing -------------------------------------------------------------------------------


def print_phases(phases: list[Phase]) -> None:
    table = Table(
        title="Throughput by API processes (mixed traffic; CPU per operation of each part)",
        title_justify="left",
    )
    for name in ("phase", "ops", "ops/s", "vs 1 API", "req/s", "p50 ms", "p99 ms", "refused",
                 "errors", "API CPU ms/op", "worker CPU ms/op", "client CPU ms/op",
                 "PG commits/op"):  # fmt: skip
        table.add_column(name, justify="left" if name == "phase" else "right")
    base = None
    for phase in phases:
        count = len(phase.samples) or 1
        rate = len(phase.samples) / phase.seconds
        base = base or rate
        latency = Latencies.of([s.ended - s.started for s in phase.samples])
        failed = sum(1 for s in phase.samples if s.outcome not in (OK, REFUSED))
        table.add_row(
            phase.title,
            f"{len(phase.samples):,}",
            f"{rate:,.1f}",
            f"{rate / base:.2f}x",
            f"{sum(s.requests for s in phase.samples) / phase.seconds:,.1f}",
            ms(latency.p50_ms),
            ms(latency.p99_ms),
            f"{sum(1 for s in phase.samples if s.outcome == REFUSED):,}",
            f"{failed:,}",
            f"{phase.api_cpu * 1000 / count:.2f}",
            f"{phase.worker_cpu * 1000 / count:.2f}",
            f"{phase.load_cpu * 1000 / count:.2f}",
            f"{phase.commits / count:.2f}",
        )
    console.print(table)
    console.print(
        "  One machine runs everything: the API processes, the workers, PostgreSQL, NATS and "
        "the load generator share its cores, so the ratio is bounded by them, not by omnicanal."
    )


def print_operations(phases: list[Phase]) -> None:
    table = Table(title="Operations by phase", title_justify="left")
    for name in ("phase", "operation", "count", "ops/s", "p50 ms", "p99 ms", "refused",
                 "errors"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("phase", "operation") else "right")
    for phase in phases:
        for operation in OPERATIONS:
            mine = [s for s in phase.samples if s.operation == operation]
            latency = Latencies.of([s.ended - s.started for s in mine])
            failures = Counter(s.outcome for s in mine if s.outcome not in (OK, REFUSED))
            table.add_row(
                phase.title,
                operation,
                f"{len(mine):,}",
                f"{len(mine) / phase.seconds:,.1f}",
                ms(latency.p50_ms),
                ms(latency.p99_ms),
                f"{sum(1 for s in mine if s.outcome == REFUSED):,}",
                ", ".join(f"{n} {what}" for what, n in failures.most_common(3)) or "0",
            )
        table.add_section()
    console.print(table)


def print_checks(checks: list[Check], load: Load) -> int:
    table = Table(title="Invariants after the run", title_justify="left")
    table.add_column("invariant")
    table.add_column("result")
    table.add_column("detail")
    for check in checks:
        verdict = "[green]PASS[/green]" if check.passed else "[red]FAIL[/red]"
        table.add_row(check.name, verdict, check.detail)
    console.print(table)
    console.print(f"  requests sent again to another API process after one died: {load.retried}")
    print_load_after()
    failed = [check.name for check in checks if not check.passed]
    console.print("[green]PASS[/green]" if not failed else f"[red]FAIL[/red]: {len(failed)}")
    return 1 if failed else 0


def counts(value: str) -> list[int]:
    try:
        chosen = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError as error:
        raise argparse.ArgumentTypeError("a list of counts such as 1,2,4") from error
    if not chosen or chosen[0] < 1:
        raise argparse.ArgumentTypeError("counts of at least 1")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apis", type=counts, default=[1, 2, 4], help="API process counts")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20, help="of traffic per count")
    parser.add_argument("--chaos-seconds", type=float, default=20, help="0: no kills")
    parser.add_argument("--concurrency", type=int, default=16, help="operations in flight")
    parser.add_argument("--hot-skus", type=int, default=3)
    parser.add_argument("--hot-units", type=int, default=20, help="available per phase")
    parser.add_argument("--tracking-batch", type=int, default=20)
    parser.add_argument("--pool-size", type=int, default=4, help="connections per process")
    parser.add_argument("--drain-timeout", type=float, default=180)
    parser.add_argument("--report-every", type=float, default=5, help="seconds (no terminal)")
    parser.add_argument("--keep-logs", type=Path, help="copy the processes' logs here")
    parser.add_argument(
        "--nats-url", default=os.environ.get("OMNICANAL_BENCH_NATS_URL", "nats://127.0.0.1:4222")
    )
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers: at least 1 (the relay runs in the workers)")
    for reason, what in (
        (postgres_unreachable_reason(), "PostgreSQL"),
        (nats_unreachable_reason(args.nats_url), f"NATS JetStream at {args.nats_url}"),
    ):
        if reason:
            console.print(f"[red]{what} is needed and does not answer[/red]: {reason}")
            raise SystemExit(2)
    print_machine(
        "omnicanal scale-out: API processes and workers on PostgreSQL + NATS JetStream",
        ["postgresql"],
        {
            "nats": args.nats_url,
            "run": f"API processes {args.apis}, {args.workers} workers, {args.seconds:.0f} s "
            f"each, {args.chaos_seconds:.0f} s with kills, {args.concurrency} in flight",
        },
    )
    raise SystemExit(run(args))


if __name__ == "__main__":
    main()
