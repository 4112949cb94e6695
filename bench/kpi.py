"""Computing the KPIs: a day of every metric, the week view and the month view, on the demo
chain and on a history 100 times larger, against the raw SQL aggregate of the same day's
additive measures.

What is timed, each ``--runs`` times after a run to warm up (the best run is kept), in a
reading session:

* ``day``: the figures of every metric of the catalogue over one day (the last whole day of
  the history), as the operations view and ``omnicanal kpi`` ask them;
* ``week``: every metric of the weekly rhythm over the last 7 days and the 7 before (the
  comparison), and its daily series over the 7 days, as the weekly view draws it;
* ``month``: the monthly view's six calendar months: the customer value (BG/NBD and
  Gamma-Gamma fitted), the retention cohorts and the RFM segments;
* ``raw SQL`` (the baseline): the day's additive measures summed by measure over
  ``kpi_daily``, one ``GROUP BY`` on a plain connection.

Memory: the peak of Python allocations of one more run of each (``tracemalloc``), and the
process's peak resident set at the end (``ru_maxrss``).

(a) The demo chain: the demo retailer (``omnicanal demo``), built once into ``--data-dir``
    (default ``/tmp/demo-kpi``, about 90 s the first time) and reused; ``--database-url``
    names another one (PostgreSQL included).
(b) A synthetic history ``--scale`` times larger (default 100): a copy of that database
    whose KPI facts (``kpi_daily``, the orders, fulfilments, stock, locations, carts,
    moments and survey answers) are repeated ``scale - 1`` more times by bulk inserts, each
    copy a chain of its own (stores ``LYON-01-R07``…, customers ``CUST-00042-R07``…), its
    volumes scaled by a seeded factor per store (0.6 to 1.4): 100 times the orders, the
    stores and the customers. The day's measures of the online orders, which credit no
    store, keep one row per day and channel: their values are scaled instead. The identity
    counts are read from the demo's customers, unscaled.

    .venv/bin/python -m bench.kpi
    .venv/bin/python -m bench.kpi --scale 20 --runs 5
    .venv/bin/python -m bench.kpi --database-url postgresql://postgres@127.0.0.1:5432/demo
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.common import (
    BenchDatabase,
    bulk_insert,
    console,
    load_progress,
    ms,
    postgres_admin_url,
    print_load_after,
    print_machine,
)

SEED = 15
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32, as ULIDs are written: a copy's ids start with ``Z``, no real one
does."""
FACTOR = (0.6, 1.4)
REPEATED = (
    "kpi_locations",
    "kpi_daily",
    "kpi_orders",
    "kpi_fulfilments",
    "kpi_stock",
    "kpi_carts",
    "kpi_moments",
    "kpi_survey_answers",
)
IDS = {"order_id", "fulfilment_id", "cart_id", "event_id", "id"}
PLACES = {"code", "store", "location"}
CUSTOMERS = {"customer_ref"}
SCALED = {"value"}
"""The columns a copy's volume factor multiplies."""


# -- the database ---------------------------------------------------------------------------


def _database(data_dir: Path, url: str | None) -> str:
    """The SQLAlchemy URL of the demo database, built first when there is none."""
    from omnicanal.platform.config import normalise_database_url

    resolved = normalise_database_url(url) if url else f"sqlite:///{data_dir / 'omnicanal.db'}"
    if (
        make_url(resolved).get_backend_name() == "sqlite"
        and not (data_dir / "omnicanal.db").exists()
    ):
        data_dir.mkdir(parents=True, exist_ok=True)
        console.print(f"No demo database in {data_dir}: building one (about 90 s)…")
        env = {**os.environ, "OMNICANAL_DATA_DIR": str(data_dir)}
        omnicanal = Path(sys.executable).with_name("omnicanal")
        subprocess.run(
            [str(omnicanal), "demo", "--no-serve"], env=env, check=True, capture_output=True
        )
    return resolved


def _platform(url: str) -> Any:
    from omnicanal.bootstrap import build_platform
    from omnicanal.platform import migrate
    from omnicanal.platform.config import Settings

    platform = build_platform(Settings(database_url=url))
    migrate.upgrade(platform.db)
    return platform


