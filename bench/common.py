"""What every benchmark shares: a fresh database, the machine banner, bulk loads, percentiles.

A benchmark gets a database of its own for each backend:

* SQLite: a file in a new temporary directory, removed afterwards;
* PostgreSQL: a new database ``omnicanal_bench_<pid>_<n>`` created beside the one named by
  ``OMNICANAL_BENCH_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``)
  and dropped ``WITH (FORCE)`` afterwards, as ``tests/conftest.py`` does for the tests.
"""

from __future__ import annotations

import itertools
import os
import platform as pyplatform
import shutil
import socket
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The benchmarks measure how fast the API answers, not its rate limit: unlimited keys unless
# the environment asks for the limit.
os.environ.setdefault("OMNICANAL_RATE_LIMIT_PER_MINUTE", "0")
console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = 200  # piped to a file: keep the wide tables on one line each

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
_counter = itertools.count(1)


# -- the machine ----------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return pyplatform.processor() or "unknown CPU"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def postgres_server_version(admin_url: str) -> str | None:
    try:
        engine = create_engine(admin_url, pool_pre_ping=False)
        with engine.connect() as connection:
            version = connection.scalar(text("SHOW server_version"))
        engine.dispose()
        return str(version)
    except Exception:
        return None


def print_machine(title: str, backends: Sequence[str], extra: dict[str, str] | None = None) -> None:
    """Say on which machine and backends the figures were taken."""
    cores = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    table = Table(title=title, show_header=False, title_justify="left", box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("machine", f"{pyplatform.node()} · {_cpu_model()}")
    table.add_row("cores", f"{cores} logical ({usable} usable by this process)")
    table.add_row("memory", _memory_gib())
    table.add_row("load average", f"{load} (1, 5, 15 min, before the run)")
    table.add_row("python", f"{pyplatform.python_version()} ({pyplatform.python_implementation()})")
    for backend in backends:
        if backend == "sqlite":
            table.add_row("sqlite", f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)")
        else:
            version = postgres_server_version(postgres_admin_url())
            shown = f"PostgreSQL {version}" if version else "[red]unreachable[/red]"
            table.add_row("postgresql", f"{shown} at {redact(postgres_admin_url())}")
    for key, value in (extra or {}).items():
        table.add_row(key, value)
    console.print(table)
    console.print()


# -- databases ------------------------------------------------------------------------------


def postgres_admin_url() -> str:
    """The SQLAlchemy URL (psycopg 3) of the configured PostgreSQL database."""
    raw = os.environ.get("OMNICANAL_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def free_port() -> int:
    """A TCP port free on the loopback now, for a server the bench starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc), 0 if unknown."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def postgres_unreachable_reason() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(postgres_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def resolve_backends(choice: str) -> list[str]:
    """The backends to run for ``sqlite|postgresql|both``; PostgreSQL is skipped, with a
    printed note, when it does not answer."""
    wanted = list(BACKENDS) if choice == "both" else [choice]
    if "postgresql" in wanted:
        reason = postgres_unreachable_reason()
        if reason is not None:
            console.print(
                f"[yellow]note:[/yellow] skipping PostgreSQL, "
                f"{redact(postgres_admin_url())} is unreachable ({reason})."
            )
            wanted.remove("postgresql")
    return wanted


@dataclass
class BenchDatabase:
    """A fresh, empty database for one benchmark run on one backend."""

    backend: str
    url: str  # SQLAlchemy URL, as omnicanal's OMNICANAL_DATABASE_URL takes it
    workdir: Path
    notes: list[str] = field(default_factory=list)

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def sqlite_path(self) -> str:
        database = make_url(self.url).database
        assert database is not None
        return database

    @property
    def libpq_url(self) -> str:
        """The URL that psycopg.connect takes (no SQLAlchemy driver suffix)."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def dbapi_connect(self) -> Any:
        """A plain DBAPI connection (sqlite3 or psycopg), configured like omnicanal's.

        SQLite: autocommit mode (we BEGIN ourselves), WAL, synchronous=NORMAL, 60 s busy
        timeout. PostgreSQL: psycopg 3, READ COMMITTED, not autocommit.
        """
        if self.is_sqlite:
            connection = sqlite3.connect(
                self.sqlite_path, timeout=60, check_same_thread=False, isolation_level=None
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=60000")
            return connection
        import psycopg

        return psycopg.connect(self.libpq_url)

    def timestamp(self, value: datetime) -> Any:
        """A UTC datetime as omnicanal stores it (SQLite: naive ISO text; PostgreSQL: aware)."""
        if self.is_sqlite:
            return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return value


@contextmanager
def fresh_database(backend: str, label: str = "bench") -> Iterator[BenchDatabase]:
    """A new empty database (not migrated) on ``backend``, removed at the end."""
    workdir = Path(tempfile.mkdtemp(prefix=f"omnicanal-{label}-"))
    name = None
    admin_url = postgres_admin_url()
    try:
        if backend == "sqlite":
            yield BenchDatabase(backend, f"sqlite:///{workdir / 'omnicanal.db'}", workdir)
            return
        name = f"omnicanal_bench_{os.getpid()}_{next(_counter)}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        yield BenchDatabase(backend, url, workdir)
    finally:
        if name is not None:
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def build_platform_on(db: BenchDatabase, *, migrate_schema: bool = True, **settings: Any) -> Any:
    """An omnicanal Platform over ``db`` (embedded bus, no background threads), migrated."""
    from omnicanal.bootstrap import build_platform
    from omnicanal.platform import migrate
    from omnicanal.platform.config import Settings

    platform = build_platform(Settings(database_url=db.url, data_dir=db.workdir, **settings))
    if migrate_schema:
        migrate.upgrade(platform.db)
    return platform


# -- bulk loads -----------------------------------------------------------------------------


def load_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def chunked(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def bulk_insert(
    db: BenchDatabase,
    connection: Any,
    table: str,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    progress: Progress | None = None,
    task: Any = None,
    chunk_size: int = 50_000,
) -> int:
    """Insert ``rows`` fast on a DBAPI connection: COPY on PostgreSQL, executemany on
    SQLite. The caller commits. Returns the number of rows."""
    total = 0
    column_list = ", ".join(columns)
    if db.is_sqlite:
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({column_list}) VALUES ({marks})"
        for chunk in chunked(rows, chunk_size):
            connection.executemany(statement, chunk)
            total += len(chunk)
            if progress is not None:
                progress.advance(task, len(chunk))
        return total
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy,
    ):
        for chunk in chunked(rows, chunk_size):
            for row in chunk:
                copy.write_row(row)
            total += len(chunk)
            if progress is not None:
                progress.advance(task, len(chunk))
    return total


# -- figures --------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Latencies:
    """Latency figures in milliseconds from samples in seconds."""

    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latencies:
        if not seconds:
            nan = float("nan")
            return cls(0, nan, nan, nan, nan, nan)
        ms = [s * 1000 for s in seconds]
        return cls(
            count=len(ms),
            p50_ms=percentile(ms, 50),
            p90_ms=percentile(ms, 90),
            p99_ms=percentile(ms, 99),
            max_ms=max(ms),
            mean_ms=sum(ms) / len(ms),
        )


def ms(value: float) -> str:
    if value != value:  # NaN
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(value: float, *, good_when_high: bool) -> str:
    """A ratio, coloured: green near parity, yellow within 2x, red beyond."""
    if value != value or value == float("inf"):
        return "-"
    slower = (1 / value) if good_when_high and value else value
    colour = "green" if slower <= 1.25 else "yellow" if slower <= 2 else "red"
    return f"[{colour}]{value:.2f}x[/{colour}]"


def seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def print_load_after() -> None:
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        console.print(
            f"  load average after the run: {load} (1, 5, 15 min) on "
            f"{os.cpu_count()} cores; other work on the machine skews the figures."
        )


def profile_calls(title: str, call: Any, count: int, engines: Sequence[Any], top: int = 14) -> None:
    """Run ``call()`` ``count`` times under cProfile and print where omnicanal spends it:
    per omnicanal function, calls and share of the time per operation, and SQL statements
    per operation (counted on ``engines``)."""
    import cProfile
    import pstats

    from sqlalchemy import event

    statements = [0]

    def _count(*_: Any) -> None:
        statements[0] += 1

    for engine in dict.fromkeys(engines):
        event.listen(engine, "before_cursor_execute", _count)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()
    elapsed = time.perf_counter() - started
    for engine in dict.fromkeys(engines):
        event.remove(engine, "before_cursor_execute", _count)

    stats = pstats.Stats(profiler)
    total = max(ct for (_, _, _), (_, _, _, ct, _) in stats.stats.items())  # type: ignore[attr-defined]
    rows = []
    for (filename, line, function), (_, calls, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/omnicanal/" in filename and "/bench/" not in filename:
            short = filename.split("/omnicanal/", 1)[1]
            rows.append((cumulative, f"{short}:{line} {function}", calls / count))
    rows.sort(reverse=True)
    table = Table(
        title=f"{title}: where the time goes ({count} calls under cProfile, "
        f"{elapsed / count * 1000:.2f} ms per call profiled; "
        f"{statements[0] / count:.1f} SQL statements per call)",
        title_justify="left",
    )
    table.add_column("omnicanal function")
    table.add_column("calls per op", justify="right")
    table.add_column("share of the op (cumulative)", justify="right")
    for cumulative, name, calls in rows[:top]:
        table.add_row(name, f"{calls:.1f}", f"{cumulative / total:.0%}")
    console.print(table)

    # Self time by library: who actually burns the CPU.
    buckets: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename} {function}"
        if "sqlalchemy" in where:
            bucket = "SQLAlchemy (Core + ORM)"
        elif "pydantic" in where:
            bucket = "pydantic"
        elif "sqlite3" in where or "psycopg" in where:
            bucket = "database driver (sqlite3 / psycopg, incl. waiting on the database)"
        elif "/omnicanal/" in filename and "/bench/" not in filename:
            bucket = "omnicanal's own code"
        elif "/bench/" in filename or "profile_calls" in function:
            continue
        else:
            bucket = "other (stdlib, ulid, ...)"
        buckets[bucket] = buckets.get(bucket, 0.0) + own
    spent = sum(buckets.values()) or 1.0
    console.print(
        "  self time by library: "
        + "; ".join(
            f"{name} {share / spent:.0%}"
            for name, share in sorted(buckets.items(), key=lambda item: -item[1])
        )
    )
