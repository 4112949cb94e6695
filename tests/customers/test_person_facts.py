"""Given names and birth dates compared as a French customer file writes them (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicanal.customers.identity.person import (
    PersonFacts,
    birth_dates_agree,
    clearly_different,
    disagree,
    fold_name,
    names_agree,
    parse_birth_date,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Grégoire", "GREGOIRE"),
        ("Grégoire", "Gregorie"),
        ("Jean-Pierre", "Jean Pierre"),
        ("Jean-Pierre", "Jeanpierre"),
        ("Jean-Pierre", "Jean"),
        ("Marie", "M."),
        ("Hélène", "Helene"),
        ("Zoé", "Zoe"),
        ("Cédric", "Cedrik"),
        ("Anaïs", "Anais"),
    ],
)
def test_one_persons_spellings_of_a_given_name_agree(a, b):
    """Accents, case, hyphens, a compound's first part, an initial and one typo agree."""
    assert names_agree(fold_name(a), fold_name(b))
    assert names_agree(fold_name(b), fold_name(a))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Grégoire", "Cédric"),
        ("Jean-Pierre", "Jean-Marc"),
        ("Marie", "Paul-Marie"),
        ("Louis", "Lucas"),
        ("Sylvie", "Théo"),
        ("Anne", "Annabelle"),
        ("Louis", "Louise"),
        ("Michel", "Michèle"),
        ("DENIS", "Denise"),
        ("René", "Renée"),
        ("François", "Françoise"),
        ("Louis-Marie", "Louise"),
    ],
)
def test_two_peoples_given_names_disagree(a, b):
    """Different names, compounds that differ after their first part, or a masculine name
    and its feminine (one letter apart, but a couple, not a slip) disagree."""
    assert not names_agree(fold_name(a), fold_name(b))


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("1971-02-03", "1971-02-03"),
        ("1971-02-03T00:00:00Z", "1971-02-03"),
        ("03/02/1971", "1971-02-03"),
        ("3.2.1971", "1971-02-03"),
        ("31/02/1971", None),
        ("demain", None),
        (19710203, None),
    ],
)
def test_birth_dates_are_read_in_iso_and_french_forms(raw, parsed):
    """ISO with or without a time, DD/MM/YYYY; anything else is no birth date."""
    assert parse_birth_date(raw) == parsed


def test_a_swapped_day_and_month_or_one_mistyped_digit_is_one_birth_date():
    """03/02 typed as 02/03, or 1971 typed 1917 is not, but 1971 typed 1972 is."""
    assert birth_dates_agree("1971-02-03", "1971-03-02")
    assert birth_dates_agree("1971-02-03", "1972-02-03")
    assert not birth_dates_agree("1971-02-03", "1917-02-03")
    assert not birth_dates_agree("1971-02-03", "1999-03-11")


def test_facts_disagree_on_names_or_dates_and_clearly_differ_on_both():
    """A namesake with another birth date disagrees; only both differing is clear."""
    gregoire = PersonFacts.of(["Grégoire"], ["1971-02-03"])
    namesake = PersonFacts.of(["Gregoire"], ["1999-03-11"])
    cedric = PersonFacts.of(["Cédric"], ["1999-03-11"])

    assert disagree(gregoire, namesake) and not clearly_different(gregoire, namesake)
    assert disagree(gregoire, cedric) and clearly_different(gregoire, cedric)
    assert not disagree(gregoire, PersonFacts())
    assert not disagree(gregoire, PersonFacts.of(["Grégoire"]))


def test_traits_give_the_names_and_birth_date_under_their_usual_names():
    """first_name, firstName, last_name, birthday, date_of_birth…; other traits are not facts."""
    facts = PersonFacts.from_traits(
        {"firstName": "Cédric", "date_of_birth": "11/03/1999", "last_name": "Morin"}
    )

    assert facts == PersonFacts(
        frozenset({("cedric",)}), frozenset({"1999-03-11"}), frozenset({("morin",)})
    )
    assert not PersonFacts.from_traits({"city": "Lyon", "nickname": "Cédric"})


NAMES = st.text(alphabet="abcdeéèfghijklmnoprstuvyzç- ", min_size=1, max_size=14)


@given(NAMES, NAMES)
def test_name_agreement_is_symmetric(a, b):
    """Whether two names agree does not depend on which came first."""
    assert names_agree(fold_name(a), fold_name(b)) == names_agree(fold_name(b), fold_name(a))


@given(NAMES)
def test_a_name_agrees_with_itself_written_in_capitals_without_accents(name):
    """Capitals and missing accents never make two people."""
    plain = name.upper().replace("É", "E").replace("È", "E").replace("Ç", "C")
    assert names_agree(fold_name(name), fold_name(plain))


@given(st.dates(), st.dates())
def test_birth_date_agreement_is_symmetric(a, b):
    """Whether two birth dates agree does not depend on their order."""
    assert birth_dates_agree(a.isoformat(), b.isoformat()) == birth_dates_agree(
        b.isoformat(), a.isoformat()
    )


def test_a_profile_keeps_a_few_spellings_not_every_name_sent():
    """Twenty different family names sent for one person: the first eight are kept, so no
    one can fill a profile with names until every message agrees with it."""
    kept = PersonFacts.of(first_names=["Aimé"], family_names=["Pruvost"])
    for index in range(20):
        kept = kept.keeping(PersonFacts.of(family_names=[f"Nom{chr(97 + index)}"]))

    assert len(kept.family_names) == 8
    assert ("pruvost",) in kept.family_names
    assert disagree(PersonFacts.of(first_names=["Aimé"], family_names=["Zzzzzz"]), kept)


JSON_VALUES = st.recursive(
    st.none() | st.text() | st.integers(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
)


@given(
    JSON_VALUES | st.fixed_dictionaries({"first_names": JSON_VALUES, "birth_dates": JSON_VALUES})
)
def test_stored_facts_read_back_or_read_as_nothing(raw):
    """What ``profiles.facts`` holds reads back as it was written; anything else reads as
    no facts, never an error."""
    facts = PersonFacts.from_json(raw)
    assert PersonFacts.from_json(facts.to_json()) == facts
    assert all(all(name) for name in facts.first_names)


def test_stored_facts_round_trip():
    facts = PersonFacts.of(["Jean-Pierre"], ["03/02/1971"], ["MARTIN née Dupont"])
    assert PersonFacts.from_json(facts.to_json()) == facts
    assert PersonFacts.from_json(facts.to_json()).birth_dates == {"1971-02-03"}
