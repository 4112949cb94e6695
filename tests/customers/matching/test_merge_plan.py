"""Merges planned together: no chain of merges joins two records that tell two people apart,
a record that fits two such people is left to review, and a French given name's masculine and
feminine forms are two names."""

from __future__ import annotations

from datetime import date

import pytest

from omnicanal.customers.identity.person import gendered_forms
from omnicanal.customers.matching import Matcher, PersonRecord, Thresholds
from omnicanal.customers.matching.clusters import Clusters, plan_merges

HOME = {"street": "19 place Grégoire Marques", "postcode": "69100", "city": "Villeurbanne"}


def person(record_id: str, given: str = "Martin", **fields: object) -> PersonRecord:
    """A record of someone called ``given`` Thomas (fields: the rest of it)."""
    return PersonRecord(record_id=record_id, given_name=given, family_name="Thomas", **fields)


FATHER = person("father", birth_date=date(1964, 12, 3), email="martin.thomas@laposte.net", **HOME)
SON = person("son", birth_date=date(2002, 4, 28), phone="+33733908611", **HOME)
WEB = person("web", **HOME)  # a name and the family's address: either of them


@pytest.mark.parametrize(
    ("masculine", "feminine"),
    [
        ("pascal", "pascale"),
        ("louis", "louise"),
        ("denis", "denise"),
        ("simon", "simone"),
        ("emmanuel", "emmanuelle"),
        ("michel", "michelle"),
        ("daniel", "danielle"),
        ("jean", "jeanne"),
        ("fabien", "fabienne"),
        ("henri", "henriette"),
        ("antoine", "antoinette"),
        ("paul", "pauline"),
        ("joseph", "josephine"),
        ("frederic", "frederique"),
    ],
)
def test_masculine_and_feminine_forms_of_a_given_name_are_two_names(masculine, feminine):
    """ "Pascal" and "Pascale" are one letter apart and two people."""
    assert gendered_forms(masculine, feminine)
    assert gendered_forms(feminine, masculine)


@pytest.mark.parametrize(
    ("masculine", "feminine"),
    [("emmanuel", "emmnauelle"), ("emmnauel", "emmanuelle"), ("michel", "mixhelle")],
)
def test_a_typo_does_not_hide_a_feminine_form(masculine, feminine):
    """ "Emmnauelle" is still Emmanuelle, not a slip away from Emmanuel."""
    assert gendered_forms(masculine, feminine)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("marie", "marie"),
        ("nicolas", "nicokas"),
        ("gregoire", "gergoire"),
        ("nathalie", "natalie"),
        ("sophie", "sophia"),
        ("jean", "jeans"),
        ("eric", "erica"),
        ("al", "ale"),
        ("christophe", "christopher"),
    ],
)
def test_typos_and_unrelated_spellings_are_not_gendered_forms(a, b):
    """A slip of the keyboard, a foreign spelling or a very short name is not a gender pair."""
    assert not gendered_forms(a, b)


def test_a_feminine_form_makes_the_given_names_differ_for_the_matcher():
    """ "Emmanuelle" against "Emmanuel" at one address is a household, never one typo apart."""
    a = PersonRecord("a", "EMMANUELLE", "FERRAND", **HOME)
    b = PersonRecord("b", "Emmanuel", "Ferrand", **HOME)

    score = Matcher().score(a, b)

    assert ": different, " in score.reasons[0]
    assert score.decision == "household"


def test_a_typo_in_a_given_name_is_still_one_typo_apart():
    """ "Maritn" is Martin mistyped, not another name."""
    score = Matcher().score(person("a", "Maritn", **HOME), person("b", **HOME))

    assert "one typo apart" in score.reasons[0]


def test_records_with_two_birth_dates_conflict():
    """A father and his namesake son, born forty years apart, say they are two people."""
    assert Matcher().conflicts([FATHER], [SON])


def test_records_with_agreeing_or_missing_facts_do_not_conflict():
    """A name and an address say nothing against either namesake."""
    matcher = Matcher()

    assert not matcher.conflicts([WEB], [FATHER])
    assert not matcher.conflicts([WEB], [SON])
    assert not matcher.conflicts([FATHER], [person("again", birth_date=date(1964, 3, 12))])


def test_conflicts_compare_every_record_of_one_side_with_every_record_of_the_other():
    """A cluster conflicts as soon as one of its records does."""
    assert Matcher().conflicts([WEB, FATHER], [person("other web", **HOME), SON])


def test_conflicts_of_an_empty_side_are_none():
    """Nothing to compare, nothing to disagree."""
    assert not Matcher().conflicts([], [FATHER])


def test_two_mobiles_without_an_agreeing_birth_date_conflict():
    """Two people rarely share a name and an address; one person rarely gives two mobiles."""
    a = person("a", phone="+33612345678", **HOME)
    b = person("b", phone="+33698765432", **HOME)

    assert Matcher().conflicts([a], [b])


def test_clusters_join_records_that_agree():
    """Two records saying nothing against each other become one cluster."""
    clusters = Clusters(Matcher().conflicts)

    assert clusters.join(WEB, FATHER)
    assert {r.record_id for r in clusters.members(WEB)} == {"web", "father"}


def test_clusters_refuse_a_join_through_a_record_that_fits_both():
    """Once the web record sits with the father, the son cannot join them through it."""
    clusters = Clusters(Matcher().conflicts)
    clusters.join(WEB, FATHER)

    assert not clusters.join(WEB, SON)
    assert {r.record_id for r in clusters.members(SON)} == {"son"}


def test_a_record_that_fits_two_people_who_conflict_is_merged_with_neither():
    """The web record could be the father's or the son's: both its merges wait for review."""
    plan = plan_merges([(WEB, FATHER), (WEB, SON)], Matcher().conflicts)

    assert plan == [False, False]


def test_merges_that_conflict_with_nothing_are_all_made():
    """Three records of one person, merged in a chain, stay merged."""
    till = person("till", birth_date=date(1964, 12, 3), **HOME)
    app = person("app", email="martin.thomas@laposte.net")

    assert plan_merges([(WEB, FATHER), (till, FATHER), (app, FATHER)], Matcher().conflicts) == [
        True,
        True,
        True,
    ]


def test_the_ambiguous_record_alone_is_left_out():
    """The son's own records still merge with each other; only the record that fits both waits."""
    son_again = person("son again", birth_date=date(2002, 4, 28), **HOME)
    pairs = [(son_again, SON), (WEB, FATHER), (WEB, SON)]

    assert plan_merges(pairs, Matcher().conflicts) == [True, False, False]


def test_a_plan_of_no_merges_is_empty():
    """Nothing to plan."""
    assert plan_merges([], Matcher().conflicts) == []


def test_default_thresholds_merge_at_ninety_percent_and_review_from_eighty():
    """Calibrated three-class probabilities, merges planned against conflicts: ADR 0007."""
    assert (Thresholds().merge, Thresholds().review) == (0.9, 0.8)
