"""The reviews module's part of a person's rights: their reviews exported, or erased.

An erased person's reviews are deleted, whatever their status: their title and text are the
person's own words, and a rating kept without its author could no longer be checked nor
answered for. The products' averages lose them from then on; the events that named the
reviews are scrubbed by the privacy module through their subjects (``reviews/{id}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from omnicanal.platform.db import rowcount
from omnicanal.reviews.models import ProductReview

__all__ = ["erase_reviews", "export_reviews", "review_subjects", "reviews_of"]


def reviews_of(session: Session, *, profile_ids: Sequence[str]) -> list[str]:
    """The ids of the reviews any of these profiles (one person's) wrote, oldest first."""
    if not profile_ids:
        return []
    return list(
        session.scalars(
            select(ProductReview.id)
            .where(ProductReview.profile_id.in_(list(profile_ids)))
            .order_by(ProductReview.submitted_at, ProductReview.id)
        )
    )


def review_subjects(review_ids: Sequence[str]) -> list[str]:
    """The event subjects of these reviews (``reviews/{id}``)."""
    return [f"reviews/{review_id}" for review_id in review_ids]


def export_reviews(session: Session, *, review_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Each review as it is stored: product, rating, title, text, channel, moderation."""
    if not review_ids:
        return []
    table = ProductReview.__table__
    rows = session.execute(
        select(table)
        .where(table.c.id.in_(list(review_ids)))
        .order_by(table.c.submitted_at, table.c.id)
    )
    return [dict(row._mapping) for row in rows]


def erase_reviews(session: Session, *, review_ids: Sequence[str]) -> int:
    """Delete these reviews; how many were."""
    if not review_ids:
        return 0
    return rowcount(
        session.execute(
            delete(ProductReview)
            .where(ProductReview.id.in_(list(review_ids)))
            .execution_options(synchronize_session=False)
        )
    )
