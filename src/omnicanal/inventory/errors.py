from omnicanal.platform.auth import ChannelForbidden as ChannelForbidden
from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Not enough stock available"


class NegativeStock(Conflict):
    code = "negative_stock"
    title = "The movement would take on-hand stock below zero"


class UnknownReservation(NotFound):
    code = "unknown_reservation"
    title = "Unknown reservation"


class ReservationNotActive(Conflict):
    code = "reservation_not_active"
    title = "The reservation is no longer active"


class ReservationExpired(Conflict):
    code = "reservation_expired"
    title = "The reservation has expired"


class LocationNotInChannel(Conflict):
    code = "location_not_in_channel"
    title = "The location does not fulfil this channel"


class InvalidMovement(InvalidInput):
    code = "invalid_movement"
    title = "Invalid stock movement"


class ReservationForbidden(Forbidden):
    code = "reservation_forbidden"
    title = "A reservation is changed by the channel (and store, or marketplace key) that made it"


class ReservationHeldByOrder(Conflict):
    code = "reservation_held_by_order"
    title = "This reservation holds an order's units: it changes through the order's operations"
