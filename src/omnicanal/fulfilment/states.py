"""The fulfilment lifecycle of each method, as a pure state machine.

``ship`` (and ``endless_aisle``, which is a home delivery ordered in a store):
    allocated → picking → packed → shipped → delivered
``pickup`` (click & collect at a chosen store):
    allocated → picking → ready_for_pickup → checked_in → collected, or expired / cancelled
``reserve_and_try`` (held at a store for N days):
    held → tried → bought, or released / expired / cancelled
``carry_out`` (a till sale): completed at once, the stock leaves with the customer.

A fulfilment whose every line was rejected by its location (and re-sourced elsewhere or
cancelled) ends ``rejected``. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from omnicanal.fulfilment.errors import InvalidTransition

__all__ = [
    "AT_STORE",
    "CLOSED",
    "HOME_DELIVERY",
    "LEFT",
    "SOLD",
    "UNSOLD",
    "Action",
    "FulfilmentStatus",
    "Method",
    "StockEffect",
    "allowed_actions",
    "can",
    "initial_status",
    "is_closed",
    "next_status",
    "stock_effect",
]


class Method(StrEnum):
    """How a line reaches the customer."""

    ship = "ship"
    pickup = "pickup"
    reserve_and_try = "reserve_and_try"
    carry_out = "carry_out"
    endless_aisle = "endless_aisle"


HOME_DELIVERY = frozenset({Method.ship, Method.endless_aisle})
"""Methods whose source the sourcing rules choose, delivered to the customer's address."""
AT_STORE = frozenset({Method.pickup, Method.reserve_and_try, Method.carry_out})
"""Methods fulfilled at the store the customer chose."""


class FulfilmentStatus(StrEnum):
    allocated = "allocated"
    picking = "picking"
    packed = "packed"
    shipped = "shipped"
    delivered = "delivered"
    ready_for_pickup = "ready_for_pickup"
    checked_in = "checked_in"
    collected = "collected"
    held = "held"
    tried = "tried"
    bought = "bought"
    released = "released"
    expired = "expired"
    completed = "completed"
    cancelled = "cancelled"
    rejected = "rejected"


class Action(StrEnum):
    """What a store, a warehouse, a carrier or the sweeper does to a fulfilment."""

    pick = "pick"
    pack = "pack"
    ship = "ship"
    deliver = "deliver"
    ready = "ready"
    check_in = "check_in"
    collect = "collect"
    try_on = "try_on"
    buy = "buy"
    release = "release"
    expire = "expire"
    cancel = "cancel"
    reject = "reject"


class StockEffect(StrEnum):
    """What a transition does to the fulfilment's reservations."""

    none = "none"
    confirm = "confirm"
    release = "release"


S, A = FulfilmentStatus, Action

_HOME: dict[tuple[FulfilmentStatus, Action], FulfilmentStatus] = {
    (S.allocated, A.pick): S.picking,
    (S.picking, A.pack): S.packed,
    (S.packed, A.ship): S.shipped,
    (S.shipped, A.deliver): S.delivered,
    (S.allocated, A.cancel): S.cancelled,
    (S.picking, A.cancel): S.cancelled,
    (S.packed, A.cancel): S.cancelled,
    (S.allocated, A.reject): S.rejected,
    (S.picking, A.reject): S.rejected,
}
_PICKUP: dict[tuple[FulfilmentStatus, Action], FulfilmentStatus] = {
    (S.allocated, A.pick): S.picking,
    (S.picking, A.ready): S.ready_for_pickup,
    (S.ready_for_pickup, A.check_in): S.checked_in,
    (S.ready_for_pickup, A.collect): S.collected,
    (S.checked_in, A.collect): S.collected,
    (S.ready_for_pickup, A.expire): S.expired,
    (S.allocated, A.cancel): S.cancelled,
    (S.picking, A.cancel): S.cancelled,
    (S.ready_for_pickup, A.cancel): S.cancelled,
    (S.checked_in, A.cancel): S.cancelled,
    (S.allocated, A.reject): S.rejected,
    (S.picking, A.reject): S.rejected,
}
_RESERVE_AND_TRY: dict[tuple[FulfilmentStatus, Action], FulfilmentStatus] = {
    (S.held, A.try_on): S.tried,
    (S.held, A.buy): S.bought,
    (S.tried, A.buy): S.bought,
    (S.held, A.release): S.released,
    (S.tried, A.release): S.released,
    (S.held, A.expire): S.expired,
    (S.tried, A.expire): S.expired,
    (S.held, A.cancel): S.cancelled,
    (S.held, A.reject): S.rejected,
}

TRANSITIONS: Mapping[Method, Mapping[tuple[FulfilmentStatus, Action], FulfilmentStatus]] = {
    Method.ship: _HOME,
    Method.endless_aisle: _HOME,
    Method.pickup: _PICKUP,
    Method.reserve_and_try: _RESERVE_AND_TRY,
    Method.carry_out: {},
}

_INITIAL = {
    Method.ship: S.allocated,
    Method.endless_aisle: S.allocated,
    Method.pickup: S.allocated,
    Method.reserve_and_try: S.held,
    Method.carry_out: S.completed,
}

SOLD = frozenset({S.delivered, S.collected, S.bought, S.completed})
"""End states in which the customer has the goods."""
LEFT = frozenset({S.shipped, *SOLD})
"""States in which the goods have left our hands (shipped, or with the customer)."""
UNSOLD = frozenset({S.cancelled, S.expired, S.released})
"""End states without a sale: the units went back to stock."""
CLOSED = frozenset({*SOLD, *UNSOLD, S.rejected})
"""End states: no action applies any more."""

_CONFIRMING = frozenset({A.ship, A.collect, A.buy})
_RELEASING = frozenset({A.cancel, A.release, A.expire})


def initial_status(method: Method) -> FulfilmentStatus:
    """The status a new fulfilment of ``method`` starts in."""
    return _INITIAL[method]


def next_status(method: Method, status: FulfilmentStatus, action: Action) -> FulfilmentStatus:
    """The status after ``action``, or :class:`InvalidTransition` (and nothing changes)."""
    target = TRANSITIONS[method].get((status, action))
    if target is None:
        allowed = allowed_actions(method, status)
        listed = ", ".join(a.value for a in allowed) if allowed else "none, it is closed"
        raise InvalidTransition(
            f"A {method.value} fulfilment that is {status.value} cannot {action.value}; "
            f"allowed: {listed}.",
            field="action",
            current_status=status.value,
            action=action.value,
            allowed=[a.value for a in allowed],
        )
    return target


def can(method: Method, status: FulfilmentStatus, action: Action) -> bool:
    """Whether ``action`` applies to a ``method`` fulfilment in ``status``."""
    return (status, action) in TRANSITIONS[method]


def allowed_actions(method: Method, status: FulfilmentStatus) -> list[Action]:
    """The actions that apply now, in the order of the lifecycle."""
    return [action for action in Action if (status, action) in TRANSITIONS[method]]


def is_closed(status: FulfilmentStatus) -> bool:
    return status in CLOSED


def stock_effect(action: Action) -> StockEffect:
    """Handing over confirms the reservations (stock leaves); ending unsold releases them."""
    if action in _CONFIRMING:
        return StockEffect.confirm
    if action in _RELEASING:
        return StockEffect.release
    return StockEffect.none
