"""access: the order holding a reservation, the store that opened a cart

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reservations", sa.Column("order_id", sa.String(length=26), nullable=True))
    op.add_column("carts", sa.Column("location_code", sa.String(length=50), nullable=True))
    # Checkouts reserved with the order's id as the reference: those holds belong to it.
    op.execute(
        "UPDATE reservations SET order_id = reference WHERE reference IN (SELECT id FROM orders)"
    )
    # A cart opened by a store key belongs to that key's store.
    op.execute(
        "UPDATE carts SET location_code = "
        "(SELECT api_keys.location_code FROM api_keys "
        "WHERE 'key:' || api_keys.id = carts.created_by)"
    )


def downgrade() -> None:
    with op.batch_alter_table("carts") as batch:
        batch.drop_column("location_code")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("order_id")
