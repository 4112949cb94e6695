"""product reviews: a customer's review of a product (rating, title, text), where it came
from and its moderation

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12 14:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _moment(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, omnicanal.platform.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "product_reviews",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("product_id", sa.String(length=26), nullable=False),
        sa.Column("product_code", sa.String(length=60), nullable=False),
        sa.Column("profile_id", sa.String(length=26), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=True),
        sa.Column("text", sa.String(length=5000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rejection_reason", sa.String(length=40), nullable=True),
        sa.Column("verified_purchase", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("location_code", sa.String(length=50), nullable=True),
        sa.Column("submitted_by", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_ref", sa.String(length=100), nullable=True),
        _moment("submitted_at"),
        _moment("moderated_at", nullable=True),
        sa.Column("moderated_by", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "rating >= 1 AND rating <= 5", name=op.f("ck_product_reviews_rating_from_one_to_five")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'published', 'rejected')",
            name=op.f("ck_product_reviews_known_status"),
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR rejection_reason IS NOT NULL",
            name=op.f("ck_product_reviews_rejection_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_reviews_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_reviews")),
    )
    op.create_index(
        "ix_product_reviews_product",
        "product_reviews",
        ["product_code", "status", "submitted_at"],
    )
    op.create_index("ix_product_reviews_profile", "product_reviews", ["profile_id", "submitted_at"])
    op.create_index("ix_product_reviews_status", "product_reviews", ["status", "submitted_at"])


def downgrade() -> None:
    op.drop_table("product_reviews")
