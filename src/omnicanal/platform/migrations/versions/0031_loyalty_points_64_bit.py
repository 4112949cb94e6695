"""loyalty: points in 64 bits on PostgreSQL

A member's balance adds up every sale's points, and a line earns up to ``MAX_POINTS``
(1,000 points a euro on the dearest line earned ten billion before the cap): 22 such sales
pass a 32-bit integer, which PostgreSQL refused, failing the loyalty consumer on the
order. SQLite's integers are 64 bits already: nothing changes there
(``types.WideInteger``).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08 02:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

COLUMNS = {
    "loyalty_balances": ("available", "pending"),
    "loyalty_redemptions": ("points",),
    "loyalty_ledger": ("points", "pending_points"),
    "loyalty_point_lots": ("points", "remaining"),
    "loyalty_earnings": ("points",),
}


def _widen(to: sa.types.TypeEngine[int], existing: sa.types.TypeEngine[int]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(
                table, column, type_=to, existing_type=existing, existing_nullable=False
            )


def upgrade() -> None:
    _widen(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _widen(sa.Integer(), sa.BigInteger())
