"""survey answers: NPS and satisfaction answers given to the analytics module

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from omnicanal.platform.types import UtcDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_survey_answers",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answered_at", UtcDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("store", sa.String(length=50), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("segment", sa.String(length=20), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_survey_answers")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_kpi_survey_answers_source")),
    )
    op.create_index("ix_kpi_survey_answers_day", "kpi_survey_answers", ["day"])
    op.create_index("ix_kpi_survey_answers_customer", "kpi_survey_answers", ["customer_ref"])


def downgrade() -> None:
    op.drop_index("ix_kpi_survey_answers_customer", table_name="kpi_survey_answers")
    op.drop_index("ix_kpi_survey_answers_day", table_name="kpi_survey_answers")
    op.drop_table("kpi_survey_answers")
