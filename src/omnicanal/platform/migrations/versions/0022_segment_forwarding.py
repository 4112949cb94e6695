"""segment forwarding: an endpoint's format (standard signed webhooks, or Segment track
messages) and its write key; a delivery a Segment endpoint refused is given up at once

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

DEAD_REASON = "ck_webhook_deliveries_known_dead_reason"


def upgrade() -> None:
    # ADD COLUMN ... NOT NULL needs a constant default on SQLite; the model keeps it too, so
    # that every existing endpoint is a standard one on both databases.
    op.add_column(
        "webhook_endpoints",
        sa.Column("format", sa.String(length=20), nullable=False, server_default="standard"),
    )
    op.add_column("webhook_endpoints", sa.Column("write_key", sa.String(length=200)))
    # SQLite changes a CHECK constraint by rebuilding the table (no table references it).
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_constraint(op.f(DEAD_REASON), type_="check")
        batch.create_check_constraint(
            op.f(DEAD_REASON),
            sa.text(
                "dead_reason IS NULL OR dead_reason IN ('gave_up', 'endpoint_disabled', 'refused')"
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_constraint(op.f(DEAD_REASON), type_="check")
        batch.create_check_constraint(
            op.f(DEAD_REASON),
            sa.text("dead_reason IS NULL OR dead_reason IN ('gave_up', 'endpoint_disabled')"),
        )
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("write_key")
        batch.drop_column("format")
