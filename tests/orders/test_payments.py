"""The payment lifecycle is a pure state machine beside the order's (no database)."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicanal.orders.errors import InvalidPaymentChange
from omnicanal.orders.payments import MOVES, PaymentStatus, check_payment_move, is_captured

P = PaymentStatus
FINAL = (P.refunded, P.failed, P.voided)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (P.pending, P.authorised),
        (P.pending, P.captured),
        (P.authorised, P.captured),
        (P.captured, P.partially_refunded),
        (P.partially_refunded, P.refunded),
        (P.captured, P.refunded),
        (P.pending, P.failed),
        (P.authorised, P.voided),
    ],
)
def test_the_providers_moves_are_accepted(current, target):
    assert check_payment_move(current, target) is True


@pytest.mark.parametrize(("final", "target"), list(product(FINAL, P)))
def test_nothing_leaves_a_final_status(final, target):
    """Refunded, failed and voided are ends: a repeat is a no-op, any other move a 409."""
    if target == final:
        assert check_payment_move(final, target) is False
    else:
        with pytest.raises(InvalidPaymentChange):
            check_payment_move(final, target)


@given(st.sampled_from(list(P)))
def test_reporting_the_same_status_again_changes_nothing_but_a_partial_refund(status):
    """Providers repeat notifications; a second partial refund is a real move."""
    assert check_payment_move(status, status) is (status is P.partially_refunded)


@given(st.sampled_from(list(P)), st.sampled_from(list(P)))
def test_a_move_is_accepted_exactly_when_the_machine_has_it(current, target):
    if target in MOVES[current]:
        assert check_payment_move(current, target) is True
    elif target == current:
        assert check_payment_move(current, target) is False
    else:
        with pytest.raises(InvalidPaymentChange) as refused:
            check_payment_move(current, target)
        assert refused.value.extra["payment_status"] == current.value


@given(st.lists(st.sampled_from(list(P)), max_size=8))
def test_no_sequence_of_moves_returns_to_captured_once_refunded(targets):
    status, refunded = P.pending, False
    for target in targets:
        try:
            check_payment_move(status, target)
        except InvalidPaymentChange:
            continue
        status = target
        refunded = refunded or status is P.refunded
        assert not (refunded and is_captured(status))


def test_a_captured_payment_is_one_taken_and_not_all_given_back():
    assert {status for status in P if is_captured(status)} == {P.captured, P.partially_refunded}
