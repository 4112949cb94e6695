"""HTTP routes of the consent ledger (``/v1/profiles/{profile_id}/consents``): a person's
current consent per purpose and channel with their ledger, and their answers recorded by the
channel that took them.

The routes live under the profile's path, beside the use cases they call: the customers
module sits below engagement and knows nothing of consent (as ADR 0024 placed a customer's
reviews).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from omnicanal.engagement import consent_service as service
from omnicanal.engagement.consent_schemas import ConsentsIn, ConsentsOut, ConsentsRecordedOut
from omnicanal.engagement.consents import MAX_PAGE
from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import DeprecatedCursor, StartingAfter
from omnicanal.platform.http.problems import responses

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["consents"])


@router.get("/profiles/{profile_id}/consents", response_model=ConsentsOut, responses=responses(404))
def read_consents(
    profile_id: str,
    session: ReadSession,
    platform: PlatformDep,
    customer_ref: Annotated[
        str | None,
        Query(max_length=200, description="Web and app keys: the customer's login, user_id:…"),
    ] = None,
    at: Annotated[
        datetime | None, Query(description="The consent as it stood then (default: now)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    starting_after: StartingAfter = None,
    cursor: DeprecatedCursor = None,
    actor: Actor = scope("consents:read"),
):
    """A person's current answer per purpose and channel (those they answered; marketing,
    personalised offers and profiling need a granted one), and their ledger, newest first:
    every answer with where it was given, its lawful basis, its proof and who recorded it.
    A web or app key reads its logged-in customer's only, named by their login (403
    ``consent_forbidden``)."""
    return service.consents_of(
        session,
        profile_id=profile_id,
        actor=actor,
        region=platform.settings.phone_region,
        customer_ref=customer_ref,
        at=at,
        limit=limit,
        starting_after=starting_after or cursor,
    )


@router.post(
    "/profiles/{profile_id}/consents",
    status_code=201,
    response_model=ConsentsRecordedOut,
    responses=responses(404, 409),
)
def record_consents(
    profile_id: str,
    body: ConsentsIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("consents:write"),
):
    """Record a person's answers (one or several purposes and channels), given on the
    caller's channel: a web form, the app, a till (a store key: at its store), the call
    centre. The ledger keeps every answer; the latest one of each purpose and channel is
    what they accept. A web or app key records for its logged-in customer only, named by
    their login (403 ``consent_forbidden``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"consents:{profile_id}"[:200],
        payload=body,
        status_code=201,
        action=lambda s: service.record(
            s,
            profile_id=profile_id,
            data=body,
            actor=actor,
            region=platform.settings.phone_region,
        ),
    )
