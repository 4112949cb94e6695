"""Transaction-scoped locks on names (PostgreSQL advisory locks): work that must queue per key.

Two transactions holding the same name run one after the other; others do not wait. SQLite
needs none of this: its writers take the database lock up front (docs/adr/0001).

:func:`hold_names` locks names of one space (two int4 keys: the space, the name's number);
:func:`hold` locks names of several spaces at once, as int8 keys (the space in the high
half), in one statement and one ascending order, so that a use case needing locks of
several kinds neither pays a round trip per kind nor waits in a cycle with another. PostgreSQL
keeps the two forms apart: a space is locked in one form only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["hold", "hold_names", "lock_key", "lock_number"]

_HOLD = text(
    "SELECT count(pg_advisory_xact_lock(:space, n)) "
    "FROM (SELECT unnest(CAST(:numbers AS integer[])) AS n ORDER BY 1) AS wanted"
)
_HOLD_KEYS = text(
    "SELECT count(pg_advisory_xact_lock(k)) "
    "FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS wanted"
)
_CHUNK = 5_000


def lock_number(name: str) -> int:
    """A signed 32-bit lock number for ``name`` (a collision only makes two wait)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big") - 2**31


def hold_names(session: Session, space: int, names: Iterable[str]) -> bool:
    """Hold the locks of ``names`` in ``space`` (an int4 of the caller's) until the transaction
    ends, in ascending order so that no two transactions wait for each other in a cycle.

    False, holding nothing, where the database is not PostgreSQL.
    """
    if session.get_bind().dialect.name != "postgresql":
        return False
    numbers = sorted({lock_number(name) for name in names})
    for start in range(0, len(numbers), _CHUNK):
        session.execute(_HOLD, {"space": space, "numbers": numbers[start : start + _CHUNK]})
    return True


def lock_key(space: int, name: str) -> int:
    """The int8 lock key of ``name`` in ``space`` (a non-negative int4): the space in the
    high half, the name's number in the low one."""
    return (space << 32) | (lock_number(name) & 0xFFFF_FFFF)


def hold(session: Session, names: Iterable[tuple[int, str]]) -> bool:
    """Hold the locks of these (space, name) pairs until the transaction ends, in one
    statement, in ascending order of their keys (:func:`lock_key`).

    False, holding nothing, where the database is not PostgreSQL.
    """
    if session.get_bind().dialect.name != "postgresql":
        return False
    keys = sorted({lock_key(space, name) for space, name in names})
    for start in range(0, len(keys), _CHUNK):
        session.execute(_HOLD_KEYS, {"keys": keys[start : start + _CHUNK]})
    return True
