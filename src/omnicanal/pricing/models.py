"""Tables of the pricing module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime


class PriceBook(Base):
    """The list prices in one currency."""

    __tablename__ = "price_books"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ListPrice(Base):
    """A SKU's list price in a price book, in minor units."""

    __tablename__ = "list_prices"

    price_book_id: Mapped[str] = mapped_column(ForeignKey("price_books.id"), primary_key=True)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"), primary_key=True)
    amount_minor: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
