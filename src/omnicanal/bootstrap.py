"""The composition root: settings built once, and the platform built from what each module
declares it runs beside the requests (its event consumers and periodic jobs).

Every edge (the API, the CLI, the worker, the tests, the benches) gets its platform here.
The platform layer below knows no module; this file, above them all, is the one place that
names them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import MetaData

from omnicanal.analytics import wiring as analytics
from omnicanal.customers import wiring as customers
from omnicanal.engagement import wiring as engagement
from omnicanal.events_catalogue import load_events
from omnicanal.inventory import wiring as inventory
from omnicanal.loyalty import wiring as loyalty
from omnicanal.orders import wiring as orders
from omnicanal.platform.bus import Consumer
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Base, Database
from omnicanal.platform.jobs import Background, Job
from omnicanal.platform.wiring import Platform
from omnicanal.privacy import wiring as privacy
from omnicanal.webhooks import wiring as webhooks

__all__ = ["BACKGROUND", "build_platform", "load_models"]

BACKGROUND: tuple[Callable[[Settings], Background], ...] = (
    analytics.background,
    customers.background,
    loyalty.background,
    orders.background,
    inventory.background,
    privacy.background,
    engagement.background,
    webhooks.background,
)
"""Each module's declaration of its consumers and jobs, in the order they run: consumers
of one event in this order, and the jobs of one group (orders expire the overdue
fulfilments before inventory releases the expired reservations). Engagement comes last: its
consumer reads the profiles the customers' consumer linked from the same event. Webhooks
come after every module: an event is posted out once the others have taken it in."""


def load_models() -> MetaData:
    """The metadata of every module's tables (what the migrations are compared with)."""
    import omnicanal.analytics.models
    import omnicanal.analytics.pilot_models
    import omnicanal.analytics.survey_models
    import omnicanal.carts.models
    import omnicanal.catalog.models
    import omnicanal.customers.models
    import omnicanal.engagement.models
    import omnicanal.fulfilment.models
    import omnicanal.inventory.models
    import omnicanal.loyalty.models
    import omnicanal.network.models
    import omnicanal.orders.models
    import omnicanal.platform.audit
    import omnicanal.platform.auth
    import omnicanal.platform.erasure
    import omnicanal.platform.events
    import omnicanal.platform.idempotency
    import omnicanal.pricing.models
    import omnicanal.privacy.models
    import omnicanal.returns.models
    import omnicanal.reviews.models
    import omnicanal.staff.models
    import omnicanal.tracking.models
    import omnicanal.webhooks.models  # noqa: F401  (each import registers its tables)

    return Base.metadata


def build_platform(settings: Settings | None = None) -> Platform:
    """The platform for ``settings`` (read from the environment, once, when not given)."""
    settings = settings or Settings()
    load_models()
    # Every event class declared, so that each published event names its payload's version
    # (``dataschema``), whichever module recorded it.
    load_events()
    consumers: list[Consumer] = []
    jobs: list[Job] = []
    for declare in BACKGROUND:
        background = declare(settings)
        consumers += background.consumers
        jobs += background.jobs
    db = Database(settings.resolved_database_url(), pool_size=settings.pool_size)
    return Platform(settings=settings, db=db, consumers=consumers, jobs=jobs)
