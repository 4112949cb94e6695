"""Prometheus metrics of one API application, scraped at ``/metrics``.

Each application has its own registry (not the process-wide default): a process that builds
many applications (the tests, a server with several mounts) never registers a series twice.
Request timings are labelled by route template (``/v1/orders/{order_id}``), never by the
raw address, so the number of series stays bounded whatever clients send. The outbox and
consumer gauges are read from the database when scraped, so they are true across processes
(a worker's consumers, another process's relay); the relay's rate is this process's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, exists, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnicanal.platform.bus import Consumer, Work, consumer_work
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Database
from omnicanal.platform.events import OutboxEvent, ProcessedEvent
from omnicanal.platform.relay import relay_rate, relayed_events

__all__ = ["UNMATCHED", "HttpMetrics", "Metrics"]

UNMATCHED = "<unmatched>"
"""The route label of a request no route answered (a 404 to an unknown address)."""
# The operations whose answers are counted beside the request timings, by route name.
CHECKOUT = "checkout"
STOCK_REFUSAL = "insufficient_stock"


class OutboxCollector(Collector):
    """The outbox backlog and the age of its oldest unpublished event, read when scraped, and
    what this process's relay published."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        unpublished = OutboxEvent.published.is_(False)
        with self.db.reading() as session:
            backlog = session.scalar(
                select(func.count()).select_from(OutboxEvent).where(unpublished)
            )
            # The unpublished index (published, seq) finds the oldest without a scan.
            oldest: datetime | None = session.scalar(
                select(OutboxEvent.time).where(unpublished).order_by(OutboxEvent.seq).limit(1)
            )
        age = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "omnicanal_outbox_backlog", "Events written but not yet published.", value=backlog
        )
        yield GaugeMetricFamily(
            "omnicanal_outbox_oldest_age_seconds",
            "Age of the oldest unpublished event (0 when none waits).",
            value=age,
        )
        yield CounterMetricFamily(
            "omnicanal_outbox_relayed_events",
            "Events this process's relay has published to the bus.",
            value=relayed_events(),
        )
        yield GaugeMetricFamily(
            "omnicanal_outbox_relay_rate",
            "Events per second this process's relay published, over the last minute.",
            value=relay_rate(),
        )


LAG_WINDOW = 10_000
"""How many of the latest outbox events the consumer lag looks at: a scrape reads at most
these, whatever the outbox holds."""


class ConsumerCollector(Collector):
    """Per consumer, the published events it wants and has not handled yet, and the age of
    the oldest of them, among the latest ``LAG_WINDOW`` events; read when scraped.

    An event a consumer gave up on (a poison event, after its attempts) counts until it
    leaves the window: it was never handled."""

    def __init__(self, db: Database, consumers: Sequence[Consumer]) -> None:
        self.db = db
        self.consumers = list(consumers)

    def collect(self) -> Iterator[Metric]:
        events = GaugeMetricFamily(
            "omnicanal_consumer_lag_events",
            "Events published that the consumer has not handled yet (latest events only).",
            labels=["consumer"],
        )
        age = GaugeMetricFamily(
            "omnicanal_consumer_lag_seconds",
            "Age of the oldest published event the consumer has not handled (0 when none).",
            labels=["consumer"],
        )
        now = utcnow()
        with self.db.reading() as session:
            newest = session.scalar(select(func.max(OutboxEvent.seq))) or 0
            for consumer in self.consumers:
                # The (published, seq) index bounds the read; the key of processed_events
                # (consumer, event_id) answers each event.
                query = select(func.count(), func.min(OutboxEvent.time)).where(
                    OutboxEvent.published.is_(True),
                    OutboxEvent.seq > newest - LAG_WINDOW,
                    ~exists().where(
                        and_(
                            ProcessedEvent.consumer == consumer.name,
                            ProcessedEvent.event_id == OutboxEvent.id,
                        )
                    ),
                )
                if not consumer.all_events:
                    query = query.where(OutboxEvent.type.in_(consumer.types))
                waiting, oldest = session.execute(query).one()
                events.add_metric([consumer.name], waiting)
                seconds = (now - oldest).total_seconds() if oldest is not None else 0.0
                age.add_metric([consumer.name], max(seconds, 0.0))
        yield events
        yield age
        yield from _work_metrics([consumer.name for consumer in self.consumers])


_WORK_COUNTERS = (
    (
        "omnicanal_consumer_handled_events",
        "Events this process's deliveries handled, by consumer.",
        "events",
    ),
    (
        "omnicanal_consumer_delivery_seconds",
        "Time this process's deliveries took, by consumer (database waits included).",
        "seconds",
    ),
    (
        "omnicanal_consumer_delivery_cpu_seconds",
        "CPU time this process's deliveries took, by consumer.",
        "cpu_seconds",
    ),
    (
        "omnicanal_consumer_statements",
        "SQL statements this process's deliveries sent, by consumer.",
        "statements",
    ),
)
"""Each counter of a consumer's deliveries: its name, its help, the ``bus.Work`` field."""


def _work_metrics(names: Sequence[str]) -> Iterator[Metric]:
    """What each consumer's deliveries took in this process (``bus.consumer_work``; 0 for a
    declared consumer not run here yet): where an operator sees which consumer holds the
    relay up."""
    done = consumer_work()
    everyone = sorted({*names, *done})
    for metric, text, field in _WORK_COUNTERS:
        family = CounterMetricFamily(metric, text, labels=["consumer"])
        for name in everyone:
            family.add_metric([name], getattr(done.get(name, Work()), field))
        yield family


class Metrics:
    """The registry of one application and the instruments the HTTP edge feeds."""

    def __init__(self, db: Database, consumers: Sequence[Consumer] = ()) -> None:
        self.registry = CollectorRegistry()
        self.request_duration = Histogram(
            "omnicanal_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status class.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.checkout_duration = Histogram(
            "omnicanal_checkout_duration_seconds",
            "Time to answer a checkout (POST /v1/orders), by status class.",
            ["status"],
            registry=self.registry,
        )
        self.reservation_failures = Counter(
            "omnicanal_reservation_failures",
            "Requests refused for insufficient stock, by operation.",
            ["operation"],
            registry=self.registry,
        )
        self.registry.register(OutboxCollector(db))
        self.registry.register(ConsumerCollector(db, consumers))

    def render(self) -> bytes:
        """The text exposition format of every metric, for a scrape."""
        return generate_latest(self.registry)

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Record one answered request, read from the routed scope."""
        route = scope.get("route")
        template = getattr(route, "path", None) or UNMATCHED
        status_class = f"{status // 100}xx"
        self.request_duration.labels(template, scope["method"], status_class).observe(seconds)
        name = getattr(route, "name", None)
        if name == CHECKOUT and template.startswith("/v1/"):
            self.checkout_duration.labels(status_class).observe(seconds)
        # The problem handler notes the code of the domain error it answered.
        if scope.get("state", {}).get("problem_code") == STOCK_REFUSAL:
            self.reservation_failures.labels(name or UNMATCHED).inc()


class HttpMetrics:
    """ASGI middleware timing every HTTP request into the application's :class:`Metrics`
    (``app.state.metrics``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # The scope is shared with the router, which notes the matched route in it.
        scope.setdefault("state", {})
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            metrics: Metrics = scope["app"].state.metrics
            metrics.observe(scope, status, time.perf_counter() - started)
