"""returns: returns with their lines and history, the units claimed back per order line,
and customers' store credit with its ledger

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicanal.platform.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_credit_accounts",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_minor", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "balance_minor >= 0", name=op.f("ck_store_credit_accounts_balance_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_credit_accounts")),
    )
    op.create_index(
        "uq_store_credit_accounts_customer",
        "store_credit_accounts",
        ["customer_ref", "currency"],
        unique=True,
    )

    op.create_table(
        "returns",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("order_id", sa.String(length=26), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=True),
        sa.Column("purchase_channel", sa.String(length=50), nullable=False),
        sa.Column("purchase_channel_kind", sa.String(length=50), nullable=False),
        sa.Column("purchase_location", sa.String(length=50), nullable=True),
        sa.Column("order_placed_by", sa.String(length=100), nullable=False),
        sa.Column(
            "order_placed_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("return_channel", sa.String(length=20), nullable=False),
        sa.Column("location_code", sa.String(length=50), nullable=True),
        sa.Column("requested_channel", sa.String(length=50), nullable=False),
        sa.Column("requested_location", sa.String(length=50), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("value_minor", sa.Integer(), nullable=False),
        sa.Column("review_reasons", sa.JSON(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("refund_method", sa.String(length=30), nullable=True),
        sa.Column("refunded_minor", sa.Integer(), nullable=False),
        sa.Column("refund_provider", sa.String(length=50), nullable=True),
        sa.Column("refund_reference", sa.String(length=200), nullable=True),
        sa.Column("exchange_order_id", sa.String(length=26), nullable=True),
        sa.Column("price_difference_minor", sa.Integer(), nullable=True),
        sa.Column("authorisation_token", sa.String(length=300), nullable=True),
        sa.Column(
            "authorisation_expires_at",
            omnicanal.platform.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "requested_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "received_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "inspected_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "resolved_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "updated_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "satisfaction IS NULL OR (satisfaction >= 1 AND satisfaction <= 5)",
            name=op.f("ck_returns_satisfaction_one_to_five"),
        ),
        sa.ForeignKeyConstraint(
            ["exchange_order_id"], ["orders.id"], name=op.f("fk_returns_exchange_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
    )
    op.create_index("ix_returns_customer", "returns", ["customer_ref"], unique=False)
    op.create_index(
        "ix_returns_location", "returns", ["location_code", "requested_at"], unique=False
    )
    op.create_index(op.f("ix_returns_order_id"), "returns", ["order_id"], unique=False)
    op.create_index("ix_returns_status", "returns", ["status", "requested_at"], unique=False)

    op.create_table(
        "return_lines",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("return_id", sa.String(length=26), nullable=False),
        sa.Column("order_line_id", sa.String(length=26), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=60), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("value_minor", sa.Integer(), nullable=False),
        sa.Column("resellable_quantity", sa.Integer(), nullable=True),
        sa.Column("damaged_quantity", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
        sa.CheckConstraint(
            "resellable_quantity IS NULL OR damaged_quantity IS NULL "
            "OR resellable_quantity + damaged_quantity = quantity",
            name=op.f("ck_return_lines_inspected_every_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_return_lines_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_lines_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    op.create_index(
        op.f("ix_return_lines_order_line_id"), "return_lines", ["order_line_id"], unique=False
    )
    op.create_index(op.f("ix_return_lines_return_id"), "return_lines", ["return_id"], unique=False)

    op.create_table(
        "return_status_history",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("return_id", sa.String(length=26), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("to_status", sa.String(length=30), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("location_code", sa.String(length=50), nullable=True),
        sa.Column(
            "occurred_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_status_history_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_status_history")),
    )
    op.create_index(
        "ix_return_status_history_return",
        "return_status_history",
        ["return_id", "occurred_at"],
        unique=False,
    )

    op.create_table(
        "returned_quantities",
        sa.Column("order_line_id", sa.String(length=26), nullable=False),
        sa.Column("order_id", sa.String(length=26), nullable=False),
        sa.Column("claimed", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "claimed >= 0", name=op.f("ck_returned_quantities_claimed_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returned_quantities_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_returned_quantities_order_line_id_order_lines"),
        ),
        sa.PrimaryKeyConstraint("order_line_id", name=op.f("pk_returned_quantities")),
    )
    op.create_index(
        op.f("ix_returned_quantities_order_id"), "returned_quantities", ["order_id"], unique=False
    )

    op.create_table(
        "store_credit_entries",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("account_id", sa.String(length=26), nullable=False),
        sa.Column("delta_minor", sa.Integer(), nullable=False),
        sa.Column("balance_after_minor", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("return_id", sa.String(length=26), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column(
            "occurred_at", omnicanal.platform.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["store_credit_accounts.id"],
            name=op.f("fk_store_credit_entries_account_id_store_credit_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_store_credit_entries_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_credit_entries")),
    )
    op.create_index(
        "ix_store_credit_entries_account",
        "store_credit_entries",
        ["account_id", "occurred_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_store_credit_entries_account", table_name="store_credit_entries")

    op.drop_table("store_credit_entries")
    op.drop_index(op.f("ix_returned_quantities_order_id"), table_name="returned_quantities")

    op.drop_table("returned_quantities")
    op.drop_index("ix_return_status_history_return", table_name="return_status_history")

    op.drop_table("return_status_history")
    op.drop_index(op.f("ix_return_lines_return_id"), table_name="return_lines")
    op.drop_index(op.f("ix_return_lines_order_line_id"), table_name="return_lines")

    op.drop_table("return_lines")
    op.drop_index("ix_returns_status", table_name="returns")
    op.drop_index(op.f("ix_returns_order_id"), table_name="returns")
    op.drop_index("ix_returns_location", table_name="returns")
    op.drop_index("ix_returns_customer", table_name="returns")

    op.drop_table("returns")
    op.drop_index("uq_store_credit_accounts_customer", table_name="store_credit_accounts")

    op.drop_table("store_credit_accounts")
