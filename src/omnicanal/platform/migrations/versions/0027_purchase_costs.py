"""purchase costs: a SKU's purchase cost in the pricing module

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from omnicanal.platform.types import UtcDateTime

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pricing_purchase_costs",
        sa.Column("variant_id", sa.String(length=26), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cost_minor", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_pricing_purchase_costs_variant_id_variants"),
        ),
        sa.PrimaryKeyConstraint("variant_id", "currency", name=op.f("pk_pricing_purchase_costs")),
    )


def downgrade() -> None:
    op.drop_table("pricing_purchase_costs")
