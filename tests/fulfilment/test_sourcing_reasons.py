"""Sourcing explains each choice and shortfall as a reason code with parameters, and the
English sentence is the one that code says with those parameters, after storage too."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.fulfilment.sourcing import Point, SourcingRules, source
from omnicanal.fulfilment.sourcing.reasons import PHRASES, rounded_km
from omnicanal.fulfilment.states import Method
from omnicanal.platform.reasons import ENGLISH, Reason
from tests.fulfilment.test_sourcing import (
    LYON,
    PARIS,
    at_store,
    networks,
    ship,
    store,
    warehouse,
)


def said_again(reason: Reason) -> str:
    """The reason's English, from its code and its parameters as an order stores them."""
    stored = json.loads(json.dumps(reason.as_dict()))
    return PHRASES[stored["code"]].say(stored["params"], ENGLISH)


def test_a_line_sold_at_the_counter_names_the_store_and_what_it_had():
    decision = source(
        [at_store("1", "ROBE-M", 2, Method.carry_out, "LYON")],
        sites=[store("LYON")],
        stock={("ROBE-M", "LYON"): 3},
    )

    (reason,) = decision.reasons
    assert reason.code == "sourcing.carried_out_from_chosen_store"
    assert reason.params == {
        "line": "1",
        "quantity": 2,
        "sku": "ROBE-M",
        "location": "LYON",
        "available": 3,
    }
    assert decision.explanation == (
        "Line 1 (2 x ROBE-M) leaves with the customer from LYON, the store the customer chose "
        "(3 units available).",
    )


def test_a_choice_between_sites_gives_both_distances_as_the_sentence_rounds_them():
    decision = source(
        [ship("1", "A")],
        sites=[warehouse("WH", PARIS), warehouse("NEAR", Point(45.70, 4.80))],
        stock={("A", "WH"): 5, ("A", "NEAR"): 5},
        destination=LYON,
    )

    shipment, choice = decision.reasons
    assert shipment.code == "sourcing.one_shipment"
    assert shipment.params == {"site": "NEAR", "site_kind": "warehouse", "site_km": 7.6, "lines": 1}
    assert choice.code == "sourcing.chosen_over.nearer"
    assert choice.params == {
        "location": "NEAR",
        "rival": "WH",
        "rival_kind": "warehouse",
        "rival_km": 391,
        "location_km": 7.6,
    }
    assert choice.text == (
        "NEAR chosen over WH (warehouse, 391 km): it is nearer the delivery address "
        "(7.6 km against 391 km)."
    )


@pytest.mark.parametrize(
    ("kilometres", "shown"),
    [(4.23, "4.2 km"), (9.96, "10.0 km"), (10.4, "10 km"), (1234.5, "1,234 km"), (0.04, "0.0 km")],
)
def test_a_distance_is_kept_as_the_english_sentence_rounds_it(kilometres, shown):
    """Whole kilometres (an int) from 10 km, one decimal (a float) below: stored as JSON and
    said again, the distance reads as it always did."""
    kept = json.loads(json.dumps(rounded_km(kilometres)))

    assert ENGLISH.distance(kept) == shown


def test_a_shortfall_carries_its_reason_beside_its_refusal_code():
    decision = source(
        [at_store("2", "JEAN-40", 3, Method.pickup, "LYON")],
        sites=[store("LYON")],
        stock={("JEAN-40", "LYON"): 1},
    )

    (shortfall,) = decision.shortfalls
    assert shortfall.reason == "insufficient_stock"
    assert shortfall.why.code == "sourcing.not_enough_at_chosen_store"
    assert shortfall.why.params == {
        "line": "2",
        "quantity": 3,
        "sku": "JEAN-40",
        "location": "LYON",
        "available": 1,
        "wanted": 3,
    }
    assert shortfall.detail == "Line 2 (3 x JEAN-40): LYON has 1 unit available, 3 wanted."
    assert decision.reasons == (shortfall.why,)


def test_more_than_three_protective_stores_are_counted_not_named():
    stores = [store(f"S{i}", Point(LYON.latitude + i / 100, LYON.longitude)) for i in range(5)]
    decision = source(
        [ship("1", "A", 1)],
        sites=stores,
        stock={("A", f"S{i}"): 2 for i in range(5)},
        destination=LYON,
    )

    (protection,) = [r for r in decision.reasons if "keep_last_units" in r.code]
    assert protection.code == "sourcing.many_stores_keep_last_units"
    assert protection.params == {
        "stores": ["S0", "S1", "S2"],
        "more": 2,
        "protected": 2,
        "sku": "A",
        "line": "1",
    }
    assert protection.text == (
        "S0, S1, S2 and 2 more stores keep the last 2 units of A for the shop floor, "
        "so they do not ship line 1."
    )


def test_a_split_line_lists_each_share_with_its_site():
    decision = source(
        [ship("1", "A", 5)],
        sites=[warehouse("WH"), store("LYON-01")],
        stock={("A", "WH"): 3, ("A", "LYON-01"): 4},
        destination=LYON,
    )

    (split,) = [r for r in decision.reasons if r.code == "sourcing.split"]
    assert split.params["parts"] == ["WH", "LYON-01"]
    assert split.params["parts_units"] == [3, 2]
    assert split.params["parts_kind"] == ["warehouse", "store"]
    assert split.params["parts_km"] == [326, 0.0]
    assert split.text == (
        "Line 1 (5 x A) is split: 3 from WH (warehouse, 326 km) and 2 from LYON-01 "
        "(store, 0.0 km), as no location can ship 5 alone."
    )
    assert said_again(split) == split.text


@settings(max_examples=300, deadline=None)
@given(networks(), st.booleans(), st.booleans())
def test_every_sentence_is_its_reason_said_again_from_stored_parameters(network, located, split):
    """Whatever the network, each sentence is what its code says with its parameters once
    stored as JSON, and every code is one of the catalogue's."""
    sites, stock, lines, protected = network
    decision = source(
        lines,
        sites=sites,
        stock=stock,
        destination=LYON if located else None,
        rules=SourcingRules(protected_store_units=protected, allow_split=split),
    )

    assert decision.explanation == tuple(reason.text for reason in decision.reasons)
    assert [said_again(reason) for reason in decision.reasons] == list(decision.explanation)
    assert {reason.code for reason in decision.reasons} <= set(PHRASES)
