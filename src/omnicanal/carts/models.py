"""Tables of the carts module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime


class Cart(Base):
    """A cart: open, then merged into another, or checked out into an order."""

    __tablename__ = "carts"
    __table_args__ = (
        Index("ix_carts_changed", "updated_at"),
        Index("ix_carts_customer_open", "customer_ref", "status", "updated_at"),
        Index("ix_carts_anonymous_open", "anonymous_id", "status", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(20), default="open")
    channel: Mapped[str] = mapped_column(String(50))
    anonymous_id: Mapped[str | None] = mapped_column(String(200))
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    customer_attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    coupon_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("carts.id"))
    order_id: Mapped[str | None] = mapped_column(String(60))
    created_by: Mapped[str] = mapped_column(String(100))
    # The store whose key opened it, for a till's cart
    location_code: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # onupdate: every ORM or Core write moves the change time a connector syncs from
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class CartLine(Base):
    """A SKU in a cart: one line per SKU, with its quantity."""

    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("cart_id", "sku"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id"), index=True)
    sku: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int]
    position: Mapped[int] = mapped_column(doc="Lines keep the order they were first added in")
    added_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
