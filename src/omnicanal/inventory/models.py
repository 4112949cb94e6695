"""Tables of the inventory module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime

DEFAULT_LOW_STOCK_THRESHOLD = 3


class StockLevel(Base):
    """What one location holds of one SKU. ``on_hand`` is the sum of its movements."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        Index("ix_stock_levels_changed", "updated_at"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
        Index("ix_stock_levels_location", "location_id", "variant_id"),
    )

    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    safety_stock: Mapped[int] = mapped_column(default=0)
    low_stock_threshold: Mapped[int] = mapped_column(default=DEFAULT_LOW_STOCK_THRESHOLD)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class StockMovement(Base):
    """One line of the ledger: a quantity in or out of a location, with why, who and when."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_item", "variant_id", "location_id", "occurred_at"),
        Index("ix_stock_movements_recorded", "occurred_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    kind: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[int]
    on_hand_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300), default="")
    reference: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Reservation(Base):
    """Units of a SKU held at a location for a channel until confirmed, released or expired."""

    __tablename__ = "reservations"
    __table_args__ = (
        Index("ix_reservations_changed", "updated_at"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_reservations_expiry", "status", "expires_at"),
        Index("ix_reservations_item", "variant_id", "status", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    channel: Mapped[str] = mapped_column(String(50))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="active")
    reference: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    # The order whose checkout made it: changed through that order's operations only
    order_id: Mapped[str | None] = mapped_column(String(26))
