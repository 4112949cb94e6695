"""The identity review page of the back office on the demo retailer: the page, the queue's
read, and the same read the way the page did it before, against the raw SQL of the same rows.

The page (``GET /admin/reviews``) shows up to 100 open reviews, each with its two profiles'
cards (name, since when, identifiers). It used to call the full 360° view
(``customers.get_profile``: identifiers, traits, household, channels, computed traits and a
timeline, eight queries) for both sides of every review: some 1,600 statements for the
demo's 96 reviews, 0.6 s on an idle 2-core VM and several seconds on a busy one. It now
reads every card in three batch queries (``customers.review_pairs``).

Ways timed, each ``--runs`` times after ``--warmup`` runs, in turn:

* ``page``: ``GET /admin/reviews`` through the real app in process (FastAPI TestClient),
  signed in as head office: session check, the queue's read, the Jinja rendering;
* ``review_pairs``: the service call alone, in a ``platform.db.reading()`` session;
* ``before the fix``: ``list_reviews`` and ``get_profile`` for both sides of every review,
  as the page did it;
* ``raw SQL`` (the baseline): the same rows on a plain DBAPI connection: the open reviews,
  the profiles they name and the profiles those are part of now, the identifiers and the
  name traits of those, five statements.

The database is the demo retailer's (``omnicanal demo``), built once into ``--data-dir``
(default ``/tmp/demo-admin``, about 70 s the first time) and reused; ``--database-url``
points at another one (PostgreSQL included) instead. The bench adds a head-office account
``bench.reviews@example.fr`` to it and brings its schema to the code's (``db upgrade``).

    .venv/bin/python -m bench.admin_reviews
    .venv/bin/python -m bench.admin_reviews --data-dir /tmp/demo-admin --runs 50
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.table import Table
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.common import Latencies, console, ms, print_load_after, print_machine, ratio

EMAIL = "bench.reviews@example.fr"
PASSWORD = "correct horse battery"
QUEUE = 100


def _database(data_dir: Path, url: str | None) -> tuple[str, str]:
    """(backend, SQLAlchemy URL) of the demo database, built first when there is none."""
    from omnicanal.platform.config import normalise_database_url

    resolved = normalise_database_url(url) if url else f"sqlite:///{data_dir / 'omnicanal.db'}"
    backend = make_url(resolved).get_backend_name()
    if backend == "sqlite" and not (data_dir / "omnicanal.db").exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        console.print(f"No demo database in {data_dir}: building one (about 70 s)…")
        env = {**os.environ, "OMNICANAL_DATA_DIR": str(data_dir)}
        omnicanal = Path(sys.executable).with_name("omnicanal")
        subprocess.run(
            [str(omnicanal), "demo", "--no-serve"], env=env, check=True, capture_output=True
        )
    return backend, resolved


def _platform(url: str, data_dir: Path) -> Any:
    from omnicanal.bootstrap import build_platform
    from omnicanal.platform import migrate
    from omnicanal.platform.config import Settings
    from omnicanal.staff import service as staff
    from omnicanal.staff.errors import StaffExists

    platform = build_platform(Settings(database_url=url, data_dir=data_dir))
    migrate.upgrade(platform.db)
    try:
        with platform.db.transaction() as session:
            staff.create_staff(
                session,
                email=EMAIL,
                password=PASSWORD,
                role=staff.Role.head_office,
                location_code=None,
                name="Bench",
            )
    except StaffExists:
        pass
    return platform


def _before(platform: Any) -> int:
    """The queue's read as the page did it: the full profile of both sides of each review."""
    from omnicanal.customers import service as customers
    from omnicanal.customers.errors import UnknownProfile

    cards = 0
    with platform.db.reading() as session:
        for review in customers.list_reviews(session, limit=QUEUE):
            for profile_id in (review.profile_a_id, review.profile_b_id):
                try:
                    profile = customers.get_profile(
                        session, profile_id=profile_id, timeline_limit=1
                    )
                except UnknownProfile:
                    continue
                customers.display_name(profile)
                cards += 1
    return cards


def _pairs(platform: Any) -> int:
    from omnicanal.customers import service as customers

    with platform.db.reading() as session:
        pairs = customers.review_pairs(session, limit=QUEUE)
    return sum(card is not None for pair in pairs for card in pair.sides)


