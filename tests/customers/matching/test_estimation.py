"""Estimation: u from the pairs, m, h and the priors by EM, on a base with households."""

from __future__ import annotations

import pytest

from omnicanal.customers.matching import DEFAULT_COMPARISONS
from tests.customers.matching.population import fitted_matcher, population


def level(comparison_name: str, label: str) -> tuple[int, int]:
    """(comparison index, level index) of a level, by names."""
    for column, comparison in enumerate(DEFAULT_COMPARISONS):
        if comparison.name == comparison_name:
            labels = [lv.label for lv in comparison.levels]
            return column, labels.index(label)
    raise KeyError(comparison_name)


def test_em_converges_on_a_customer_base():
    report = fitted_matcher().fit_report

    assert report is not None
    assert report.converged
    assert report.records == len(population().records)


@pytest.mark.parametrize(
    ("comparison", "label"),
    [
        ("given name", "exact"),
        ("family name", "exact"),
        ("birth date", "exact"),
        ("birth date", "day and month swapped"),
        ("address", "same address"),
        ("phone", "same mobile"),
        ("email", "exact"),
    ],
)
def test_agreeing_is_likelier_for_one_person_than_for_two(comparison, label):
    """m > u for the levels where the records agree."""
    model = fitted_matcher().model
    column, index = level(comparison, label)

    assert model.m[column][index] > 10 * model.u[column][index]


@pytest.mark.parametrize(
    ("comparison", "label"),
    [("given name", "different"), ("birth date", "different"), ("family name", "different")],
)
def test_disagreeing_is_likelier_for_two_people_despite_households(comparison, label):
    """Couples share an address, a landline and a family name: with a household class, EM
    does not take them for one person, so a different given name stays strong evidence."""
    model = fitted_matcher().model
    column, index = level(comparison, label)

    assert model.m[column][index] < 0.1 * model.u[column][index]


def test_the_estimated_priors_count_about_the_true_pairs_and_households():
    """The expected number of matches among candidates is near the true number of pairs."""
    report = fitted_matcher().fit_report
    true_pairs = len(population().true_pairs())

    assert report is not None
    assert 0.8 * true_pairs < report.expected_matches < 1.2 * true_pairs
    assert report.expected_households > 0.5 * len(population().households)
