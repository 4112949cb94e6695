"""The fulfilment lifecycles, transition by transition (pure, no database)."""

from __future__ import annotations

from itertools import product

import pytest

from omnicanal.fulfilment.errors import InvalidTransition
from omnicanal.fulfilment.states import (
    CLOSED,
    TRANSITIONS,
    Action,
    FulfilmentStatus,
    Method,
    StockEffect,
    allowed_actions,
    can,
    initial_status,
    is_closed,
    next_status,
    stock_effect,
)

S, A = FulfilmentStatus, Action

HAPPY_PATHS = {
    Method.ship: [
        (A.pick, S.picking),
        (A.pack, S.packed),
        (A.ship, S.shipped),
        (A.deliver, S.delivered),
    ],
    Method.endless_aisle: [
        (A.pick, S.picking),
        (A.pack, S.packed),
        (A.ship, S.shipped),
        (A.deliver, S.delivered),
    ],
    Method.pickup: [
        (A.pick, S.picking),
        (A.ready, S.ready_for_pickup),
        (A.check_in, S.checked_in),
        (A.collect, S.collected),
    ],
    Method.reserve_and_try: [(A.try_on, S.tried), (A.buy, S.bought)],
    Method.carry_out: [],
}

ALLOWED = {
    (method, status, action) for method, table in TRANSITIONS.items() for (status, action) in table
}
EVERY = list(product(Method, FulfilmentStatus, Action))


@pytest.mark.parametrize("method", list(Method))
def test_each_method_walks_its_happy_path_to_a_sold_end(method):
    status = initial_status(method)
    for action, expected in HAPPY_PATHS[method]:
        status = next_status(method, status, action)
        assert status == expected
    assert status in {S.delivered, S.collected, S.bought, S.completed}
    assert is_closed(status)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (Method.ship, S.allocated),
        (Method.endless_aisle, S.allocated),
        (Method.pickup, S.allocated),
        (Method.reserve_and_try, S.held),
        (Method.carry_out, S.completed),
    ],
)
def test_a_new_fulfilment_starts_where_its_method_says(method, expected):
    assert initial_status(method) == expected


@pytest.mark.parametrize(
    ("method", "status", "action"),
    [case for case in EVERY if case not in ALLOWED],
    ids=lambda value: getattr(value, "value", value),
)
def test_every_transition_outside_the_table_is_refused_with_invalid_transition(
    method, status, action
):
    """A refused transition names the current status and what is allowed instead."""
    with pytest.raises(InvalidTransition) as raised:
        next_status(method, status, action)
    assert raised.value.code == "invalid_transition"
    assert raised.value.extra["current_status"] == status.value
    assert raised.value.extra["action"] == action.value
    assert raised.value.extra["allowed"] == [a.value for a in allowed_actions(method, status)]
    assert not can(method, status, action)


@pytest.mark.parametrize(
    ("method", "status", "action"),
    sorted(ALLOWED),
    ids=lambda value: getattr(value, "value", value),
)
def test_every_transition_in_the_table_is_allowed(method, status, action):
    assert can(method, status, action)
    assert next_status(method, status, action) == TRANSITIONS[method][(status, action)]


@pytest.mark.parametrize(("method", "status"), list(product(Method, sorted(CLOSED))))
def test_nothing_applies_to_a_closed_fulfilment(method, status):
    assert allowed_actions(method, status) == []


def test_a_pickup_may_be_collected_without_a_check_in():
    """A customer who walks straight to the desk is served; the wait is then unknown."""
    assert next_status(Method.pickup, S.ready_for_pickup, A.collect) == S.collected


def test_a_ready_pickup_expires_but_a_checked_in_customer_is_never_sent_away():
    assert next_status(Method.pickup, S.ready_for_pickup, A.expire) == S.expired
    assert not can(Method.pickup, S.checked_in, A.expire)


def test_a_shipped_parcel_can_no_longer_be_cancelled():
    assert not can(Method.ship, S.shipped, A.cancel)


def test_a_tried_item_can_still_be_bought_or_released_but_not_cancelled():
    assert can(Method.reserve_and_try, S.tried, A.buy)
    assert can(Method.reserve_and_try, S.tried, A.release)
    assert not can(Method.reserve_and_try, S.tried, A.cancel)


def test_a_store_may_reject_lines_only_before_packing():
    assert can(Method.ship, S.allocated, A.reject)
    assert can(Method.ship, S.picking, A.reject)
    assert not can(Method.ship, S.packed, A.reject)
    assert not can(Method.pickup, S.ready_for_pickup, A.reject)


def test_a_carry_out_sale_has_no_transitions_at_all():
    assert all(allowed_actions(Method.carry_out, status) == [] for status in S)


def test_ship_and_endless_aisle_share_one_lifecycle():
    assert TRANSITIONS[Method.ship] == TRANSITIONS[Method.endless_aisle]


@pytest.mark.parametrize(
    ("action", "effect"),
    [
        (A.ship, StockEffect.confirm),
        (A.collect, StockEffect.confirm),
        (A.buy, StockEffect.confirm),
        (A.cancel, StockEffect.release),
        (A.release, StockEffect.release),
        (A.expire, StockEffect.release),
        (A.pick, StockEffect.none),
        (A.pack, StockEffect.none),
        (A.deliver, StockEffect.none),
        (A.ready, StockEffect.none),
        (A.check_in, StockEffect.none),
        (A.try_on, StockEffect.none),
        (A.reject, StockEffect.none),
    ],
)
def test_handing_over_confirms_stock_and_ending_unsold_releases_it(action, effect):
    assert stock_effect(action) == effect


def test_every_status_reachable_from_the_start_is_known_to_the_tables():
    """Walking every transition from each initial status never reaches an unknown status."""
    for method, table in TRANSITIONS.items():
        seen = {initial_status(method)}
        frontier = list(seen)
        while frontier:
            status = frontier.pop()
            for (source, _), target in table.items():
                if source == status and target not in seen:
                    seen.add(target)
                    frontier.append(target)
        assert all(status in S for status in seen)
        assert any(status in CLOSED for status in seen)
