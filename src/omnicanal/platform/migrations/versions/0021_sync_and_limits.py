"""lists that sync: when locations, reservations, profiles and reviews last changed, an index
on every collection's change time; a request rate per API key; the five standard channels
made with the schema

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 11:30:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# The tables that gain a change time, and the time each existing row takes.
NEW = {
    "locations": "created_at",
    "reservations": "COALESCE(ended_at, created_at)",
    "profiles": "COALESCE(last_seen_at, created_at)",
    "product_reviews": "COALESCE(moderated_at, submitted_at)",
}
# The tables that had one without an index to read changes by.
INDEXED = ("stock_levels", "carts", "orders", "fulfilments", "returns")
PLACEHOLDER = sa.text("'1970-01-01 00:00:00'")
STANDARD_CHANNELS = (
    ("web", "Web shop"),
    ("app", "Mobile app"),
    ("store", "Store tills"),
    ("call_centre", "Call centre"),
    ("marketplace", "Marketplaces"),
)


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for table, since in NEW.items():
        op.add_column(
            table,
            sa.Column(
                "updated_at",
                omnicanal.platform.types.UtcDateTime(timezone=True),
                nullable=False,
                server_default=PLACEHOLDER,
            ),
        )
        op.execute(f"UPDATE {table} SET updated_at = {since}")
        if not sqlite:
            op.alter_column(table, "updated_at", server_default=None)
    for table in (*NEW, *INDEXED):
        op.create_index(f"ix_{table}_changed", table, ["updated_at"], unique=False)
    op.create_index("ix_stock_movements_recorded", "stock_movements", ["occurred_at", "id"])
    op.add_column("api_keys", sa.Column("requests_per_minute", sa.Integer(), nullable=True))
    channels = sa.table(
        "channels",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
        sa.column("created_at", omnicanal.platform.types.UtcDateTime(timezone=True)),
    )
    existing = set(bind.scalars(sa.select(channels.c.code)))
    now = datetime.now(UTC)
    missing = [
        {"code": code, "name": name, "kind": code, "created_at": now}
        for code, name in STANDARD_CHANNELS
        if code not in existing
    ]
    for row in missing:
        op.execute(channels.insert().values(**row))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("requests_per_minute")
    op.drop_index("ix_stock_movements_recorded", table_name="stock_movements")
    for table in reversed((*NEW, *INDEXED)):
        op.drop_index(f"ix_{table}_changed", table_name=table)
    for table in reversed(tuple(NEW)):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("updated_at")
