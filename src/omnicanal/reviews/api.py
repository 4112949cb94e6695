"""HTTP routes of the reviews module: product reviews sent by any channel (``/v1/reviews``),
head office's moderation, a product's rating (``/v1/products/{code}/rating``) and a
customer's reviews (``/v1/profiles/{id}/reviews``).

The product and profile routes live here, beside the use cases they call, under their
resources' paths: the catalog and the customers modules sit below reviews and know nothing
of them (ADR 0024).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import Paging
from omnicanal.platform.http.problems import responses
from omnicanal.platform.paging import Page
from omnicanal.reviews import service
from omnicanal.reviews.rules import MAX_RATING, MIN_RATING, ReviewStatus
from omnicanal.reviews.schemas import (
    CustomerReviewsOut,
    DecisionIn,
    RatingSummary,
    ReviewIn,
    ReviewOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["reviews"])

Status = Annotated[
    str,
    Query(
        pattern=r"^(pending|published|rejected|all)$",
        description="published (default); pending, rejected or all: head office's "
        "(reviews:moderate)",
    ),
]


@router.post("/reviews", status_code=201, response_model=ReviewOut, responses=responses(404, 409))
def submit_review(
    body: ReviewIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("reviews:write"),
):
    """A customer's review of a product (1 to 5 stars, a title, a text), sent by any
    channel: pending until head office publishes it, marked a verified purchase when the
    customer bought the product. A marketplace key sends the reviews of its own orders'
    customers only (403 ``review_forbidden``). Once per customer and product while one is
    pending or published (409 ``already_reviewed``)."""
    region = platform.settings.phone_region
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="review_submit",
        payload=body,
        status_code=201,
        action=lambda s: service.submit_review(s, data=body, actor=actor, region=region),
    )


@router.get("/reviews", response_model=Page[ReviewOut], responses=responses())
def list_reviews(
    session: ReadSession,
    paging: Paging,
    status: Status = "published",
    product_code: Annotated[str | None, Query(max_length=60)] = None,
    rating: Annotated[int | None, Query(ge=MIN_RATING, le=MAX_RATING)] = None,
    channel: Annotated[str | None, Query(max_length=50)] = None,
    actor: Actor = scope("reviews:read"),
):
    """Reviews, newest first, by status, product, rating and channel; with
    ``updated_since``, by change time (sent, moderated), oldest first: the pending ones so
    asked are the moderation queue, the longest wait first."""
    return service.list_reviews(
        session,
        actor=actor,
        status=None if status == "all" else ReviewStatus(status),
        product_code=product_code,
        rating=rating,
        channel=channel,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@router.get("/reviews/{review_id}", response_model=ReviewOut, responses=responses(404))
def get_review(review_id: str, session: ReadSession, actor: Actor = scope("reviews:read")):
    """One review: a published one for anyone, another for the channel that sent it and
    head office."""
    return service.get_review(session, review_id=review_id, actor=actor)


@router.post(
    "/reviews/{review_id}/decision", response_model=ReviewOut, responses=responses(404, 409)
)
def decide_review(
    review_id: str,
    body: DecisionIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("reviews:moderate"),
):
    """Publish a pending review, or reject it with the reason (head office:
    ``reviews:moderate``; audited). Once (409 ``review_decided``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"product_review:{review_id}:{body.decision.value}",
        payload=body,
        action=lambda s: service.moderate(s, review_id=review_id, data=body, actor=actor),
    )


@router.get("/products/{code}/rating", response_model=RatingSummary, responses=responses(404))
def product_rating(code: str, session: ReadSession, actor: Actor = scope("catalog:read")):
    """A product's average of published reviews, their count and the latest of them."""
    return service.product_rating(session, product_code=code, actor=actor)


@router.get(
    "/profiles/{profile_id}/reviews", response_model=CustomerReviewsOut, responses=responses(404)
)
def profile_reviews(profile_id: str, session: ReadSession, actor: Actor = scope("profiles:read")):
    """A customer's average of the published reviews they wrote, and their reviews."""
    return service.profile_reviews(session, profile_id=profile_id, actor=actor)
