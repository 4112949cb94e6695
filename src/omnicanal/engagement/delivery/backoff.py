"""When to try a failed delivery again: exponential backoff with full jitter.

The ceiling doubles from one minute with each attempt (1, 2, 4 ... minutes) up to two hours;
the wait is drawn uniformly below the ceiling ("full jitter"), so that messages that failed
together (a provider's outage) do not all come back at the same moment. After
:data:`MAX_ATTEMPTS` attempts the message is given up: the ceilings then add up to about
10 hours (1 + 2 + ... + 64 minutes, then four times 2 hours), about 5 hours on average.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

__all__ = ["BASE", "CEILING", "MAX_ATTEMPTS", "ceiling", "next_attempt"]

BASE = timedelta(minutes=1)
CEILING = timedelta(hours=2)
MAX_ATTEMPTS = 12
"""Attempts in all, the first included, before a message is given up."""

_random = random.SystemRandom()


def ceiling(attempts: int) -> timedelta:
    """The longest wait after the ``attempts``-th failed attempt."""
    # Doubling stops once past the ceiling: no 2**attempts of a large number.
    doublings = min(max(attempts, 1) - 1, 20)
    return min(BASE * 2**doublings, CEILING)


def next_attempt(
    attempts: int, *, now: datetime, rng: random.Random | None = None
) -> datetime | None:
    """When to try again after ``attempts`` failed attempts (at least one), or None when
    that was the last one."""
    if attempts >= MAX_ATTEMPTS:
        return None
    # 1 - random() lies in (0, 1]: never a zero wait, at most the ceiling.
    fraction = 1.0 - (rng or _random).random()
    return now + ceiling(attempts) * fraction
