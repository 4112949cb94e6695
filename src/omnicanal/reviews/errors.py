"""Errors of the reviews module, each with a stable machine code."""

from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "AlreadyReviewed",
    "ReviewDecided",
    "ReviewForbidden",
    "UnknownProductReview",
    "UnknownReviewer",
]


class UnknownProductReview(NotFound):
    code = "unknown_product_review"
    title = "Unknown product review"


class UnknownReviewer(InvalidInput):
    code = "unknown_reviewer"
    title = "The review names no known customer: give a profile or a customer reference"


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    title = "This customer's review of this product is pending or published already"


class ReviewDecided(Conflict):
    code = "review_decided"
    title = "This review was published or rejected already"


class ReviewForbidden(Forbidden):
    code = "review_forbidden"
    title = "This key cannot do this with product reviews"
