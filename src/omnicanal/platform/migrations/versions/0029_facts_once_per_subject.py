"""engagement facts: a fact that happens once to its subject is unique in the table

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

ONCE = "kind IN ('cart_closed', 'collected', 'reservation_closed') AND subject IS NOT NULL"


def upgrade() -> None:
    # Two workers could both find no closing of a cart and both record one: keep the first
    # (ids sort by time), as a reader of the facts would have.
    op.execute(
        "DELETE FROM engagement_facts "
        f"WHERE {ONCE} AND id NOT IN ("
        f"SELECT MIN(id) FROM engagement_facts WHERE {ONCE} GROUP BY kind, subject)"
    )
    op.create_index(
        "uq_engagement_facts_once_per_subject",
        "engagement_facts",
        ["kind", "subject"],
        unique=True,
        sqlite_where=sa.text(ONCE),
        postgresql_where=sa.text(ONCE),
    )


def downgrade() -> None:
    op.drop_index("uq_engagement_facts_once_per_subject", table_name="engagement_facts")
