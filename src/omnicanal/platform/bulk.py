"""Bulk writes at driver speed, with the column types' own conversions.

A batch of tracked messages writes thousands of rows. SQLAlchemy's executemany path spends
most of its time building parameters row by row; here each column's bind processor is
looked up once and applied in a tight loop, and the rows go to the driver's
``executemany``. What lands in the database is what SQLAlchemy itself would have written.
On PostgreSQL, :func:`bulk_copy` sends plain inserts through ``COPY … FROM STDIN`` instead:
one statement whose rows psycopg formats in C.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import JSON, FromClause, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

__all__ = ["bulk_copy", "bulk_insert", "bulk_update_by_id"]


def _dialect(session: Session) -> Dialect:
    return session.get_bind().dialect


def _mark(table: Table, column: str, dialect: Dialect) -> str:
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    if dialect.name == "postgresql" and isinstance(table.c[column].type, JSON):
        return f"{mark}::json"
    return mark


def _converters(
    table: Table, columns: Sequence[str], dialect: Dialect
) -> list[Callable[[Any], Any] | None]:
    return [table.c[name].type._cached_bind_processor(dialect) for name in columns]


def _rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    converters: list[Callable[[Any], Any] | None],
) -> list[tuple[Any, ...]]:
    pairs = list(zip(columns, converters, strict=True))
    return [
        tuple(convert(row[name]) if convert else row[name] for name, convert in pairs)
        for row in rows
    ]


def bulk_insert(
    session: Session, table: FromClause, rows: Sequence[dict[str, Any]], *, suffix: str = ""
) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` (a model's ``__table__``);
    ``suffix`` may add an ``ON CONFLICT …`` clause (the same on SQLite and PostgreSQL)."""
    if not rows:
        return
    table = cast(Table, table)
    dialect = _dialect(session)
    columns = list(rows[0])
    marks = ", ".join(_mark(table, name, dialect) for name in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks}) {suffix}".strip()
    session.connection().exec_driver_sql(
        sql, _rows(rows, columns, _converters(table, columns, dialect))
    )


def bulk_copy(session: Session, table: FromClause, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` with ``COPY`` on PostgreSQL
    (as :func:`bulk_insert` elsewhere), in the session's transaction. No ``ON CONFLICT``: a
    duplicate key fails the statement, as an INSERT's would. A COPY is not seen by the
    engine's statement events (a trace shows it as part of its caller)."""
    if not rows:
        return
    table = cast(Table, table)
    dialect = _dialect(session)
    if dialect.name != "postgresql":
        bulk_insert(session, table, rows)
        return
    columns = list(rows[0])
    values = _rows(rows, columns, _converters(table, columns, dialect))
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in values:
            copy.write_row(row)


def bulk_update_by_id(session: Session, table: FromClause, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE each row of ``table`` (a model's ``__table__``) by its ``id`` with the other keys
    of its dict."""
    if not rows:
        return
    table = cast(Table, table)
    dialect = _dialect(session)
    columns = [name for name in rows[0] if name != "id"]
    sets = ", ".join(f"{name} = {_mark(table, name, dialect)}" for name in columns)
    sql = f"UPDATE {table.name} SET {sets} WHERE id = {_mark(table, 'id', dialect)}"
    ordered = [*columns, "id"]
    session.connection().exec_driver_sql(
        sql, _rows(rows, ordered, _converters(table, ordered, dialect))
    )
