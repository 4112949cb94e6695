"""Errors of the returns module, each with a stable machine code."""

from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound


class UnknownReturn(NotFound):
    code = "unknown_return"
    title = "Unknown return"


class UnknownOrderLine(InvalidInput):
    code = "unknown_order_line"
    title = "A return line names a line that is not in the order"


class ReturnQuantityExceeded(Conflict):
    code = "return_quantity_exceeded"
    title = "More units than the customer bought and has not yet returned"


class NothingToReturn(Conflict):
    code = "nothing_to_return"
    title = "None of the order's units has reached the customer yet"


class InvalidReturnTransition(Conflict):
    code = "invalid_return_transition"
    title = "The return cannot do this in its current status"


class ReturnAlreadyRefunded(Conflict):
    code = "return_already_refunded"
    title = "The return was already refunded"


class LocationRefusesReturns(Conflict):
    code = "location_refuses_returns"
    title = "This location does not accept returns"


class ReturnLocationRequired(InvalidInput):
    code = "return_location_required"
    title = "A return received at a counter needs the location"


class InvalidReturnToken(InvalidInput):
    code = "invalid_return_token"
    title = "The return authorisation is not one of ours"


class ReturnAuthorisationExpired(Conflict):
    code = "return_authorisation_expired"
    title = "The postal return authorisation has expired"


class ReturnHasNoLabel(Conflict):
    code = "return_has_no_label"
    title = "A return taken at a counter has no postal label"


class InspectionMismatch(InvalidInput):
    code = "inspection_mismatch"
    title = "An inspected line must account for every unit returned"


class StoreCreditNeedsCustomer(Conflict):
    code = "store_credit_needs_customer"
    title = "Store credit is given to a known customer only"


class ReturnForbidden(Forbidden):
    code = "return_forbidden"
    title = "This key cannot take or change this return"
