"""customers: profile search names, backfilled from the name traits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_search_names",
        sa.Column("profile_id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("folded", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_profile_search_names_profile_id_profiles"),
        ),
        sa.PrimaryKeyConstraint("profile_id", name=op.f("pk_profile_search_names")),
    )
    backfill(op.get_bind())


def backfill(connection: sa.Connection) -> int:
    """Give every existing root profile with a name its search name."""
    # Imported here: the folding rules live with the customers module, not in the revision.
    from omnicanal.customers.service.search import rebuild_search_names

    session = Session(bind=connection)
    try:
        return rebuild_search_names(session)
    finally:
        session.close()


def downgrade() -> None:
    op.drop_table("profile_search_names")
