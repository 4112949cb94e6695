"""loyalty: programmes, members, their balance and points ledger, the lots points expire by,
the points earned per order, and redemptions

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-11 12:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _moment(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, omnicanal.platform.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "loyalty_programmes",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("points_per_euro", sa.Numeric(precision=10, scale=4), nullable=False),
        sa.Column("earning_rules", sa.JSON(), nullable=False),
        sa.Column("earning_channels", sa.JSON(), nullable=False),
        sa.Column("point_value_minor", sa.Numeric(precision=10, scale=4), nullable=False),
        sa.Column("pending_days", sa.Integer(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("tier_period_months", sa.Integer(), nullable=False),
        sa.Column("expiry_months", sa.Integer(), nullable=False),
        sa.Column("hold_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _moment("created_at"),
        _moment("updated_at"),
        sa.CheckConstraint(
            "pending_days >= 0", name=op.f("ck_loyalty_programmes_pending_days_not_negative")
        ),
        sa.CheckConstraint(
            "point_value_minor > 0", name=op.f("ck_loyalty_programmes_point_value_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_programmes")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_programmes_code")),
    )

    op.create_table(
        "loyalty_members",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("programme_id", sa.String(length=26), nullable=False),
        sa.Column("profile_id", sa.String(length=26), nullable=True),
        sa.Column("card_number", sa.String(length=50), nullable=True),
        _moment("joined_at"),
        sa.Column("joined_channel", sa.String(length=50), nullable=False),
        sa.Column("joined_location", sa.String(length=50), nullable=True),
        sa.Column("joined_by", sa.String(length=100), nullable=False),
        sa.Column("tier", sa.String(length=50), nullable=True),
        _moment("tier_since", nullable=True),
        _moment("tier_reviewed_at"),
        _moment("erased_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programmes.id"],
            name=op.f("fk_loyalty_members_programme_id_loyalty_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_members")),
    )
    op.create_index(
        "uq_loyalty_members_profile", "loyalty_members", ["programme_id", "profile_id"], unique=True
    )
    op.create_index(
        "uq_loyalty_members_card", "loyalty_members", ["programme_id", "card_number"], unique=True
    )
    op.create_index("ix_loyalty_members_profile_id", "loyalty_members", ["profile_id"])
    op.create_index("ix_loyalty_members_tier", "loyalty_members", ["tier_reviewed_at"])

    op.create_table(
        "loyalty_balances",
        sa.Column("member_id", sa.String(length=26), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        _moment("updated_at"),
        sa.CheckConstraint(
            "available >= 0", name=op.f("ck_loyalty_balances_available_not_negative")
        ),
        sa.CheckConstraint("pending >= 0", name=op.f("ck_loyalty_balances_pending_not_negative")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_balances_member_id_loyalty_members"),
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_loyalty_balances")),
    )

    op.create_table(
        "loyalty_redemptions",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("member_id", sa.String(length=26), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=26), nullable=True),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("location_code", sa.String(length=50), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        _moment("hold_expires_at"),
        _moment("created_at"),
        _moment("captured_at", nullable=True),
        _moment("released_at", nullable=True),
        sa.Column("release_reason", sa.String(length=100), nullable=True),
        sa.Column("taken_from", sa.JSON(), nullable=False),
        sa.CheckConstraint("points > 0", name=op.f("ck_loyalty_redemptions_points_positive")),
        sa.CheckConstraint(
            "amount_minor >= 0", name=op.f("ck_loyalty_redemptions_amount_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_redemptions_member_id_loyalty_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_redemptions")),
    )
    op.create_index(
        "ix_loyalty_redemptions_status", "loyalty_redemptions", ["status", "hold_expires_at"]
    )
    op.create_index(
        "ix_loyalty_redemptions_member", "loyalty_redemptions", ["member_id", "created_at"]
    )
    op.create_index("ix_loyalty_redemptions_order", "loyalty_redemptions", ["order_id"])

    op.create_table(
        "loyalty_ledger",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("member_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("pending_points", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.String(length=26), nullable=True),
        sa.Column("order_line_id", sa.String(length=26), nullable=True),
        sa.Column("return_id", sa.String(length=26), nullable=True),
        sa.Column("redemption_id", sa.String(length=26), nullable=True),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("location_code", sa.String(length=50), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        _moment("at"),
        _moment("expires_at", nullable=True),
        sa.CheckConstraint(
            "kind IN ('earn', 'pending', 'confirm', 'redeem', 'release', 'expire', 'adjust', "
            "'reverse')",
            name=op.f("ck_loyalty_ledger_known_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_ledger_member_id_loyalty_members"),
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["loyalty_redemptions.id"],
            name=op.f("fk_loyalty_ledger_redemption_id_loyalty_redemptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_ledger")),
    )
    op.create_index("ix_loyalty_ledger_member", "loyalty_ledger", ["member_id", "at"])
    op.create_index("ix_loyalty_ledger_order", "loyalty_ledger", ["order_id", "order_line_id"])

    op.create_table(
        "loyalty_point_lots",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("member_id", sa.String(length=26), nullable=False),
        sa.Column("ledger_id", sa.String(length=26), nullable=False),
        sa.Column("order_id", sa.String(length=26), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        _moment("expires_at", nullable=True),
        _moment("created_at"),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= points",
            name=op.f("ck_loyalty_point_lots_remaining_within_points"),
        ),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["loyalty_ledger.id"],
            name=op.f("fk_loyalty_point_lots_ledger_id_loyalty_ledger"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_point_lots_member_id_loyalty_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_point_lots")),
    )
    op.create_index(
        "ix_loyalty_point_lots_member", "loyalty_point_lots", ["member_id", "expires_at"]
    )
    op.create_index("ix_loyalty_point_lots_expiry", "loyalty_point_lots", ["expires_at"])

    op.create_table(
        "loyalty_earnings",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("member_id", sa.String(length=26), nullable=False),
        sa.Column("order_id", sa.String(length=26), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("location_code", sa.String(length=50), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("eligible_minor", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _moment("placed_at"),
        _moment("confirm_at"),
        _moment("confirmed_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_earnings_member_id_loyalty_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_earnings")),
    )
    op.create_index(
        "uq_loyalty_earnings_order", "loyalty_earnings", ["member_id", "order_id"], unique=True
    )
    op.create_index("ix_loyalty_earnings_due", "loyalty_earnings", ["status", "confirm_at"])
    op.create_index("ix_loyalty_earnings_order_id", "loyalty_earnings", ["order_id"])


def downgrade() -> None:
    op.drop_table("loyalty_earnings")
    op.drop_table("loyalty_point_lots")
    op.drop_table("loyalty_ledger")
    op.drop_table("loyalty_redemptions")
    op.drop_table("loyalty_balances")
    op.drop_table("loyalty_members")
    op.drop_table("loyalty_programmes")
