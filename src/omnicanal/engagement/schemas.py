"""Input and output shapes of the engagement module's triggers, messages and stock watches."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, model_validator

from omnicanal.engagement.models import CHANNELS, MESSAGE_STATUSES, PURPOSES, TRIGGER_KINDS
from omnicanal.platform.bounds import MAX_AMOUNT_MINOR, RequestModel
from omnicanal.platform.paging import Page

__all__ = [
    "MAX_DELAY_MINUTES",
    "CouponIn",
    "DecisionOut",
    "DeliveryOut",
    "MessageDetailOut",
    "MessageOut",
    "MessagePage",
    "StockWatchIn",
    "StockWatchOut",
    "TriggerIn",
    "TriggerOut",
    "TriggerUpdateIn",
]

MAX_DELAY_MINUTES = 365 * 24 * 60
"""The longest a trigger may wait after its cause: a year."""
TRIGGER_CODE = r"^[A-Z0-9][A-Z0-9_]*$"
CURRENCY = r"^[A-Z]{3}$"

TriggerKind = Literal[
    "abandoned_cart",
    "pickup_ready",
    "reservation_expiring",
    "back_in_stock",
    "order_shipped",
    "order_delayed",
    "return_received",
    "return_refunded",
    "review_request",
    "win_back",
]
Purpose = Literal["transactional", "marketing", "personalised_offers"]
Channel = Literal["email", "sms", "push", "post"]
MessageStatus = Literal["scheduled", "retrying", "sent", "withheld", "withdrawn", "failed"]

# The literals say to the OpenAPI what the tables allow.
assert set(get_args(TriggerKind)) == set(TRIGGER_KINDS)
assert set(get_args(Channel)) == set(CHANNELS)
assert set(get_args(Purpose)) <= set(PURPOSES)
assert set(get_args(MessageStatus)) == set(MESSAGE_STATUSES)


class CouponIn(RequestModel):
    """A single-use personal coupon made when the message is sent: a percentage or an
    amount off, valid ``valid_days`` from then."""

    percent: int | None = Field(default=None, ge=1, le=100)
    amount_minor: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_MINOR)
    currency: str | None = Field(
        default=None,
        pattern=CURRENCY,
        description="An amount's currency; default: the cart's, else the platform's",
    )
    valid_days: int = Field(default=7, ge=1, le=365)

    @model_validator(mode="after")
    def _one_value(self) -> CouponIn:
        if (self.percent is None) == (self.amount_minor is None):
            raise ValueError("a coupon gives either percent or amount_minor")
        if self.currency is not None and self.amount_minor is None:
            raise ValueError("currency goes with amount_minor")
        return self

    def stored(self) -> dict[str, Any]:
        """The coupon as a trigger keeps it."""
        return self.model_dump(exclude_none=True)


class _TriggerSettings(RequestModel):
    channels: list[Channel] = Field(
        min_length=1, max_length=len(CHANNELS), description="In order of preference"
    )
    delay_minutes: int = Field(default=0, ge=0, le=MAX_DELAY_MINUTES)
    segment_code: str | None = Field(default=None, min_length=1, max_length=50)
    coupon: CouponIn | None = None
    settings: dict[str, int] = Field(
        default_factory=dict,
        max_length=5,
        description="By kind: hours_before (reservation_expiring), days (win_back)",
    )

    @model_validator(mode="after")
    def _distinct_channels(self) -> _TriggerSettings:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("a channel appears once in channels")
        return self


class TriggerIn(_TriggerSettings):
    """A new trigger: when a message is planned (its kind), why (its purpose), how long after
    its cause, on which channels, for which segment, with which coupon."""

    code: str = Field(min_length=2, max_length=50, pattern=TRIGGER_CODE)
    kind: TriggerKind
    name: str = Field(min_length=1, max_length=200)
    purpose: Purpose
    active: bool = True


class TriggerUpdateIn(RequestModel):
    """New settings of a trigger: the fields given replace the trigger's (a null
    ``segment_code`` or ``coupon`` removes it); its code, kind and purpose stay."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    active: bool | None = None
    channels: list[Channel] | None = Field(default=None, min_length=1, max_length=len(CHANNELS))
    delay_minutes: int | None = Field(default=None, ge=0, le=MAX_DELAY_MINUTES)
    segment_code: str | None = Field(default=None, min_length=1, max_length=50)
    coupon: CouponIn | None = None
    settings: dict[str, int] | None = Field(default=None, max_length=5)

    @model_validator(mode="after")
    def _distinct_channels(self) -> TriggerUpdateIn:
        if self.channels is not None and len(set(self.channels)) != len(self.channels):
            raise ValueError("a channel appears once in channels")
        for name in ("name", "active", "channels", "delay_minutes", "settings"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class TriggerOut(BaseModel):
    """A trigger and its settings."""

    code: str
    kind: str
    name: str
    purpose: str
    channels: list[str]
    delay_minutes: int
    segment_code: str | None
    coupon: dict[str, Any] | None
    settings: dict[str, Any]
    active: bool
    created_at: datetime
    updated_at: datetime


class MessageOut(BaseModel):
    """A message: what planned it, for whom, about what, where it stands and why."""

    id: str
    trigger: str
    kind: str
    purpose: str
    profile_id: str | None
    language: str
    about: str = Field(description="What it is about: carts/<id>, fulfilments/<id>...")
    status: str
    reason: str | None = Field(description="The code of the last decision's reason")
    due_at: datetime
    created_at: datetime
    decided_at: datetime | None
    sent_at: datetime | None
    channel: str | None
    recipient: str | None
    attempts: int
    coupon_code: str | None
    provider: str | None
    provider_message_id: str | None


class DecisionOut(BaseModel):
    """One decision of the message policy, and why."""

    stage: str
    outcome: str
    reason: str
    facts: dict[str, Any]
    decided_at: datetime


class DeliveryOut(BaseModel):
    """One attempt to hand the message to a provider, or what the provider said back."""

    channel: str
    provider: str
    recipient: str
    outcome: str
    detail: str | None
    provider_message_id: str | None
    attempted_at: datetime


class MessageDetailOut(MessageOut):
    """A message with its rendered content, every decision and its delivery log."""

    context: dict[str, Any]
    reason_facts: dict[str, Any] | None
    rendered_subject: str | None
    rendered_text: str | None
    rendered_html: str | None
    decisions: list[DecisionOut]
    deliveries: list[DeliveryOut]


class MessagePage(Page[MessageOut]):
    """Messages, newest first; ``next_cursor`` reads the next page (null: the last)."""


class StockWatchIn(RequestModel):
    """A customer waiting for a SKU at a store: their profile or a customer reference
    (``email:…``, ``user_id:…``, ``loyalty_card:…``, ``phone:…``)."""

    sku: str = Field(min_length=1, max_length=60)
    location: str = Field(min_length=1, max_length=50)
    profile_id: str | None = Field(default=None, min_length=1, max_length=26)
    customer_ref: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _names_someone(self) -> StockWatchIn:
        if self.profile_id is None and self.customer_ref is None:
            raise ValueError("give profile_id or customer_ref")
        return self


class StockWatchOut(BaseModel):
    """A customer waiting for a SKU at a store, and whether they were told."""

    id: str
    profile_id: str
    sku: str
    location: str
    channel: str
    active: bool
    created_at: datetime
    notified_at: datetime | None
