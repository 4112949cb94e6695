"""HTTP routes of the analytics module."""

from __future__ import annotations

from fastapi import APIRouter

from omnicanal.analytics import service
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Day
from omnicanal.platform.http.deps import ReadSession, scope
from omnicanal.platform.http.problems import responses

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])


@router.get("/event-counts", responses=responses())
def event_counts(
    session: ReadSession,
    since: Day | None = None,
    type: str | None = None,
    actor: Actor = scope("events:read"),
) -> list[dict[str, object]]:
    """Events per day, type and source, as the consumers counted them."""
    return service.event_counts(session, since=since, event_type=type)
