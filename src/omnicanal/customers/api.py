"""HTTP routes of the customers module: profile 360, lookup, explain, unmerge, reviews,
metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartOut
from omnicanal.customers import service
from omnicanal.customers.errors import InvalidIdentifierValue
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.schemas import (
    CustomerMetrics,
    ExplainOut,
    ProfileOut,
    ProfileSummaryOut,
    ReviewDecisionIn,
    ReviewOut,
    TimelinePage,
    UnmergeIn,
    UnmergeOut,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import DeprecatedCursor, PageLimit, Paging, StartingAfter
from omnicanal.platform.http.problems import responses
from omnicanal.platform.paging import DEFAULT_LIMIT, Page

router = APIRouter(prefix="/v1", tags=["customers"])
cart_router = APIRouter(prefix="/v1", tags=["carts"])
"""A person's open cart, found through every identifier of their profile."""
TimelineLimit = Annotated[int, Query(ge=1, le=200, description="Timeline entries to include")]
Phone = Annotated[str | None, Query(description="Any usual form: 06 12 34 56 78, +33612345678...")]


def _identifiers(**values: str | None) -> dict[IdentifierKind, str]:
    """The identifiers a request names, by kind (the query parameters of the same names)."""
    return {IdentifierKind(kind): value for kind, value in values.items() if value is not None}


@router.get("/profiles", response_model=Page[ProfileSummaryOut], responses=responses())
def list_profiles(
    session: ReadSession,
    platform: PlatformDep,
    paging: Paging,
    recognised: Annotated[
        bool | None, Query(description="Only the known people (true) or the visitors (false)")
    ] = None,
    email: str | None = None,
    phone: Phone = None,
    loyalty_card: str | None = None,
    user_id: str | None = None,
    anonymous_id: str | None = None,
    device_id: str | None = None,
    external_id: str | None = None,
    actor: Actor = scope("profiles:read"),
):
    """The people, newest first, or by change time with ``updated_since`` (traits,
    identifiers, household, merges): one summary each, a merged profile inside the one it
    joined. An identifier narrows the page to the person carrying it (none when it is
    unknown or shared). One person's 360° view by an identifier: ``/v1/profiles/lookup``."""
    return service.list_profiles(
        session,
        region=platform.settings.phone_region,
        recognised=recognised,
        identifiers=_identifiers(
            email=email,
            phone=phone,
            loyalty_card=loyalty_card,
            user_id=user_id,
            anonymous_id=anonymous_id,
            device_id=device_id,
            external_id=external_id,
        ),
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@router.get("/profiles/lookup", response_model=ProfileOut, responses=responses(404, 409))
def lookup_profile(
    session: ReadSession,
    platform: PlatformDep,
    email: str | None = None,
    phone: Phone = None,
    loyalty_card: str | None = None,
    user_id: str | None = None,
    anonymous_id: str | None = None,
    device_id: str | None = None,
    external_id: str | None = None,
    timeline_limit: TimelineLimit = 20,
    actor: Actor = scope("profiles:read"),
):
    """The profile carrying one identifier; 409 ``identifier_shared`` names the people
    sharing it (a household landline, a store tablet)."""
    given = _identifiers(
        email=email,
        phone=phone,
        loyalty_card=loyalty_card,
        user_id=user_id,
        anonymous_id=anonymous_id,
        device_id=device_id,
        external_id=external_id,
    )
    if len(given) != 1:
        raise InvalidIdentifierValue(
            "Look a profile up by exactly one identifier (email, phone, loyalty_card, user_id, "
            "anonymous_id, device_id or external_id).",
            field="query",
        )
    [(kind, value)] = given.items()
    profile_id = service.find_profile_id(
        session, kind=kind, value=value, region=platform.settings.phone_region
    )
    return service.get_profile(session, profile_id=profile_id, timeline_limit=timeline_limit)


@router.get("/profiles/{profile_id}", response_model=ProfileOut, responses=responses(404))
def get_profile(
    profile_id: str,
    session: ReadSession,
    timeline_limit: TimelineLimit = 20,
    actor: Actor = scope("profiles:read"),
):
    """The 360° view of a person (a merged profile id answers with the profile it joined)."""
    return service.get_profile(session, profile_id=profile_id, timeline_limit=timeline_limit)


@router.get("/profiles/{profile_id}/events", response_model=TimelinePage, responses=responses(404))
def profile_timeline(
    profile_id: str,
    session: ReadSession,
    limit: PageLimit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
    cursor: DeprecatedCursor = None,
    actor: Actor = scope("profiles:read"),
):
    """The profile's timeline, newest first (by when each event happened), one page at a
    time. An append-only log: it has no ``updated_since``."""
    return service.timeline(
        session, profile_id=profile_id, limit=limit, starting_after=starting_after or cursor
    )


@router.get("/profiles/{profile_id}/explain", response_model=ExplainOut, responses=responses(404))
def explain_profile(profile_id: str, session: ReadSession, actor: Actor = scope("profiles:read")):
    """Why these identifiers are one profile: the chain of events and rules."""
    return service.explain(session, profile_id=profile_id)


@router.post(
    "/profiles/{profile_id}/unmerge",
    response_model=UnmergeOut,
    responses=responses(404, 409),
)
def unmerge_profile(
    profile_id: str,
    platform: PlatformDep,
    body: Annotated[UnmergeIn | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("profiles:write"),
):
    """Split a profile back into the profiles it was made of (or undo one merge)."""
    merge_id = body.merge_id if body is not None else None
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"unmerge:{profile_id}",
        payload={"merge_id": merge_id},
        action=lambda s: service.unmerge(s, profile_id=profile_id, merge_id=merge_id, actor=actor),
    )


@router.get("/customers/metrics", response_model=CustomerMetrics, responses=responses())
def customer_metrics(
    session: ReadSession,
    since: Moment | None = None,
    actor: Actor = scope("profiles:read"),
):
    """Match rates, recognised vs anonymous events, time-to-unification p50/p99, merges."""
    return service.metrics(session, since=since)


@router.get("/identity-reviews", response_model=Page[ReviewOut], responses=responses())
def list_identity_reviews(
    session: ReadSession,
    paging: Paging,
    status: Annotated[
        str | None, Query(pattern=r"^(open|merged|kept_apart)$", description="Default: open")
    ] = "open",
    actor: Actor = scope("profiles:read"),
):
    """The review queue: identity conflicts and probable matches, newest first; with
    ``updated_since``, by change time (a review changes when it is decided), oldest first."""
    return service.review_page(
        session,
        status=status,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@router.post(
    "/identity-reviews/{review_id}/decision",
    response_model=ReviewOut,
    responses=responses(404, 409),
)
def decide_identity_review(
    review_id: str,
    body: ReviewDecisionIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("profiles:write"),
):
    """Merge the two profiles of a review, or keep them apart for good."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"review:{review_id}",
        payload=body,
        action=lambda s: service.decide_review(
            s, review_id=review_id, decision=body.decision, actor=actor
        ),
    )


@cart_router.get("/profiles/{profile_id}/cart", response_model=CartOut, responses=responses(404))
def get_profile_cart(
    profile_id: str,
    session: ReadSession,
    actor: Actor = scope("carts:read"),
    reader: Actor = scope("profiles:read"),
):
    """The person's open cart, filed under any of their identifiers (login, email, card...),
    bare or as ``kind:value``: what a till opens once the customer is recognised. Needs
    ``profiles:read`` as well, like every read of a profile."""
    references = service.reference_forms(session, profile_id=profile_id)
    return carts.find_open_cart_among(
        session, customer_refs=references, channel=actor.channel, actor=actor
    )
