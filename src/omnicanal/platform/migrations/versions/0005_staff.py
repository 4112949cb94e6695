"""web: staff accounts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("location_id", sa.String(length=26), nullable=True),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_staff_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_email")),
    )
    op.create_index(op.f("ix_staff_location_id"), "staff", ["location_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_location_id"), table_name="staff")
    op.drop_table("staff")
