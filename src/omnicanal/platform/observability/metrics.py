"""Prometheus metrics of one API application, scraped at ``/metrics``.

Each application has its own registry (not the process-wide default): a process that builds
many applications (the tests, a server with several mounts) never registers a series twice.
Request timings are labelled by route template (``/v1/orders/{order_id}``), never by the
raw address, so the number of series stays bounded whatever clients send. The outbox gauges
are read from the database when scraped, so they are true across processes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Database
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.relay import relayed_events

__all__ = ["UNMATCHED", "HttpMetrics", "Metrics"]

UNMATCHED = "<unmatched>"
"""The route label of a request no route answered (a 404 to an unknown address)."""
# The operations whose answers are counted beside the request timings, by route name.
CHECKOUT = "checkout"
STOCK_REFUSAL = "insufficient_stock"


class OutboxCollector(Collector):
    """The outbox backlog and the age of its oldest unpublished event, read when scraped."""

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


class Metrics:
    """The registry of one application and the instruments the HTTP edge feeds."""

    def __init__(self, db: Database) -> None:
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
    """ASGI middleware timing every HTTP request into :class:`Metrics`."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

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
            self.metrics.observe(scope, status, time.perf_counter() - started)
