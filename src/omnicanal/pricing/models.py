"""Tables of the pricing module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
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


class PriceOverride(Base):
    """A channel's own price for a SKU over a period, with its reason: explicit and audited.

    Periods of one (price book, SKU, channel) never overlap. Ending an override shortens its
    period; nothing is deleted, so the price of any past moment can be told.
    """

    __tablename__ = "price_overrides"
    __table_args__ = (Index("ix_price_overrides_lookup", "price_book_id", "channel", "variant_id"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    price_book_id: Mapped[str] = mapped_column(ForeignKey("price_books.id"))
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"))
    sku: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(ForeignKey("channels.code"))
    amount_minor: Mapped[int]
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(100))
    end_reason: Mapped[str | None] = mapped_column(String(500))


class Promotion(Base):
    """A promotion as the engine reads it (``pricing.engine.Promotion``), plus its usage."""

    __tablename__ = "promotions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    target: Mapped[str] = mapped_column(String(20))
    skus: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    percent_bp: Mapped[int | None] = mapped_column(doc="Percent in basis points (1250 = 12.5%)")
    amount_minor: Mapped[int | None]
    buy_quantity: Mapped[int | None]
    get_quantity: Mapped[int | None]
    get_percent_bp: Mapped[int] = mapped_column(default=10000)
    bundle_skus: Mapped[list[str]] = mapped_column(JSON, default=list)
    currency: Mapped[str | None] = mapped_column(String(3))
    requires_coupon: Mapped[bool] = mapped_column(default=False)
    usage_limit: Mapped[int | None]
    times_used: Mapped[int] = mapped_column(default=0)
    customer_conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    priority: Mapped[int] = mapped_column(default=0)
    stackable: Mapped[bool] = mapped_column(default=True)
    exclusive: Mapped[bool] = mapped_column(default=False)
    min_subtotal_minor: Mapped[int] = mapped_column(default=0)
    customer_refs: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), default=None)
    """A personal coupon: the references (as carts and orders file them) of the one customer
    who may use it; None: anyone; empty: no one any more (the customer was erased)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class CouponRedemption(Base):
    """A coupon used by an order; one per (promotion, customer) when the customer is known.

    Anonymous redemptions (no customer reference) count towards the usage limit only.
    """

    __tablename__ = "coupon_redemptions"
    __table_args__ = (UniqueConstraint("promotion_id", "customer_ref"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    promotion_id: Mapped[str] = mapped_column(ForeignKey("promotions.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    order_id: Mapped[str] = mapped_column(String(60), index=True)
    redeemed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))


class PurchaseCost(Base):
    """What one unit of a SKU costs the retailer in a currency (minor units): the cost of
    the goods sold that the contribution margin subtracts. Never shown to the channels."""

    __tablename__ = "pricing_purchase_costs"

    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    cost_minor: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))
