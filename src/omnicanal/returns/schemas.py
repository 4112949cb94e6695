"""Input and output shapes of the returns module."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omnicanal.orders.schemas import FulfilmentChoice, PaymentIn
from omnicanal.platform.address import Address
from omnicanal.platform.bounds import MAX_QUANTITY, Quantity, RequestModel
from omnicanal.returns.events import ReviewReasonOut
from omnicanal.returns.rules import Condition, ReasonCode

__all__ = [
    "CancelIn",
    "ExchangeIn",
    "ExchangeLineIn",
    "InspectIn",
    "InspectLineIn",
    "RefundIn",
    "RefundOut",
    "ReturnHistoryEntry",
    "ReturnIn",
    "ReturnLineIn",
    "ReturnLineOut",
    "ReturnOut",
    "ReturnQueue",
    "ReturnSummary",
    "ReviewIn",
    "StoreCreditEntryOut",
    "StoreCreditOut",
]

Method = Literal["counter", "post"]
RefundMethod = Literal["original_payment", "store_credit"]
MAX_TOKEN_LENGTH = 1_000


class ReturnLineIn(RequestModel):
    """Units of one order line coming back."""

    model_config = ConfigDict(extra="forbid")

    order_line_id: str = Field(min_length=1, max_length=26)
    quantity: Quantity
    reason: ReasonCode
    condition: Condition = Condition.unworn


class ReturnIn(RequestModel):
    """Take a return at a counter, authorise one by post, or receive a postal return.

    Give ``order_id`` and ``lines`` to open a return (``method``: ``counter`` by default
    for a key bound to a store, ``post`` otherwise); give ``token`` (the QR code of the
    label) to receive a postal return where it arrives.
    """

    model_config = ConfigDict(extra="forbid")

    order_id: str | None = Field(default=None, min_length=1, max_length=26)
    lines: list[ReturnLineIn] | None = Field(default=None, min_length=1, max_length=200)
    method: Method | None = None
    location: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Where the units come back (default: the key's own store)",
    )
    token: str | None = Field(default=None, min_length=1, max_length=MAX_TOKEN_LENGTH)
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    high_value_customer: bool = Field(
        default=False, description="The caller knows the customer as high value: a review"
    )
    note: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _order_or_token(self) -> ReturnIn:
        opening = self.order_id is not None or self.lines is not None
        if self.token is not None:
            if opening or self.method is not None:
                raise ValueError("give either a token, or order_id and lines")
        elif self.order_id is None or self.lines is None:
            raise ValueError("give order_id and lines (or the postal return's token)")
        return self


class InspectLineIn(RequestModel):
    """What inspection found of one return line's units."""

    model_config = ConfigDict(extra="forbid")

    line_id: str = Field(min_length=1, max_length=26)
    resellable: int = Field(ge=0, le=MAX_QUANTITY)
    damaged: int = Field(ge=0, le=MAX_QUANTITY)


class InspectIn(RequestModel):
    """The inspection of a return; a line not listed is taken as declared (unworn and worn
    units resellable, damaged ones damaged)."""

    model_config = ConfigDict(extra="forbid")

    lines: list[InspectLineIn] = Field(default_factory=list, max_length=200)
    note: str = Field(default="", max_length=500)


class RefundIn(RequestModel):
    """How the return is refunded: to the original payment (with the provider's refund
    reference) or as store credit to the order's customer."""

    model_config = ConfigDict(extra="forbid")

    method: RefundMethod
    provider: str | None = Field(default=None, min_length=1, max_length=50)
    reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The payment provider's refund reference (original_payment)",
    )

    @model_validator(mode="after")
    def _reference_for_a_payment(self) -> RefundIn:
        if self.method == "original_payment" and self.reference is None:
            raise ValueError("a refund to the original payment needs the provider's reference")
        return self


class ExchangeLineIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=1, le=9999)


class ExchangeIn(RequestModel):
    """Exchange returned units for other items in one go: inspect what is not inspected
    yet, sell the new items (from this store's stock by default, or reserved elsewhere or
    sent home), and settle the price difference."""

    model_config = ConfigDict(extra="forbid")

    lines: list[ExchangeLineIn] = Field(min_length=1, max_length=50)
    fulfilment: FulfilmentChoice | None = Field(
        default=None, description="Default: carried out of the returning store"
    )
    delivery_address: Address | None = None
    payment: PaymentIn | None = Field(
        default=None, description="The customer's payment of a positive price difference"
    )
    refund: RefundIn | None = Field(
        default=None,
        description="How a negative price difference is given back (default: store credit)",
    )
    inspection: list[InspectLineIn] = Field(default_factory=list, max_length=200)


class ReviewIn(RequestModel):
    """A person's decision on a return the rules sent to review."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "refuse"]
    note: str = Field(default="", max_length=500)


class CancelIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=500)


class ReturnLineOut(BaseModel):
    id: str
    order_line_id: str
    position: int
    sku: str
    quantity: int
    reason: str
    condition: str
    value_minor: int
    resellable_quantity: int | None
    damaged_quantity: int | None


class ReturnHistoryEntry(BaseModel):
    """One status change of the return, and who made it where."""

    at: datetime
    from_status: str | None
    to_status: str
    event: str
    reason: str
    actor: str
    channel: str
    location: str | None


class RefundOut(BaseModel):
    method: str
    amount_minor: int
    provider: str | None
    reference: str | None


class AuthorisationOut(BaseModel):
    """A postal return's authorisation: the token its label's QR code holds."""

    token: str
    expires_at: datetime
    label_svg: str
    label_png: str
    label_pdf: str


class ReturnOut(BaseModel):
    """A return as every channel reads it: lines, status, history, refund or exchange."""

    id: str
    order_id: str
    customer_ref: str | None
    purchase_channel: str
    return_channel: str
    location: str | None
    status: str
    next_statuses: list[str]
    currency: str
    value_minor: int
    review_reasons: list[ReviewReasonOut]
    satisfaction: int | None
    note: str
    refund: RefundOut | None
    exchange_order_id: str | None
    price_difference_minor: int | None
    authorisation: AuthorisationOut | None
    requested_by: str
    requested_at: datetime
    received_at: datetime | None
    inspected_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    lines: list[ReturnLineOut]
    history: list[ReturnHistoryEntry]


class ReturnSummary(BaseModel):
    """A return in a list (``GET /v1/returns``): a connector stores it by ``id`` and syncs
    from its ``updated_at``."""

    id: str
    order_id: str
    customer_ref: str | None
    purchase_channel: str
    return_channel: str
    location: str | None
    status: str
    currency: str
    value_minor: int
    review_reasons: list[ReviewReasonOut] = Field(
        default_factory=list, description="Why the rules sent it to review (codes, parameters)"
    )
    requested_at: datetime
    updated_at: datetime = Field(description="When the return last changed")


class ReturnQueue(BaseModel):
    """A page of head office's review queue, and how many returns the filters match."""

    items: list[ReturnSummary]
    total: int


class StoreCreditEntryOut(BaseModel):
    delta_minor: int
    balance_after_minor: int
    reason: str
    return_id: str | None
    actor: str
    at: datetime


class StoreCreditOut(BaseModel):
    """A customer's store credit in one currency, and its ledger (newest first)."""

    customer_ref: str
    currency: str
    balance_minor: int
    entries: list[StoreCreditEntryOut]
