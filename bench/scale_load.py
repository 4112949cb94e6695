"""The load generator of ``bench.scale``: asyncio tasks sending a mix of operations to the
API processes, round-robin, and what the clients were answered (for the checks at the end).

Every write carries an ``Idempotency-Key`` (a tracking message its ``messageId``): a request
that dies with its API process is sent again, with the same key, to another one, and the
dead process is left out until its ``/healthz`` answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bench.common import console

STORE = "SCALE-STORE"
CART_SKUS = [f"SCALE-{i:02d}" for i in range(24)]
OPERATIONS = ("reserve", "settle", "checkout", "track", "read")
WEIGHTS = (30, 12, 20, 10, 28)
REFUSED = "refused"
OK = "ok"
RETRY_FOR_SECONDS = 60.0


@dataclass(frozen=True)
class Sample:
    operation: str
    started: float
    ended: float
    outcome: str
    requests: int


@dataclass
class Target:
    """One API process, and whether it is in the rotation."""

    client: httpx.AsyncClient
    up: bool = True


class TargetDown(Exception):
    """No API process answered within the retry window."""


@dataclass
class Load:
    """The clients' view: what they were answered, for the checks at the end."""

    tokens: dict[str, str]
    hot: list[str]
    tracking_batch: int
    rng: random.Random = field(default_factory=lambda: random.Random("omnicanal-scale"))
    targets: list[Target] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    reservations: set[str] = field(default_factory=set)
    orders: list[str] = field(default_factory=list)
    tracked: set[str] = field(default_factory=set)
    server_errors: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    _turn: Iterator[int] = field(default_factory=itertools.count)

    def _next_target(self) -> Target | None:
        live = [target for target in self.targets if target.up]
        return live[next(self._turn) % len(live)] if live else None

    async def send(
        self, method: str, path: str, *, token: str, body: Any = None, key: str | None = None
    ) -> httpx.Response:
        """Send to the next live API process, round-robin; a process that does not answer is
        marked down and the request goes (same idempotency key) to another one."""
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while time.monotonic() < deadline:
            target = self._next_target()
            if target is None:
                await asyncio.sleep(0.1)
                continue
            try:
                response = await target.client.request(method, path, json=body, headers=headers)
            except httpx.TransportError:
                target.up = False
                self.retried += 1
                continue
            if response.status_code >= 500:
                self.server_errors[f"{method} {path.split('/')[2]} {response.status_code}"] += 1
            return response
        raise TargetDown(f"{method} {path}")

    async def watch_targets(self, stop: asyncio.Event) -> None:
        """Put a process that was down back in the rotation once /healthz answers."""
        while not stop.is_set():
            for target in self.targets:
                if not target.up:
                    with contextlib.suppress(httpx.HTTPError):
                        answer = await target.client.get("/healthz", timeout=1)
                        target.up = answer.status_code == 200
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.3)

    # Each operation returns (outcome, requests sent).

    async def reserve(self) -> tuple[str, int]:
        body = {"sku": self.rng.choice(self.hot), "quantity": 1, "location": STORE}
        body["ttl_seconds"] = 3600
        answer = await self.send(
            "POST", "/v1/reservations", token=self.tokens["web"], body=body, key=new_key()
        )
        if answer.status_code == 201:
            reservation = answer.json()["id"]
            self.held.append(reservation)
            self.reservations.add(reservation)
            return OK, 1
        return outcome_of(answer), 1

    async def settle(self) -> tuple[str, int]:
        if not self.held:
            return await self.reserve()
        reservation = self.held.pop(self.rng.randrange(len(self.held)))
        action = self.rng.choice(("release", "confirm"))
        answer = await self.send(
            "POST",
            f"/v1/reservations/{reservation}/{action}",
            token=self.tokens["web"],
            key=new_key(),
        )
        return (OK if answer.status_code == 200 else outcome_of(answer)), 1

    async def checkout(self) -> tuple[str, int]:
        skus = self.rng.sample(CART_SKUS, self.rng.choice((2, 3)))
        if self.rng.random() < 0.2:
            skus[-1] = self.rng.choice(self.hot)
        cart = await self.send(
            "POST",
            "/v1/carts",
            token=self.tokens["web"],
            body={
                "customer_ref": f"SCALE-{self.rng.randrange(2000):04d}",
                "lines": [{"sku": sku, "quantity": 1} for sku in skus],
            },
            key=new_key(),
        )
        if cart.status_code != 201:
            return outcome_of(cart), 1
        order = await self.send(
            "POST",
            "/v1/orders",
            token=self.tokens["web"],
            body={
                "cart_id": cart.json()["id"],
                "fulfilment": {"method": "ship"},
                "delivery_address": {"city": "Lyon", "latitude": 45.76, "longitude": 4.84},
                "payment": {
                    "provider": "bench-psp",
                    "reference": f"psp_{uuid.uuid4().hex[:12]}",
                    "status": "authorised",
                },
            },
            key=new_key(),
        )
        if order.status_code == 201:
            self.orders.append(order.json()["id"])
            return OK, 2
        return outcome_of(order), 2

    async def track(self) -> tuple[str, int]:
        now = datetime.now(UTC).isoformat()
        batch = []
        for _ in range(self.tracking_batch):
            person = self.rng.randrange(5000)
            message: dict[str, Any] = {
                "messageId": uuid.uuid4().hex,
                "anonymousId": f"anon-{person}",
                "timestamp": now,
            }
            if self.rng.random() < 0.2:
                message |= {
                    "type": "identify",
                    "userId": f"user-{person}",
                    "traits": {"email": f"client{person}@example.fr"},
                }
            else:
                message |= {
                    "type": "track",
                    "event": "Product Viewed",
                    "properties": {"sku": self.rng.choice(CART_SKUS)},
                }
            batch.append(message)
        answer = await self.send(
            "POST", "/v1/batch", token=self.tokens["tracking"], body={"batch": batch}
        )
        if answer.status_code == 200:
            self.tracked.update(message["messageId"] for message in batch)
            return OK, 1
        return outcome_of(answer), 1

    async def read(self) -> tuple[str, int]:
        choice = self.rng.random()
        if choice < 0.4:
            path = f"/v1/inventory/{self.rng.choice(self.hot)}"
        elif choice < 0.7 or not self.orders:
            skus = self.rng.sample(CART_SKUS, 5)
            path = "/v1/availability?" + "&".join(f"sku={sku}" for sku in skus)
        else:
            path = f"/v1/orders/{self.rng.choice(self.orders[-200:])}"
        answer = await self.send("GET", path, token=self.tokens["web"])
        return (OK if answer.status_code == 200 else outcome_of(answer)), 1


