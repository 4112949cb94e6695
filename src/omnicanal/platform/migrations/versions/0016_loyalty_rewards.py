"""loyalty rewards: the programmes' reward rules, the rewards issued to members as personal
single-use coupons, when the rules last looked at each member; promotions: the customer a
personal coupon belongs to

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-12 12:00:00.000000

``promotions.customer_refs`` is NULL for every promotion made before: they stay anyone's.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _moment(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, omnicanal.platform.types.UtcDateTime(timezone=True), nullable=nullable)


# A plain ADD COLUMN on both databases (as 0014 does for orders): a batch operation would
# copy the promotions table, which the coupon redemptions' foreign key points at.
def upgrade() -> None:
    op.add_column("promotions", sa.Column("customer_refs", sa.JSON(), nullable=True))

    op.create_table(
        "loyalty_reward_rules",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("programme_id", sa.String(length=26), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("every_points", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(length=50), nullable=True),
        sa.Column("min_orders", sa.Integer(), nullable=False),
        sa.Column("min_spend_minor", sa.Integer(), nullable=False),
        sa.Column("max_days_since_order", sa.Integer(), nullable=True),
        sa.Column("min_days_since_order", sa.Integer(), nullable=True),
        sa.Column("min_subtotal_minor", sa.Integer(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _moment("updated_at"),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "kind IN ('voucher', 'offer')", name=op.f("ck_loyalty_reward_rules_known_kind")
        ),
        sa.CheckConstraint(
            "valid_days > 0", name=op.f("ck_loyalty_reward_rules_valid_days_positive")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programmes.id"],
            name=op.f("fk_loyalty_reward_rules_programme_id_loyalty_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_reward_rules")),
    )
    op.create_index(
        "uq_loyalty_reward_rules_code",
        "loyalty_reward_rules",
        ["programme_id", "code"],
        unique=True,
    )

    op.create_table(
        "loyalty_rewards",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("member_id", sa.String(length=26), nullable=False),
        sa.Column("rule_code", sa.String(length=50), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("coupon_code", sa.String(length=50), nullable=False),
        sa.Column("title_code", sa.String(length=100), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("min_subtotal_minor", sa.Integer(), nullable=False),
        _moment("issued_at"),
        _moment("valid_until"),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        _moment("used_at", nullable=True),
        sa.Column("order_id", sa.String(length=26), nullable=True),
        sa.Column("used_channel", sa.String(length=50), nullable=True),
        _moment("void_at", nullable=True),
        sa.CheckConstraint(
            "kind IN ('voucher', 'offer')", name=op.f("ck_loyalty_rewards_known_kind")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_rewards_member_id_loyalty_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rewards")),
        sa.UniqueConstraint("coupon_code", name=op.f("uq_loyalty_rewards_coupon_code")),
    )
    op.create_index(
        "uq_loyalty_rewards_issue",
        "loyalty_rewards",
        ["member_id", "rule_code", "sequence"],
        unique=True,
    )
    op.create_index("ix_loyalty_rewards_member", "loyalty_rewards", ["member_id", "issued_at"])

    op.create_table(
        "loyalty_reward_reviews",
        sa.Column("member_id", sa.String(length=26), nullable=False),
        _moment("reviewed_at"),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_reward_reviews_member_id_loyalty_members"),
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_loyalty_reward_reviews")),
    )
    op.create_index(
        op.f("ix_loyalty_reward_reviews_reviewed_at"),
        "loyalty_reward_reviews",
        ["reviewed_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_loyalty_reward_reviews_reviewed_at"), table_name="loyalty_reward_reviews"
    )
    op.drop_table("loyalty_reward_reviews")
    op.drop_index("ix_loyalty_rewards_member", table_name="loyalty_rewards")
    op.drop_index("uq_loyalty_rewards_issue", table_name="loyalty_rewards")
    op.drop_table("loyalty_rewards")
    op.drop_index("uq_loyalty_reward_rules_code", table_name="loyalty_reward_rules")
    op.drop_table("loyalty_reward_rules")
    op.drop_column("promotions", "customer_refs")
