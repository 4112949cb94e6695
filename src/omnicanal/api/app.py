"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import func, select, text

from omnicanal import __version__
from omnicanal.api import problems
from omnicanal.api.deps import PlatformDep
from omnicanal.platform import migrate
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.wiring import Platform, build_platform

DESCRIPTION = """
One source of truth for every channel. Authenticate with `Authorization: Bearer <API key>`
(create keys with `omnicanal keys create`). Writes accept an `Idempotency-Key` header: a
retry with the same key returns the first answer and writes nothing more. Errors are
RFC 9457 problem documents with a machine-readable `code`.
"""


def create_app(platform: Platform | None = None, *, background: bool = True) -> FastAPI:
    """Build the API around a platform (built from the environment when not given)."""
    owned = platform is None
    platform = platform or build_platform()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate.prepare(platform.db)
        if background:
            platform.start_background(relay=platform.embedded_bus)
        yield
        if owned:
            platform.close()

    app = FastAPI(
        title="omnicanal",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.platform = platform
    problems.install(app)
    if platform.settings.cors_origins:
        # Browsers of the listed origins only; credentials travel in headers, never cookies.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=platform.settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Content-Encoding", "Idempotency-Key"],
            max_age=600,
        )

    from omnicanal.analytics.api import router as analytics
    from omnicanal.carts.api import router as carts
    from omnicanal.catalog.api import router as catalog
    from omnicanal.customers.api import router as customers
    from omnicanal.fulfilment.api import router as fulfilment
    from omnicanal.inventory.api import router as inventory
    from omnicanal.network.api import router as network
    from omnicanal.orders.api import router as orders
    from omnicanal.pricing.api import router as pricing
    from omnicanal.tracking.api import router as tracking

    for router in (network, catalog, inventory, analytics, pricing, carts, orders, fulfilment):
        app.include_router(router)
    for router in (tracking, customers):
        app.include_router(router)

    from omnicanal.web.edge import install as install_web

    install_web(app)

    @app.get("/healthz", tags=["platform"])
    def healthz(platform: PlatformDep) -> dict[str, Any]:
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

    return app
