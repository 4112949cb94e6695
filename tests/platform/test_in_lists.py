"""``IN`` lists reach PostgreSQL as one array parameter, and find the same rows as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    select,
    text,
    tuple_,
)

from omnicanal.platform.in_lists import GENERIC_PLAN_ARRAY
from omnicanal.platform.wiring import Platform

_METADATA = MetaData()
SKUS = Table(
    "test_in_lists_skus",
    _METADATA,
    Column("id", String(26), primary_key=True),
    Column("units", Integer, nullable=False),
)


@pytest.fixture
def skus(platform: Platform) -> Iterator[Table]:
    engine = platform.db.write_engine
    _METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(SKUS.insert(), [{"id": f"SKU-{n:03}", "units": n} for n in range(300)])
    yield SKUS
    _METADATA.drop_all(engine)


def _sent() -> tuple[list[str], Any]:
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SELECT"):
            statements.append(statement)

    return statements, note


def _ids(rows: Any) -> list[str]:
    return sorted(row[0] for row in rows)


def test_every_length_of_list_is_one_statement_text(platform: Platform, skus: Table) -> None:
    engine = platform.db.write_engine
    statements, note = _sent()
    event.listen(engine, "before_cursor_execute", note)
    try:
        with engine.connect() as connection:
            for length in (1, 2, 49, 50, 51, 120, 300):
                wanted = [f"SKU-{n:03}" for n in range(0, length)]
                found = connection.execute(select(skus.c.id).where(skus.c.id.in_(wanted)))
                assert _ids(found) == wanted
    finally:
        event.remove(engine, "before_cursor_execute", note)
    if platform.db.dialect == "postgresql":
        # One text whatever the length: psycopg parses it once.
        assert len(set(statements)) == 1
        assert "= ANY (" in statements[0]
    else:
        assert len(set(statements)) == 7


def test_the_rows_found_are_those_of_an_in_list(platform: Platform, skus: Table) -> None:
    with platform.db.write_engine.connect() as connection:

        def ids(condition: Any, parameters: dict[str, Any] | None = None) -> list[str]:
            return _ids(connection.execute(select(skus.c.id).where(condition), parameters or {}))

        assert ids(skus.c.id.in_([])) == []
        assert ids(skus.c.id.in_(("SKU-007", "SKU-008", "SKU-999"))) == ["SKU-007", "SKU-008"]
        assert ids(skus.c.units.in_([3, 1])) == ["SKU-001", "SKU-003"]
        # A statement built once, run with other values each time (the cached compilation).
        given = skus.c.units.in_(bindparam("units", expanding=True))
        assert ids(given, {"units": [4, 5]}) == ["SKU-004", "SKU-005"]
        assert ids(given, {"units": (6,)}) == ["SKU-006"]
        assert ids(given, {"units": []}) == []
        # What is left as SQLAlchemy writes it: NOT IN, tuples, a subquery.
        assert len(ids(skus.c.id.not_in(["SKU-001"]))) == 299
        pairs = tuple_(skus.c.id, skus.c.units).in_([("SKU-001", 1), ("SKU-002", 3)])
        assert ids(pairs) == ["SKU-001"]
        below = skus.c.id.in_(select(skus.c.id).where(skus.c.units < 2))
        assert ids(below) == ["SKU-000", "SKU-001"]


def test_a_value_longer_than_the_column_finds_nothing(platform: Platform, skus: Table) -> None:
    """An identifier sent longer than the column holds (hostile, or mistyped) is compared
    whole: it never finds the row named by its first characters."""
    full = "SKU-" + "L" * (skus.c.id.type.length - 4)
    longer = full + "-and-more"
    with platform.db.write_engine.begin() as connection:
        connection.execute(skus.insert(), [{"id": full, "units": 1}])
        found = connection.execute(select(skus.c.id).where(skus.c.id.in_([longer, "SKU-009"])))
        assert _ids(found) == ["SKU-009"]
        alone = connection.execute(select(skus.c.id).where(skus.c.id.in_([longer])))
        assert _ids(alone) == []
        assert _ids(connection.execute(select(skus.c.id).where(skus.c.id.in_([full])))) == [full]


def test_a_long_array_is_planned_with_its_values_each_time(platform: Platform, skus: Table) -> None:
    """psycopg prepares a statement run five times, and PostgreSQL may then plan it once for
    an array of ten values. A run with a longer array goes unprepared; shorter ones keep the
    prepared statement."""
    if platform.db.dialect != "postgresql":
        pytest.skip("SQLite prepares nothing on a server")
    wanted = [f"SKU-{n:03}" for n in range(GENERIC_PLAN_ARRAY + 1)]
    few = wanted[:GENERIC_PLAN_ARRAY]
    prepared = text("SELECT statement FROM pg_prepared_statements")
    with platform.db.write_engine.connect() as connection:
        for _ in range(8):
            found = connection.execute(select(skus.c.id).where(skus.c.id.in_(wanted)))
            assert _ids(found) == wanted
        assert not [s for s in connection.execute(prepared).scalars() if "ANY" in s]
        for _ in range(8):
            found = connection.execute(select(skus.c.units).where(skus.c.id.in_(few)))
            assert len(found.all()) == GENERIC_PLAN_ARRAY
        kept = [s for s in connection.execute(prepared).scalars() if "ANY" in s]
        assert len(kept) == 1 and "units" in kept[0]
