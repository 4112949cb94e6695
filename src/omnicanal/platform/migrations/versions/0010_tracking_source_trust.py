"""tracking: the trust level of each source (whether its messages may merge known customers)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DEFAULT_TRUST = {
    "web": "web_anonymous",
    "app": "app_login",
    "store": "till",
    "email": "server",
    "service_desk": "call_centre_verified",
}


def upgrade() -> None:
    with op.batch_alter_table("tracking_sources") as batch:
        batch.add_column(
            sa.Column("trust", sa.String(length=30), nullable=False, server_default="web_anonymous")
        )
    sources = sa.table("tracking_sources", sa.column("kind"), sa.column("trust"))
    for kind, trust in DEFAULT_TRUST.items():
        op.execute(sources.update().where(sources.c.kind == kind).values(trust=trust))
    # A source standing for a secret API key is a server, even when it speaks for the web.
    op.execute(
        "UPDATE tracking_sources SET trust = 'server' WHERE api_key_id IS NOT NULL AND kind = 'web'"
    )
    with op.batch_alter_table("tracking_sources") as batch:
        batch.alter_column("trust", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("tracking_sources") as batch:
        batch.drop_column("trust")
