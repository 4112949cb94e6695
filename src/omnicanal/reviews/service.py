"""Use cases of the reviews module (one function = one business action, the caller's
transaction): send a review from any channel, moderate it, read reviews and the averages of a
product and of a customer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownProduct, UnknownSku
from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.orders import service as orders
from omnicanal.platform.access import Owner, is_first_party, is_privileged
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import record_event
from omnicanal.platform.locks import hold_names
from omnicanal.platform.paging import DEFAULT_LIMIT, Page, page_of
from omnicanal.reviews import access, rules
from omnicanal.reviews.errors import (
    AlreadyReviewed,
    ReviewDecided,
    UnknownProductReview,
    UnknownReviewer,
)
from omnicanal.reviews.events import ReviewPublished, ReviewRejected, ReviewSubmitted
from omnicanal.reviews.models import ProductReview
from omnicanal.reviews.rules import Decision, RejectionReason, ReviewDraft, ReviewStatus
from omnicanal.reviews.schemas import (
    CustomerReviewsOut,
    DecisionIn,
    RatingSummary,
    ReviewIn,
    ReviewOut,
)

__all__ = [
    "LAST_REVIEWS",
    "count_reviews",
    "customer_rating",
    "get_review",
    "list_reviews",
    "moderate",
    "product_rating",
    "profile_reviews",
    "submit_review",
    "submit_tracked_review",
]

REVIEW_LOCKS = 0x0C1D_7E01
"""Advisory lock space (:mod:`omnicanal.platform.locks`) of the (person, product) pairs."""
LAST_REVIEWS = 5
"""How many of the latest published reviews a rating summary carries."""
LIVE = (ReviewStatus.pending.value, ReviewStatus.published.value)
TRACKED_CHANNELS = {"service_desk": "call_centre"}
"""A tracking source's kind as the channel a review came from (the others are the same)."""


# --- reading -----------------------------------------------------------------------------


def _owner(row: ProductReview) -> Owner:
    return Owner(channel=row.channel, location_code=row.location_code, key=row.submitted_by)


def _facts(row: ProductReview) -> access.ReviewFacts:
    return access.ReviewFacts(id=row.id, status=ReviewStatus(row.status), owner=_owner(row))


