"""purchase costs: a SKU's purchase cost in the pricing module

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 17:30:00.000000
"""

from __future__ import annotations

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
