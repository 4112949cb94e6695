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


SIGN = {
    MovementKind.receipt: 1,
    MovementKind.sale: -1,
    MovementKind.return_restock: 1,
}


class MovementIn(RequestModel):
    """A stock movement. ``quantity`` is positive, except a signed ``adjustment``
    and a ``cycle_count``, where it is the counted on-hand quantity (0 or more)."""

    model_config = ConfigDict(extra="forbid")

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
    model_config = ConfigDict(from_attributes=True)

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
    model_config = ConfigDict(extra="forbid")

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
