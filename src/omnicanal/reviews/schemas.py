"""Input and output shapes of the reviews module."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from omnicanal.platform.bounds import RequestModel
from omnicanal.reviews.rules import (
    MAX_PRODUCT_REF,
    MAX_TEXT,
    MAX_TITLE,
    Decision,
    RefusedReview,
    RejectionReason,
    ReviewStatus,
    clean_rating,
    clean_text,
)

__all__ = [
    "CustomerReviewsOut",
    "DecisionIn",
    "RatingSummary",
    "ReviewIn",
    "ReviewOut",
]


def _checked(check: Any) -> Any:
    """A pydantic validator running one of the rules: its refusal as a validation error."""

    def validate(value: Any) -> Any:
        try:
            return check(value)
        except RefusedReview as refused:
            raise ValueError(refused.reason) from None

    return BeforeValidator(validate)


# The bounds before the check, so that the JSON schema states them (minimum, maximum).
Rating = Annotated[int, Field(ge=1, le=5, description="Stars, from 1 to 5"), _checked(clean_rating)]
Title = Annotated[
    str | None,
    _checked(lambda value: clean_text(value, field="title", limit=MAX_TITLE)),
    Field(default=None, description=f"At most {MAX_TITLE} characters"),
]
Body = Annotated[
    str | None,
    _checked(lambda value: clean_text(value, field="text", limit=MAX_TEXT)),
    Field(default=None, description=f"At most {MAX_TEXT} characters"),
]


class ReviewIn(RequestModel):
    """A customer's review of a product, named by its code; the reviewer by their profile
    or a customer reference (``email:…``, ``user_id:…``, ``loyalty_card:…``, ``phone:…``)."""

    model_config = ConfigDict(str_max_length=MAX_TEXT + 100)

    product_code: str = Field(min_length=1, max_length=MAX_PRODUCT_REF)
    profile_id: str | None = Field(default=None, min_length=1, max_length=26)
    customer_ref: str | None = Field(default=None, min_length=1, max_length=200)
    rating: Rating
    title: Title = None
    text: Body = None

    @model_validator(mode="after")
    def _names_one_reviewer(self) -> ReviewIn:
        if (self.profile_id is None) == (self.customer_ref is None):
            raise ValueError("name the reviewer by profile_id or by customer_ref (one of them)")
        return self


class DecisionIn(RequestModel):
    """Publish a pending review, or reject it with the reason."""

    decision: Decision
    reason: RejectionReason | None = None

    @model_validator(mode="after")
    def _reason_with_rejection(self) -> DecisionIn:
        if self.decision is Decision.reject and self.reason is None:
            raise ValueError("a rejection needs its reason")
        if self.decision is Decision.publish and self.reason is not None:
            raise ValueError("a publication has no rejection reason")
        return self


class ReviewOut(BaseModel):
    """A review: the product, the stars, the words, where it came from and its moderation.
    ``profile_id`` is None for a caller who may not know the reviewer (a marketplace reading
    a review it did not send)."""

    model_config = ConfigDict(frozen=True)

    id: str
    product_code: str
    product_name: str
    rating: int
    title: str | None
    text: str | None
    status: ReviewStatus
    rejection_reason: RejectionReason | None
    verified_purchase: bool
    channel: str
    location: str | None
    source: str
    profile_id: str | None
    submitted_at: datetime
    moderated_at: datetime | None
    updated_at: datetime = Field(description="When it was sent or last moderated")


class RatingSummary(BaseModel):
    """An average of published reviews: of a product, or the ones a customer wrote; with
    the latest of them, newest first."""

    model_config = ConfigDict(frozen=True)

    average: float | None
    """Mean stars to two decimals; None without any published review."""
    count: int
    last: list[ReviewOut]


class CustomerReviewsOut(BaseModel):
    """A person's reviews: their published average and every review they wrote (pending,
    published, rejected), newest first."""

    profile_id: str
    rating: RatingSummary
    reviews: list[ReviewOut]
