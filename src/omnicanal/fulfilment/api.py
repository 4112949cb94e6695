"""HTTP routes of fulfilment that need no order: how long pickup customers waited.

The queue and the actions on a fulfilment go through the orders module's use cases (they
roll the order status up), so their routes live in ``orders/api.py``, under the same
``fulfilment`` tag; fulfilment imports nothing of orders (docs/adr/0006).
"""

from __future__ import annotations

from fastapi import APIRouter

from omnicanal.fulfilment import queries
from omnicanal.fulfilment.schemas import PickupWaitsOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.http.deps import ReadSession, scope
from omnicanal.platform.http.problems import responses

router = APIRouter(prefix="/v1", tags=["fulfilment"])


@router.get("/fulfilment/pickup-waits", response_model=PickupWaitsOut, responses=responses())
def pickup_waits(
    session: ReadSession,
    since: Moment | None = None,
    until: Moment | None = None,
    location: str | None = None,
    actor: Actor = scope("orders:read"),
):
    """How long click & collect customers waited (check-in to handover), p50/p90 per store."""
    return queries.pickup_waits(session, since=since, until=until, location_code=location)
