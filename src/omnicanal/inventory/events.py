"""The events of the inventory module (``inventory.*``): stock moves, thresholds crossed,
reservations, counts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from omnicanal.platform.events import DomainEvent

__all__ = [
    "CountShortfall",
    "ReservationChanged",
    "ReservationConfirmed",
    "ReservationLapsed",
    "ReservationReleased",
    "ReservationShortfallFound",
    "StockCameBack",
    "StockCounted",
    "StockMoved",
    "StockRanLow",
    "StockRanOut",
    "StockReserved",
    "StockSettingsChanged",
    "StockThresholdCrossed",
]


class StockMoved(DomainEvent):
    """Units of a SKU came into or left a location's on-hand stock (a ledger line)."""

    type = "inventory.stock_moved"
    example = {
        "sku": "ROBE-LIN-38",
        "location": "LYON-01",
        "kind": "receipt",
        "quantity": 12,
        "on_hand": 14,
        "reserved": 1,
        "reason": "delivery 4471",
        "reference": "ASN-4471",
    }

    sku: str
    location: str
    kind: str
    """receipt, sale, adjustment, transfer_out, transfer_in, return_restock or cycle_count."""
    quantity: int
    """Signed: negative when units left."""
    on_hand: int
    reserved: int
    reason: str
    reference: str | None

    @property
    def subject(self) -> str:
        return f"stock/{self.sku}/{self.location}"


class ReservationShortfallFound(DomainEvent):
    """A location now holds fewer units of a SKU than are reserved there."""

    type = "inventory.reservation_shortfall"
    example = {"sku": "ROBE-LIN-38", "location": "LYON-01", "on_hand": 1, "reserved": 2}

    sku: str
    location: str
    on_hand: int
    reserved: int

    @property
    def subject(self) -> str:
        return f"stock/{self.sku}/{self.location}"


class StockSettingsChanged(DomainEvent):
    """The safety stock or the low-stock threshold of a SKU at a location was set (only the
    settings given are in the event)."""

    type = "inventory.settings_changed"
    example = {"sku": "ROBE-LIN-38", "location": "LYON-01", "safety_stock": 2}

    sku: str
    location: str
    safety_stock: int | None = None
    low_stock_threshold: int | None = None

    @property
    def subject(self) -> str:
        return f"stock/{self.sku}/{self.location}"


class StockThresholdCrossed(DomainEvent):
    """A SKU's availability at a location crossed a line (the fields of the three threshold
    events)."""

    sku: str
    location: str
    available: int
    on_hand: int
    reserved: int
    threshold: int
    previous_status: str
    """in_stock, low_stock or out_of_stock."""

    @property
    def subject(self) -> str:
        return f"stock/{self.sku}/{self.location}"


class StockRanOut(StockThresholdCrossed):
    """Nothing of a SKU is available at a location any more."""

    type = "inventory.out_of_stock"
    example = {
        "sku": "ROBE-LIN-38",
        "location": "LYON-01",
        "available": 0,
        "on_hand": 2,
        "reserved": 2,
        "threshold": 3,
        "previous_status": "low_stock",
    }


class StockRanLow(StockThresholdCrossed):
    """A SKU's availability at a location fell to its low-stock threshold or under it."""

    type = "inventory.low_stock"
    example = {
        "sku": "ROBE-LIN-38",
        "location": "LYON-01",
        "available": 2,
        "on_hand": 2,
        "reserved": 0,
        "threshold": 3,
        "previous_status": "in_stock",
    }


class StockCameBack(StockThresholdCrossed):
    """A SKU is available again above its low-stock threshold at a location."""

    type = "inventory.back_in_stock"
    example = {
        "sku": "ROBE-LIN-38",
        "location": "LYON-01",
        "available": 12,
        "on_hand": 12,
        "reserved": 0,
        "threshold": 3,
        "previous_status": "out_of_stock",
    }


class ReservationChanged(DomainEvent):
    """A reservation as it now stands (the fields of every reservation event)."""

    id: str
    sku: str
    location: str
    channel: str
    quantity: int
    status: str
    """active, confirmed, released or expired."""
    reference: str | None
    """What the units are held for: an order id, a cart id, a caller's own reference."""
    expires_at: datetime
    created_at: datetime
    ended_at: datetime | None
    actor: str

    @property
    def subject(self) -> str:
        return f"reservations/{self.id}"


_RESERVATION_EXAMPLE = {
    "id": "01JQ7Z0000000000000000RSVN",
    "sku": "ROBE-LIN-38",
    "location": "LYON-01",
    "channel": "web",
    "quantity": 1,
    "status": "active",
    "reference": "01JQ7Z0000000000000000ORDR",
    "expires_at": "2025-03-01T08:15:00Z",
    "created_at": "2025-03-01T08:00:00Z",
    "ended_at": None,
    "actor": "key:01JQ7Z0000000000000000WKEY",
}


class StockReserved(ReservationChanged):
    """Units of a SKU were held at a location for a while, out of what others may buy."""

    type = "inventory.reserved"
    example = _RESERVATION_EXAMPLE


class ReservationConfirmed(ReservationChanged):
    """Reserved units left with their order (sold): the hold ended and the stock went."""

    type = "inventory.reservation_confirmed"
    example = {
        **_RESERVATION_EXAMPLE,
        "status": "confirmed",
        "ended_at": "2025-03-01T10:00:00Z",
    }


class ReservationReleased(ReservationChanged):
    """Reserved units were given back to availability before the hold expired."""

    type = "inventory.reservation_released"
    example = {
        **_RESERVATION_EXAMPLE,
        "status": "released",
        "ended_at": "2025-03-01T08:05:00Z",
    }


class ReservationLapsed(ReservationChanged):
    """A hold ran past its time: its units went back to availability."""

    type = "inventory.reservation_expired"
    example = {
        **_RESERVATION_EXAMPLE,
        "status": "expired",
        "ended_at": "2025-03-01T08:15:00Z",
    }


class CountShortfall(BaseModel):
    """A counted SKU at a location holding fewer units than are reserved there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    location: str
    on_hand: int
    reserved: int


class StockCounted(DomainEvent):
    """A stock count (an inventory, an import of counted quantities) set the on-hand
    quantities it lists."""

    type = "inventory.stock_counted"
    example = {
        "count_id": "01JQ7Z0000000000000000CNTX",
        "reason": "annual inventory",
        "lines": 3,
        "unchanged": 1,
        "applied": 2,
        "levels_created": 0,
        "units_added": 3,
        "units_removed": 1,
        "safety_stock_set": 0,
        "shortfall_count": 1,
        "locations": ["LYON-01", "PARIS-01"],
        "shortfalls": [{"sku": "ROBE-LIN-38", "location": "LYON-01", "on_hand": 0, "reserved": 1}],
    }

    count_id: str
    reason: str
    lines: int
    """Count lines given."""
    unchanged: int
    applied: int
    """Lines that moved stock (a ledger line each)."""
    levels_created: int
    units_added: int
    units_removed: int
    safety_stock_set: int
    shortfall_count: int
    locations: list[str]
    shortfalls: list[CountShortfall]
    """The first shortfalls found (at most 100; ``shortfall_count`` counts them all)."""

    @property
    def subject(self) -> str:
        return f"stock_counts/{self.count_id}"
