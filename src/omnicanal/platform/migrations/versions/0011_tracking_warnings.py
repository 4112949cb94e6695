"""tracking: the warnings of a stored message (unverified identifiers, clamped times)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracking_messages") as batch:
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracking_messages") as batch:
        batch.drop_column("warnings")
