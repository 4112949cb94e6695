"""Input and output shapes of the pricing module."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from omnicanal.platform.bounds import MAX_AMOUNT_MINOR, MAX_INT, RequestModel
from omnicanal.platform.clock import as_utc
from omnicanal.platform.reasons import ReasonOut
from omnicanal.pricing.engine import Kind, Target

CURRENCY_PATTERN = r"^[A-Z]{3}$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
MAX_QUANTITY = 9999
MAX_CUSTOMER_REFS = 50
"""The most references a personal coupon keeps for its customer."""


class PricedLine(BaseModel):
    """One cart line with its price, where the price came from, and its discount."""

    sku: str
    quantity: int
    unit_price_minor: int
    list_price_minor: int
    price_source: str = Field(description='"list", or "override:<id>" for a channel override')
    subtotal_minor: int
    discount_minor: int
    total_minor: int


class ListPriceOut(BaseModel):
    """A SKU's list price in one currency, as the prices list syncs it."""

    sku: str
    currency: str
    price_minor: int
    updated_at: datetime = Field(description="When this price was set or last changed")


class Adjustment(BaseModel):
    """One promotion applied to the cart: what it took off, and on which SKUs."""

    promotion: str
    kind: str
    description: str
    amount_minor: int
    skus: list[str]


class PricedCart(BaseModel):
    """A cart priced for one channel at one moment, with one explanation line per adjustment."""

    currency: str
    channel: str
    lines: list[PricedLine]
    adjustments: list[Adjustment]
    subtotal_minor: int
    discount_minor: int = Field(description="Line discounts (shipping discounts apart)")
    shipping_minor: int
    shipping_discount_minor: int
    total_minor: int
    coupons: list[str] = Field(description="Coupon codes that applied (redeemed at checkout)")
    explanation: list[str] = Field(description="One English sentence per adjustment")
    pricing_reasons: list[ReasonOut] = Field(
        default_factory=list,
        description="The explanation as codes with parameters (one per sentence, same order), "
        "for a client to say in its reader's language",
    )
    priced_at: datetime
    notes: list[str] = Field(
        default_factory=list, description="Why a coupon given did not apply (or was ignored)"
    )


class QuoteLineIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class QuoteIn(RequestModel):
    """An ad-hoc cart to price for the caller's channel."""

    model_config = ConfigDict(extra="forbid")

    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    lines: list[QuoteLineIn] = Field(max_length=500)
    customer_ref: str | None = Field(default=None, max_length=200)
    customer_attributes: dict[str, str] = Field(default_factory=dict)
    coupons: list[str] = Field(default_factory=list, max_length=20)
    shipping_minor: int = Field(default=0, ge=0, le=MAX_AMOUNT_MINOR)
    at: datetime | None = None