def _outs(
    session: Session, rows: Sequence[ProductReview], *, actor: Actor | None = None
) -> list[ReviewOut]:
    """The reviews as answers, their products named in one lookup; the reviewer left out
    for a caller who may not know them."""
    products = catalog.products_by_code(session, {row.product_code for row in rows})
    return [
        ReviewOut(
            id=row.id,
            product_code=row.product_code,
            product_name=products[row.product_code].name
            if row.product_code in products
            else row.product_code,
            rating=row.rating,
            title=row.title,
            text=row.text,
            status=ReviewStatus(row.status),
            rejection_reason=RejectionReason(row.rejection_reason)
            if row.rejection_reason
            else None,
            verified_purchase=row.verified_purchase,
            channel=row.channel,
            location=row.location_code,
            source=row.source,
            profile_id=row.profile_id
            if actor is None or access.shows_reviewer(actor, _facts(row))
            else None,
            submitted_at=row.submitted_at,
            moderated_at=row.moderated_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def _summary(
    session: Session, *conditions: ColumnElement[bool], last: int, actor: Actor | None = None
) -> RatingSummary:
    """The average and count of the published reviews meeting ``conditions``, and the
    latest ``last`` of them."""
    published = (ProductReview.status == ReviewStatus.published.value, *conditions)
    total, count = session.execute(
        select(func.coalesce(func.sum(ProductReview.rating), 0), func.count()).where(*published)
    ).one()
    latest = session.scalars(
        select(ProductReview)
        .where(*published)
        .order_by(ProductReview.submitted_at.desc(), ProductReview.id.desc())
        .limit(last)
    ).all()
    return RatingSummary(
        average=rules.average(int(total), int(count)),
        count=int(count),
        last=_outs(session, latest, actor=actor),
    )


def _product(session: Session, reference: str) -> catalog.ProductRef:
    """The product a channel names: by its code, else by a SKU or GTIN of one of its
    variants; :class:`UnknownProduct` otherwise."""
    found = catalog.products_by_code(session, [reference]).get(reference)
    if found is not None:
        return found
    try:
        variant = catalog.find_variant(session, reference)
    except UnknownSku:
        raise UnknownProduct(
            f"No product has the code, SKU or GTIN {reference!r}.", field="product_code"
        ) from None
    return catalog.get_product_by_id(session, product_id=variant.product_id)


def product_rating(
    session: Session, *, product_code: str, last: int = LAST_REVIEWS, actor: Actor | None = None
) -> RatingSummary:
    """A product's average of published reviews, their count and the latest of them."""
    product = _product(session, product_code)
    return _summary(session, ProductReview.product_code == product.code, last=last, actor=actor)


def _person(session: Session, profile_ids: Sequence[str]) -> list[str]:
    """Every reference the people of ``profile_ids`` are known by: their profile ids (merges
    followed both ways) among them, which is what a review names its reviewer by."""
    found: list[str] = []
    for profile_id in dict.fromkeys(profile_ids):
        try:
            found += customers.reference_forms(session, profile_id=profile_id)
        except UnknownProfile:
            found.append(profile_id)
    return list(dict.fromkeys(found))


def customer_rating(
    session: Session, *, profile_ids: list[str], last: int = LAST_REVIEWS
) -> RatingSummary:
    """The average of the published reviews a customer wrote (any of their profiles), their
    count and the latest of them."""
    if not profile_ids:
        return RatingSummary(average=None, count=0, last=[])
    return _summary(session, ProductReview.profile_id.in_(_person(session, profile_ids)), last=last)


def profile_reviews(
    session: Session, *, profile_id: str, actor: Actor, limit: int = 50
) -> CustomerReviewsOut:
    """A person's published average and their reviews of every status, newest first (the
    ones ``actor`` may read)."""
    root = customers.profile_root(session, profile_id).id
    person = _person(session, [root])
    rows = session.scalars(
        select(ProductReview)
        .where(ProductReview.profile_id.in_(person))
        .order_by(ProductReview.submitted_at.desc(), ProductReview.id.desc())
    ).all()
    readable = [row for row in rows if access.may_read(actor, _facts(row))][:limit]
    return CustomerReviewsOut(
        profile_id=root,
        rating=_summary(session, ProductReview.profile_id.in_(person), last=LAST_REVIEWS),
        reviews=_outs(session, readable, actor=actor),
    )


def get_review(session: Session, *, review_id: str, actor: Actor) -> ReviewOut:
    """One review, if the caller may read it."""
    row = session.get(ProductReview, review_id)
    if row is None:
        raise UnknownProductReview(f"No product review has the id {review_id!r}.", field="id")
    access.check_readable(actor, _facts(row))
    [out] = _outs(session, [row], actor=actor)
    return out


def _conditions(
    *,
    status: ReviewStatus | None,
    product_code: str | None,
    rating: int | None,
    channel: str | None,
) -> list[ColumnElement[bool]]:
    conditions = []
    if status is not None:
        conditions.append(ProductReview.status == status.value)
    if product_code is not None:
        conditions.append(ProductReview.product_code == product_code)
    if rating is not None:
        conditions.append(ProductReview.rating == rating)
    if channel is not None:
        conditions.append(ProductReview.channel == channel)
    return conditions


def list_reviews(
    session: Session,
    *,
    actor: Actor,
    status: ReviewStatus | None = ReviewStatus.published,
    product_code: str | None = None,
    rating: int | None = None,
    channel: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[ReviewOut]:
    """Reviews, filtered, newest first; with ``updated_since``, by change time (sent,
    moderated), oldest first: asked so, the waiting ones are the moderation queue, the
    longest wait first (a pending review has not changed since it came). Any status but
    ``published`` (None: all) is head office's to list."""
    if status is not ReviewStatus.published:
        access.check_moderator(actor, doing="list reviews that are not published")
    conditions = _conditions(
        status=status, product_code=product_code, rating=rating, channel=channel
    )
    paged = page_of(
        session,
        select(ProductReview).where(*conditions),
        key=ProductReview.id,
        changed=ProductReview.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    return paged.page(_outs(session, paged.rows, actor=actor))


def count_reviews(
    session: Session,
    *,
    actor: Actor,
    status: ReviewStatus | None = ReviewStatus.published,
    rating: int | None = None,
    channel: str | None = None,
) -> int:
    """How many reviews :func:`list_reviews` would list with these filters (a page count)."""
    if status is not ReviewStatus.published:
        access.check_moderator(actor, doing="count reviews that are not published")
    conditions = _conditions(status=status, product_code=None, rating=rating, channel=channel)
    return int(
        session.scalar(select(func.count()).select_from(ProductReview).where(*conditions)) or 0
    )


# --- sending -----------------------------------------------------------------------------


def _reviewer(session: Session, data: ReviewIn, *, region: str) -> str | None:
    """The root profile the review names, None when it names nobody known."""
    if data.profile_id is not None:
        try:
            return customers.profile_root(session, data.profile_id).id
        except UnknownProfile:
            return None
    assert data.customer_ref is not None
    return customers.referenced_profile_id(session, customer_ref=data.customer_ref, region=region)


def _record(
    session: Session,
    *,
    profile_id: str,
    references: list[str],
    product: catalog.ProductRef,
    draft: ReviewDraft,
    channel: str,
    location: str | None,
    source: str,
    actor: Actor,
    now: datetime,
) -> ProductReview:
    """The review, pending, after checking the person has no live review of the product;
    ``review.submitted`` with it."""
    # Two channels sending the same person's review of a product at once: one after the other
    # (SQLite's writers are one at a time already).
    hold_names(session, REVIEW_LOCKS, [f"{profile_id}:{product.code}"])
    live = session.scalar(
        select(ProductReview.id).where(
            ProductReview.profile_id.in_(references),
            ProductReview.product_code == product.code,
            ProductReview.status.in_(LIVE),
        )
    )
    if live is not None:
        raise AlreadyReviewed(
            f"This customer's review {live} of {product.code} is pending or published; a "
            "new one is taken once it is rejected.",
            field="product_code",
            review_id=live,
        )
    skus = [
        v.sku
        for v in catalog.variants_of_products(session, [product.id], active_only=False)[product.id]
    ]
    row = ProductReview(
        product_id=product.id,
        product_code=product.code,
        profile_id=profile_id,
        rating=draft.rating,
        title=draft.title,
        text=draft.text,
        status=ReviewStatus.pending.value,
        verified_purchase=bool(orders.bought_skus(session, customer_refs=references, skus=skus)),
        channel=channel,
        location_code=location,
        submitted_by=actor.label[:300],
        source=source,
        external_ref=draft.external_ref,
        submitted_at=now,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        ReviewSubmitted(
            review_id=row.id,
            product_code=row.product_code,
            rating=row.rating,
            profile_id=profile_id,
            channel=channel,
            location=location,
            source=source,
            verified_purchase=row.verified_purchase,
        ),
        actor=actor,
    )
    return row


def submit_review(
    session: Session, *, data: ReviewIn, actor: Actor, region: str, now: datetime | None = None
) -> ReviewOut:
    """A customer's review sent by a channel: pending until head office moderates it,
    marked a verified purchase when they bought the product. Once per person and product
    while one is pending or published (409 ``already_reviewed``)."""
    product = _product(session, data.product_code)
    profile_id = _reviewer(session, data, region=region)
    references = customers.reference_forms(session, profile_id=profile_id) if profile_id else []
    if is_first_party(actor) or is_privileged(actor):
        if profile_id is None:
            raise UnknownReviewer(
                "The review names no customer we know: check profile_id or customer_ref.",
                field="profile_id" if data.profile_id else "customer_ref",
            )
    else:
        placed = bool(
            references
            and orders.list_orders(session, customer_refs=references, actor=actor, limit=1).items
        )
        access.check_sender(actor, placed_an_order=placed)
    assert profile_id is not None
    row = _record(
        session,
        profile_id=profile_id,
        references=references,
        product=product,
        draft=ReviewDraft(
            product_ref=product.code, rating=data.rating, title=data.title, text=data.text
        ),
        channel=actor.channel,
        location=actor.location_code,
        source="api",
        actor=actor,
        now=now or utcnow(),
    )
    [out] = _outs(session, [row], actor=actor)
    return out


def submit_tracked_review(
    session: Session,
    *,
    draft: ReviewDraft,
    profile_id: str | None,
    channel: str,
    location: str | None,
    actor: Actor,
    occurred_at: datetime,
) -> ReviewOut:
    """A review arrived as a Segment ``Product Reviewed`` message, from a source that may say
    who the customer is (the tracking module decides), of the profile the message resolved
    to; pending like any other."""
    product = _product(session, draft.product_ref)
    if profile_id is None:
        raise UnknownReviewer("The message names no customer we know.", field="userId")
    root = customers.profile_root(session, profile_id).id
    row = _record(
        session,
        profile_id=root,
        references=customers.reference_forms(session, profile_id=root),
        product=product,
        draft=draft,
        channel=TRACKED_CHANNELS.get(channel, channel),
        location=location,
        source="tracking",
        actor=actor,
        now=occurred_at,
    )
    [out] = _outs(session, [row])
    return out


# --- moderating ----------------------------------------------------------------------------


def moderate(
    session: Session,
    *,
    review_id: str,
    data: DecisionIn,
    actor: Actor,
    now: datetime | None = None,
) -> ReviewOut:
    """Publish a pending review (it counts in the averages from now on) or reject it with
    the reason (head office: ``reviews:moderate``); a review is decided once (409
    ``review_decided``)."""
    access.check_moderator(actor, doing="publish or reject reviews")
    row = session.scalar(
        select(ProductReview).where(ProductReview.id == review_id).with_for_update()
    )
    if row is None:
        raise UnknownProductReview(f"No product review has the id {review_id!r}.", field="id")
    moved = rules.decide(ReviewStatus(row.status), data.decision)
    if moved is None:
        raise ReviewDecided(
            f"Review {review_id} is {row.status} already.", field="decision", current=row.status
        )
    row.status = moved.value
    row.rejection_reason = data.reason.value if data.reason is not None else None
    row.moderated_at = now or utcnow()
    row.moderated_by = actor.label[:300]
    session.flush()
    if data.decision is Decision.publish:
        rating = _summary(session, ProductReview.product_code == row.product_code, last=0)
        event: ReviewPublished | ReviewRejected = ReviewPublished(
            review_id=row.id,
            product_code=row.product_code,
            rating=row.rating,
            profile_id=row.profile_id,
            product_average=rating.average or float(row.rating),
            product_count=rating.count,
            actor=actor.label,
        )
    else:
        assert data.reason is not None
        event = ReviewRejected(
            review_id=row.id,
            product_code=row.product_code,
            rating=row.rating,
            profile_id=row.profile_id,
            reason=data.reason.value,
            actor=actor.label,
        )
    record_event(session, event, actor=actor)
    [out] = _outs(session, [row], actor=actor)
    return out
