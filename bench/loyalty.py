"""Loyalty points: earn and redeem throughput against the raw conditional update.

``--members`` members of one programme (no return window, so an earning is spendable at
once), each given ``--start-points``. ``--ops`` operations per mode, spread over
``--threads`` threads, each operation on a member drawn at random (``--hot``: all on one
member, the worst case: every writer queues on one balance row). Modes, in the same database:

* ``raw-earn``    the baseline for earning: plain DBAPI (sqlite3 / psycopg), one transaction
                  per operation: ``UPDATE loyalty_balances SET available = available + :n
                  WHERE member_id = :m``. No omnicanal code.
* ``earn``        ``omnicanal.loyalty.service.earn_for_sale`` for a new three-line sale (rates
                  by category, a ledger line and a lot per line, the event) in
                  ``platform.db.transaction()``.
* ``raw-redeem``  the baseline for redeeming: the conditional ``UPDATE loyalty_balances SET
                  available = available - :n WHERE member_id = :m AND available >= :n``,
                  checked by its row count.
* ``redeem``      ``omnicanal.loyalty.service.hold_points`` (lock the balance, expire what is
                  due, the conditional update, first-expiring lots, the redemption row, the
                  ledger line, the event).

"time ÷ raw" is how many times longer an operation takes than the baseline's (its rate
over the use case's): the baseline writes one row, the use case reads about five and writes
about six (balance, ledger, lots, redemption or earning, outbox), through the ORM.

    .venv/bin/python -m bench.loyalty                       # both backends, ~1 min
    .venv/bin/python -m bench.loyalty --backend sqlite --ops 5000 --threads 16 --hot
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from bench.common import (
    BenchDatabase,
    Latencies,
    build_platform_on,
    console,
    fresh_database,
    load_progress,
    ms,
    print_load_after,
    print_machine,
    ratio,
    resolve_backends,
)

OK, REFUSED = "ok", "refused"
MODES = ("raw-earn", "earn", "raw-redeem", "redeem")
REDEEM_POINTS = 10
Attempt = tuple[float, float, str]


@dataclass
class Scenario:
    member_ids: list[str]


def set_up(platform: Any, members: int, start_points: int) -> Scenario:
    """The programme and its members, made through omnicanal's own use cases."""
    from omnicanal.loyalty import service as loyalty
    from omnicanal.loyalty.schemas import AdjustmentIn, EnrolIn, ProgrammeIn
    from omnicanal.platform.actors import OPERATOR

    with platform.db.transaction() as session:
        loyalty.create_programme(
            session,
            data=ProgrammeIn(
                code="BENCH",
                name="Bench",
                pending_days=0,
                earning_rules=[{"category": "Robes", "points_per_euro": "2"}],
            ),
            actor=OPERATOR,
        )
    member_ids = []
    with load_progress() as progress:
        task = progress.add_task("members", total=members)
        for n in range(members):
            with platform.db.transaction() as session:
                member = loyalty.enrol(
                    session,
                    data=EnrolIn(programme="BENCH", card_number=f"BENCH{n:07d}"),
                    actor=OPERATOR,
                )
                loyalty.adjust_points(
                    session,
                    member_id=member.id,
                    data=AdjustmentIn(points=start_points, reason="bench"),
                    actor=OPERATOR,
                )
            member_ids.append(member.id)
            progress.advance(task)
    return Scenario(member_ids=member_ids)