@contextmanager
def _copy_of(url: str, workdir: Path) -> Iterator[BenchDatabase]:
    """A copy of the demo database, dropped afterwards: SQLite's online backup, or a
    PostgreSQL database made from it as a template."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        target = workdir / "scaled.db"
        source, copy = sqlite3.connect(parsed.database), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        yield BenchDatabase("sqlite", f"sqlite:///{target}", workdir)
        return
    name = f"omnicanal_bench_kpi_{os.getpid()}"
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))
        yield BenchDatabase(
            "postgresql", parsed.set(database=name).render_as_string(hide_password=False), workdir
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the larger history -------------------------------------------------------------------


def _copy_id(value: str, copy: int) -> str:
    return f"Z{ALPHABET[copy // 32]}{ALPHABET[copy % 32]}{value[3:]}"


def _columns(name: str) -> list[str]:
    from omnicanal.platform.db import Base

    return [column.name for column in Base.metadata.tables[name].columns]


def _rows(connection: Any, name: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    cursor.execute(f"SELECT {', '.join(columns)} FROM {name}")
    rows = list(cursor.fetchall())
    cursor.close()
    return rows


def _copied(
    name: str,
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[str],
    copy: int,
    factors: dict[str, float],
) -> Iterator[tuple[Any, ...]]:
    """The rows of one more chain: its ids, places and customers its own, its volumes
    scaled by its places' factors. A day's measures of no place (online) are the
    original's, scaled afterwards: their key has nothing to tell a copy by."""
    place = next((columns.index(c) for c in PLACES if c in columns), None)
    for row in rows:
        if name == "kpi_daily" and place is not None and row[place] == "":
            continue
        factor = factors.get(row[place], 1.0) if place is not None else 1.0
        out: list[Any] = []
        for column, cell in zip(columns, row, strict=True):
            if cell is None:
                out.append(cell)
            elif column in IDS and len(cell) == 26:
                out.append(_copy_id(cell, copy))
            elif column in PLACES and cell == "":
                out.append(cell)
            elif column in PLACES or column in CUSTOMERS or column == "external_id":
                out.append(f"{cell}-R{copy:02d}")
            elif column == "name" and "code" in columns:
                out.append(f"{cell} ({copy})")
            elif column in SCALED:
                out.append(round(cell * factor))
            else:
                out.append(cell)
        yield tuple(out)


def grow(db: BenchDatabase, scale: int) -> dict[str, int]:
    """Repeat the KPI facts of ``db`` until the history is ``scale`` chains; rows written
    per table."""
    rng = random.Random(SEED)
    connection = db.dbapi_connect()
    written: dict[str, int] = {}
    if db.is_sqlite:
        connection.execute("BEGIN")
    places = [row[0] for row in _rows(connection, "kpi_locations", ["code"])]
    factors = [{code: rng.uniform(*FACTOR) for code in places} for _ in range(scale)]
    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    for name in REPEATED:
        columns = _columns(name)
        tables[name] = (columns, _rows(connection, name, columns))
    total = sum(len(rows) for _, rows in tables.values()) * (scale - 1)
    with load_progress() as progress:
        task = progress.add_task(f"{scale - 1} more chains of KPI facts", total=total)
        for name, (columns, rows) in tables.items():
            written[name] = 0
            for copy in range(1, scale):
                written[name] += bulk_insert(
                    db,
                    connection,
                    name,
                    columns,
                    _copied(name, rows, columns, copy, factors[copy]),
                    progress=progress,
                    task=task,
                )
    # The online rows (no store): one chain's orders, as many times as there are chains.
    online = sum(rng.uniform(*FACTOR) for _ in range(scale - 1))
    cursor = connection.cursor()
    cursor.execute(
        f"UPDATE kpi_daily SET value = CAST(value * {1 + online:.4f} AS BIGINT) WHERE store = ''"
    )
    cursor.close()
    connection.commit() if not db.is_sqlite else connection.execute("COMMIT")
    cursor = connection.cursor()
    cursor.execute("ANALYZE")
    cursor.close()
    if not db.is_sqlite:
        connection.commit()
    connection.close()
    return written


# -- what is timed --------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    name: str
    what: str
    run: Callable[[Session, date], Any]


def _day(session: Session, day: date) -> Any:
    from omnicanal.analytics import measures
    from omnicanal.analytics.kpis import Scope

    return measures.figures(session, Scope(start=day, end=day))


def _week(session: Session, day: date) -> Any:
    from omnicanal.analytics import measures
    from omnicanal.analytics.kpis import Scope
    from omnicanal.analytics.metrics import METRICS

    codes = [code for code, metric in METRICS.items() if "week" in metric.rhythms]
    scope = Scope(start=day - timedelta(days=6), end=day)
    now = measures.figures(session, scope, codes)
    before = measures.figures(session, scope.before(), codes)
    drawn = [measures.series(session, code, scope) for code in codes]
    return now, before, drawn


def _month(session: Session, day: date) -> Any:
    from omnicanal.analytics import lifetime
    from omnicanal.analytics.kpis import Scope

    first = day.replace(day=1)
    for _ in range(5):
        first = (first - timedelta(days=1)).replace(day=1)
    scope = Scope(start=first, end=day)
    return (
        lifetime.customer_value(session, scope),
        lifetime.retention_cohorts(session, scope),
        lifetime.rfm_segments(session, scope),
    )


VIEWS = (
    View("day", "every metric over one day", _day),
    View("week", "the weekly metrics, 7 days and the 7 before, and their series", _week),
    View("month", "customer value, cohorts and RFM over six months", _month),
)


def _raw_sum(platform: Any, day: date) -> Callable[[], Any]:
    """The baseline: the day's additive measures summed by measure, on a plain connection."""
    engine = platform.db.read_engine
    sqlite = engine.dialect.name == "sqlite"
    statement = "SELECT measure, SUM(value) FROM kpi_daily WHERE day = {} GROUP BY measure"

    def run() -> Any:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            if sqlite:
                cursor.execute(statement.format("?"), (day.isoformat(),))
            else:
                cursor.execute(statement.format("%s"), (day,))
            return cursor.fetchall()
        finally:
            connection.close()

    return run


