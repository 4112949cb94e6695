"""fulfilment: the pickup code of each pickup and hold (what the customer shows at the store)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 12:00:00.000000
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# As omnicanal.fulfilment.handover makes them, written out here so that this migration
# means the same whatever the code becomes: capitals and digits without 0, O, 1 and I.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 6
WITH_CODE = ("pickup", "reserve_and_try")
BATCH = 500


def _code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def upgrade() -> None:
    with op.batch_alter_table("fulfilments") as batch:
        batch.add_column(sa.Column("pickup_code", sa.String(length=12), nullable=True))
    # Every existing pickup and hold gets its code, open or closed: a closed one's code is
    # still what its customer was (or would have been) shown.
    fulfilments = sa.table(
        "fulfilments", sa.column("id", sa.String), sa.column("method"), sa.column("pickup_code")
    )
    connection = op.get_bind()
    ids = [
        row.id
        for row in connection.execute(
            sa.select(fulfilments.c.id).where(
                fulfilments.c.method.in_(WITH_CODE), fulfilments.c.pickup_code.is_(None)
            )
        )
    ]
    update = (
        fulfilments.update()
        .where(fulfilments.c.id == sa.bindparam("row_id"))
        .values(pickup_code=sa.bindparam("code"))
    )
    for start in range(0, len(ids), BATCH):
        connection.execute(
            update, [{"row_id": row_id, "code": _code()} for row_id in ids[start : start + BATCH]]
        )


def downgrade() -> None:
    with op.batch_alter_table("fulfilments") as batch:
        batch.drop_column("pickup_code")
