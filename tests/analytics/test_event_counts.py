"""The daily event counts (``analytics.event_counts``): a relay batch adds to its days' counts
in one statement, and workers counting at once lose nothing; SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import event as sqla_event

from omnicanal.analytics.service import count_event, count_events, event_counts
from omnicanal.platform.events import Event
from omnicanal.platform.wiring import Platform

MONDAY = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


def _events(*spec: tuple[datetime, str, str, int]) -> list[Event]:
    """``count`` events of each (time, type, source)."""
    return [
        Event(type=kind, subject="s", data={}, source=source, time=at)
        for at, kind, source, count in spec
        for _ in range(count)
    ]


def _counts(platform: Platform) -> dict[tuple[str, str, str], int]:
    with platform.db.reading() as session:
        return {
            (str(row["day"]), str(row["type"]), str(row["source"])): int(str(row["count"]))
            for row in event_counts(session)
        }


def test_a_batch_adds_to_its_days_counts_in_one_statement(platform: Platform) -> None:
    batch = _events(
        (MONDAY, "order.placed", "channels/web", 3),
        (MONDAY, "order.placed", "channels/store/LYON1", 2),
        (MONDAY, "cart.created", "channels/web", 4),
        (TUESDAY, "order.placed", "channels/web", 1),
    )
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sqla_event.listen(platform.db.write_engine, "before_cursor_execute", note)
    try:
        with platform.db.transaction() as session:
            count_events(session, batch)
            count_events(session, [])
    finally:
        sqla_event.remove(platform.db.write_engine, "before_cursor_execute", note)

    assert [s.split()[2] for s in statements if s.lstrip().upper().startswith("INSERT")] == [
        "daily_event_counts"
    ]
    with platform.db.transaction() as session:
        count_events(session, _events((TUESDAY, "order.placed", "channels/web", 2)))
        count_event(session, _events((MONDAY, "cart.created", "channels/app", 1))[0])
    assert _counts(platform) == {
        ("2026-11-30", "cart.created", "channels/app"): 1,
        ("2026-11-30", "cart.created", "channels/web"): 4,
        ("2026-11-30", "order.placed", "channels/store/LYON1"): 2,
        ("2026-11-30", "order.placed", "channels/web"): 3,
        ("2026-12-01", "order.placed", "channels/web"): 3,
    }


def test_workers_counting_the_same_days_at_once_lose_nothing(platform: Platform) -> None:
    kinds = ("order.placed", "cart.created", "inventory.reserved")
    rounds = 15
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            start.wait()
            for k in range(rounds):
                # Each worker lists the keys in its own order: the upsert sorts them.
                spec = [
                    (day, kind, "channels/web", 1 + (worker + k) % 3)
                    for day in (TUESDAY, MONDAY)
                    for kind in kinds
                ]
                with platform.db.transaction() as session:
                    count_events(session, _events(*(spec if worker % 2 else reversed(spec))))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    expected: Counter[tuple[str, str, str]] = Counter()
    for worker in range(4):
        for k in range(rounds):
            for day in ("2026-11-30", "2026-12-01"):
                for kind in kinds:
                    expected[(day, kind, "channels/web")] += 1 + (worker + k) % 3
    assert _counts(platform) == dict(expected)