def new_key() -> str:
    return uuid.uuid4().hex


def outcome_of(answer: httpx.Response) -> str:
    code = ""
    with contextlib.suppress(ValueError, AttributeError):
        code = answer.json().get("code", "")
    if answer.status_code == 409 and code == "insufficient_stock":
        return REFUSED
    return f"HTTP {answer.status_code} {code}".strip()


async def drive(
    load: Load,
    seconds: float,
    concurrency: int,
    report: Reporter,
    chaos: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> tuple[list[Sample], float]:
    """``concurrency`` tasks sending operations for ``seconds`` while ``chaos`` (when given)
    runs beside them; the samples and the seconds the traffic took (``chaos`` is awaited
    after it)."""
    samples: list[Sample] = []
    operations = {name: getattr(load, name) for name in OPERATIONS}
    started = time.monotonic()
    deadline = started + seconds
    stop = asyncio.Event()
    side = asyncio.create_task(chaos()) if chaos else None

    async def client() -> None:
        while time.monotonic() < deadline:
            name = load.rng.choices(OPERATIONS, WEIGHTS)[0]
            begun = time.perf_counter()
            try:
                outcome, requests = await operations[name]()
            except (TargetDown, httpx.HTTPError, ValueError, KeyError) as error:
                outcome, requests = f"{type(error).__name__}", 1
            samples.append(Sample(name, begun, time.perf_counter(), outcome, requests))

    async def progress() -> None:
        while not stop.is_set():
            report(time.monotonic() - started, samples)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    watcher = asyncio.create_task(load.watch_targets(stop))
    reporter = asyncio.create_task(progress())
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    if side is not None:
        await side  # raises what the chaos raised
    stop.set()
    await asyncio.gather(watcher, reporter)
    report(elapsed, samples, final=True)
    return samples, elapsed


class Reporter:
    """A progress bar on a terminal; a line every few seconds otherwise (a CI log, a file)."""

    def __init__(self, title: str, seconds: float, every: float) -> None:
        self.title, self.seconds, self.every = title, seconds, every
        self.progress: Progress | None = None
        self._last = 0.0
        if console.is_terminal:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=console,
            )
            self.task = self.progress.add_task(title, total=seconds, status="")
            self.progress.start()

    def __call__(self, elapsed: float, samples: list[Sample], *, final: bool = False) -> None:
        failed = sum(1 for s in samples if s.outcome not in (OK, REFUSED))
        status = f"{len(samples):,} ops, {len(samples) / max(elapsed, 1e-9):,.1f} ops/s, "
        status += f"{failed} errors"
        if self.progress is not None:
            self.progress.update(self.task, completed=min(elapsed, self.seconds), status=status)
        elif final or elapsed - self._last >= self.every:
            self._last = elapsed
            done = "done" if final else f"of {self.seconds:.0f} s"
            console.print(f"  {self.title}: {elapsed:5.1f} s {done}, {status}")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
