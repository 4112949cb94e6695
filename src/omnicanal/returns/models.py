"""Tables of the returns module: returns, their lines and history, the units of each order
line claimed back, and customers' store credit with its ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime, WideInteger


class Return(Base):
    """Units of one order coming back: at a counter, or by post with an authorisation."""

    __tablename__ = "returns"
    __table_args__ = (
        Index("ix_returns_changed", "updated_at"),
        CheckConstraint(
            "satisfaction IS NULL OR (satisfaction >= 1 AND satisfaction <= 5)",
            name="satisfaction_one_to_five",
        ),
        Index("ix_returns_status", "status", "requested_at"),
        Index("ix_returns_location", "location_code", "requested_at"),
        Index("ix_returns_customer", "customer_ref"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    purchase_channel: Mapped[str] = mapped_column(String(50))
    """The order's channel (its code)."""
    purchase_channel_kind: Mapped[str] = mapped_column(String(50))
    purchase_location: Mapped[str | None] = mapped_column(String(50))
    order_placed_by: Mapped[str] = mapped_column(String(100))
    """The key that placed the order (a marketplace reads the returns of its own orders)."""
    order_placed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    return_channel: Mapped[str] = mapped_column(String(20))
    """``store`` (brought to a counter) or ``post`` (sent with an authorisation)."""
    location_code: Mapped[str | None] = mapped_column(String(50))
    """Where the units came back: the store's counter, or where the parcel was received."""
    requested_channel: Mapped[str] = mapped_column(String(50))
    """The kind of channel of the key that took or authorised the return."""
    requested_location: Mapped[str | None] = mapped_column(String(50))
    requested_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    value_minor: Mapped[int]
    """What the returned units were paid: what a refund gives back."""
    review_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    satisfaction: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    refund_method: Mapped[str | None] = mapped_column(String(30))
    refunded_minor: Mapped[int] = mapped_column(default=0)
    refund_provider: Mapped[str | None] = mapped_column(String(50))
    refund_reference: Mapped[str | None] = mapped_column(String(200))
    exchange_order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"))
    price_difference_minor: Mapped[int | None]
    """An exchange's new sale less the returned value: paid (> 0) or given back (< 0)."""
    authorisation_token: Mapped[str | None] = mapped_column(String(300))
    """A postal return's signed authorisation, which its label's QR code holds."""
    authorisation_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    inspected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When it was refunded, exchanged or closed."""
    # onupdate: every ORM or Core write moves the change time a connector syncs from
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ReturnLine(Base):
    """Units of one order line coming back, why, in which state, and what inspection found."""

    __tablename__ = "return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "resellable_quantity IS NULL OR damaged_quantity IS NULL "
            "OR resellable_quantity + damaged_quantity = quantity",
            name="inspected_every_unit",
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"), index=True)
    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"), index=True)
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(String(30))
    condition: Mapped[str] = mapped_column(String(20))
    value_minor: Mapped[int]
    resellable_quantity: Mapped[int | None]
    damaged_quantity: Mapped[int | None]


class ReturnStatusChange(Base):
    """One move of a return's status: from, to, why, who and when."""

    __tablename__ = "return_status_history"
    __table_args__ = (Index("ix_return_status_history_return", "return_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    event_type: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(50))
    location_code: Mapped[str | None] = mapped_column(String(50))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ReturnedQuantity(Base):
    """How many units of an order line are returned or on their way back.

    The one row per line that concurrent returns of the line update with a conditional
    ``UPDATE … WHERE claimed + :quantity <= :returnable``: two counters taking the same
    line at once cannot claim more units than reached the customer.
    """

    __tablename__ = "returned_quantities"
    __table_args__ = (CheckConstraint("claimed >= 0", name="claimed_not_negative"),)

    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    claimed: Mapped[int] = mapped_column(default=0)


class StoreCreditAccount(Base):
    """A customer's store credit in one currency: given by refunds, spent at the till."""

    __tablename__ = "store_credit_accounts"
    __table_args__ = (
        CheckConstraint("balance_minor >= 0", name="balance_not_negative"),
        Index("uq_store_credit_accounts_customer", "customer_ref", "currency", unique=True),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    customer_ref: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    balance_minor: Mapped[int] = mapped_column(WideInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class StoreCreditEntry(Base):
    """One change of a store credit balance: how much, why, after what, who."""

    __tablename__ = "store_credit_entries"
    __table_args__ = (Index("ix_store_credit_entries_account", "account_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("store_credit_accounts.id"))
    delta_minor: Mapped[int] = mapped_column(WideInteger)
    balance_after_minor: Mapped[int] = mapped_column(WideInteger)
    reason: Mapped[str] = mapped_column(String(200))
    return_id: Mapped[str | None] = mapped_column(ForeignKey("returns.id"))
    actor: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
