"""Input and output shapes of the carts module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from omnicanal.platform.bounds import RequestModel
from omnicanal.pricing.schemas import CURRENCY_PATTERN, MAX_QUANTITY, PricedCart


class CartStatus(StrEnum):
    open = "open"
    merged = "merged"
    checked_out = "checked_out"


class CartLineIn(RequestModel):
    """A SKU to add; adding a SKU already in the cart adds to its quantity."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class QuantityIn(RequestModel):
    """A line's new quantity (remove the line to go to zero)."""

    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class CouponIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50)


class CartIn(RequestModel):
    """A new cart: anonymous (a cookie's id), for a known customer, or both."""

    model_config = ConfigDict(extra="forbid")

    anonymous_id: str | None = Field(default=None, min_length=1, max_length=200)
    customer_ref: str | None = Field(default=None, min_length=1, max_length=200)
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    customer_attributes: dict[str, str] = Field(
        default_factory=dict, description='What promotions may look at, e.g. {"tier": "gold"}'
    )
    lines: list[CartLineIn] = Field(default_factory=list, max_length=200)
    coupons: list[str] = Field(default_factory=list, max_length=20)


class MergeIn(RequestModel):
    """A visitor just identified: their anonymous cart joins the customer's open cart."""

    model_config = ConfigDict(extra="forbid")

    anonymous_id: str = Field(min_length=1, max_length=200)
    customer_ref: str = Field(min_length=1, max_length=200)
    customer_attributes: dict[str, str] | None = Field(
        default=None, description="Replaces the target cart's attributes when given"
    )


class CartLineOut(BaseModel):
    sku: str
    quantity: int
    added_at: datetime
    updated_at: datetime


class CartOut(BaseModel):
    """A cart with its lines priced live for the asking channel (``priced`` is empty when
    the cart has no lines, and in a list: read the cart to price it)."""

    id: str
    status: CartStatus
    channel: str = Field(description="The channel that created the cart")
    anonymous_id: str | None
    customer_ref: str | None
    currency: str
    customer_attributes: dict[str, str]
    coupons: list[str]
    lines: list[CartLineOut]
    merged_into: str | None
    order_id: str | None
    created_at: datetime
    updated_at: datetime
    priced: PricedCart | None