def run_threads(
    threads: int, total: int, make: Callable[[int], Callable[[int], str]]
) -> list[Attempt]:
    """``threads`` threads, each with its own attempt function, started together; attempt
    ``i`` goes to thread ``i % threads``."""
    attempts = [make(thread) for thread in range(threads)]
    barrier = threading.Barrier(threads)
    results: list[list[Attempt]] = [[] for _ in range(threads)]

    def drive(thread: int) -> None:
        barrier.wait()
        for i in range(thread, total, threads):
            started = time.perf_counter()
            try:
                outcome = attempts[thread](i)
            except Exception as error:
                outcome = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
            results[thread].append((started, time.perf_counter(), outcome))

    workers = [threading.Thread(target=drive, args=(t,), daemon=True) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [attempt for per_thread in results for attempt in per_thread]


def _pick(scenario: Scenario, hot: bool, seed: int) -> Callable[[], str]:
    chooser = random.Random(seed)
    if hot:
        return lambda: scenario.member_ids[0]
    return lambda: chooser.choice(scenario.member_ids)


def run_raw(
    db: BenchDatabase, scenario: Scenario, *, redeem: bool, hot: bool, threads: int, total: int
) -> list[Attempt]:
    """The conditional UPDATE alone, on a plain DBAPI connection per thread."""
    if redeem:
        statement = (
            "UPDATE loyalty_balances SET available = available - {p} "
            "WHERE member_id = {p} AND available >= {p}"
        )
    else:
        statement = "UPDATE loyalty_balances SET available = available + {p} WHERE member_id = {p}"
    mark = "?" if db.is_sqlite else "%s"
    sql = statement.replace("{p}", mark)

    def make(thread: int) -> Callable[[int], str]:
        connection = db.dbapi_connect()
        pick = _pick(scenario, hot, thread)

        def attempt(_: int) -> str:
            member_id = pick()
            params = (
                (REDEEM_POINTS, member_id, REDEEM_POINTS) if redeem else (REDEEM_POINTS, member_id)
            )
            if db.is_sqlite:
                connection.execute("BEGIN IMMEDIATE")
                count = connection.execute(sql, params).rowcount
                connection.execute("COMMIT")
            else:
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    count = cursor.rowcount
                connection.commit()
            return OK if count == 1 else REFUSED

        return attempt

    return run_threads(threads, total, make)


def run_omnicanal(
    platform: Any, scenario: Scenario, *, redeem: bool, hot: bool, threads: int, total: int
) -> list[Attempt]:
    """The use cases, each in its own transaction."""
    from omnicanal.loyalty import service as loyalty
    from omnicanal.loyalty.errors import InsufficientPoints
    from omnicanal.loyalty.rules import PricedLine
    from omnicanal.loyalty.schemas import RedemptionIn
    from omnicanal.loyalty.service.common import load_member
    from omnicanal.platform.actors import Actor
    from omnicanal.platform.clock import utcnow
    from omnicanal.platform.ids import new_id

    actor = Actor(key_id=None, channel="store", location_code="BENCH-01", name="bench")

    def make(thread: int) -> Callable[[int], str]:
        pick = _pick(scenario, hot, thread)

        def earn(_: int) -> str:
            with platform.db.transaction() as session:
                member = load_member(session, pick())
                sale = loyalty.Sale(
                    order_id=new_id(),
                    channel="store",
                    channel_kind="store",
                    location_code="BENCH-01",
                    currency="EUR",
                    placed_at=utcnow(),
                    lines=(
                        PricedLine(new_id(), 1, 4990, "Robes"),
                        PricedLine(new_id(), 2, 3980, "Vestes"),
                        PricedLine(new_id(), 1, 1290, "Accessoires"),
                    ),
                )
                loyalty.earn_for_sale(session, member=member, sale=sale, actor=actor)
            return OK

        def hold(_: int) -> str:
            try:
                with platform.db.transaction() as session:
                    loyalty.hold_points(
                        session,
                        data=RedemptionIn(member_id=pick(), points=REDEEM_POINTS),
                        actor=actor,
                    )
            except InsufficientPoints:
                return REFUSED
            return OK

        return hold if redeem else earn

    return run_threads(threads, total, make)


def summarise(attempts: list[Attempt]) -> dict[str, Any]:
    outcomes = Counter(outcome for _, _, outcome in attempts)
    start = min(a[0] for a in attempts)
    end = max(a[1] for a in attempts)
    latencies = Latencies.of([a[1] - a[0] for a in attempts])
    errors = {k: v for k, v in outcomes.items() if k not in (OK, REFUSED)}
    return {
        "ok": outcomes[OK],
        "refused": outcomes[REFUSED],
        "errors": errors,
        "rate": len(attempts) / (end - start) if end > start else float("nan"),
        "latency": latencies,
    }


def run_backend(backend: str, args: argparse.Namespace) -> None:
    with fresh_database(backend, "loyalty") as db:
        platform = build_platform_on(db, pool_size=max(20, args.threads + 4))
        try:
            scenario = set_up(platform, args.members, args.start_points)
            figures: dict[str, dict[str, Any]] = {}
            for mode in MODES:
                redeem = mode.endswith("redeem")
                console.print(f"[bold]{backend}[/bold] · {mode} · {args.ops} operations")
                if mode.startswith("raw"):
                    attempts = run_raw(
                        db,
                        scenario,
                        redeem=redeem,
                        hot=args.hot,
                        threads=args.threads,
                        total=args.ops,
                    )
                else:
                    attempts = run_omnicanal(
                        platform,
                        scenario,
                        redeem=redeem,
                        hot=args.hot,
                        threads=args.threads,
                        total=args.ops,
                    )
                figures[mode] = summarise(attempts)
            with platform.db.reading() as session:
                from sqlalchemy import func, select

                from omnicanal.loyalty.models import Balance

                negative = session.scalar(
                    select(func.count()).select_from(Balance).where(Balance.available < 0)
                )
        finally:
            platform.close()
    table = Table(
        title=f"loyalty points on {backend}: {args.members} members"
        + (" (one hot member)" if args.hot else "")
        + f", {args.threads} threads",
        title_justify="left",
    )
    for column in ("mode", "ok", "refused", "errors", "ops/s", "p50 ms", "p99 ms", "time ÷ raw"):
        table.add_column(column, justify="right" if column != "mode" else "left")
    for mode in MODES:
        row = figures[mode]
        baseline = figures["raw-redeem" if mode.endswith("redeem") else "raw-earn"]
        table.add_row(
            mode,
            str(row["ok"]),
            str(row["refused"]),
            str(sum(row["errors"].values())),
            f"{row['rate']:,.0f}",
            ms(row["latency"].p50_ms),
            ms(row["latency"].p99_ms),
            "baseline"
            if mode.startswith("raw")
            else ratio(baseline["rate"] / row["rate"], good_when_high=False),
        )
    console.print(table)
    for mode in MODES:
        for error, count in figures[mode]["errors"].items():
            console.print(f"  [red]{mode}: {count} x {error}[/red]")
    console.print(f"  balances below zero after the run: {negative}")
    console.print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--start-points", type=int, default=1_000)
    parser.add_argument("--ops", type=int, default=1_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--hot", action="store_true", help="every operation on one member")
    args = parser.parse_args()
    backends = resolve_backends(args.backend)
    print_machine(
        "bench.loyalty",
        backends,
        {
            "scenario": f"{args.members} members, {args.start_points} points, {args.ops} "
            f"operations per mode, {args.threads} threads"
            + (", one hot member" if args.hot else ""),
        },
    )
    for backend in backends:
        run_backend(backend, args)
    print_load_after()


if __name__ == "__main__":
    main()
