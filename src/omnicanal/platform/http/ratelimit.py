"""Requests per minute per API key, so that one integrator's runaway loop cannot starve the
tills: a 429 problem past the rate, and the RateLimit headers on every answer.

The rate is the key's own ``requests_per_minute``, else ``Settings.rate_limit_per_minute``
(0: no limit). A key may send a burst of ten seconds' worth of requests (at least 10) at
once, then one every ``60 / rate`` seconds: a full minute's allowance in one burst would let
a runaway loop take a minute's capacity in a second.

The count is the generic cell rate algorithm (GCRA): per key, one number, the theoretical
arrival time (TAT) of its next request, which moves on by one interval per request admitted
and never falls behind the clock. A request is admitted when the TAT it would leave is at
most one burst ahead of now. It is a token bucket without a refill loop: exact with integer
nanoseconds, one dict entry per key, a lock held for a few arithmetic operations.

The count lives in this process's memory: each API process counts on its own, so N
processes behind a load balancer allow up to N times the rate. One process per node is the
default deployment; a shared count (in PostgreSQL or NATS) would cost a round trip per
request, which is what the limit protects. No library is used: ``limits`` offers windows
rather than a bucket with a burst, and its storage layer is more than this needs.

The headers (``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset``; the 429's
``Retry-After``) are set in one place, :class:`RateLimitHeaders`, that sees every response,
including those an endpoint builds itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders, State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnicanal.platform.errors import Throttled

__all__ = ["Allowance", "RateLimitHeaders", "RateLimited", "RateLimiter", "burst_of"]

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
MIN_BURST = 10
STATE_KEY = "rate_limit"
"""Where the request's :class:`Allowance` waits in the ASGI scope's state for the headers."""


class RateLimited(Throttled):
    code = "rate_limited"
    title = "Too many requests for this API key"


def burst_of(requests_per_minute: int) -> int:
    """How many requests a key may send at once: ten seconds' worth, at least 10."""
    return max(requests_per_minute // 6, MIN_BURST)


def _whole_seconds(nanoseconds: int) -> int:
    return -(-nanoseconds // SECOND)


@dataclass(frozen=True)
class Allowance:
    """Where a key stands after one request: what the headers say, and whether it passed."""

    admitted: bool
    requests_per_minute: int
    limit: int
    """The burst: the most requests the key may send at once."""
    remaining: int
    """The requests it may still send at once."""
    reset_seconds: int
    """Seconds until it may send a whole burst again."""
    retry_after_seconds: int = 0
    """For a refused request, seconds until one is admitted again (at least 1)."""

    def headers(self) -> list[tuple[str, str]]:
        """The RateLimit header fields (and Retry-After on a refusal)."""
        fields = [
            ("RateLimit-Limit", str(self.limit)),
            ("RateLimit-Remaining", str(self.remaining)),
            ("RateLimit-Reset", str(self.reset_seconds)),
        ]
        if not self.admitted:
            fields.append(("Retry-After", str(self.retry_after_seconds)))
        return fields

    def refusal(self) -> RateLimited:
        """The 429 problem of a refused request, saying when to try again."""
        seconds = self.retry_after_seconds
        return RateLimited(
            f"This API key may send {self.requests_per_minute} requests a minute, in bursts of "
            f"at most {self.limit}; try again in {seconds} second{'s' if seconds > 1 else ''}.",
            retry_after=seconds,
        )


class RateLimiter:
    """The request rate of every API key in this process (thread-safe)."""

    def __init__(
        self, *, default_per_minute: int, clock: Callable[[], int] = time.monotonic_ns
    ) -> None:
        self.default_per_minute = default_per_minute
        self._clock = clock
        self._next_arrival: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str, own_per_minute: int | None = None) -> Allowance | None:
        """Count one request of ``key_id``; None when the key has no limit.

        A refused request is not counted: a client that waits ``Retry-After`` is admitted."""
        rate = self.default_per_minute if own_per_minute is None else own_per_minute
        if rate <= 0:
            return None
        interval = MINUTE // rate
        burst = burst_of(rate)
        horizon = burst * interval
        with self._lock:
            now = self._clock()
            after = max(self._next_arrival.get(key_id, now), now) + interval
            if after - now > horizon:
                wait = after - horizon - now
                return Allowance(
                    admitted=False,
                    requests_per_minute=rate,
                    limit=burst,
                    remaining=0,
                    reset_seconds=_whole_seconds(after - interval - now),
                    retry_after_seconds=max(_whole_seconds(wait), 1),
                )
            self._next_arrival[key_id] = after
        return Allowance(
            admitted=True,
            requests_per_minute=rate,
            limit=burst,
            remaining=(horizon - (after - now)) // interval,
            reset_seconds=_whole_seconds(after - now),
        )

    def admit(self, key_id: str, own_per_minute: int | None, state: State) -> None:
        """Count one request and leave its allowance on the request's ``state`` for the
        headers; raise :class:`RateLimited` (a 429) when the key is over its rate."""
        allowance = self.take(key_id, own_per_minute)
        if allowance is None:
            return
        setattr(state, STATE_KEY, allowance)
        if not allowance.admitted:
            raise allowance.refusal()


class RateLimitHeaders:
    """ASGI middleware adding the RateLimit headers to the answer of every request that a
    key's rate counted (any status: the 2xx, the 4xx problems and the 429 itself)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The same dict whatever the layers below copy of the scope: request.state writes here.
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            allowance = state.get(STATE_KEY)
            if message["type"] == "http.response.start" and isinstance(allowance, Allowance):
                headers = MutableHeaders(scope=message)
                for name, value in allowance.headers():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
