"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select, text

from omnicanal import __version__
from omnicanal.analytics.api import router as analytics
from omnicanal.analytics.pilots_api import router as analytics_pilots
from omnicanal.api.tags import TAGS
from omnicanal.bootstrap import build_platform
from omnicanal.carts.api import router as carts
from omnicanal.customers.api import cart_router as profile_carts
from omnicanal.customers.api import router as customers
from omnicanal.engagement.api import router as engagement
from omnicanal.engagement.api import watches_router as stock_watches
from omnicanal.engagement.consents_api import router as consents
from omnicanal.engagement.delivery_api import router as delivery_feedback
from omnicanal.engagement.facts_api import router as engagement_facts
from omnicanal.fulfilment.api import router as fulfilment
from omnicanal.interchange.api import router as interchange
from omnicanal.inventory.api import router as inventory
from omnicanal.loyalty.api import router as loyalty
from omnicanal.network.api import router as network
from omnicanal.orders.api import fulfilment_router as fulfilment_work
from omnicanal.orders.api import router as orders
from omnicanal.platform import heap, migrate
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.http import docs, openapi, problems
from omnicanal.platform.http.deps import PlatformDep, bounded_parameters
from omnicanal.platform.http.headers import SecurityHeaders
from omnicanal.platform.http.limits import BodyLimit
from omnicanal.platform.http.ratelimit import RateLimiter, RateLimitHeaders
from omnicanal.platform.observability.logs import RequestId
from omnicanal.platform.observability.metrics import HttpMetrics, Metrics
from omnicanal.platform.observability.tracing import install_tracing
from omnicanal.platform.wiring import Platform
from omnicanal.pricing.api import products_router as products
from omnicanal.pricing.api import router as pricing
from omnicanal.privacy.api import router as privacy
from omnicanal.returns.api import router as returns
from omnicanal.reviews.api import router as reviews
from omnicanal.tracking.api import router as tracking
from omnicanal.web.edge import install as install_web
from omnicanal.webhooks.api import router as webhooks

DESCRIPTION = """
One source of truth for every channel. Authenticate with `Authorization: Bearer <API key>`
(create keys with `omnicanal keys create`). Writes accept an `Idempotency-Key` header: a
retry with the same key returns the first answer and writes nothing more. Errors are
RFC 9457 problem documents with a machine-readable `code`; each operation lists the ones it
can answer. Inputs are bounded (text length, no NUL, quantities, amounts, dates between 1900
and 2200, a 1 MiB body): what falls outside is a 4xx problem, never a partial write.
Each key has a rate (requests a minute, in bursts of ten seconds' worth): every answer
carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; past the rate, a 429
`rate_limited` problem with `Retry-After` (seconds), and nothing is done.
"""
# The largest REST request body; the tracking API has its own (tracking_max_batch_bytes).
MAX_BODY_BYTES = 1_048_576


def create_app(
    platform: Platform | None = None,
    *,
    background: bool = True,
    settle_heap: bool | None = None,
) -> FastAPI:
    """Build the API around a platform (built from the environment when not given).

    ``settle_heap``: once started, set what start-up built aside from garbage collection
    (:mod:`omnicanal.platform.heap`); by default when the app builds its own platform, as the
    served app (``omnicanal.api.asgi``) does. An app given a platform (tests, embedding) leaves
    the process's heap alone unless asked."""
    owned = platform is None
    settle = owned if settle_heap is None else settle_heap
    platform = platform or build_platform()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The platform the app serves now (see bind_platform), not the one it was built with.
        served: Platform = app.state.platform
        migrate.prepare(served.db)
        if background:
            served.start_background(relay=served.embedded_bus)
        if settle:
            heap.settle()
        yield
        if owned:
            served.close()

    app = FastAPI(
        title="omnicanal",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=TAGS,
        # Operation ids a generated client reads well: reserve_stock -> reserveStock.
        generate_unique_id_function=openapi.operation_id,
        # Served from this installation, not a CDN (platform/http/docs.py).
        docs_url=None,
        redoc_url=None,
    )
    bind_platform(app, platform)
    problems.install(app)
    docs.install(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RateLimitHeaders)
    if platform.settings.cors_origins:
        # Browsers of the listed origins only; credentials travel in headers, never cookies.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=platform.settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Content-Encoding", "Idempotency-Key"],
            max_age=600,
        )

    bounded = [Depends(bounded_parameters)]
    edges = (
        network,
        products,
        inventory,
        analytics_pilots,
        analytics,
        pricing,
        carts,
        profile_carts,
        orders,
        returns,
        loyalty,
        reviews,
        consents,
        delivery_feedback,
        engagement_facts,
        engagement,
        stock_watches,
        webhooks,
    )
    for router in (*edges, fulfilment_work, fulfilment):
        app.include_router(router, dependencies=bounded)
    for router in (tracking, customers, privacy):
        app.include_router(router, dependencies=bounded)
    app.include_router(interchange, dependencies=bounded)
    # The tracking API reads (and decompresses) its bodies under its own limit.
    tracking_paths = frozenset(getattr(route, "path", "") for route in tracking.routes)
    # A file to import is larger than a JSON body: it has its own limit.
    import_paths = frozenset(
        path
        for route in interchange.routes
        if (path := getattr(route, "path", "")).startswith("/v1/imports/")
    )

    def body_limited(path: str) -> bool:
        return path.startswith("/v1/") and path not in tracking_paths | import_paths

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, applies=body_limited)
    app.add_middleware(
        BodyLimit,
        max_bytes=platform.settings.import_max_bytes,
        applies=import_paths.__contains__,
    )

    install_web(app)

    @app.get("/healthz", tags=["platform"])
    def health_check(platform: PlatformDep) -> dict[str, Any]:
        """Liveness and readiness: the database answers; the outbox backlog."""
        with platform.db.reading() as session:
            session.execute(text("SELECT 1"))
            backlog = session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published.is_(False))
            )
        return {
            "status": "ok",
            "version": __version__,
            "database": platform.db.dialect,
            "bus": "embedded" if platform.embedded_bus else "nats",
            "outbox_backlog": backlog,
        }

    _install_instruments(app, platform)
    openapi.install(app, body_limited=body_limited)
    return app


def bind_platform(app: FastAPI, platform: Platform) -> None:
    """Make ``app`` serve ``platform``, with a fresh rate count and metrics registry.

    Everything a request reads of its platform goes through ``app.state``, so an app built
    once can serve another platform of the same settings (the tests bind one app per worker
    to each test's fresh database instead of building the routes again).
    """
    app.state.platform = platform
    # Each process counts its keys' requests on its own (see platform/http/ratelimit.py).
    app.state.rate_limiter = RateLimiter(default_per_minute=platform.settings.rate_limit_per_minute)
    if platform.settings.metrics_enabled:
        app.state.metrics = Metrics(platform.db, platform.consumers)


def _install_instruments(app: FastAPI, platform: Platform) -> None:
    """Metrics, traces and the request id, around everything else (they time it all)."""
    settings = platform.settings
    if settings.metrics_enabled:
        app.add_middleware(HttpMetrics)

        # Outside /v1 and the OpenAPI document: for a Prometheus scraper on the operator's
        # network, not for channels (README: keep it off the internet).
        @app.get("/metrics", include_in_schema=False)
        def prometheus_metrics() -> Response:
            metrics: Metrics = app.state.metrics
            return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    install_tracing(app, platform.db, enabled=settings.otel_enabled)
    app.add_middleware(RequestId)
