"""The events of the fulfilment module (``fulfilment.*``).

A fulfilment's move to a status is ``fulfilment.<status>`` (:class:`FulfilmentStatusChanged`
and one declared kind per status); a line its location cannot fulfil is
``fulfilment.line_rejected``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from omnicanal.platform.events import DomainEvent

__all__ = [
    "FULFILMENT_STATUS_EVENTS",
    "FulfilmentAllocated",
    "FulfilmentBought",
    "FulfilmentCancelled",
    "FulfilmentCheckedIn",
    "FulfilmentCollected",
    "FulfilmentCompleted",
    "FulfilmentDelivered",
    "FulfilmentExpired",
    "FulfilmentHeld",
    "FulfilmentItem",
    "FulfilmentLineRejected",
    "FulfilmentPacked",
    "FulfilmentPickingStarted",
    "FulfilmentReadyForPickup",
    "FulfilmentRejected",
    "FulfilmentReleased",
    "FulfilmentShipped",
    "FulfilmentStatusChanged",
    "FulfilmentTriedOn",
]

_FULFILMENT = "01JQ7Z0000000000000000FLFL"
_ORDER = "01JQ7Z0000000000000000ORDR"


class FulfilmentItem(BaseModel):
    """Units of a SKU in a fulfilment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    quantity: int


class FulfilmentStatusChanged(DomainEvent):
    """A fulfilment moved to a status (the fields every ``fulfilment.<status>`` event
    carries)."""

    fulfilment_id: str
    order_id: str
    method: str
    """ship, pickup, reserve_and_try, carry_out or endless_aisle."""
    location: str
    """The location that fulfils it."""
    from_status: str | None
    """None when the fulfilment was just opened."""
    status: str
    action: str
    """What was done: create, pick, pack, ship, ready, collect, cancel..."""
    reason: str
    lines: list[FulfilmentItem]
    replaces: str | None = None
    """Given when the fulfilment was opened to take over the lines another location
    rejected: that fulfilment's id."""

    @property
    def subject(self) -> str:
        return f"fulfilments/{self.fulfilment_id}"


def _example(
    method: str, from_status: str | None, status: str, action: str, **more: object
) -> dict[str, object]:
    return {
        "fulfilment_id": _FULFILMENT,
        "order_id": _ORDER,
        "method": method,
        "location": "ENTREPOT-SARAN" if method in ("ship", "endless_aisle") else "LYON-01",
        "from_status": from_status,
        "status": status,
        "action": action,
        "reason": "",
        "lines": [{"sku": "ROBE-LIN-38", "quantity": 1}],
        **more,
    }


class FulfilmentAllocated(FulfilmentStatusChanged):
    """A fulfilment was opened at the location chosen to send or hand over its lines."""

    type = "fulfilment.allocated"
    example = _example("pickup", None, "allocated", "create")


class FulfilmentPickingStarted(FulfilmentStatusChanged):
    """The location started picking the fulfilment's units off its shelves."""

    type = "fulfilment.picking"
    example = _example("ship", "allocated", "picking", "pick")


class FulfilmentPacked(FulfilmentStatusChanged):
    """The parcel of a home delivery was packed."""

    type = "fulfilment.packed"
    example = _example("ship", "picking", "packed", "pack")


class FulfilmentShipped(FulfilmentStatusChanged):
    """The parcel left with a carrier."""

    type = "fulfilment.shipped"
    example = _example(
        "ship", "packed", "shipped", "ship", carrier="colissimo", tracking_reference="6A1234"
    )

    carrier: str | None
    tracking_reference: str | None


class FulfilmentDelivered(FulfilmentStatusChanged):
    """The carrier delivered the parcel to the customer."""

    type = "fulfilment.delivered"
    example = _example("ship", "shipped", "delivered", "deliver")


class FulfilmentReadyForPickup(FulfilmentStatusChanged):
    """A click & collect order waits for its customer at the store."""

    type = "fulfilment.ready_for_pickup"
    example = _example(
        "pickup", "picking", "ready_for_pickup", "ready", collect_by="2025-03-08T19:00:00+00:00"
    )

    collect_by: str | None = None
    """Given when the store set a deadline: ISO 8601, after which the order expires."""


