"""Input and output shapes of the inventory module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omnicanal.platform.bounds import Count, Quantity, RequestModel, SignedQuantity


class MovementKind(StrEnum):
    receipt = "receipt"
    sale = "sale"
    adjustment = "adjustment"
    transfer = "transfer"
    return_restock = "return_restock"
    cycle_count = "cycle_count"


class LedgerKind(StrEnum):
    """The kinds of line the ledger holds (a transfer writes one out and one in)."""

    receipt = "receipt"
    sale = "sale"
    adjustment = "adjustment"
    transfer_out = "transfer_out"
    transfer_in = "transfer_in"
    return_restock = "return_restock"
    cycle_count = "cycle_count"


class ReservationStatus(StrEnum):
    active = "active"
    confirmed = "confirmed"
    released = "released"
    expired = "expired"


SIGN = {
    MovementKind.receipt: 1,
    MovementKind.sale: -1,
    MovementKind.return_restock: 1,
}


class MovementIn(RequestModel):
    """A stock movement. ``quantity`` is positive, except a signed ``adjustment``
    and a ``cycle_count``, where it is the counted on-hand quantity (0 or more)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sku": "ROBE-LIN-M",
                    "location": "LYON-01",
                    "kind": "receipt",
                    "quantity": 12,
                    "reason": "Delivery from the warehouse",
                    "reference": "ASN-2026-0412",
                }
            ]
        },
    )

    sku: str = Field(min_length=1, max_length=60)
    location: str = Field(min_length=1, max_length=50, description="Location code")
    kind: MovementKind
    quantity: SignedQuantity
    to_location: str | None = Field(
        default=None, max_length=50, description="Destination of a transfer"
    )
    reason: str = Field(default="", max_length=300)
    reference: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _quantity_fits_kind(self) -> MovementIn:
        if self.kind is MovementKind.adjustment:
            if self.quantity == 0:
                raise ValueError("an adjustment moves a non-zero quantity")
        elif self.kind is MovementKind.cycle_count:
            if self.quantity < 0:
                raise ValueError("a counted quantity is zero or more")
        elif self.quantity <= 0:
            raise ValueError(f"a {self.kind.value} moves a positive quantity")
        if self.kind is MovementKind.transfer:
            if not self.to_location:
                raise ValueError("a transfer needs to_location")
            if self.to_location == self.location:
                raise ValueError("a transfer goes to another location")
        elif self.to_location is not None:
            raise ValueError("only a transfer has to_location")
        if self.kind is MovementKind.adjustment and not self.reason:
            raise ValueError("an adjustment needs a reason")
        return self


class MovementOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "01JTA7Q2K8F3M5N6P7R8S9T0VW",
                    "sku": "ROBE-LIN-M",
                    "location": "LYON-01",
                    "kind": "receipt",
                    "quantity": 12,
                    "on_hand_after": 12,
                    "reason": "Delivery from the warehouse",
                    "reference": "ASN-2026-0412",
                    "actor": "key:01JT9Z3B6C7D8E9F0G1H2J3K4M",
                    "channel": "web",
                    "occurred_at": "2026-05-04T09:12:03Z",
                    "updated_at": "2026-05-04T09:12:03Z",
                }
            ]
        },
    )

    id: str
    sku: str
    location: str
    kind: str
    quantity: int
    on_hand_after: int
    reason: str
    reference: str | None
    actor: str
    channel: str
    occurred_at: datetime
    updated_at: datetime = Field(
        description="When it was recorded, the same as occurred_at (a ledger line never "
        "changes): what updated_since reads"
    )


class StockLevelOut(BaseModel):
    """What one location holds of one SKU, as the stock levels list syncs it."""

    sku: str
    location: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int = Field(description="on_hand - reserved - safety_stock, never below 0")
    low_stock_threshold: int
    updated_at: datetime = Field(description="When one of these numbers last changed")


class StockSettingsIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    safety_stock: Count | None = None
    low_stock_threshold: Count | None = None


class LocationStock(BaseModel):
    """One SKU at one location."""

    location: str
    location_name: str
    kind: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    low_stock_threshold: int
    status: str = Field(description="in_stock, low_stock or out_of_stock")


class SkuStock(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    locations: list[LocationStock]


class ReservationIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sku": "ROBE-LIN-M",
                    "quantity": 1,
                    "location": "LYON-01",
                    "channel": "web",
                    "ttl_seconds": 900,
                    "reference": "cart-7f3a",
                }
            ]
        },
    )

    sku: str = Field(min_length=1, max_length=60)
    quantity: Quantity
    location: str | None = Field(
        default=None,
        max_length=50,
        description="Location code; omitted: any location serving the channel",
    )
    channel: str | None = Field(
        default=None, max_length=50, description="Default: the key's channel"
    )
    ttl_seconds: int | None = Field(default=None, gt=0, le=60 * 60 * 24 * 30)
    reference: str | None = Field(default=None, max_length=100)


class ReservationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01JTA7Q3D4E5F6G7H8J9K0M1N2",
                    "sku": "ROBE-LIN-M",
                    "location": "LYON-01",
                    "channel": "web",
                    "quantity": 1,
                    "status": "active",
                    "reference": "cart-7f3a",
                    "expires_at": "2026-05-04T09:27:03Z",
                    "created_at": "2026-05-04T09:12:03Z",
                    "ended_at": None,
                    "actor": "key:01JT9Z3B6C7D8E9F0G1H2J3K4M",
                    "updated_at": "2026-05-04T09:12:03Z",
                }
            ]
        }
    )

    id: str
    sku: str
    location: str
    channel: str
    quantity: int
    status: str
    reference: str | None
    expires_at: datetime
    created_at: datetime
    ended_at: datetime | None
    actor: str
    updated_at: datetime = Field(
        description="When it was made, confirmed, released or expired (the lapse of an "
        "unswept reservation moves it when the sweeper records it)"
    )


class Near(RequestModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    limit: int = Field(default=5, ge=1, le=1000)


class AvailabilityQuery(RequestModel):
    """Bulk availability: SKUs x locations (all, those of a channel, given ones, or the N
    nearest to a point)."""

    model_config = ConfigDict(extra="forbid")

    skus: list[str] = Field(min_length=1, max_length=500)
    channel: str | None = Field(default=None, max_length=50)
    locations: list[str] | None = Field(default=None, max_length=1000)
    near: Near | None = None


class LocationAvailability(BaseModel):
    location: str
    available: int
    distance_km: float | None = None


class SkuAvailability(BaseModel):
    sku: str
    available: int = Field(description="Sum over the locations considered")
    locations: list[LocationAvailability]


class AvailabilityOut(BaseModel):
    channel: str | None
    locations: list[str]
    items: list[SkuAvailability]


class LocationAlerts(BaseModel):
    """How many SKUs a location holds, and how many of them are low or out of stock."""

    location: str
    location_name: str
    city: str
    kind: str
    skus: int
    low_stock: int
    out_of_stock: int


class StockAlert(BaseModel):
    """One SKU at one location that is low or out of stock."""

    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    low_stock_threshold: int
    status: str = Field(description="low_stock or out_of_stock")
