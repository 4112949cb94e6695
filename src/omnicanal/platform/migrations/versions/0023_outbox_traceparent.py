"""outbox traceparent: the W3C trace context of the span an event was recorded in, carried
on the bus as the CloudEvents distributed-tracing attribute

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: events recorded before, or with tracing off, carry no trace.
    op.add_column("outbox", sa.Column("traceparent", sa.String(length=55)))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("traceparent")