def _raw(backend: str, url: str) -> Callable[[], int]:
    """The same rows on a plain DBAPI connection, five statements."""
    if backend == "sqlite":
        database = make_url(url).database
        assert database is not None
        connection: Any = sqlite3.connect(database, check_same_thread=False)
        mark = "?"
    else:
        import psycopg

        connection = psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        mark = "%s"

    def marks(values: Sequence[str]) -> str:
        return ", ".join(mark for _ in values)

    def read() -> int:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT id, kind, reason, profile_a_id, profile_b_id, identifiers, weight, "
            "probability, reasons, event_id, source, status, created_at, decided_at, decided_by "
            "FROM identity_reviews WHERE status = 'open' ORDER BY created_at, id "
            f"LIMIT {QUEUE}"
        )
        reviews = cursor.fetchall()
        asked = sorted({row[3] for row in reviews} | {row[4] for row in reviews})
        if not asked:
            return 0
        cursor.execute(f"SELECT id, root_id FROM profiles WHERE id IN ({marks(asked)})", asked)
        roots = sorted({root for _, root in cursor.fetchall()})
        cursor.execute(f"SELECT id, created_at FROM profiles WHERE id IN ({marks(roots)})", roots)
        found = len(cursor.fetchall())
        cursor.execute(
            "SELECT profile_id, kind, value, source FROM profile_identifiers "
            f"WHERE profile_id IN ({marks(roots)}) ORDER BY kind, first_seen_at",
            roots,
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT profile_id, name, value FROM profile_traits "
            f"WHERE profile_id IN ({marks(roots)}) AND name IN ('first_name', 'last_name') "
            "ORDER BY observed_at, id",
            roots,
        )
        cursor.fetchall()
        if backend != "sqlite":
            connection.rollback()
        return found

    return read


def _time(
    way: Callable[[], Any], runs: int, warmup: int, counter: list[int]
) -> tuple[Latencies, float]:
    for _ in range(warmup):
        way()
    samples = []
    counter[0] = 0
    for _ in range(runs):
        started = time.perf_counter()
        way()
        samples.append(time.perf_counter() - started)
    return Latencies.of(samples), counter[0] / runs


def run(data_dir: Path, url: str | None, runs: int, warmup: int) -> None:
    from fastapi.testclient import TestClient

    from omnicanal.api.app import create_app

    backend, resolved = _database(data_dir, url)
    platform = _platform(resolved, data_dir)
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    for engine in {platform.db.read_engine, platform.db.write_engine}:
        event.listen(engine, "before_cursor_execute", count)
    raw = _raw(backend, resolved)
    with TestClient(create_app(platform, background=False)) as client:
        signed = client.post(
            "/store/login",
            data={"email": EMAIL, "password": PASSWORD, "next": "/admin/reviews"},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text

        def page() -> None:
            response = client.get("/admin/reviews")
            assert response.status_code == 200, response.text[:300]

        reviews = client.get("/admin/reviews").text.count('class="card review"')
        ways: list[tuple[str, Callable[[], Any]]] = [
            ("page GET /admin/reviews", page),
            ("review_pairs (the queue's read)", lambda: _pairs(platform)),
            ("before the fix (get_profile per side)", lambda: _before(platform)),
        ]
        figures = [(name, *_time(way, runs, warmup, statements)) for name, way in ways]
    baseline, _ = _time(raw, runs, warmup, [0])
    platform.close()

    table = Table(
        title=f"bench.admin_reviews · {backend} · {reviews} reviews on the page, {runs} runs each",
        title_justify="left",
    )
    for column in ("way", "p50 ms", "p90 ms", "max ms", "SQL statements", "p50 ÷ raw SQL"):
        table.add_column(column, justify="left" if column == "way" else "right")
    for name, figure, per_run in figures:
        table.add_row(
            name,
            ms(figure.p50_ms),
            ms(figure.p90_ms),
            ms(figure.max_ms),
            f"{per_run:.0f}",
            ratio(figure.p50_ms / baseline.p50_ms, good_when_high=False),
        )
    table.add_row(
        "raw SQL of the same rows (baseline)",
        ms(baseline.p50_ms),
        ms(baseline.p90_ms),
        ms(baseline.max_ms),
        "5",
        "1.00x",
    )
    console.print(table)
    page_ms = figures[0][1].p50_ms
    console.print(
        f"  page time: {page_ms:.1f} ms (p50), {page_ms / baseline.p50_ms:.1f}x the raw SQL "
        f"of its rows ({baseline.p50_ms:.1f} ms); the target is under 300 ms."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/demo-admin"))
    parser.add_argument("--database-url", default=None, help="another demo database (PostgreSQL)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    backend = "postgresql" if args.database_url and "postgres" in args.database_url else "sqlite"
    print_machine(
        "bench.admin_reviews", [backend], {"demo database": str(args.database_url or args.data_dir)}
    )
    run(args.data_dir, args.database_url, args.runs, args.warmup)
    print_load_after()


if __name__ == "__main__":
    main()
