"""Errors of the fulfilment module, each with a stable machine code."""

from omnicanal.platform.errors import Conflict, InvalidInput, NotFound


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "This transition is not allowed from the current status"


class UnknownFulfilment(NotFound):
    code = "unknown_fulfilment"
    title = "Unknown fulfilment"


class UnknownFulfilmentLine(NotFound):
    code = "unknown_fulfilment_line"
    title = "Unknown fulfilment line"


class PickupNotAvailable(Conflict):
    code = "pickup_not_available"
    title = "This location does not offer click & collect"


class StoreServiceNotAvailable(Conflict):
    code = "store_service_not_available"
    title = "This location does not sell in store"


class NotSourceable(Conflict):
    code = "insufficient_stock"
    title = "Not enough stock available"


class LocationRequired(InvalidInput):
    code = "location_required"
    title = "This fulfilment method needs a store"


class DeliveryAddressRequired(InvalidInput):
    code = "delivery_address_required"
    title = "A home delivery needs a delivery address"


class LocationNotAvailable(Conflict):
    code = "location_not_available"
    title = "This location does not serve the order's channel"


class PickupCodeMismatch(InvalidInput):
    code = "pickup_code_mismatch"
    title = "This pickup code is not the order's"


class HandoverProofRequired(InvalidInput):
    code = "handover_proof_required"
    title = "Handing over needs the pickup code or an identity document checked"
