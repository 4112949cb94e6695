"""The order lifecycle, as a pure state machine over its fulfilments.

placed → allocated → partially_fulfilled → fulfilled → completed, or cancelled.

An order's status follows from its fulfilments' statuses (:func:`rollup`): ``fulfilled``
once every fulfilment has left our hands (shipped or handed over), ``completed`` once every
one has reached its end with at least one sale, ``cancelled`` when none sold. The only
direct action on an order is ``cancel``, while nothing has left yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from omnicanal.fulfilment.errors import InvalidTransition
from omnicanal.fulfilment.states import LEFT, SOLD, UNSOLD, Action, FulfilmentStatus, Method, can

__all__ = [
    "OrderStatus",
    "check_cancellable",
    "check_move",
    "rollup",
]


class OrderStatus(StrEnum):
    placed = "placed"
    allocated = "allocated"
    partially_fulfilled = "partially_fulfilled"
    fulfilled = "fulfilled"
    completed = "completed"
    cancelled = "cancelled"


OS, F = OrderStatus, FulfilmentStatus

MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OS.placed: frozenset({OS.allocated, OS.cancelled}),
    OS.allocated: frozenset({OS.partially_fulfilled, OS.fulfilled, OS.completed, OS.cancelled}),
    OS.partially_fulfilled: frozenset({OS.fulfilled, OS.completed}),
    OS.fulfilled: frozenset({OS.completed}),
    OS.completed: frozenset(),
    OS.cancelled: frozenset(),
}

_SUPERSEDED = frozenset({F.rejected})


def rollup(fulfilments: Sequence[FulfilmentStatus]) -> OrderStatus:
    """The order status that its fulfilments' statuses imply (rejected ones do not count)."""
    live = [status for status in fulfilments if status not in _SUPERSEDED]
    if not live or all(status in UNSOLD for status in live):
        return OS.cancelled
    if all(status in SOLD | UNSOLD for status in live):
        return OS.completed
    if all(status in LEFT | UNSOLD for status in live):
        return OS.fulfilled
    if any(status in LEFT for status in live):
        return OS.partially_fulfilled
    return OS.allocated


def check_move(current: OrderStatus, target: OrderStatus) -> None:
    """Refuse a move the order lifecycle does not have."""
    if target != current and target not in MOVES[current]:
        raise InvalidTransition(
            f"An order that is {current.value} cannot become {target.value}.",
            field="status",
            current_status=current.value,
            target=target.value,
        )


def check_cancellable(
    current: OrderStatus, fulfilments: Sequence[tuple[Method, FulfilmentStatus]]
) -> None:
    """Refuse to cancel an order once anything has left, or that is already closed."""
    if OS.cancelled not in MOVES[current]:
        raise InvalidTransition(
            f"An order that is {current.value} cannot be cancelled.",
            field="status",
            current_status=current.value,
            action="cancel",
        )
    for method, status in fulfilments:
        if status in _SUPERSEDED or status in UNSOLD:
            continue
        if not can(method, status, Action.cancel):
            raise InvalidTransition(
                f"The order cannot be cancelled: a {method.value} fulfilment is already "
                f"{status.value}.",
                field="status",
                current_status=current.value,
                action="cancel",
                blocking=status.value,
            )
