"""The payment lifecycle of an order, as a pure state machine beside the order's own.

pending → authorised → captured → partially_refunded → refunded; pending or authorised →
failed or voided; a payment may be captured straight from pending (a till).
Nothing leaves refunded, failed or voided. Reporting the status a payment already has is a
no-op (providers deliver their notifications more than once); a partial refund may be
reported again (another part refunded) and stays partially_refunded.
"""

from __future__ import annotations

from omnicanal.fulfilment.schemas import PaymentStatus
from omnicanal.orders.errors import InvalidPaymentChange

__all__ = ["MOVES", "PaymentStatus", "check_payment_move", "is_captured"]

P = PaymentStatus

MOVES: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    P.pending: frozenset({P.authorised, P.captured, P.failed, P.voided}),
    P.authorised: frozenset({P.captured, P.failed, P.voided}),
    P.captured: frozenset({P.partially_refunded, P.refunded}),
    P.partially_refunded: frozenset({P.partially_refunded, P.refunded}),
    P.refunded: frozenset(),
    P.failed: frozenset(),
    P.voided: frozenset(),
}

_CAPTURED = frozenset({P.captured, P.partially_refunded})


def check_payment_move(current: PaymentStatus, target: PaymentStatus) -> bool:
    """Whether reporting ``target`` changes a ``current`` payment; refuse a move it lacks."""
    if target in MOVES[current]:
        return True
    if target == current:
        return False
    raise InvalidPaymentChange(
        f"A payment that is {current.value} cannot become {target.value}.",
        field="status",
        payment_status=current.value,
    )


def is_captured(status: PaymentStatus) -> bool:
    """The money was taken (and not all of it given back)."""
    return status in _CAPTURED
