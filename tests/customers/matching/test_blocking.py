"""Blocking: the candidate pairs are few, listed once, and hold the true pairs."""

from __future__ import annotations

from omnicanal.customers.matching import Matcher, PersonRecord
from tests.customers.matching.population import make_population


def test_blocking_finds_every_true_pair_of_a_small_base_with_typos_and_swaps():
    """Given 120 people seen by several channels (typos, swapped names, tills without
    accents), the candidate pairs contain every pair of records of one person."""
    population = make_population(120, seed=11)
    truth = population.index_pairs(population.true_pairs())

    candidates = set(Matcher().candidate_pairs(population.records))

    assert truth <= candidates
    size = len(population.records)
    assert len(candidates) < size * (size - 1) // 2 / 5


def test_candidate_pairs_are_ordered_and_listed_once():
    """Two records sharing postcode, family sound and birth date are one pair, not three."""
    records = [
        PersonRecord("a", "Jean", "Dupont", postcode="75011"),
        PersonRecord("b", "Jean", "Dupond", postcode="75011"),
        PersonRecord("c", "Marc", "Zeller", postcode="13001"),
    ]

    assert list(Matcher().candidate_pairs(records)) == [(0, 1)]


def test_a_key_shared_by_too_many_records_is_skipped():
    """A postcode of five records, with blocks capped at three, pairs nobody."""
    records = [
        PersonRecord(str(n), given, family, postcode="75011")
        for n, (given, family) in enumerate(
            [
                ("Jean", "Martin"),
                ("Anne", "Bernard"),
                ("Luc", "Petit"),
                ("Eva", "Roux"),
                ("Paul", "Morel"),
            ]
        )
    ]

    assert list(Matcher(max_block_size=3).candidate_pairs(records)) == []
    assert len(list(Matcher().candidate_pairs(records))) == 10


def test_a_record_s_blocking_keys_name_the_rule_and_the_value():
    """The keys let a service look a new record's candidates up in its own index."""
    keys = Matcher().blocking_keys(
        PersonRecord("a", "Jean", "Dupont", postcode="75011", phone="+33612345678")
    )

    assert "postcode:75011" in keys
    assert "family sound:dpn" in keys
    assert any(key.startswith("phone:") for key in keys)
