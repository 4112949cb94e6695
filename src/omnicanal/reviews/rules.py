"""The rules of product reviews, pure (no database, no HTTP): what a review may say, how a
moderation decision moves it, what a Segment ``Product Reviewed`` message says, an average.

Both edges use them: the API's schema validates its fields with :func:`clean_rating` and
:func:`clean_text`, the tracking spec reads a message's properties with
:func:`draft_from_properties`; a review is refused the same way wherever it comes from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from omnicanal.platform.bounds import check_text

__all__ = [
    "MAX_PRODUCT_REF",
    "MAX_RATING",
    "MAX_TEXT",
    "MAX_TITLE",
    "MIN_RATING",
    "PRODUCT_REVIEWED",
    "Decision",
    "RefusedReview",
    "RejectionReason",
    "ReviewDraft",
    "ReviewStatus",
    "average",
    "clean_rating",
    "clean_text",
    "decide",
    "draft_from_properties",
]

MIN_RATING, MAX_RATING = 1, 5
MAX_TITLE = 150
"""The longest title, in characters."""
MAX_TEXT = 5_000
"""The longest text, in characters (a long review is a page; more is a paste or an attack)."""
MAX_PRODUCT_REF = 60
"""The longest product code (``products.code``), SKU or GTIN a message may name."""
MAX_EXTERNAL_REF = 100
PRODUCT_REVIEWED = "Product Reviewed"
"""The Segment e-commerce event a review arrives as through the tracking API."""

# Characters a person never types in a review and that change how the rest reads: control
# characters (but tab and line feed) and the bidirectional overrides and isolates that make
# text display in another order than it is stored ("Trojan Source", CVE-2021-42574).
_HOSTILE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


class ReviewStatus(StrEnum):
    """Where a review is in moderation: only published reviews are shown and averaged."""

    pending = "pending"
    published = "published"
    rejected = "rejected"


class Decision(StrEnum):
    """What a moderator decides about a pending review."""

    publish = "publish"
    reject = "reject"


class RejectionReason(StrEnum):
    """Why a review was not published, as the moderator picks it."""

    offensive = "offensive"
    """Insults, hate, obscenity."""
    off_topic = "off_topic"
    """Not about the product: delivery, the store, a question for customer service."""
    personal_data = "personal_data"
    """Names, phone numbers, addresses of the reviewer or of others."""
    advertising = "advertising"
    """Links, promotion of another shop or product, spam."""
    not_genuine = "not_genuine"
    """Not the customer's own experience: paid, written by staff or a competitor."""
    duplicate = "duplicate"
    """The same review again."""


class RefusedReview(ValueError):
    """A review that cannot be taken as it is: which field, why, with a stable code."""

    def __init__(self, code: str, field: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.field, self.reason = code, field, reason


@dataclass(frozen=True, slots=True)
class ReviewDraft:
    """A review as a channel sent it, checked: the product it names (a code, a SKU or a
    GTIN), its rating, title and text, and the channel's own id for it."""

    product_ref: str
    rating: int
    title: str | None = None
    text: str | None = None
    external_ref: str | None = None


def clean_rating(value: Any, field: str = "rating") -> int:
    """A whole number of stars from 1 to 5: an integer, or a number or text that is one
    (``5``, ``5.0``, ``"4"``); anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise RefusedReview("invalid_rating", field, f"{field} must be a whole number from 1 to 5")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise RefusedReview(
            "invalid_rating", field, f"{field} must be a whole number from 1 to 5"
        ) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise RefusedReview("invalid_rating", field, f"{field} must be a whole number from 1 to 5")
    if not MIN_RATING <= number <= MAX_RATING:
        raise RefusedReview(
            "invalid_rating", field, f"{field} is {number}: a rating is from 1 to 5 stars"
        )
    return int(number)


def clean_text(value: Any, *, field: str, limit: int) -> str | None:
    """The text as it is kept: NFC, line ends as ``\\n``, trimmed; None when empty. Refused:
    what is not text, text holding a NUL, a lone surrogate, a control character or a
    bidirectional override, and text over ``limit`` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RefusedReview("invalid_review_text", field, f"{field} must be text")
    try:
        check_text(value)
    except ValueError as error:
        raise RefusedReview("invalid_review_text", field, f"{field}: {error}") from None
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    found = _HOSTILE.search(text)
    if found is not None:
        raise RefusedReview(
            "invalid_review_text",
            field,
            f"{field} holds the control character U+{ord(found.group()):04X}",
        )
    if len(text) > limit:
        raise RefusedReview(
            "review_too_long", field, f"{field} is {len(text)} characters; the limit is {limit}"
        )
    return text or None


def _reference(value: Any, field: str, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RefusedReview("missing_product", field, f"{field} must name the product")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RefusedReview("invalid_field", field, f"{field} must be a string")
    text = str(value).strip()
    limit = MAX_PRODUCT_REF if required else MAX_EXTERNAL_REF
    if len(text) > limit:
        raise RefusedReview("invalid_field", field, f"{field} is over {limit} characters")
    return text


def draft_from_properties(properties: Mapping[str, Any]) -> ReviewDraft:
    """The review a Segment ``Product Reviewed`` message carries: ``product_id`` (our product
    code, or a SKU or GTIN; else ``sku``), ``rating``, ``review_body`` and, beyond the spec,
    ``review_title`` (or ``title``); ``review_id`` is kept as the channel's own id."""
    product = properties.get("product_id")
    where = "product_id"
    if product is None or (isinstance(product, str) and not product.strip()):
        product, where = properties.get("sku"), "sku"
    product_ref = _reference(product, where, required=True)
    assert product_ref is not None
    title_field = "review_title" if "review_title" in properties else "title"
    return ReviewDraft(
        product_ref=product_ref,
        rating=clean_rating(properties.get("rating"), "rating"),
        title=clean_text(properties.get(title_field), field=title_field, limit=MAX_TITLE),
        text=clean_text(properties.get("review_body"), field="review_body", limit=MAX_TEXT),
        external_ref=_reference(properties.get("review_id"), "review_id", required=False),
    )


_MOVES: dict[tuple[ReviewStatus, Decision], ReviewStatus] = {
    (ReviewStatus.pending, Decision.publish): ReviewStatus.published,
    (ReviewStatus.pending, Decision.reject): ReviewStatus.rejected,
}


def decide(status: ReviewStatus, decision: Decision) -> ReviewStatus | None:
    """The status a decision moves a review to; None when it is decided already (only a
    pending review is decided, once)."""
    return _MOVES.get((status, decision))


def average(total: int, count: int) -> float | None:
    """The mean of ``count`` ratings adding up to ``total``, to two decimals; None without
    any."""
    if count <= 0:
        return None
    return round(total / count, 2)
