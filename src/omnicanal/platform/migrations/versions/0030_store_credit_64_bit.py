"""store credit: balances and ledger amounts in 64 bits on PostgreSQL

A customer's credit adds up the refunds of every order they bring back, each up to
``MAX_AMOUNT_MINOR``: three of the dearest went past a 32-bit integer, which PostgreSQL
refused. SQLite's integers are 64 bits already, and rebuilding the accounts' table there
would break the ledger's foreign key: nothing changes on SQLite (``types.WideInteger``).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

COLUMNS = {
    "store_credit_accounts": ("balance_minor",),
    "store_credit_entries": ("delta_minor", "balance_after_minor"),
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
