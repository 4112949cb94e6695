"""Tables of the fulfilment module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime


class Fulfilment(Base):
    """Lines of one order going to the customer one way from one location."""

    __tablename__ = "fulfilments"
    __table_args__ = (
        Index("ix_fulfilments_changed", "updated_at"),
        Index("ix_fulfilments_location", "location_id", "status"),
        Index("ix_fulfilments_due", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    # 1, 2, 3... within the order, in the order fulfilments were created.
    position: Mapped[int]
    method: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    location_code: Mapped[str] = mapped_column(String(50))
    # The channel whose network the stock was reserved for
    stock_channel: Mapped[str] = mapped_column(String(50))
    delivery_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    distance_km: Mapped[float | None]
    # When an uncollected pickup or an untried hold expires
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_reference: Mapped[str | None] = mapped_column(String(200))
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    handed_over_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The rejected fulfilment whose line this one re-sourced
    replaces_id: Mapped[str | None] = mapped_column(String(26))
    # What the customer shows to be handed a pickup or a hold (fulfilment.handover)
    pickup_code: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # onupdate: every ORM or Core write moves the change time a connector syncs from
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class FulfilmentLine(Base):
    """Units of an order line in a fulfilment, held by one stock reservation."""

    __tablename__ = "fulfilment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    fulfilment_id: Mapped[str] = mapped_column(ForeignKey("fulfilments.id"), index=True)
    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"), index=True)
    # The order line's position, to list a fulfilment's lines in the order's order.
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int]
    reservation_id: Mapped[str | None] = mapped_column(String(26))
    status: Mapped[str] = mapped_column(String(20), default="open")
    reason: Mapped[str] = mapped_column(String(300), default="")


class FulfilmentStatusChange(Base):
    """One move of a fulfilment's status: from, to, why, who and when."""

    __tablename__ = "fulfilment_status_history"
    __table_args__ = (Index("ix_fulfilment_status_history_order", "order_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    fulfilment_id: Mapped[str] = mapped_column(ForeignKey("fulfilments.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(26))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(30))
    event_type: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
