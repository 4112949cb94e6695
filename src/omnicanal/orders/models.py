"""Tables of the orders module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime


class Order(Base):
    """A customer's order, placed on one channel, read the same by every channel."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_changed", "updated_at"),
        Index("ix_orders_customer", "customer_ref", "placed_at"),
        Index("ix_orders_channel", "channel", "placed_at"),
        Index("ix_orders_status", "status", "placed_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(50))
    # The store where it was placed, for a till or endless-aisle order
    location_code: Mapped[str | None] = mapped_column(String(50))
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    cart_id: Mapped[str | None] = mapped_column(String(26), unique=True)
    status: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int]
    discount_minor: Mapped[int]
    shipping_minor: Mapped[int]
    shipping_discount_minor: Mapped[int]
    total_minor: Mapped[int]
    coupons: Mapped[list[str]] = mapped_column(JSON)
    pricing_explanation: Mapped[list[str]] = mapped_column(JSON)
    sourcing_explanation: Mapped[list[str]] = mapped_column(JSON)
    # The same explanations as reason codes with parameters ({"code", "params"}), one per
    # sentence; NULL for an order placed before they were kept (its pages read the sentences).
    pricing_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    sourcing_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    payment_provider: Mapped[str] = mapped_column(String(50))
    payment_reference: Mapped[str] = mapped_column(String(200))
    payment_status: Mapped[str] = mapped_column(String(20))
    delivery_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # onupdate: every ORM or Core write moves the change time a connector syncs from
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class OrderLine(Base):
    """One line of an order at the price it was sold for, and how it reaches the customer."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "cancelled_quantity >= 0 AND cancelled_quantity <= quantity",
            name="cancelled_within_quantity",
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int]
    cancelled_quantity: Mapped[int] = mapped_column(default=0)
    method: Mapped[str] = mapped_column(String(30))
    location_code: Mapped[str | None] = mapped_column(String(50))
    reserve_days: Mapped[int | None]
    unit_price_minor: Mapped[int]
    list_price_minor: Mapped[int]
    price_source: Mapped[str] = mapped_column(String(100))
    subtotal_minor: Mapped[int]
    discount_minor: Mapped[int]
    total_minor: Mapped[int]


class OrderStatusChange(Base):
    """One move of an order's status: from, to, why, who and when."""

    __tablename__ = "order_status_history"
    __table_args__ = (Index("ix_order_status_history_order", "order_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    event_type: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
