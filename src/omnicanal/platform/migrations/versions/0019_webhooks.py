"""webhooks: the endpoints subscribed to events, the events kept for them, and one
delivery per event and endpoint (retries, dead-letter list, replays)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 08:42:34.002716
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column(
            "previous_secret_until",
            omnicanal.platform.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "created_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column(
            "updated_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "disabled_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("disabled_reason", sa.String(length=20), nullable=True),
        sa.Column("disabled_by", sa.String(length=300), nullable=True),
        sa.Column(
            "failing_since", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "last_success_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "disabled_reason IS NULL OR disabled_reason IN ('requested', 'failing')",
            name=op.f("ck_webhook_endpoints_known_disabled_reason"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("time", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column(
            "recorded_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_events_subject"), ["subject"], unique=False)

    op.create_table(
        "webhook_deliveries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("endpoint_id", sa.String(length=26), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "started_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "created_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_attempt_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column(
            "delivered_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("dead_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("dead_reason", sa.String(length=20), nullable=True),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "dead_reason IS NULL OR dead_reason IN ('gave_up', 'endpoint_disabled')",
            name=op.f("ck_webhook_deliveries_known_dead_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'dead')",
            name=op.f("ck_webhook_deliveries_known_status"),
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhook_deliveries_event_id_webhook_events"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        sa.UniqueConstraint("id", name=op.f("uq_webhook_deliveries_id")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_chain", ["endpoint_id", "subject", "status", "seq"], unique=False
        )
        batch_op.create_index("ix_webhook_deliveries_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            "ix_webhook_deliveries_endpoint", ["endpoint_id", "status", "seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_event_id"), ["event_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_event_id"))
        batch_op.drop_index("ix_webhook_deliveries_endpoint")
        batch_op.drop_index("ix_webhook_deliveries_due")
        batch_op.drop_index("ix_webhook_deliveries_chain")

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_events_subject"))

    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")
