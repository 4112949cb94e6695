"""The events of the pricing module (``pricing.*``): list prices, promotions, coupons,
channel overrides.

Percentages are decimals written as strings (``"15"``, ``"12.5"``), amounts integers in
minor units.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from omnicanal.platform.events import DomainEvent

__all__ = [
    "CouponRedeemed",
    "ListPriceChanged",
    "PriceOverrideChanged",
    "PriceOverrideEnded",
    "PriceOverrideSet",
    "PromotionCreated",
    "PurchaseCostChanged",
]


class PromotionCreated(DomainEvent):
    """A promotion (or a coupon, when it requires its code) was created."""

    type = "pricing.promotion_created"
    example = {
        "id": "01JQ7Z0000000000000000PROM",
        "code": "PRINTEMPS15",
        "name": "Printemps -15 %",
        "kind": "percent_off",
        "target": "categories",
        "skus": [],
        "categories": ["Robes"],
        "percent": "15",
        "amount_minor": None,
        "buy_quantity": None,
        "get_quantity": None,
        "get_percent": "100",
        "bundle_skus": [],
        "currency": None,
        "requires_coupon": True,
        "usage_limit": 1000,
        "times_used": 0,
        "customer_conditions": {"tier": ["gold"]},
        "channels": ["web", "app"],
        "starts_at": "2025-03-20T00:00:00Z",
        "ends_at": "2025-04-20T00:00:00Z",
        "priority": 0,
        "stackable": False,
        "exclusive": False,
        "min_subtotal_minor": 0,
        "created_at": "2025-03-01T08:00:00Z",
        "created_by": "staff:marion",
        "personal": False,
    }

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
    created_at: datetime
    created_by: str
    personal: bool = False
    """A coupon only one customer may use (a loyalty reward); who it is stays out of the
    event."""

    @property
    def subject(self) -> str:
        return f"promotions/{self.code}"


class CouponRedeemed(DomainEvent):
    """A coupon was used up by an order (``times_used`` counts this use)."""

    type = "pricing.coupon_redeemed"
    example = {
        "coupon": "PRINTEMPS15",
        "customer_ref": "email:ines@example.fr",
        "order_id": "01JQ7Z0000000000000000ORDR",
        "times_used": 12,
        "usage_limit": 1000,
    }

    coupon: str
    customer_ref: str | None
    order_id: str
    times_used: int
    usage_limit: int | None

    @property
    def subject(self) -> str:
        return f"promotions/{self.coupon}"


class PriceOverrideChanged(DomainEvent):
    """A channel's price override of a SKU, as it now stands (the fields both override
    events carry)."""

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

    @property
    def subject(self) -> str:
        return f"skus/{self.sku}"


_OVERRIDE_EXAMPLE = {
    "id": "01JQ7Z0000000000000000OVRD",
    "sku": "ROBE-LIN-38",
    "channel": "zalando",
    "currency": "EUR",
    "price_minor": 7490,
    "list_price_minor": 7990,
    "valid_from": "2025-03-01T08:00:00Z",
    "valid_until": None,
    "reason": "marketplace price match",
    "created_by": "staff:marion",
    "created_at": "2025-03-01T08:00:00Z",
    "ended_at": None,
    "ended_by": None,
    "end_reason": None,
}


class PriceOverrideSet(PriceOverrideChanged):
    """A channel was given its own price for a SKU, from a date, with a reason."""

    type = "pricing.override_set"
    example = _OVERRIDE_EXAMPLE


class PriceOverrideEnded(PriceOverrideChanged):
    """A channel's own price for a SKU was ended: the list price applies again from
    ``ended_at``."""

    type = "pricing.override_ended"
    example = {
        **_OVERRIDE_EXAMPLE,
        "valid_until": "2025-04-01T08:00:00Z",
        "ended_at": "2025-04-01T08:00:00Z",
        "ended_by": "staff:marion",
        "end_reason": "price match over",
    }


class ListPriceChanged(DomainEvent):
    """A SKU's list price in a currency's price book was set or changed (a prices or
    products import); ``previous_minor`` is null for its first price."""

    type = "pricing.list_price_changed"
    example = {
        "sku": "ROBE-LIN-38",
        "currency": "EUR",
        "price_minor": 7490,
        "previous_minor": 7990,
    }

    sku: str
    currency: str
    price_minor: int
    previous_minor: int | None

    @property
    def subject(self) -> str:
        return f"skus/{self.sku}"


class PurchaseCostChanged(DomainEvent):
    """What one unit of a SKU costs the retailer (its purchase cost) was set or changed;
    ``previous_minor`` is null for its first cost."""

    type = "pricing.purchase_cost_changed"
    example = {
        "sku": "ROBE-LIN-38",
        "currency": "EUR",
        "cost_minor": 3120,
        "previous_minor": None,
    }

    sku: str
    currency: str
    cost_minor: int
    previous_minor: int | None

    @property
    def subject(self) -> str:
        return f"skus/{self.sku}"
