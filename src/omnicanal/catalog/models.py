"""Tables of the catalog module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime


class Product(Base):
    """A style as the customer sees it: 'Trench coton Alma'."""

    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(200), index=True)
    brand: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # When its own fields or one of its variants last changed (not its prices, which are
    # pricing's): what a products sync and an export since a moment read.
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class Variant(Base):
    """One sellable item (SKU): a product in one size and one colour."""

    __tablename__ = "variants"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    sku: Mapped[str] = mapped_column(String(60), unique=True)
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    size: Mapped[str] = mapped_column(String(30), default="")
    colour: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
