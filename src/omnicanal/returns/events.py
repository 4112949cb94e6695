"""The events of the returns module (``return.*``).

Every event of a return carries what a timeline, a message policy or a KPI needs without a
second look: the return and its order, the order's customer reference, the channel of
purchase, how and where the units come back, the lines with their reason codes, and the
customer's satisfaction score when they gave one. Amounts are integers in minor units of
``currency``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from omnicanal.platform.events import DomainEvent

__all__ = [
    "RETURN_STATUS_EVENTS",
    "ExchangeCompleted",
    "ReturnApproved",
    "ReturnCancelled",
    "ReturnClosed",
    "ReturnEvent",
    "ReturnInspected",
    "ReturnReceived",
    "ReturnRefunded",
    "ReturnRefused",
    "ReturnRequested",
    "ReturnReviewRequested",
    "ReturnedLine",
    "ReviewReasonOut",
]

_RETURN = "01JQ7Z00000000000000000RET"


class ReturnedLine(BaseModel):
    """Units of an order line coming back, why, and in which state."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_line_id: str
    sku: str
    quantity: int
    reason: str
    """too_small, too_large, not_as_described, defective, wrong_item, arrived_late,
    changed_mind or other."""
    condition: str
    """unworn, worn or damaged, as the customer or the clerk declared it."""


class ReviewReasonOut(BaseModel):
    """Why a return waits for a person: a code and its parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    params: dict[str, Any]


class ReturnEvent(DomainEvent):
    """What every ``return.*`` event carries."""

    return_id: str
    order_id: str
    customer_ref: str | None
    purchase_channel: str
    return_channel: str
    """store (a counter) or post."""
    return_location: str | None
    """Where the units came back (none yet for a parcel on its way)."""
    status: str
    lines: list[ReturnedLine]
    reason_codes: list[str]
    satisfaction: int | None = None
    """The customer's satisfaction score, 1 to 5, when they gave one."""

    @property
    def subject(self) -> str:
        return f"returns/{self.return_id}"


def _example(status: str, **more: Any) -> dict[str, Any]:
    return {
        "return_id": _RETURN,
        "order_id": "01JQ7Z0000000000000000ORDR",
        "customer_ref": "u-1042",
        "purchase_channel": "web",
        "return_channel": "store",
        "return_location": "LYON-01",
        "status": status,
        "lines": [
            {
                "order_line_id": "01JQ7Z0000000000000000LINE",
                "sku": "ROBE-LIN-38",
                "quantity": 1,
                "reason": "too_small",
                "condition": "unworn",
            }
        ],
        "reason_codes": ["too_small"],
        **more,
    }


class ReturnRequested(ReturnEvent):
    """A customer asked to return units of an order: brought to a counter (received at
    once) or authorised to come by post (with a label)."""

    type = "return.requested"
    example = _example(
        "received", satisfaction=4, method="counter", value_minor=7990, currency="EUR"
    )

    method: str
    """counter or post."""
    value_minor: int
    currency: str


class ReturnReviewRequested(ReturnEvent):
    """The return rules want a person to decide on a return (outside the window, worn,
    high value...)."""

    type = "return.review_requested"
    example = _example(
        "review_pending",
        reasons=[{"code": "outside_window", "params": {"days": 41, "window_days": 30}}],
    )

    reasons: list[ReviewReasonOut]


class ReturnApproved(ReturnEvent):
    """A person approved a return that waited for review."""

    type = "return.approved"
    example = _example("approved", note="fidèle cliente")

    note: str


class ReturnRefused(ReturnEvent):
    """A person refused a return that waited for review: the units may not come back."""

    type = "return.refused"
    example = _example("refused", note="porté, étiquette retirée")

    note: str


class ReturnReceived(ReturnEvent):
    """The units of a postal return arrived where they were sent."""

    type = "return.received"
    example = _example("received", return_channel="post", return_location="WH-CENTRE")


class ReturnInspected(ReturnEvent):
    """The returned units were inspected: the resellable ones are back in stock where they
    are, the damaged ones written off there."""

    type = "return.inspected"
    example = _example("inspected", restocked=1, written_off=0)

    restocked: int
    written_off: int


class ReturnRefunded(ReturnEvent):
    """The return was refunded: to the original payment or as store credit."""

    type = "return.refunded"
    example = _example(
        "refunded",
        method="original_payment",
        amount_minor=7990,
        currency="EUR",
        reference="psp_refund_88",
    )

    method: str
    """original_payment or store_credit."""
    amount_minor: int
    currency: str
    reference: str | None


class ExchangeCompleted(ReturnEvent):
    """Returned units were exchanged for another item in one operation: a new sale, the
    price difference paid or given back."""

    type = "return.exchanged"
    example = _example(
        "exchanged",
        new_order_id="01JQ7Z0000000000000000EXCH",
        price_difference_minor=0,
        currency="EUR",
        new_skus=["ROBE-LIN-40"],
    )

    new_order_id: str
    price_difference_minor: int
    """The new sale less the returned value: paid by the customer (> 0) or given back
    (< 0)."""
    currency: str
    new_skus: list[str]


class ReturnCancelled(ReturnEvent):
    """The return was cancelled before anything was inspected: the customer keeps the item."""

    type = "return.cancelled"
    example = _example("cancelled", note="la cliente garde la robe")

    note: str


class ReturnClosed(ReturnEvent):
    """An inspected return was closed without a refund or an exchange (the item goes back
    to the customer, or nothing is owed)."""

    type = "return.closed"
    example = _example("closed", note="endommagé par la cliente, renvoyé")

    note: str


RETURN_STATUS_EVENTS: dict[str, type[ReturnEvent]] = {
    "approved": ReturnApproved,
    "refused": ReturnRefused,
    "received": ReturnReceived,
    "inspected": ReturnInspected,
    "refunded": ReturnRefunded,
    "exchanged": ExchangeCompleted,
    "closed": ReturnClosed,
    "cancelled": ReturnCancelled,
}
"""The event of each move after the request, by the status it reaches."""
