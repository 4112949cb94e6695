"""kpi facts: the analytics module's daily additive measures and the facts of orders,
fulfilments, stock, locations, carts and purchase costs that its consumers keep from the events

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from omnicanal.platform.types import UtcDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("store", sa.String(length=50), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("segment", sa.String(length=20), nullable=False),
        sa.Column("measure", sa.String(length=60), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "store", "channel", "segment", "measure", name=op.f("pk_kpi_daily")
        ),
    )
    op.create_index("ix_kpi_daily_measure_day", "kpi_daily", ["measure", "day"])
    op.create_table(
        "kpi_orders",
        sa.Column("order_id", sa.String(length=26), nullable=False),
        sa.Column("placed_at", UtcDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("store", sa.String(length=50), nullable=False),
        sa.Column("segment", sa.String(length=20), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("click_and_collect", sa.Boolean(), nullable=False),
        sa.Column("endless_aisle", sa.Boolean(), nullable=False),
        sa.Column("ship_from_store", sa.Boolean(), nullable=False),
        sa.Column("cart_channel", sa.String(length=50), nullable=True),
        sa.Column("cost_minor", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("returned_units", sa.Integer(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_units", sa.Integer(), nullable=False),
        sa.Column("cancelled_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_kpi_orders")),
    )
    op.create_index("ix_kpi_orders_day", "kpi_orders", ["day"])
    op.create_index("ix_kpi_orders_customer", "kpi_orders", ["customer_ref", "placed_at"])
    op.create_table(
        "kpi_fulfilments",
        sa.Column("fulfilment_id", sa.String(length=26), nullable=False),
        sa.Column("order_id", sa.String(length=26), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("location", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("ready_at", UtcDateTime(), nullable=True),
        sa.Column("checked_in_at", UtcDateTime(), nullable=True),
        sa.Column("collected_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("wait_seconds", sa.Float(), nullable=True),
        sa.Column("lead_seconds", sa.Float(), nullable=True),
        sa.Column("rejected_units", sa.Integer(), nullable=False),
        sa.Column("left_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("fulfilment_id", name=op.f("pk_kpi_fulfilments")),
    )
    op.create_index("ix_kpi_fulfilments_location_status", "kpi_fulfilments", ["location", "status"])
    op.create_index("ix_kpi_fulfilments_order", "kpi_fulfilments", ["order_id"])
    op.create_table(
        "kpi_stock",
        sa.Column("sku", sa.String(length=60), nullable=False),
        sa.Column("location", sa.String(length=50), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sku", "location", name=op.f("pk_kpi_stock")),
    )
    op.create_index("ix_kpi_stock_location", "kpi_stock", ["location"])
    op.create_table(
        "kpi_locations",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_kpi_locations")),
    )
    op.create_table(
        "kpi_carts",
        sa.Column("cart_id", sa.String(length=26), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("cart_id", name=op.f("pk_kpi_carts")),
    )
    op.create_table(
        "kpi_costs",
        sa.Column("sku", sa.String(length=60), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cost_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_kpi_costs")),
    )
    op.create_table(
        "kpi_moments",
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("location", sa.String(length=50), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_kpi_moments")),
    )
    op.create_index("ix_kpi_moments_kind_at", "kpi_moments", ["kind", "at"])
    op.create_table(
        "kpi_business",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_business")),
    )


def downgrade() -> None:
    for table in (
        "kpi_business",
        "kpi_moments",
        "kpi_costs",
        "kpi_carts",
        "kpi_locations",
        "kpi_stock",
        "kpi_fulfilments",
        "kpi_orders",
        "kpi_daily",
    ):
        op.drop_table(table)
