"""Sourcing rules: where each line comes from, and why (pure, no database)."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.fulfilment.sourcing import (
    Criterion,
    LineRequest,
    Point,
    Site,
    SourcingRules,
    source,
)
from omnicanal.fulfilment.states import HOME_DELIVERY, Method

LYON = Point(45.7640, 4.8357)
PARIS = Point(48.8566, 2.3522)


def warehouse(code: str, at: Point = Point(47.9, 1.9), **kwargs) -> Site:  # type: ignore[no-untyped-def]
    return Site(code, "warehouse", at.latitude, at.longitude, ships=True, **kwargs)


def store(code: str, at: Point = LYON, **kwargs) -> Site:  # type: ignore[no-untyped-def]
    values = {"ships": True, "click_and_collect": True, "sells_in_store": True, **kwargs}
    return Site(code, "store", at.latitude, at.longitude, **values)


def ship(line: str, sku: str, quantity: int = 1, **kwargs) -> LineRequest:  # type: ignore[no-untyped-def]
    return LineRequest(line, sku, quantity, Method.ship, **kwargs)


def at_store(line: str, sku: str, quantity: int, method: Method, location: str | None):  # type: ignore[no-untyped-def]
    return LineRequest(line, sku, quantity, method, location=location)


def where(decision) -> dict[str, list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    result: dict[str, list[tuple[str, int]]] = {}
    for allocation in decision.allocations:
        result.setdefault(allocation.line, []).append((allocation.location, allocation.quantity))
    return result


# -- one shipment when one location can send everything -----------------------------------


def test_one_location_holding_every_line_sends_them_in_one_shipment():
    decision = source(
        [ship("1", "A"), ship("2", "B"), ship("3", "C")],
        sites=[warehouse("WH"), store("LYON-01")],
        stock={("A", "WH"): 5, ("B", "WH"): 5, ("C", "WH"): 5},
        destination=LYON,
    )
    assert decision.complete
    assert decision.shipments == 1
    assert where(decision) == {"1": [("WH", 1)], "2": [("WH", 1)], "3": [("WH", 1)]}
    assert any("One shipment" in sentence for sentence in decision.explanation)


def test_a_warehouse_is_preferred_to_a_nearer_store_that_could_also_send_everything():
    decision = source(
        [ship("1", "A"), ship("2", "B")],
        sites=[warehouse("WH", Point(48.0, 2.0)), store("LYON-01", LYON)],
        stock={("A", "WH"): 5, ("B", "WH"): 5, ("A", "LYON-01"): 9, ("B", "LYON-01"): 9},
        destination=LYON,
    )
    assert {a.location for a in decision.allocations} == {"WH"}
    assert any("warehouses are preferred" in sentence for sentence in decision.explanation)


def test_the_nearest_of_two_warehouses_sends_the_parcel():
    decision = source(
        [ship("1", "A")],
        sites=[warehouse("WH-NORTH", PARIS), warehouse("WH-SOUTH", Point(45.7, 4.9))],
        stock={("A", "WH-NORTH"): 5, ("A", "WH-SOUTH"): 5},
        destination=LYON,
    )
    assert where(decision) == {"1": [("WH-SOUTH", 1)]}
    assert any("nearer the delivery address" in sentence for sentence in decision.explanation)


def test_with_nearest_ranked_before_warehouses_the_nearer_store_wins():
    rules = SourcingRules(
        criteria=(Criterion.fewest_shipments, Criterion.nearest, Criterion.prefer_warehouses)
    )
    decision = source(
        [ship("1", "A")],
        sites=[warehouse("WH", PARIS), store("LYON-01", LYON)],
        stock={("A", "WH"): 5, ("A", "LYON-01"): 9},
        destination=LYON,
        rules=rules,
    )
    assert where(decision) == {"1": [("LYON-01", 1)]}


def test_fewer_shipments_beat_the_preference_for_warehouses():
    """A store that can send the whole order beats a warehouse that holds half of it."""
    decision = source(
        [ship("1", "A"), ship("2", "B")],
        sites=[warehouse("WH"), store("LYON-01")],
        stock={("A", "WH"): 5, ("A", "LYON-01"): 9, ("B", "LYON-01"): 9},
        destination=LYON,
    )
    assert decision.shipments == 1
    assert {a.location for a in decision.allocations} == {"LYON-01"}


def test_the_channel_priority_breaks_a_tie_between_equal_locations():
    decision = source(
        [ship("1", "A")],
        sites=[warehouse("WH-B", PARIS, priority=2), warehouse("WH-A", PARIS, priority=5)],
        stock={("A", "WH-A"): 5, ("A", "WH-B"): 5},
        destination=LYON,
    )
    assert where(decision) == {"1": [("WH-B", 1)]}


def test_without_coordinates_distance_does_not_count_and_it_says_so():
    decision = source(
        [ship("1", "A")],
        sites=[warehouse("WH-B", PARIS), warehouse("WH-A", LYON)],
        stock={("A", "WH-A"): 5, ("A", "WH-B"): 5},
        destination=None,
    )
    assert where(decision) == {"1": [("WH-A", 1)]}
    assert decision.allocations[0].distance_km is None
    assert any("does not count" in sentence for sentence in decision.explanation)


# -- fewest shipments, searched exactly -------------------------------------------------------


def test_the_exact_search_finds_two_shipments_where_a_greedy_cover_would_take_three():
    """The classic set-cover trap: the biggest site first leads to three parcels."""
    skus = ["A", "B", "C", "D", "E", "F"]
    holdings = {"S1": "ABC", "S2": "DEF", "S3": "ABDE"}
    stock = {(sku, code): 1 for code, held in holdings.items() for sku in held}
    decision = source(
        [ship(str(i), sku) for i, sku in enumerate(skus, 1)],
        sites=[warehouse(code) for code in holdings],
        stock=stock,
        destination=None,
    )
    assert decision.complete
    assert decision.shipments == 2
    assert {a.location for a in decision.allocations} == {"S1", "S2"}


def test_lines_of_one_sku_share_the_stock_of_a_location():
    """Two lines of the same SKU cannot both be sent from a site holding enough for one."""
    decision = source(
        [ship("1", "A", 2), ship("2", "A", 2)],
        sites=[warehouse("WH-1"), warehouse("WH-2", PARIS)],
        stock={("A", "WH-1"): 3, ("A", "WH-2"): 2},
        destination=LYON,
    )
    assert decision.complete
    assert sorted(a.location for a in decision.allocations) == ["WH-1", "WH-2"]


def test_beyond_the_exhaustive_limit_a_greedy_cover_still_sources_everything():
    skus = [f"S{i}" for i in range(8)]
    sites = [warehouse(f"WH-{i}") for i in range(8)]
    stock = {(sku, f"WH-{i}"): 1 for i, sku in enumerate(skus)}
    decision = source(
        [ship(str(i), sku) for i, sku in enumerate(skus)],
        sites=sites,
        stock=stock,
        rules=SourcingRules(exhaustive_up_to=2),
    )
    assert decision.complete
    assert decision.shipments == 8


def test_with_fewest_shipments_off_each_line_goes_to_its_own_best_location():
    rules = SourcingRules(criteria=(Criterion.nearest,))
    decision = source(
        [ship("1", "A"), ship("2", "B")],
        sites=[warehouse("FAR", PARIS), warehouse("NEAR", LYON)],
        stock={("A", "FAR"): 1, ("B", "FAR"): 1, ("A", "NEAR"): 1},
        destination=LYON,
        rules=rules,
    )
    assert where(decision) == {"1": [("NEAR", 1)], "2": [("FAR", 1)]}


# -- protecting a store's last units ----------------------------------------------------------


@pytest.mark.parametrize(
    ("on_shelf", "protected", "wanted", "ships_from_store"),
    [
        (3, 2, 1, True),
        (3, 2, 2, False),
        (2, 2, 1, False),
        (5, 2, 3, True),
        (5, 0, 5, True),
        (1, 0, 1, True),
        (10, 5, 5, True),
        (10, 5, 6, False),
        (4, 1, 3, True),
        (4, 1, 4, False),
    ],
)
def test_a_store_never_ships_below_its_protected_units(
    on_shelf, protected, wanted, ships_from_store
):
    decision = source(
        [ship("1", "A", wanted)],
        sites=[store("LYON-01")],
        stock={("A", "LYON-01"): on_shelf},
        rules=SourcingRules(protected_store_units=protected),
    )
    assert decision.complete is ships_from_store
    if not ships_from_store:
        assert decision.shortfalls[0].reason == "insufficient_stock"
        assert any("shop floor" in sentence for sentence in decision.explanation) or (
            wanted > on_shelf
        )


def test_a_warehouse_ships_its_very_last_unit():
    decision = source([ship("1", "A")], sites=[warehouse("WH")], stock={("A", "WH"): 1})
    assert decision.complete


@pytest.mark.parametrize("method", [Method.pickup, Method.reserve_and_try, Method.carry_out])
def test_a_customer_at_the_store_may_take_its_last_unit(method):
    """Protection keeps units for walk-in customers; a customer in the store is one."""
    decision = source(
        [at_store("1", "A", 1, method, "LYON-01")],
        sites=[store("LYON-01")],
        stock={("A", "LYON-01"): 1},
    )
    assert where(decision) == {"1": [("LYON-01", 1)]}


def test_the_protection_explains_why_a_nearer_store_with_stock_was_passed_over():
    decision = source(
        [ship("1", "A", 2)],
        sites=[store("PARIS-01", PARIS), store("LYON-01")],
        stock={("A", "PARIS-01"): 5, ("A", "LYON-01"): 3},
        destination=LYON,
    )
    assert where(decision) == {"1": [("PARIS-01", 2)]}
    assert (
        "LYON-01 keeps the last 2 units of A for the shop floor, so it does not ship line 1."
        in decision.explanation
    )


def test_protection_says_nothing_when_the_store_would_not_have_been_chosen_anyway():
    decision = source(
        [ship("1", "A", 2)],
        sites=[warehouse("WH", PARIS), store("LYON-01")],
        stock={("A", "WH"): 2, ("A", "LYON-01"): 3},
        destination=LYON,
    )
    assert where(decision) == {"1": [("WH", 2)]}
    assert not any("shop floor" in sentence for sentence in decision.explanation)


def test_protection_names_three_stores_at_most():
    stores = [store(f"S{i}", Point(LYON.latitude + i / 100, LYON.longitude)) for i in range(6)]
    decision = source(
        [ship("1", "A", 1)],
        sites=stores,
        stock={("A", f"S{i}"): 2 for i in range(6)},
        destination=LYON,
    )
    assert not decision.complete
    notes = [sentence for sentence in decision.explanation if "shop floor" in sentence]
    assert notes == [
        "S0, S1, S2 and 3 more stores keep the last 2 units of A for the shop floor, "
        "so they do not ship line 1."
    ]


# -- splitting only when needed ----------------------------------------------------------------


def test_a_line_no_location_can_send_whole_is_split_and_explained():
    decision = source(
        [ship("1", "A", 5)],
        sites=[warehouse("WH"), store("LYON-01")],
        stock={("A", "WH"): 3, ("A", "LYON-01"): 4},
        destination=LYON,
    )
    assert decision.complete
    assert where(decision) == {"1": [("LYON-01", 2), ("WH", 3)]}
    assert any("is split" in sentence for sentence in decision.explanation)


def test_a_line_one_location_can_send_whole_is_never_split():
    decision = source(
        [ship("1", "A", 3)],
        sites=[warehouse("WH"), warehouse("WH-2", PARIS)],
        stock={("A", "WH"): 2, ("A", "WH-2"): 3},
        destination=LYON,
    )
    assert where(decision) == {"1": [("WH-2", 3)]}


def test_a_split_prefers_locations_already_sending_a_parcel():
    decision = source(
        [ship("1", "B"), ship("2", "A", 4)],
        sites=[warehouse("WH-1", LYON), warehouse("WH-2", PARIS), warehouse("WH-3", LYON)],
        stock={("B", "WH-2"): 1, ("A", "WH-2"): 2, ("A", "WH-1"): 2, ("A", "WH-3"): 2},
        destination=LYON,
    )
    assert decision.complete
    assert ("WH-2", 2) in where(decision)["2"]
    assert decision.shipments == 2


def test_with_splitting_off_a_line_no_one_can_send_whole_is_a_shortfall():
    decision = source(
        [ship("1", "A", 5)],
        sites=[warehouse("WH"), warehouse("WH-2")],
        stock={("A", "WH"): 3, ("A", "WH-2"): 3},
        rules=SourcingRules(allow_split=False),
    )
    assert not decision.complete
    assert decision.allocations == ()
    assert "splitting is off" in decision.shortfalls[0].detail


def test_a_split_never_uses_more_locations_than_allowed():
    decision = source(
        [ship("1", "A", 4)],
        sites=[warehouse(f"WH-{i}") for i in range(4)],
        stock={("A", f"WH-{i}"): 1 for i in range(4)},
        rules=SourcingRules(max_sources_per_line=3),
    )
    assert not decision.complete
    assert "more than 3 locations" in decision.shortfalls[0].detail


def test_not_enough_stock_anywhere_is_a_shortfall_with_what_could_be_found():
    decision = source(
        [ship("1", "A", 10)],
        sites=[warehouse("WH")],
        stock={("A", "WH"): 4},
    )
    (shortfall,) = decision.shortfalls
    assert (shortfall.requested, shortfall.sourced, shortfall.reason) == (
        10,
        4,
        "insufficient_stock",
    )
    assert decision.allocations == ()


# -- at-store methods ------------------------------------------------------------------------


def test_a_pickup_is_sourced_at_the_store_the_customer_chose_even_if_a_warehouse_has_more():
    decision = source(
        [at_store("1", "A", 1, Method.pickup, "LYON-01")],
        sites=[warehouse("WH"), store("LYON-01")],
        stock={("A", "WH"): 100, ("A", "LYON-01"): 1},
    )
    assert where(decision) == {"1": [("LYON-01", 1)]}
    assert decision.shipments == 0
    assert "the store the customer chose" in decision.explanation[0]


def test_a_pickup_at_a_store_without_click_and_collect_is_not_available():
    decision = source(
        [at_store("1", "A", 1, Method.pickup, "OUTLET")],
        sites=[store("OUTLET", click_and_collect=False)],
        stock={("A", "OUTLET"): 5},
    )
    assert decision.shortfalls[0].reason == "pickup_not_available"


@pytest.mark.parametrize("method", [Method.reserve_and_try, Method.carry_out])
def test_a_warehouse_cannot_hold_an_item_to_try_on_or_sell_over_the_counter(method):
    decision = source(
        [at_store("1", "A", 1, method, "WH")],
        sites=[warehouse("WH")],
        stock={("A", "WH"): 5},
    )
    assert decision.shortfalls[0].reason == "store_service_not_available"


@pytest.mark.parametrize("method", [Method.pickup, Method.reserve_and_try, Method.carry_out])
def test_an_at_store_method_without_a_store_needs_one(method):
    decision = source([at_store("1", "A", 1, method, None)], sites=[store("X")], stock={})
    assert decision.shortfalls[0].reason == "location_required"


@pytest.mark.parametrize("method", [Method.pickup, Method.reserve_and_try, Method.carry_out])
def test_an_at_store_method_at_a_store_outside_the_network_is_not_available(method):
    decision = source([at_store("1", "A", 1, method, "ELSEWHERE")], sites=[store("X")], stock={})
    assert decision.shortfalls[0].reason == "location_not_available"


@pytest.mark.parametrize("method", [Method.pickup, Method.reserve_and_try, Method.carry_out])
def test_an_at_store_method_needs_the_units_at_that_very_store(method):
    decision = source(
        [at_store("1", "A", 3, method, "LYON-01")],
        sites=[store("LYON-01"), store("PARIS-01", PARIS)],
        stock={("A", "LYON-01"): 2, ("A", "PARIS-01"): 50},
    )
    assert decision.shortfalls[0].reason == "insufficient_stock"
    assert "has 2 units available, 3 wanted" in decision.shortfalls[0].detail


def test_units_taken_at_the_counter_are_no_longer_there_to_ship():
    decision = source(
        [ship("1", "A", 2), at_store("2", "A", 3, Method.carry_out, "LYON-01")],
        sites=[store("LYON-01")],
        stock={("A", "LYON-01"): 5},
        rules=SourcingRules(protected_store_units=0),
    )
    assert where(decision) == {"1": [("LYON-01", 2)], "2": [("LYON-01", 3)]}
    tighter = source(
        [ship("1", "A", 3), at_store("2", "A", 3, Method.carry_out, "LYON-01")],
        sites=[store("LYON-01")],
        stock={("A", "LYON-01"): 5},
        rules=SourcingRules(protected_store_units=0),
    )
    assert [s.line for s in tighter.shortfalls] == ["1"]


# -- candidates and exclusions ----------------------------------------------------------------


def test_a_location_that_rejected_a_line_is_never_chosen_again_for_it():
    decision = source(
        [ship("1", "A", excluded=frozenset({"WH"}))],
        sites=[warehouse("WH"), warehouse("WH-2", PARIS)],
        stock={("A", "WH"): 9, ("A", "WH-2"): 1},
    )
    assert where(decision) == {"1": [("WH-2", 1)]}


def test_an_endless_aisle_line_is_sourced_among_its_candidates_only():
    line = LineRequest("1", "A", 1, Method.endless_aisle, candidates=frozenset({"WH"}))
    decision = source(
        [line],
        sites=[warehouse("WH", PARIS), store("LYON-01")],
        stock={("A", "WH"): 1, ("A", "LYON-01"): 9},
        destination=LYON,
    )
    assert where(decision) == {"1": [("WH", 1)]}
    assert decision.shipments == 1


def test_a_location_that_does_not_ship_never_sends_a_parcel():
    decision = source(
        [ship("1", "A")],
        sites=[store("LYON-01", ships=False)],
        stock={("A", "LYON-01"): 9},
    )
    assert not decision.complete


def test_a_quantity_of_zero_is_refused():
    with pytest.raises(ValueError):
        source([ship("1", "A", 0)], sites=[], stock={})


def test_the_same_request_always_gets_the_same_decision():
    request = {
        "lines": [ship("1", "A", 2), ship("2", "B"), ship("3", "C", 3)],
        "sites": [warehouse("WH"), store("LYON-01"), store("PARIS-01", PARIS)],
        "stock": {("A", "LYON-01"): 5, ("B", "PARIS-01"): 5, ("C", "WH"): 2, ("C", "LYON-01"): 9},
        "destination": LYON,
    }
    assert source(**request) == source(**request)


# -- properties over generated networks --------------------------------------------------------

SKUS = ["A", "B", "C", "D"]


@st.composite
def networks(draw):  # type: ignore[no-untyped-def]
    count = draw(st.integers(1, 5))
    sites = []
    for index in range(count):
        kind = draw(st.sampled_from(["store", "warehouse"]))
        sites.append(
            Site(
                f"L{index}",
                kind,
                draw(st.floats(43, 50)),
                draw(st.floats(-1, 7)),
                ships=draw(st.booleans()) or kind == "warehouse",
                click_and_collect=kind == "store",
                sells_in_store=kind == "store",
                priority=draw(st.integers(0, 3)),
            )
        )
    stock = {(sku, site.code): draw(st.integers(0, 6)) for sku in SKUS for site in sites}
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=4, unique=True))
    lines = [ship(str(i), sku, draw(st.integers(1, 4))) for i, sku in enumerate(skus)]
    protected = draw(st.integers(0, 2))
    return sites, stock, lines, protected


def _shippable(site: Site, units: int, protected: int) -> int:
    return units if site.kind == "warehouse" else max(units - protected, 0)


@settings(max_examples=300, deadline=None)
@given(networks())
def test_sourcing_never_takes_more_than_a_location_may_ship(network):
    sites, stock, lines, protected = network
    decision = source(
        lines,
        sites=sites,
        stock=stock,
        destination=LYON,
        rules=SourcingRules(protected_store_units=protected),
    )
    by_code = {site.code: site for site in sites}
    taken: dict[tuple[str, str], int] = {}
    for allocation in decision.allocations:
        key = (allocation.sku, allocation.location)
        taken[key] = taken.get(key, 0) + allocation.quantity
        assert by_code[allocation.location].ships
    for (sku, code), units in taken.items():
        assert units <= _shippable(by_code[code], stock[(sku, code)], protected)


@settings(max_examples=300, deadline=None)
@given(networks())
def test_every_line_is_either_sourced_in_full_or_reported_short(network):
    sites, stock, lines, protected = network
    decision = source(
        lines,
        sites=sites,
        stock=stock,
        destination=LYON,
        rules=SourcingRules(protected_store_units=protected),
    )
    short = {shortfall.line for shortfall in decision.shortfalls}
    for line in lines:
        sourced = sum(a.quantity for a in decision.for_line(line.line))
        if line.line in short:
            assert sourced == 0
        else:
            assert sourced == line.quantity
    assert decision.explanation or not lines


@settings(max_examples=300, deadline=None)
@given(networks())
def test_sourcing_uses_the_fewest_shipments_possible_when_nothing_needs_splitting(network):
    """Compared with a brute force over every set of locations."""
    sites, stock, lines, protected = network
    decision = source(
        lines,
        sites=sites,
        stock=stock,
        destination=LYON,
        rules=SourcingRules(protected_store_units=protected),
    )
    shippers = [site for site in sites if site.ships]

    def sends_whole(site: Site, line: LineRequest) -> bool:
        return _shippable(site, stock[(line.sku, site.code)], protected) >= line.quantity

    if not all(any(sends_whole(site, line) for site in shippers) for line in lines):
        return
    best = next(
        size
        for size in range(1, len(lines) + 1)
        if any(
            all(any(sends_whole(site, line) for site in chosen) for line in lines)
            for chosen in combinations(shippers, size)
        )
    )
    assert decision.complete
    assert decision.shipments == best
    assert all(a.method in HOME_DELIVERY for a in decision.allocations)


@settings(max_examples=200, deadline=None)
@given(networks())
def test_no_line_is_split_when_some_location_can_send_it_whole(network):
    sites, stock, lines, protected = network
    decision = source(
        lines,
        sites=sites,
        stock=stock,
        destination=LYON,
        rules=SourcingRules(protected_store_units=protected),
    )
    for line in lines:
        whole = any(
            site.ships
            and _shippable(site, stock[(line.sku, site.code)], protected) >= line.quantity
            for site in sites
        )
        if whole:
            assert len(decision.for_line(line.line)) == 1
