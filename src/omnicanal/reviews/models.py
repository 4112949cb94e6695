"""The table of the reviews module: one row per review, with its moderation.

The reviewer is a customer profile id, kept as a plain reference (no foreign key: profiles
belong to the customers module, which merges and erases them); the product is the catalog's,
by id (a foreign key, the last backstop) and by its code (the natural key every channel
names it by, and what ratings are read by).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime

__all__ = ["ProductReview"]


class ProductReview(Base):
    """A customer's review of a product: rating, title, text, where it came from, and where
    it is in moderation."""

    __tablename__ = "product_reviews"
    __table_args__ = (
        Index("ix_product_reviews_changed", "updated_at"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_from_one_to_five"),
        CheckConstraint("status IN ('pending', 'published', 'rejected')", name="known_status"),
        CheckConstraint(
            "status <> 'rejected' OR rejection_reason IS NOT NULL", name="rejection_has_reason"
        ),
        Index("ix_product_reviews_product", "product_code", "status", "submitted_at"),
        Index("ix_product_reviews_profile", "profile_id", "submitted_at"),
        Index("ix_product_reviews_status", "status", "submitted_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    product_code: Mapped[str] = mapped_column(String(60))
    profile_id: Mapped[str] = mapped_column(String(26))
    """The reviewer: the root of their profile when they wrote it."""
    rating: Mapped[int]
    title: Mapped[str | None] = mapped_column(String(150))
    text: Mapped[str | None] = mapped_column(String(5000))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    rejection_reason: Mapped[str | None] = mapped_column(String(40))
    verified_purchase: Mapped[bool] = mapped_column(default=False)
    """The reviewer had bought the product (an order of theirs not cancelled) when writing."""
    channel: Mapped[str] = mapped_column(String(50))
    location_code: Mapped[str | None] = mapped_column(String(50))
    submitted_by: Mapped[str] = mapped_column(String(300))
    """The key (``key:…``) or tracking source that sent it: its owner, for who may read it
    before it is published."""
    source: Mapped[str] = mapped_column(String(20))
    """``api`` or ``tracking`` (a Segment ``Product Reviewed`` message)."""
    external_ref: Mapped[str | None] = mapped_column(String(100))
    """The sending channel's own id for the review (Segment's ``review_id``)."""
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    moderated_by: Mapped[str | None] = mapped_column(String(300))
