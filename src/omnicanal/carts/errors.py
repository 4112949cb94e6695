"""Errors of the carts module."""

from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound


class UnknownCart(NotFound):
    code = "unknown_cart"
    title = "Unknown cart"


class NoOpenCart(NotFound):
    code = "no_open_cart"
    title = "No open cart for this customer or visitor"


class CartLineNotFound(NotFound):
    code = "cart_line_not_found"
    title = "The cart has no line for this SKU"


class CartNotOpen(Conflict):
    code = "cart_not_open"
    title = "The cart is merged or checked out"


class CartCurrencyMismatch(Conflict):
    code = "cart_currency_mismatch"
    title = "Carts in different currencies cannot be merged"


class CouponNotInCart(NotFound):
    code = "coupon_not_in_cart"
    title = "The cart does not hold this coupon"


class MissingCartOwner(InvalidInput):
    code = "missing_cart_owner"
    title = "Say whose cart: a customer reference or an anonymous id"


class CartForbidden(Forbidden):
    code = "cart_forbidden"
    title = "An anonymous cart belongs to the channel (and store) that opened it"
