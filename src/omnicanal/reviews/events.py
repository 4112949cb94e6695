"""The events of the reviews module (``review.*``).

Every event names the review, its product, its rating and its reviewer's profile (as it was
when they wrote), so that a timeline, a KPI or a product page cache needs no second look.
The title and the text are not in the events: they are the customer's own words, read from
``GET /v1/reviews/{id}`` by whoever may, and gone with the review when the person is erased.
"""

from __future__ import annotations

from typing import Any

from omnicanal.platform.events import DomainEvent

__all__ = ["ReviewEvent", "ReviewPublished", "ReviewRejected", "ReviewSubmitted"]

_REVIEW = "01JQ7Z000000000000000REVW1"


class ReviewEvent(DomainEvent):
    """What every ``review.*`` event carries."""

    review_id: str
    product_code: str
    rating: int
    profile_id: str | None
    """The reviewer (None once the person is erased)."""

    @property
    def subject(self) -> str:
        return f"reviews/{self.review_id}"


def _example(**more: Any) -> dict[str, Any]:
    return {
        "review_id": _REVIEW,
        "product_code": "ROBE-ALMA",
        "rating": 5,
        "profile_id": "01JQ7Z00000000000000PROFL",
        **more,
    }


class ReviewSubmitted(ReviewEvent):
    """A customer reviewed a product on a channel (the API, or a Segment ``Product
    Reviewed`` message): it waits for moderation."""

    type = "review.submitted"
    example = _example(channel="store", location="LYON-01", source="api", verified_purchase=True)

    channel: str
    location: str | None
    source: str
    """``api`` or ``tracking``."""
    verified_purchase: bool


class ReviewPublished(ReviewEvent):
    """Head office published a review: it is shown and counts in the product's and the
    customer's averages, which it gives as they are now."""

    type = "review.published"
    example = _example(product_average=4.5, product_count=12, actor="operator:staff:hugo")

    product_average: float
    product_count: int
    actor: str


class ReviewRejected(ReviewEvent):
    """Head office rejected a review, with the reason: it is never shown nor averaged."""

    type = "review.rejected"
    example = _example(rating=1, reason="off_topic", actor="operator:staff:hugo")

    reason: str
    """offensive, off_topic, personal_data, advertising, not_genuine or duplicate."""
    actor: str
