"""``column IN (values)`` sent to PostgreSQL as one array parameter: ``column = ANY(:values)``.

SQLAlchemy sends a list of values as one placeholder per value, so every length of list is
another statement: SQLAlchemy expands the placeholders at each execution, and psycopg parses
the statement's text again, as it caches the parsing only of statements under 50 parameters
and 4 KB. A batch of tracking messages looks up hundreds of identifiers, messages and
profiles that way; the expansion and the parsing were a tenth of the server's CPU
(bench/README.md, "IN lists"). As one array parameter, the statement is the same whatever
the number of values, and psycopg parses it once. Given the values, PostgreSQL plans
``= ANY(array)`` as it plans an ``IN`` list (it turns the list into that array itself);
planned for any values, it guesses the array's length (see :func:`install`).

:func:`install` gives a PostgreSQL engine's dialect a statement compiler that writes the
``IN`` of one column and a list of plain values (text, numbers) that way. A list of tuples,
a subquery, ``NOT IN``, a type with its own conversions or a collation, and SQLite are left
as SQLAlchemy writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.compiler import OPERATORS, SQLCompiler
from sqlalchemy.sql.elements import BinaryExpression, BindParameter
from sqlalchemy.types import TypeEngine

__all__ = ["GENERIC_PLAN_ARRAY", "install"]

UNPREPARED = "_omnicanal_arrays"
"""Set on a compiled statement that holds an array: a run with a long one goes unprepared."""
GENERIC_PLAN_ARRAY = 10
"""How many values PostgreSQL takes an array parameter to hold when it plans a prepared
statement for any values (``estimate_array_length``)."""
_PLAIN = (sqltypes.String, sqltypes.Integer)
"""The types whose values go in an array as they are (ids, codes, keys, numbers). A type
with its own conversions (a ``TypeDecorator``, which is none of these) or a collation keeps
SQLAlchemy's form."""


def _arrayable(right: object) -> TypeGuard[BindParameter[Any]]:
    return (
        isinstance(right, BindParameter)
        and right.expanding
        and not right.literal_execute
        and isinstance(right.type, _PLAIN)
        and getattr(right.type, "collation", None) is None
    )


def _item_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    """The array's element type: a text type without its length. PostgreSQL cuts a value
    cast to ``VARCHAR(26)`` to 26 characters, so a longer value looked up would find the row
    of its first 26; a single parameter is cast to ``VARCHAR``, which cuts nothing."""
    if isinstance(type_, sqltypes.String):
        return type_.__class__()
    return type_


def _compiler(base: type[SQLCompiler]) -> type[SQLCompiler]:
    class ArrayInCompiler(base):  # type: ignore[valid-type,misc]
        """``base``, writing ``column IN (values)`` as ``column = ANY(:values)``."""

        def visit_in_op_binary(
            self, binary: BinaryExpression[Any], operator: Any, **kw: Any
        ) -> str:
            right = binary.right
            if not _arrayable(right):
                return self._generate_generic_binary(binary, OPERATORS[operator], **kw)
            # A copy of the parameter, kept as the statement's own (its clone), so a cached
            # statement takes the values of each new one; one array instead of expanded.
            array: BindParameter[Any] = right._clone(maintain_key=True)
            array.expanding = False
            array.type = ARRAY(_item_type(right.type), dimensions=1)
            setattr(self, UNPREPARED, True)
            return f"{self.process(binary.left, **kw)} = ANY ({self.process(array, **kw)})"

    return ArrayInCompiler


def _execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
    """Send a statement unprepared when one of its arrays holds more values than a generic
    plan assumes (see :func:`install`)."""
    if not getattr(context.compiled, UNPREPARED, False) or not isinstance(parameters, Mapping):
        return None
    if not any(
        isinstance(value, list) and len(value) > GENERIC_PLAN_ARRAY for value in parameters.values()
    ):
        return None
    cursor.execute(statement, parameters, prepare=False)
    return True


def install(engine: Engine) -> None:
    """Make ``engine`` (PostgreSQL) send the ``IN`` lists of plain values as arrays.

    psycopg prepares a statement run five times, and PostgreSQL may then plan it once for
    any values (a "generic plan"), taking an array parameter to hold ``GENERIC_PLAN_ARRAY``
    values. For 100 SKUs at 100 locations, such a plan took twice the time of the plan made
    for the values given (bench/README.md, ``bench.availability``). A run whose array holds
    more values is sent unprepared: PostgreSQL plans it with its values."""
    dialect = engine.dialect
    if dialect.name != "postgresql" or getattr(dialect, "_arrays_in", False):
        return
    dialect.statement_compiler = _compiler(dialect.statement_compiler)
    dialect._arrays_in = True  # type: ignore[attr-defined]
    event.listen(engine, "do_execute", _execute)
