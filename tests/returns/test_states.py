"""The return lifecycle is a pure state machine (no database)."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicanal.returns.errors import InvalidReturnTransition
from omnicanal.returns.states import (
    ENDS,
    MOVES,
    RELEASING,
    ReturnStatus,
    can_move,
    check_move,
    next_statuses,
)

R = ReturnStatus


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (R.requested, R.received),
        (R.received, R.inspected),
        (R.inspected, R.refunded),
        (R.inspected, R.exchanged),
        (R.inspected, R.closed),
        (R.received, R.exchanged),
        (R.review_pending, R.approved),
        (R.review_pending, R.refused),
        (R.approved, R.received),
        (R.approved, R.inspected),
        (R.requested, R.cancelled),
        (R.received, R.cancelled),
        (R.review_pending, R.cancelled),
    ],
)
def test_the_lifecycle_has_these_moves(current, target):
    check_move(current, target)
    assert can_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (R.requested, R.inspected),
        (R.requested, R.refunded),
        (R.received, R.refunded),
        (R.review_pending, R.received),
        (R.review_pending, R.inspected),
        (R.inspected, R.cancelled),
        (R.refunded, R.refunded),
        (R.received, R.received),
    ],
)
def test_a_move_the_lifecycle_lacks_is_a_conflict(current, target):
    with pytest.raises(InvalidReturnTransition) as refused:
        check_move(current, target)

    assert refused.value.code == "invalid_return_transition"
    assert refused.value.extra == {"current_status": current.value, "target": target.value}


@pytest.mark.parametrize(("end", "target"), list(product(sorted(ENDS), R)))
def test_nothing_leaves_an_end(end, target):
    assert not can_move(end, target)


def test_the_ends_are_refused_refunded_exchanged_closed_and_cancelled():
    assert {R.refused, R.refunded, R.exchanged, R.closed, R.cancelled} == ENDS
    assert RELEASING <= ENDS


def test_nothing_is_refunded_before_it_is_inspected():
    """Money goes back once someone has looked at what came back."""
    assert [status for status in R if can_move(status, R.refunded)] == [R.inspected]


def test_nothing_inspected_can_be_cancelled():
    """Units restocked or written off cannot be handed back to the customer."""
    assert not any(can_move(status, R.cancelled) for status in (R.inspected, *ENDS))


def test_next_statuses_list_the_moves_in_lifecycle_order():
    assert next_statuses(R.inspected) == ["refunded", "exchanged", "closed"]
    assert next_statuses(R.refunded) == []


@given(st.lists(st.sampled_from(list(R)), max_size=12))
def test_any_walk_through_the_lifecycle_ends_where_nothing_leaves(targets):
    """Applying whatever moves are allowed never leaves an end, and never revisits."""
    status, seen = R.requested, [R.requested]
    for target in targets:
        if can_move(status, target):
            assert target not in seen
            status = target
            seen.append(status)
    assert (MOVES[status] == frozenset()) is (status in ENDS)
