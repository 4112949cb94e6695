"""staff sessions and sign-in throttling, API keys' last use, the audit log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _utc() -> omnicanal.platform.types.UtcDateTime:
    return omnicanal.platform.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("last_used_at", _utc(), nullable=True))
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=26), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_sessions_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_sessions")),
    )
    op.create_index(
        op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"], unique=False
    )
    op.create_table(
        "staff_sign_in_failures",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sign_in_failures")),
    )
    for column in ("email", "address", "at"):
        op.create_index(
            op.f(f"ix_staff_sign_in_failures_{column}"),
            "staff_sign_in_failures",
            [column],
            unique=False,
        )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("key_id", sa.String(length=26), nullable=True),
        sa.Column("staff_id", sa.String(length=26), nullable=True),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("location_code", sa.String(length=50), nullable=True),
        sa.Column("operation", sa.String(length=200), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=60), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    for column in ("at", "actor", "resource_type"):
        op.create_index(op.f(f"ix_audit_log_{column}"), "audit_log", [column], unique=False)


def downgrade() -> None:
    for column in ("at", "actor", "resource_type"):
        op.drop_index(op.f(f"ix_audit_log_{column}"), table_name="audit_log")
    op.drop_table("audit_log")
    for column in ("email", "address", "at"):
        op.drop_index(
            op.f(f"ix_staff_sign_in_failures_{column}"), table_name="staff_sign_in_failures"
        )
    op.drop_table("staff_sign_in_failures")
    op.drop_index(op.f("ix_staff_sessions_staff_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
