"""privacy: the record of erasures, and the values still to delete from the event stream

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("profile_ids", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("erased_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )
    op.create_table(
        "bus_erasures",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("selectors", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bus_erasures")),
    )


def downgrade() -> None:
    op.drop_table("bus_erasures")
    op.drop_table("erasures")
