"""pilots: the analytics module's pilot-store experiments

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from omnicanal.platform.types import UtcDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_pilots",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("preset", sa.String(length=50), nullable=True),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("better", sa.String(length=4), nullable=False),
        sa.Column("baseline_start", sa.Date(), nullable=False),
        sa.Column("baseline_end", sa.Date(), nullable=False),
        sa.Column("start_day", sa.Date(), nullable=False),
        sa.Column("end_day", sa.Date(), nullable=False),
        sa.Column("success_threshold", sa.Float(), nullable=False),
        sa.Column("stop_threshold", sa.Float(), nullable=False),
        sa.Column("minimum_days", sa.Integer(), nullable=False),
        sa.Column("controls_chosen", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("stopped_at", UtcDateTime(), nullable=True),
        sa.Column("stopped_by", sa.String(length=300), nullable=True),
        sa.Column("stop_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_pilots")),
        sa.UniqueConstraint("code", name=op.f("uq_analytics_pilots_code")),
    )
    op.create_table(
        "analytics_pilot_stores",
        sa.Column("pilot_id", sa.String(length=26), nullable=False),
        sa.Column("store", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("distance", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["analytics_pilots.id"],
            name=op.f("fk_analytics_pilot_stores_pilot_id_analytics_pilots"),
        ),
        sa.PrimaryKeyConstraint("pilot_id", "store", name=op.f("pk_analytics_pilot_stores")),
    )
    op.create_index("ix_analytics_pilot_stores_store", "analytics_pilot_stores", ["store"])


def downgrade() -> None:
    op.drop_index("ix_analytics_pilot_stores_store", table_name="analytics_pilot_stores")
    op.drop_table("analytics_pilot_stores")
    op.drop_table("analytics_pilots")