class OverrideIn(RequestModel):
    """A channel's own price for a SKU, for a period, with the reason why."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=60)
    channel: str = Field(min_length=1, max_length=50)
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    price_minor: int = Field(ge=0, le=MAX_AMOUNT_MINOR)
    valid_from: datetime | None = Field(
        default=None, description="Default: now. A moment in the past means now."
    )
    valid_until: datetime | None = Field(default=None, description="Exclusive; none: open-ended")
    reason: str = Field(min_length=3, max_length=500)

    @model_validator(mode="after")
    def _period(self) -> OverrideIn:
        if self.valid_from is not None:
            self.valid_from = as_utc(self.valid_from)
        if self.valid_until is not None:
            self.valid_until = as_utc(self.valid_until)
            if self.valid_from is not None and self.valid_until <= self.valid_from:
                raise ValueError("valid_until must come after valid_from")
        return self


class OverrideEndIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(default=None, description="Default: now")
    reason: str = Field(default="", max_length=500)


class OverrideOut(BaseModel):
    id: str
    sku: str
    channel: str
    currency: str
    price_minor: int
    list_price_minor: int | None
    valid_from: datetime
    valid_until: datetime | None
    reason: str
    created_by: str
    created_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None


class ChannelPrice(BaseModel):
    """What one channel charges for a SKU at the audited moment, and why."""

    channel: str
    price_minor: int
    source: str = Field(description='"list" or "override"')
    override_id: str | None = None
    reason: str | None = None
    valid_until: datetime | None = None


class PriceDifference(BaseModel):
    sku: str
    list_price_minor: int
    prices: list[ChannelPrice]


class PromotionSummary(BaseModel):
    code: str
    name: str
    channels: list[str]


class ConsistencyOut(BaseModel):
    """Every SKU whose price differs between channels at ``at``, and why."""

    at: datetime
    currency: str
    channels: list[str]
    items: list[PriceDifference]
    channel_scoped_promotions: list[PromotionSummary] = Field(
        description="Promotions in force on some channels only (they also make totals differ)"
    )


class PromotionIn(RequestModel):
    """A promotion; which fields matter depends on ``kind`` (see the engine's docstring)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=2, max_length=50, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    target: Target = Target.cart
    skus: list[str] = Field(default_factory=list, max_length=1000)
    categories: list[str] = Field(default_factory=list, max_length=100)
    percent: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)
    amount_minor: int | None = Field(default=None, ge=0, le=MAX_AMOUNT_MINOR)
    buy_quantity: int | None = Field(default=None, ge=1, le=100)
    get_quantity: int | None = Field(default=None, ge=1, le=100)
    get_percent: Decimal = Field(default=Decimal(100), gt=0, le=100, decimal_places=2)
    bundle_skus: list[str] = Field(default_factory=list, max_length=20)
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    requires_coupon: bool = Field(default=False, description="The code must be entered")
    usage_limit: int | None = Field(
        default=None, ge=1, le=MAX_INT, description="Coupons: total uses"
    )
    customer_conditions: dict[str, str | list[str]] = Field(
        default_factory=dict, description='Customer attributes, e.g. {"tier": "gold"}'
    )
    channels: list[str] = Field(default_factory=list, description="Empty: every channel")
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = Field(default=0, ge=-1000, le=1000, description="Higher runs first")
    stackable: bool = True
    exclusive: bool = False
    min_subtotal_minor: int = Field(default=0, ge=0, le=MAX_AMOUNT_MINOR)
    customer_refs: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None,
        max_length=MAX_CUSTOMER_REFS,
        description="A personal coupon: the references of the one customer whose carts and "
        "orders may use it (a loyalty reward); null: anyone",
    )

    @field_validator("code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _consistent(self) -> PromotionIn:
        problems = _promotion_problems(self)
        if problems:
            raise ValueError(problems[0])
        if self.starts_at is not None:
            self.starts_at = as_utc(self.starts_at)
        if self.ends_at is not None:
            self.ends_at = as_utc(self.ends_at)
        return self


def _promotion_problems(data: PromotionIn) -> list[str]:
    problems: list[str] = []
    required: dict[Kind, list[tuple[str, object]]] = {
        Kind.percent_off: [("percent", data.percent)],
        Kind.amount_off: [("amount_minor", data.amount_minor), ("currency", data.currency)],
        Kind.buy_x_get_y: [
            ("buy_quantity", data.buy_quantity),
            ("get_quantity", data.get_quantity),
        ],
        Kind.bundle_price: [("amount_minor", data.amount_minor), ("currency", data.currency)],
        Kind.free_shipping: [],
    }
    needs = required[data.kind]
    problems += [
        f"a {data.kind.value} promotion needs {name}" for name, value in needs if value is None
    ]
    if data.kind is Kind.bundle_price and len(set(data.bundle_skus)) < 2:
        problems.append("a bundle needs at least two distinct bundle_skus")
    if data.target is Target.skus and not data.skus and data.kind is not Kind.bundle_price:
        problems.append("target 'skus' needs skus")
    if data.target is Target.categories and not data.categories:
        problems.append("target 'categories' needs categories")
    if data.min_subtotal_minor and data.currency is None:
        problems.append("a minimum cart amount needs its currency")
    if data.usage_limit is not None and not data.requires_coupon:
        problems.append("usage_limit applies to coupons (requires_coupon: true)")
    if data.customer_refs is not None and not (data.requires_coupon and data.customer_refs):
        problems.append("customer_refs name the customer of a coupon (requires_coupon: true)")
    if data.starts_at and data.ends_at and as_utc(data.ends_at) <= as_utc(data.starts_at):
        problems.append("ends_at must come after starts_at")
    return problems


class PromotionOut(BaseModel):
    id: str
    code: str
    name: str
    kind: str
    target: str
    skus: list[str]
    categories: list[str]
    percent: Decimal | None
    amount_minor: int | None
    buy_quantity: int | None
    get_quantity: int | None
    get_percent: Decimal
    bundle_skus: list[str]
    currency: str | None
    requires_coupon: bool
    usage_limit: int | None
    times_used: int
    customer_conditions: dict[str, list[str]]
    channels: list[str]
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    stackable: bool
    exclusive: bool
    min_subtotal_minor: int
    personal: bool = Field(
        default=False, description="A coupon only one customer may use (a loyalty reward)"
    )
    created_at: datetime
    created_by: str


class PurchaseCostIn(RequestModel):
    """What one unit of the SKU costs the retailer, in minor units."""

    model_config = ConfigDict(extra="forbid")

    cost_minor: int = Field(ge=0, le=MAX_AMOUNT_MINOR, description="e.g. 3120 for 31.20")
    currency: str | None = Field(
        default=None, pattern=CURRENCY_PATTERN, description="Default: the platform's"
    )


class PurchaseCostOut(BaseModel):
    """A SKU's purchase cost in one currency (head office only: never shown to channels)."""

    sku: str
    currency: str
    cost_minor: int
    updated_at: datetime
    updated_by: str