class FulfilmentCheckedIn(FulfilmentStatusChanged):
    """The customer arrived at the store to collect (the pickup wait starts)."""

    type = "fulfilment.checked_in"
    example = _example("pickup", "ready_for_pickup", "checked_in", "check_in")


class FulfilmentCollected(FulfilmentStatusChanged):
    """The customer collected their click & collect order."""

    type = "fulfilment.collected"
    example = _example("pickup", "checked_in", "collected", "collect", pickup_wait_seconds=184.0)

    pickup_wait_seconds: float | None = None
    """Given when the customer had checked in: how long they waited."""


class FulfilmentHeld(FulfilmentStatusChanged):
    """Units were set aside at a store for the customer to try on (reserve and try)."""

    type = "fulfilment.held"
    example = _example("reserve_and_try", None, "held", "create")


class FulfilmentTriedOn(FulfilmentStatusChanged):
    """The customer tried the held units on at the store."""

    type = "fulfilment.tried"
    example = _example("reserve_and_try", "held", "tried", "try_on")


class FulfilmentBought(FulfilmentStatusChanged):
    """The customer bought the units they tried on."""

    type = "fulfilment.bought"
    example = _example("reserve_and_try", "tried", "bought", "buy")


class FulfilmentReleased(FulfilmentStatusChanged):
    """The customer did not take the held units: they went back on sale."""

    type = "fulfilment.released"
    example = _example("reserve_and_try", "tried", "released", "release")


class FulfilmentExpired(FulfilmentStatusChanged):
    """A hold or an uncollected pickup ran out of time: its units went back on sale."""

    type = "fulfilment.expired"
    example = _example("pickup", "ready_for_pickup", "expired", "expire", reason="not collected")


class FulfilmentCompleted(FulfilmentStatusChanged):
    """A till sale: the customer left with the units at once."""

    type = "fulfilment.completed"
    example = _example("carry_out", None, "completed", "create")


class FulfilmentCancelled(FulfilmentStatusChanged):
    """The fulfilment was cancelled before its units left; they went back on sale."""

    type = "fulfilment.cancelled"
    example = _example("ship", "allocated", "cancelled", "cancel", reason="order cancelled")


class FulfilmentRejected(FulfilmentStatusChanged):
    """The location could fulfil none of the fulfilment's lines (each was re-sourced or
    cancelled)."""

    type = "fulfilment.rejected"
    example = _example("pickup", "allocated", "rejected", "reject", reason="damaged")


FULFILMENT_STATUS_EVENTS: dict[str, type[FulfilmentStatusChanged]] = {
    event.type.removeprefix("fulfilment."): event
    for event in (
        FulfilmentAllocated,
        FulfilmentPickingStarted,
        FulfilmentPacked,
        FulfilmentShipped,
        FulfilmentDelivered,
        FulfilmentReadyForPickup,
        FulfilmentCheckedIn,
        FulfilmentCollected,
        FulfilmentHeld,
        FulfilmentTriedOn,
        FulfilmentBought,
        FulfilmentReleased,
        FulfilmentExpired,
        FulfilmentCompleted,
        FulfilmentCancelled,
        FulfilmentRejected,
    )
}
"""The event of each fulfilment status, by status."""


class FulfilmentLineRejected(DomainEvent):
    """A location could not fulfil a line (damaged, not found): its reservation was released
    and the order re-sources or cancels its units."""

    type = "fulfilment.line_rejected"
    example = {
        "fulfilment_id": _FULFILMENT,
        "order_id": _ORDER,
        "location": "LYON-01",
        "line_id": "01JQ7Z0000000000000000FLIN",
        "order_line_id": "01JQ7Z0000000000000000LINE",
        "sku": "ROBE-LIN-38",
        "quantity": 1,
        "reason": "damaged",
    }

    fulfilment_id: str
    order_id: str
    location: str
    line_id: str
    order_line_id: str
    sku: str
    quantity: int
    reason: str

    @property
    def subject(self) -> str:
        return f"fulfilments/{self.fulfilment_id}"
