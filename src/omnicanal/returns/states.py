"""The return lifecycle, as a pure state machine.

requested (authorised, on its way by post) → received → inspected → refunded | exchanged |
closed; a return the rules send to a person starts review_pending → approved | refused, and
an approved one goes on: received when its parcel arrives, inspected when it was taken at a
counter. Until anything has been inspected a return may be cancelled (the customer keeps
the item). A received or inspected return may be exchanged in one go. Refused, refunded,
exchanged, closed and cancelled are ends.
"""

from __future__ import annotations

from enum import StrEnum

from omnicanal.returns.errors import InvalidReturnTransition

__all__ = [
    "ENDS",
    "MOVES",
    "RELEASING",
    "ReturnStatus",
    "can_move",
    "check_move",
    "next_statuses",
]


class ReturnStatus(StrEnum):
    requested = "requested"
    review_pending = "review_pending"
    approved = "approved"
    refused = "refused"
    received = "received"
    inspected = "inspected"
    refunded = "refunded"
    exchanged = "exchanged"
    closed = "closed"
    cancelled = "cancelled"


R = ReturnStatus

MOVES: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.requested: frozenset({R.received, R.cancelled}),
    R.review_pending: frozenset({R.approved, R.refused, R.cancelled}),
    R.approved: frozenset({R.received, R.inspected, R.exchanged, R.cancelled}),
    R.received: frozenset({R.inspected, R.exchanged, R.cancelled}),
    R.inspected: frozenset({R.refunded, R.exchanged, R.closed}),
    R.refused: frozenset(),
    R.refunded: frozenset(),
    R.exchanged: frozenset(),
    R.closed: frozenset(),
    R.cancelled: frozenset(),
}

ENDS = frozenset(status for status, targets in MOVES.items() if not targets)
"""Statuses nothing leaves."""

RELEASING = frozenset({R.refused, R.cancelled})
"""Ends that give the units back to the order line: they may be returned again."""


def can_move(current: ReturnStatus, target: ReturnStatus) -> bool:
    """Whether the lifecycle has the move from ``current`` to ``target``."""
    return target in MOVES[current]


def next_statuses(current: ReturnStatus) -> list[str]:
    """The statuses a return may move to from ``current``, in the lifecycle's order."""
    return [status.value for status in ReturnStatus if status in MOVES[current]]


def check_move(current: ReturnStatus, target: ReturnStatus) -> None:
    """Refuse a move the return lifecycle does not have (409 ``invalid_return_transition``)."""
    if not can_move(current, target):
        raise InvalidReturnTransition(
            f"A return that is {current.value} cannot become {target.value}.",
            field="status",
            current_status=current.value,
            target=target.value,
        )
