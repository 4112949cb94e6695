"""Time: timezone-aware UTC everywhere inside omnicanal.

A simulation (the demo's history, a replay) may say when the events it records happened:
inside ``with simulated(at):`` an event's envelope is dated ``at`` instead of now. Only the
events' time follows it (:func:`event_time`); :func:`utcnow` is always the real present. The
simulated time is context-local: another thread, or a request served meanwhile, still dates
its events now.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

__all__ = ["as_utc", "event_time", "simulated", "utcnow"]

_SIMULATED: ContextVar[datetime | None] = ContextVar("omnicanal.simulated_time", default=None)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A datetime in UTC; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@contextmanager
def simulated(at: datetime) -> Iterator[datetime]:
    """Date the events recorded in this context ``at`` (in UTC), until the block ends (an
    exception included); blocks nest, the innermost wins."""
    moment = as_utc(at)
    token = _SIMULATED.set(moment)
    try:
        yield moment
    finally:
        _SIMULATED.reset(token)


def event_time() -> datetime:
    """When an event recorded now happened: the simulated time of this context, else now."""
    return _SIMULATED.get() or utcnow()
