"""Errors of the pricing module: each with a stable machine code."""

from omnicanal.platform.errors import Conflict, InvalidInput, NotFound


class EmptyCart(InvalidInput):
    code = "empty_cart"
    title = "The cart has no lines"


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"
    title = "A quantity must be a whole number of at least 1"


class InvalidCurrency(InvalidInput):
    code = "invalid_currency"
    title = "Not an ISO 4217 currency code"


class MissingPrice(Conflict):
    code = "missing_price"
    title = "A SKU has no list price in this currency"


class UnknownCoupon(NotFound):
    code = "unknown_coupon"
    title = "Unknown coupon code"


class CouponExpired(Conflict):
    code = "coupon_expired"
    title = "The coupon has expired"


class CouponNotYetValid(Conflict):
    code = "coupon_not_yet_valid"
    title = "The coupon is not valid yet"


class CouponAlreadyUsed(Conflict):
    code = "coupon_already_used"
    title = "The customer has already used this coupon"


class CouponForAnotherCustomer(Conflict):
    code = "coupon_for_another_customer"
    title = "The coupon is personal to another customer"


class CouponUsageExhausted(Conflict):
    code = "coupon_exhausted"
    title = "The coupon has reached its usage limit"


class UnknownPromotion(NotFound):
    code = "unknown_promotion"
    title = "Unknown promotion"


class PromotionExists(Conflict):
    code = "promotion_exists"
    title = "A promotion with this code exists"


class UnknownOverride(NotFound):
    code = "unknown_override"
    title = "Unknown price override"


class OverrideOverlaps(Conflict):
    code = "override_overlaps"
    title = "Another override covers part of this period"


class OverrideInThePast(InvalidInput):
    code = "override_in_the_past"
    title = "An override cannot end before it starts or in the past"


class OverrideEnded(Conflict):
    code = "override_ended"
    title = "The override has already ended"