@dataclass(frozen=True)
class Timing:
    seconds: float
    peak_bytes: int


def _timed(call: Callable[[], Any], runs: int) -> Timing:
    """The best of ``runs`` runs of ``call`` after one to warm up (imports, caches), and the
    peak of Python allocations of one more."""
    call()
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    gc.collect()
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Timing(best, peak)


def measure(platform: Any, day: date, runs: int) -> dict[str, Timing]:
    """Each view and the raw baseline, timed on ``platform``."""

    def in_session(view: View) -> Callable[[], Any]:
        def call() -> Any:
            with platform.db.reading() as session:
                return view.run(session, day)

        return call

    found = {"raw SQL": _timed(_raw_sum(platform, day), max(runs, 5))}
    with load_progress() as progress:
        task = progress.add_task("computing the views", total=len(VIEWS))
        for view in VIEWS:
            found[view.name] = _timed(in_session(view), runs)
            progress.advance(task)
    return found


def _facts(platform: Any) -> dict[str, int]:
    with platform.db.reading() as session:
        return {
            name: int(session.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar() or 0)
            for name in ("kpi_daily", "kpi_orders", "kpi_locations")
        } | {
            "customers": int(
                session.execute(
                    text("SELECT COUNT(DISTINCT customer_ref) FROM kpi_orders")
                ).scalar()
                or 0
            )
        }


# -- the report -----------------------------------------------------------------------------


def _mib(value: int) -> str:
    return f"{value / 1024 / 1024:.1f}"


def report(results: dict[str, dict[str, Timing]], sizes: dict[str, dict[str, int]]) -> None:
    table = Table(
        title="KPIs computed (best of the runs; x raw: time ÷ the raw GROUP BY of the same day "
        "on the same database; peak: Python allocations of one run)",
        title_justify="left",
    )
    table.add_column("view")
    table.add_column("what")
    for label in results:
        table.add_column(f"{label} ms", justify="right")
        table.add_column("x raw", justify="right")
        table.add_column("peak MiB", justify="right")
    for view in (*VIEWS, View("raw SQL", "the day's measures, one GROUP BY", _day)):
        row = [view.name, view.what]
        for timings in results.values():
            timing, raw = timings[view.name], timings["raw SQL"]
            row += [
                ms(timing.seconds * 1000),
                f"{timing.seconds / raw.seconds:,.0f}x" if raw.seconds else "-",
                _mib(timing.peak_bytes),
            ]
        table.add_row(*row)
    console.print(table)
    sized = Table(title="The histories", title_justify="left")
    sized.add_column("history")
    for column in ("kpi_daily rows", "orders", "locations", "customers"):
        sized.add_column(column, justify="right")
    for label, counts in sizes.items():
        sized.add_row(
            label,
            f"{counts['kpi_daily']:,}",
            f"{counts['kpi_orders']:,}",
            f"{counts['kpi_locations']:,}",
            f"{counts['customers']:,}",
        )
    console.print(sized)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    console.print(f"  peak resident set of the bench process: {peak / 1024:,.0f} MiB (ru_maxrss)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/demo-kpi"))
    parser.add_argument("--database-url", help="the demo database (default: SQLite in --data-dir)")
    parser.add_argument("--scale", type=int, default=100, help="chains in the larger history")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not 1 <= args.scale <= 1000:
        parser.error("--scale is between 1 and 1,000")

    url = _database(args.data_dir, args.database_url)
    backend = make_url(url).get_backend_name()
    print_machine("bench.kpi", [backend], {"demo database": make_url(url).render_as_string()})
    platform = _platform(url)
    with platform.db.reading() as session:
        last = session.execute(text("SELECT MAX(day) FROM kpi_orders")).scalar()
    day = date.fromisoformat(str(last)) - timedelta(days=1)
    console.print(f"The day computed: {day.isoformat()} (the history's last whole day).")
    results = {"demo": measure(platform, day, args.runs)}
    sizes = {"demo": _facts(platform)}
    platform.close()

    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"omnicanal-bench-kpi-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with _copy_of(url, workdir) as copy:
            started = time.perf_counter()
            written = grow(copy, args.scale)
            tables = ", ".join(f"{name} {rows:,}" for name, rows in written.items())
            console.print(
                f"  {sum(written.values()):,} rows written in "
                f"{time.perf_counter() - started:.1f} s ({tables})"
            )
            scaled = _platform(copy.url)
            label = f"x{args.scale}"
            results[label] = measure(scaled, day, args.runs)
            sizes[label] = _facts(scaled)
            scaled.close()
    finally:
        for leftover in workdir.glob("*"):
            leftover.unlink()
        workdir.rmdir()
    report(results, sizes)
    print_load_after()


if __name__ == "__main__":
    main()
