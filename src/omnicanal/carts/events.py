"""The events a cart emits (``cart.*``), one per change, through the outbox.

Each names its cart (``cart_id``, also the subject ``carts/{cart_id}``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from omnicanal.platform.events import DomainEvent

__all__ = [
    "CartAssigned",
    "CartCheckedOut",
    "CartCouponAdded",
    "CartCouponRemoved",
    "CartCreated",
    "CartEvent",
    "CartItem",
    "CartLineAdded",
    "CartLineChanged",
    "CartLineRemoved",
    "CartMerged",
]

_CART = "01JQ7Z0000000000000000CART"


class CartItem(BaseModel):
    """Units of a SKU in a cart."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    quantity: int


class CartEvent(DomainEvent):
    """A change to one cart (the field every cart event carries)."""

    cart_id: str

    @property
    def subject(self) -> str:
        return f"carts/{self.cart_id}"


class CartCreated(CartEvent):
    """A visitor or a customer started a cart on a channel."""

    type = "cart.created"
    example = {
        "cart_id": _CART,
        "channel": "web",
        "anonymous_id": "cookie-5f2a",
        "customer_ref": None,
        "currency": "EUR",
        "lines": [{"sku": "ROBE-LIN-38", "quantity": 1}],
        "coupons": [],
    }

    channel: str
    anonymous_id: str | None
    customer_ref: str | None
    currency: str
    lines: list[CartItem]
    coupons: list[str]


class CartLineAdded(CartEvent):
    """Units of a SKU were put in the cart (``quantity``: the line's units now)."""

    type = "cart.line_added"
    example = {"cart_id": _CART, "sku": "ROBE-LIN-38", "added": 1, "quantity": 2}

    sku: str
    added: int
    quantity: int


class CartLineChanged(CartEvent):
    """A line's quantity was set to another number."""

    type = "cart.line_changed"
    example = {"cart_id": _CART, "sku": "ROBE-LIN-38", "before": 2, "quantity": 1}

    sku: str
    before: int
    quantity: int


class CartLineRemoved(CartEvent):
    """A SKU was taken out of the cart."""

    type = "cart.line_removed"
    example = {"cart_id": _CART, "sku": "ROBE-LIN-38", "quantity": 1}

    sku: str
    quantity: int


class CartCouponAdded(CartEvent):
    """A coupon code was added to the cart."""

    type = "cart.coupon_added"
    example = {"cart_id": _CART, "coupon": "PRINTEMPS15"}

    coupon: str


class CartCouponRemoved(CartEvent):
    """A coupon code was taken off the cart."""

    type = "cart.coupon_removed"
    example = {"cart_id": _CART, "coupon": "PRINTEMPS15"}

    coupon: str


class CartAssigned(CartEvent):
    """An anonymous cart became a known customer's (who had no open cart)."""

    type = "cart.assigned"
    example = {"cart_id": _CART, "anonymous_id": "cookie-5f2a", "customer_ref": "u-1042"}

    anonymous_id: str
    customer_ref: str


class CartMerged(CartEvent):
    """A visitor's anonymous cart joined the customer's open cart ``into``, with its lines
    and coupons."""

    type = "cart.merged"
    example = {
        "cart_id": _CART,
        "into": "01JQ7Z0000000000000000CRT2",
        "customer_ref": "u-1042",
        "anonymous_id": "cookie-5f2a",
        "lines": [{"sku": "ROBE-LIN-38", "quantity": 1}],
        "coupons": ["PRINTEMPS15"],
    }

    into: str
    customer_ref: str
    anonymous_id: str
    lines: list[CartItem]
    coupons: list[str]


class CartCheckedOut(CartEvent):
    """The cart became the order ``order_id``; it is closed."""

    type = "cart.checked_out"
    example = {"cart_id": _CART, "order_id": "01JQ7Z0000000000000000ORDR"}

    order_id: str
