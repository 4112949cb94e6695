"""catalogue changes: when a product's and a variant's own fields last changed, for the
exports and syncs that ask for what changed since a moment

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TABLES = ("products", "variants")
# ADD COLUMN ... NOT NULL needs a constant default on SQLite; every row then takes its
# creation time. SQLite keeps the unused default: dropping it would rebuild the tables, and
# a rebuilt products table cannot be dropped under the variants that reference it.
PLACEHOLDER = sa.text("'1970-01-01 00:00:00'")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        op.add_column(
            table,
            sa.Column(
                "updated_at",
                omnicanal.platform.types.UtcDateTime(timezone=True),
                nullable=False,
                server_default=PLACEHOLDER,
            ),
        )
        op.execute(f"UPDATE {table} SET updated_at = created_at")
        if not sqlite:
            op.alter_column(table, "updated_at", server_default=None)
        op.create_index(f"ix_{table}_updated_at", table, ["updated_at"], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f"ix_{table}_updated_at", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("updated_at")
