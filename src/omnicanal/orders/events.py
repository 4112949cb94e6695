"""The events of the orders module (``order.*``).

An order's move to a status is ``order.<status>`` (:class:`OrderStatusChanged` and its six
declared kinds); payments, cancelled lines and re-sourced lines have their own events.
Amounts are integers in minor units of ``currency``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from omnicanal.platform.events import DomainEvent

__all__ = [
    "ORDER_STATUS_EVENTS",
    "OrderAllocated",
    "OrderCancelled",
    "OrderCompleted",
    "OrderFulfilled",
    "OrderLineCancelled",
    "OrderLineResourced",
    "OrderPartiallyFulfilled",
    "OrderPaymentUpdated",
    "OrderPlaced",
    "OrderStatusChanged",
    "OrderedLine",
    "Tender",
]

_ORDER = "01JQ7Z0000000000000000ORDR"


class OrderStatusChanged(DomainEvent):
    """An order moved to a status (the fields every ``order.<status>`` event carries)."""

    order_id: str
    channel: str
    customer_ref: str | None
    from_status: str | None
    status: str
    reason: str
    currency: str
    total_minor: int
    payment_status: str

    @property
    def subject(self) -> str:
        return f"orders/{self.order_id}"


def _status_example(status: str, from_status: str | None, **more: object) -> dict[str, object]:
    return {
        "order_id": _ORDER,
        "channel": "web",
        "customer_ref": "u-1042",
        "from_status": from_status,
        "status": status,
        "reason": "",
        "currency": "EUR",
        "total_minor": 7990,
        "payment_status": "captured",
        **more,
    }


class OrderedLine(BaseModel):
    """A line as ordered: units of a SKU, how they reach the customer, from which store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    quantity: int
    method: str
    """ship, pickup, reserve_and_try, carry_out or endless_aisle."""
    location: str | None
    """The store chosen by the customer (at-store methods); none for a home delivery."""


class Tender(BaseModel):
    """Part of an order's total paid otherwise than by its payment: a ``loyalty`` tender
    names the redemption holding the points."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    reference: str
    amount_minor: int


class OrderPlaced(OrderStatusChanged):
    """A customer placed an order: priced, its stock reserved, its fulfilments opened."""

    type = "order.placed"
    example = _status_example(
        "placed",
        None,
        cart_id="01JQ7Z0000000000000000CART",
        lines=[{"sku": "ROBE-LIN-38", "quantity": 1, "method": "pickup", "location": "LYON-01"}],
    )

    cart_id: str | None
    lines: list[OrderedLine]
    tenders: list[Tender] | None = None
    """What the checkout's tenders pay (loyalty points); given only when it had some."""


class OrderAllocated(OrderStatusChanged):
    """Every line of the order was given the location that fulfils it."""

    type = "order.allocated"
    example = _status_example(
        "allocated",
        "placed",
        sourcing=["LYON-01 holds the line the customer collects there"],
        shipments=0,
    )

    sourcing: list[str]
    """Why each line goes where it goes, in words."""
    shipments: int
    """How many locations send a home delivery."""


class OrderPartiallyFulfilled(OrderStatusChanged):
    """Part of the order left our hands (shipped or handed over), the rest is on its way."""

    type = "order.partially_fulfilled"
    example = _status_example("partially_fulfilled", "allocated")


class OrderFulfilled(OrderStatusChanged):
    """Everything the order still holds has left our hands (shipped or handed over)."""

    type = "order.fulfilled"
    example = _status_example("fulfilled", "partially_fulfilled")


class OrderCompleted(OrderStatusChanged):
    """Every fulfilment of the order reached its end, with at least one sale."""

    type = "order.completed"
    example = _status_example("completed", "fulfilled")


class OrderCancelled(OrderStatusChanged):
    """The order was cancelled (or nothing of it sold); its reservations were released."""

    type = "order.cancelled"
    example = _status_example(
        "cancelled", "allocated", reason="customer changed their mind", refund_due=True
    )

    refund_due: bool | None = None
    """Whether a captured payment is to be refunded; given when the order itself was
    cancelled, absent when its fulfilments' ends cancelled it."""


ORDER_STATUS_EVENTS: dict[str, type[OrderStatusChanged]] = {
    event.type.removeprefix("order."): event
    for event in (
        OrderPlaced,
        OrderAllocated,
        OrderPartiallyFulfilled,
        OrderFulfilled,
        OrderCompleted,
        OrderCancelled,
    )
}
"""The event of each order status, by status."""


class OrderPaymentUpdated(DomainEvent):
    """The order's payment changed status (authorised, captured, refunded...)."""

    type = "order.payment_updated"
    example = {
        "order_id": _ORDER,
        "from_status": "authorised",
        "status": "captured",
        "provider": "adyen",
        "reference": "PSP-88412",
    }

    order_id: str
    from_status: str
    status: str
    provider: str
    reference: str

    @property
    def subject(self) -> str:
        return f"orders/{self.order_id}"


class OrderLineCancelled(DomainEvent):
    """Units of an order line were cancelled (none could be fulfilled); their share of the
    total is to be refunded."""

    type = "order.line_cancelled"
    example = {
        "order_id": _ORDER,
        "order_line_id": "01JQ7Z0000000000000000LINE",
        "sku": "ROBE-LIN-38",
        "quantity": 1,
        "reason": "LYON-01 rejected it (damaged) and no other location can fulfil it",
        "refund_minor": 7990,
        "currency": "EUR",
    }

    order_id: str
    order_line_id: str
    sku: str
    quantity: int
    reason: str
    refund_minor: int
    currency: str

    @property
    def subject(self) -> str:
        return f"orders/{self.order_id}"


class OrderLineResourced(DomainEvent):
    """A location rejected units of an order line and another location took them over."""

    type = "order.line_resourced"
    example = {
        "order_id": _ORDER,
        "order_line_id": "01JQ7Z0000000000000000LINE",
        "sku": "ROBE-LIN-38",
        "quantity": 1,
        "rejected_by": "LYON-01",
        "reason": "damaged",
        "explanation": ["ENTREPOT-SARAN sends the line LYON-01 rejected"],
    }

    order_id: str
    order_line_id: str
    sku: str
    quantity: int
    rejected_by: str
    reason: str
    explanation: list[str]

    @property
    def subject(self) -> str:
        return f"orders/{self.order_id}"
