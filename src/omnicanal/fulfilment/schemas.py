"""Input and output shapes of the fulfilment module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from omnicanal.fulfilment.handover import IdentityDocument
from omnicanal.fulfilment.states import Action
from omnicanal.platform.address import Address
from omnicanal.platform.bounds import RequestModel


class PaymentStatus(StrEnum):
    pending = "pending"
    authorised = "authorised"
    captured = "captured"
    partially_refunded = "partially_refunded"
    refunded = "refunded"
    failed = "failed"
    voided = "voided"


class InStorePaymentIn(RequestModel):
    """The payment a store takes when the customer buys a held item."""

    model_config = ConfigDict(extra="forbid")

    provider: str = Field(min_length=1, max_length=50, examples=["adyen-pos"])
    reference: str = Field(min_length=1, max_length=200)
    status: Literal["authorised", "captured"] = "captured"


PICKUP_CODE_HELP = (
    "collect: the pickup code the customer shows (case and spaces ignored); a wrong code is "
    "refused with 422 pickup_code_mismatch"
)
IDENTITY_HELP = (
    "collect: the identity document the clerk checked, for a customer without the code; "
    "collect needs this or pickup_code (422 handover_proof_required)"
)


class TransitionIn(RequestModel):
    """An action on a fulfilment, with what the action carries."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    reason: str = Field(default="", max_length=300)
    carrier: str | None = Field(default=None, max_length=100, description="ship")
    tracking_reference: str | None = Field(default=None, max_length=200, description="ship")
    payment: InStorePaymentIn | None = Field(default=None, description="buy: paid in store")
    pickup_code: str | None = Field(default=None, max_length=20, description=PICKUP_CODE_HELP)
    identity_checked: IdentityDocument | None = Field(default=None, description=IDENTITY_HELP)


class ActionIn(RequestModel):
    """The body of an explicit verb (all optional)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=300)
    carrier: str | None = Field(default=None, max_length=100)
    tracking_reference: str | None = Field(default=None, max_length=200)
    payment: InStorePaymentIn | None = None
    pickup_code: str | None = Field(default=None, max_length=20, description=PICKUP_CODE_HELP)
    identity_checked: IdentityDocument | None = Field(default=None, description=IDENTITY_HELP)


class RejectLineIn(RequestModel):
    """A store cannot fulfil a line: damaged, not found..."""

    model_config = ConfigDict(extra="forbid")

    line_id: str = Field(min_length=1, max_length=26, description="The fulfilment line's id")
    reason: str = Field(min_length=3, max_length=300, examples=["damaged", "not found"])


class FulfilmentLineOut(BaseModel):
    id: str
    order_line_id: str
    sku: str
    quantity: int
    status: str = Field(description="open, fulfilled, released or rejected")
    reservation_id: str | None
    reason: str


class FulfilmentOut(BaseModel):
    """A fulfilment with its lines, timestamps and what may happen next."""

    id: str
    order_id: str
    order_status: str
    method: str
    status: str
    location: str
    stock_channel: str
    distance_km: float | None
    delivery_address: Address | None = Field(
        description="Home delivery methods: where it goes (the order's delivery address)"
    )
    due_at: datetime | None
    carrier: str | None
    tracking_reference: str | None
    ready_at: datetime | None
    checked_in_at: datetime | None
    handed_over_at: datetime | None
    pickup_wait_seconds: float | None = Field(description="Handover minus check-in")
    shipped_at: datetime | None
    delivered_at: datetime | None
    replaces: str | None
    pickup_code: str | None = Field(
        description="pickup and reserve_and_try: the short code the customer shows at the store"
    )
    allowed_actions: list[str]
    lines: list[FulfilmentLineOut]
    created_at: datetime
    updated_at: datetime


class StorePickupWaits(BaseModel):
    """How long customers waited at one store between check-in and handover."""

    location: str
    collected: int = Field(description="Pickups handed over in the period")
    measured: int = Field(description="Of those, how many checked in first (wait known)")
    p50_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None
    max_seconds: float | None


class PickupWaitsOut(BaseModel):
    since: datetime | None
    until: datetime | None
    overall: StorePickupWaits
    stores: list[StorePickupWaits]
