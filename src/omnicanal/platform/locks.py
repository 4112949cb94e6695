"""Transaction-scoped locks on names (PostgreSQL advisory locks): work that must queue per key.

Two transactions holding the same name run one after the other; others do not wait. SQLite
needs none of this: its writers take the database lock up front (docs/adr/0001).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["hold_names", "lock_number"]

_HOLD = text(
    "SELECT count(pg_advisory_xact_lock(:space, n)) "
    "FROM (SELECT unnest(CAST(:numbers AS integer[])) AS n ORDER BY 1) AS wanted"
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
