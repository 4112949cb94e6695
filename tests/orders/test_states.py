"""The order status follows its fulfilments (pure, no database)."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicanal.fulfilment.errors import InvalidTransition
from omnicanal.fulfilment.states import FulfilmentStatus, Method
from omnicanal.orders.states import MOVES, OrderStatus, check_cancellable, check_move, rollup

F, OS = FulfilmentStatus, OrderStatus


@pytest.mark.parametrize(
    ("fulfilments", "expected"),
    [
        ([F.allocated], OS.allocated),
        ([F.picking], OS.allocated),
        ([F.packed, F.allocated], OS.allocated),
        ([F.ready_for_pickup], OS.allocated),
        ([F.checked_in], OS.allocated),
        ([F.held], OS.allocated),
        ([F.tried], OS.allocated),
        ([F.shipped], OS.fulfilled),
        ([F.shipped, F.allocated], OS.partially_fulfilled),
        ([F.collected, F.picking], OS.partially_fulfilled),
        ([F.completed, F.held], OS.partially_fulfilled),
        ([F.shipped, F.collected], OS.fulfilled),
        ([F.delivered], OS.completed),
        ([F.collected], OS.completed),
        ([F.bought], OS.completed),
        ([F.completed], OS.completed),
        ([F.delivered, F.shipped], OS.fulfilled),
        ([F.delivered, F.released], OS.completed),
        ([F.collected, F.expired], OS.completed),
        ([F.cancelled], OS.cancelled),
        ([F.expired], OS.cancelled),
        ([F.released], OS.cancelled),
        ([F.released, F.expired, F.cancelled], OS.cancelled),
        ([F.rejected, F.allocated], OS.allocated),
        ([F.rejected, F.shipped], OS.fulfilled),
        ([F.rejected], OS.cancelled),
        ([], OS.cancelled),
    ],
)
def test_the_order_status_rolls_up_from_its_fulfilments(fulfilments, expected):
    assert rollup(fulfilments) == expected


@given(st.lists(st.sampled_from(list(F)), min_size=1, max_size=6))
def test_the_rollup_does_not_depend_on_the_order_of_fulfilments(statuses):
    assert rollup(statuses) == rollup(list(reversed(statuses)))


@given(st.lists(st.sampled_from(list(F)), min_size=1, max_size=6))
def test_a_rejected_fulfilment_never_changes_the_rollup_of_the_others(statuses):
    live = [s for s in statuses if s is not F.rejected]
    assert rollup([*statuses, F.rejected]) == rollup(live)


@pytest.mark.parametrize(("current", "target"), list(product(OS, OS)))
def test_an_order_only_moves_forward(current, target):
    if target == current or target in MOVES[current]:
        check_move(current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_move(current, target)


@pytest.mark.parametrize("current", [OS.placed, OS.allocated])
def test_an_order_with_nothing_gone_can_be_cancelled(current):
    check_cancellable(current, [(Method.ship, F.packed), (Method.pickup, F.ready_for_pickup)])


@pytest.mark.parametrize(
    "current", [OS.partially_fulfilled, OS.fulfilled, OS.completed, OS.cancelled]
)
def test_an_order_that_has_started_leaving_cannot_be_cancelled(current):
    with pytest.raises(InvalidTransition) as raised:
        check_cancellable(current, [])
    assert raised.value.code == "invalid_transition"


def test_a_tried_reservation_blocks_the_cancellation_of_its_order():
    """The customer is trying the item on in the store: release it there instead."""
    with pytest.raises(InvalidTransition) as raised:
        check_cancellable(OS.allocated, [(Method.reserve_and_try, F.tried)])
    assert raised.value.extra["blocking"] == "tried"


def test_fulfilments_already_ended_unsold_do_not_block_a_cancellation():
    check_cancellable(
        OS.allocated,
        [(Method.reserve_and_try, F.expired), (Method.ship, F.rejected), (Method.ship, F.picking)],
    )
