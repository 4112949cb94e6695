"""Errors of the orders module, each with a stable machine code."""

from omnicanal.platform.auth import ChannelForbidden
from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound


class UnknownOrder(NotFound):
    code = "unknown_order"
    title = "Unknown order"


class OrderChannelForbidden(ChannelForbidden):
    title = "A key places orders for its own channel only"


class PaymentRequired(InvalidInput):
    code = "payment_required"
    title = "An order needs its payment reference"


class InvalidPaymentChange(Conflict):
    code = "invalid_payment_change"
    title = "The payment cannot move to this status"


class OrderTooLarge(InvalidInput):
    code = "order_too_large"
    title = "The order's amount is beyond what one order may hold"


class UnknownFulfilmentChoice(InvalidInput):
    code = "unknown_fulfilment_choice"
    title = "A fulfilment choice names a SKU that is not in the cart"


class OrderForbidden(Forbidden):
    code = "order_forbidden"
    title = "Only the channel that placed an order (or customer service) may change it"


class PaymentNotCaptured(Conflict):
    code = "payment_not_captured"
    title = "A held item is bought once its payment is captured"


class NotDueYet(Conflict):
    code = "not_due_yet"
    title = "This pickup or hold is not due to expire yet"


class TendersExceedTotal(InvalidInput):
    code = "tenders_exceed_total"
    title = "The tenders pay more than the order's total"
