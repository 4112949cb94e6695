"""orders: the pricing and sourcing explanations as codes with parameters

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10 14:00:00.000000

Beside the English sentences (``pricing_explanation``, ``sourcing_explanation``), an order
keeps each sentence's reason code and parameters (``[{"code": ..., "params": {...}}]``), so
that a page says them in its reader's language. Orders placed before keep NULL: their pages
read the English sentences as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite drops a column itself since 3.35): a batch
# operation would copy the orders table, which the foreign keys pointing at it refuse.
def upgrade() -> None:
    op.add_column("orders", sa.Column("pricing_reasons", sa.JSON(), nullable=True))
    op.add_column("orders", sa.Column("sourcing_reasons", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "sourcing_reasons")
    op.drop_column("orders", "pricing_reasons")
