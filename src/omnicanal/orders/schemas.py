"""Input and output shapes of the orders module."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from omnicanal.fulfilment.schemas import FulfilmentOut, PaymentStatus
from omnicanal.fulfilment.states import Method
from omnicanal.orders import examples

# The one address shape (platform/address.py), importable from here as before.
from omnicanal.platform.address import Address as Address
from omnicanal.platform.bounds import MAX_AMOUNT_MINOR, RequestModel
from omnicanal.platform.reasons import ReasonOut

CURRENCY_PATTERN = r"^[A-Z]{3}$"
MAX_RESERVE_DAYS = 30


def _looks_like_a_card_number(value: str) -> bool:
    """13 to 19 digits passing the Luhn check: a PAN, which omnicanal never stores."""
    digits = value.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2:
            number = number * 2 - 9 if number > 4 else number * 2
        total += number
    return total % 10 == 0


class FulfilmentChoice(RequestModel):
    """How a line reaches the customer, and at which store for an at-store method."""

    model_config = ConfigDict(extra="forbid")

    method: Method
    location: str | None = Field(
        default=None,
        max_length=50,
        description="The store of a pickup, reserve_and_try or carry_out "
        "(default: a store key's own store)",
    )
    reserve_days: int | None = Field(
        default=None, ge=1, le=MAX_RESERVE_DAYS, description="reserve_and_try: days held"
    )


class CheckoutLineIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=1, le=9999)
    fulfilment: FulfilmentChoice | None = Field(
        default=None, description="Default: the order's fulfilment"
    )


class PaymentIn(RequestModel):
    """The payment provider's reference and status. Never card data."""

    model_config = ConfigDict(extra="forbid")

    provider: str = Field(min_length=1, max_length=50, examples=["adyen"])
    reference: str = Field(min_length=1, max_length=200, examples=["psp_8815"])
    status: Literal["authorised", "captured"]

    @field_validator("reference")
    @classmethod
    def _no_card_numbers(cls, value: str) -> str:
        if _looks_like_a_card_number(value):
            raise ValueError("this looks like a card number; send the provider's reference")
        return value


class TenderIn(RequestModel):
    """Part of the payment made with something the retailer holds for the customer: a
    ``loyalty`` tender names points held beforehand (``POST /v1/loyalty/redemptions``),
    which the order captures once placed (docs/adr/0021)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["loyalty"]
    reference: str = Field(min_length=1, max_length=200, description="The redemption's id")
    amount_minor: int = Field(ge=1, le=MAX_AMOUNT_MINOR)


class CheckoutIn(RequestModel):
    """Turn a cart (or lines) into an order: re-priced, sourced, reserved, in one go."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.CHECKOUT]})

    cart_id: str | None = Field(default=None, max_length=26)
    lines: list[CheckoutLineIn] | None = Field(default=None, max_length=200)
    channel: str | None = Field(default=None, max_length=50, description="Default: the key's")
    customer_ref: str | None = Field(default=None, min_length=1, max_length=200)
    customer_attributes: dict[str, str] | None = None
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    coupons: list[str] = Field(default_factory=list, max_length=20)
    shipping_minor: int = Field(default=0, ge=0, le=MAX_AMOUNT_MINOR)
    fulfilment: FulfilmentChoice | None = Field(
        default=None,
        description="For every line without its own (default: carry_out at a store key's "
        "store, ship otherwise)",
    )
    fulfilment_by_sku: dict[str, FulfilmentChoice] = Field(
        default_factory=dict, description="With a cart: a choice per SKU"
    )
    delivery_address: Address | None = None
    payment: PaymentIn | None = Field(
        default=None,
        description="Required unless every line is reserve_and_try or the tenders pay it all",
    )
    tenders: list[TenderIn] = Field(
        default_factory=list,
        max_length=10,
        description="Parts of the total paid otherwise than by the payment (loyalty points)",
    )

    @model_validator(mode="after")
    def _cart_or_lines(self) -> CheckoutIn:
        if (self.cart_id is None) == (self.lines is None):
            raise ValueError("give either cart_id or lines")
        return self


class PaymentOut(BaseModel):
    provider: str
    reference: str
    status: PaymentStatus


class PaymentUpdateIn(RequestModel):
    """What the payment provider reports later (a capture, a refund)."""

    model_config = ConfigDict(extra="forbid")

    status: PaymentStatus
    reference: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("reference")
    @classmethod
    def _no_card_numbers(cls, value: str | None) -> str | None:
        if value is not None and _looks_like_a_card_number(value):
            raise ValueError("this looks like a card number; send the provider's reference")
        return value


class CancelIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=300)


class OrderLineOut(BaseModel):
    id: str
    position: int
    sku: str
    quantity: int
    cancelled_quantity: int
    method: str
    location: str | None
    reserve_days: int | None
    unit_price_minor: int
    list_price_minor: int
    price_source: str
    subtotal_minor: int
    discount_minor: int
    total_minor: int


class HistoryEntry(BaseModel):
    """One status change of the order or of one of its fulfilments."""

    at: datetime
    subject: Literal["order", "fulfilment"]
    fulfilment_id: str | None
    from_status: str | None
    to_status: str
    event: str
    reason: str
    actor: str
    channel: str


class OrderOut(BaseModel):
    """An order as every channel reads it: status, lines, fulfilments and history."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.ORDER]})

    id: str
    status: str
    channel: str
    location: str | None
    customer_ref: str | None
    cart_id: str | None
    currency: str
    subtotal_minor: int
    discount_minor: int
    shipping_minor: int
    shipping_discount_minor: int
    total_minor: int
    coupons: list[str]
    payment: PaymentOut
    delivery_address: Address | None
    placed_by: str
    placed_at: datetime
    updated_at: datetime
    lines: list[OrderLineOut]
    fulfilments: list[FulfilmentOut]
    history: list[HistoryEntry]
    pricing_explanation: list[str]
    sourcing_explanation: list[str]
    pricing_reasons: list[ReasonOut] | None = Field(
        default=None,
        description="The pricing explanation as codes with parameters (one per sentence, same "
        "order); null for an order placed before they were kept",
    )
    sourcing_reasons: list[ReasonOut] | None = Field(
        default=None,
        description="The sourcing explanation as codes with parameters (one per sentence, same "
        "order); null for an order placed before they were kept",
    )


class OrderSummary(BaseModel):
    """An order in a list (``GET /v1/orders``): a connector stores it by ``id`` and syncs
    from its ``updated_at``."""

    id: str
    status: str
    channel: str
    location: str | None
    customer_ref: str | None
    currency: str
    total_minor: int
    payment_status: str
    placed_at: datetime
    updated_at: datetime = Field(description="When the order last changed")


class OrderCount(BaseModel):
    """How many orders share a status and a channel."""

    status: str
    channel: str
    count: int
