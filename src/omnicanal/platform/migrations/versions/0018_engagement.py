"""engagement: the consent ledger, the facts the message policy weighs, messages with their
decisions and delivery log, triggers, templates, segments, the policy's settings and stock
watches; the locations' opening hours

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 07:43:34.285018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("locations", sa.Column("opening_hours", sa.JSON(), nullable=True))
    op.create_table(
        "consent_entries",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("profile_id", sa.String(length=26), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("location_code", sa.String(length=50), nullable=True),
        sa.Column("proof", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column(
            "occurred_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "recorded_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_entries")),
    )
    with op.batch_alter_table("consent_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_entries_current",
            ["profile_id", "purpose", "channel", "occurred_at"],
            unique=False,
        )
        batch_op.create_index("ix_consent_entries_recorded", ["recorded_at"], unique=False)

    op.create_table(
        "engagement_facts",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("profile_id", sa.String(length=26), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("location_code", sa.String(length=50), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("source_event_id", sa.String(length=26), nullable=True),
        sa.Column(
            "occurred_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "recorded_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_facts")),
        sa.UniqueConstraint("source_event_id", "kind", name="uq_engagement_facts_event_kind"),
    )
    with op.batch_alter_table("engagement_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_engagement_facts_profile", ["profile_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_engagement_facts_subject", ["subject", "occurred_at"], unique=False
        )

    op.create_table(
        "engagement_segments",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_segments")),
        sa.UniqueConstraint("code", name=op.f("uq_engagement_segments_code")),
    )
    op.create_table(
        "message_decisions",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("message_id", sa.String(length=26), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column(
            "decided_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_decisions")),
    )
    with op.batch_alter_table("message_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_decisions_message", ["message_id", "decided_at"], unique=False
        )
        batch_op.create_index(
            "ix_message_decisions_outcome", ["outcome", "decided_at"], unique=False
        )

    op.create_table(
        "message_deliveries",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("message_id", sa.String(length=26), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column(
            "attempted_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_deliveries")),
    )
    with op.batch_alter_table("message_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_deliveries_message", ["message_id", "attempted_at"], unique=False
        )
        batch_op.create_index(
            "ix_message_deliveries_provider_id", ["provider", "provider_message_id"], unique=False
        )

    op.create_table(
        "message_policy",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("frequency_caps", sa.JSON(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("suppression_days", sa.JSON(), nullable=False),
        sa.Column(
            "updated_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_message_policy")),
    )
    op.create_table(
        "message_templates",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("trigger_code", sa.String(length=50), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column(
            "updated_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("trigger_code", "language", "channel", name="uq_message_templates"),
    )
    op.create_table(
        "message_triggers",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("delay_minutes", sa.Integer(), nullable=False),
        sa.Column("segment_code", sa.String(length=50), nullable=True),
        sa.Column("coupon", sa.JSON(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_triggers")),
        sa.UniqueConstraint("code", name=op.f("uq_message_triggers_code")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("trigger_code", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("profile_id", sa.String(length=26), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "reason_since", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("due_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("decided_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("reason_facts", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("coupon_code", sa.String(length=50), nullable=True),
        sa.Column("provider", sa.String(length=30), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("rendered_subject", sa.String(length=300), nullable=True),
        sa.Column("rendered_text", sa.Text(), nullable=True),
        sa.Column("rendered_html", sa.Text(), nullable=True),
        sa.Column("cause_event_id", sa.String(length=26), nullable=True),
        sa.CheckConstraint(
            "status IN ('scheduled', 'retrying', 'sent', 'withheld', 'withdrawn', 'failed')",
            name=op.f("ck_messages_known_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_messages_dedupe_key")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_messages_profile", ["profile_id", "created_at"], unique=False)
        batch_op.create_index("ix_messages_subject", ["subject", "status"], unique=False)

    op.create_table(
        "stock_watches",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("profile_id", sa.String(length=26), nullable=False),
        sa.Column("sku", sa.String(length=60), nullable=False),
        sa.Column("location_code", sa.String(length=50), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "notified_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_watches")),
    )
    with op.batch_alter_table("stock_watches", schema=None) as batch_op:
        batch_op.create_index("ix_stock_watches_profile", ["profile_id"], unique=False)
        batch_op.create_index(
            "ix_stock_watches_sku", ["sku", "location_code", "active"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("opening_hours")
    with op.batch_alter_table("stock_watches", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_watches_sku")
        batch_op.drop_index("ix_stock_watches_profile")

    op.drop_table("stock_watches")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_subject")
        batch_op.drop_index("ix_messages_profile")
        batch_op.drop_index("ix_messages_due")

    op.drop_table("messages")
    op.drop_table("message_triggers")
    op.drop_table("message_templates")
    op.drop_table("message_policy")
    with op.batch_alter_table("message_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_message_deliveries_provider_id")
        batch_op.drop_index("ix_message_deliveries_message")

    op.drop_table("message_deliveries")
    with op.batch_alter_table("message_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_message_decisions_outcome")
        batch_op.drop_index("ix_message_decisions_message")

    op.drop_table("message_decisions")
    op.drop_table("engagement_segments")
    with op.batch_alter_table("engagement_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_facts_subject")
        batch_op.drop_index("ix_engagement_facts_profile")

    op.drop_table("engagement_facts")
    with op.batch_alter_table("consent_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_entries_recorded")
        batch_op.drop_index("ix_consent_entries_current")

    op.drop_table("consent_entries")
