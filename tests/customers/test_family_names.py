"""Family names compared as a French customer file writes them (pure), and what they change
when a message reaches a profile through a household's landline, e-mail, card or device."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicanal.customers.identifiers import make_identifier
from omnicanal.customers.identity.graph import IdentityGraph, Observation, Outcome
from omnicanal.customers.identity.person import (
    PersonFacts,
    clearly_different,
    disagree,
    families_agree,
    fold_family,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _agree(a: str, b: str) -> bool:
    return any(families_agree(x, y) for x in fold_family(a) for y in fold_family(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dumont", "DUMONT"),
        ("Lefèvre", "Lefevre"),
        ("de la Fontaine", "Delafontaine"),
        ("de la Fontaine", "Lafontaine"),
        ("De La Fontaine", "Fontaine"),
        ("d'Artagnan", "Dartagnan"),
        ("Dumont-Paris", "Paris"),
        ("Dumont Paris", "Dumont"),
        ("Saint-Exupéry", "St Exupery"),
        ("Martin née Dupont", "Dupont"),
        ("Mme MARTIN épouse DUPONT", "Martin"),
        ("Gaudin", "Gaudn"),
        ("Giraud", "Girard"),
        ("Morin", "M."),
    ],
)
def test_one_persons_spellings_of_a_family_name_agree(a, b):
    """Accents, case, particles, a double name's part, a married name, an initial, one typo."""
    assert _agree(a, b)
    assert _agree(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dumont", "Paris"),
        ("Gaudin", "Giraud"),
        ("Le Gall", "Le Roux"),
        ("Saint-Martin", "Saint-Pierre"),
        ("Dumont-Paris", "Durand-Petit"),
        ("Martin née Dupont", "Durand"),
        ("Morin", "Moreau"),
    ],
)
def test_two_peoples_family_names_disagree(a, b):
    """Different names, particles and "Saint" alone in common, do not make one family name."""
    assert not _agree(a, b)
    assert not _agree(b, a)


NAMES = st.text(alphabet="abcdeéfghilmnoprstuvz- '", min_size=1, max_size=16)


@given(NAMES, NAMES)
def test_family_name_agreement_is_symmetric(a, b):
    """Whether two family names agree does not depend on which came first."""
    assert _agree(a, b) == _agree(b, a)


@given(NAMES)
def test_a_family_name_agrees_with_itself(a):
    """However it is written, a family name is its own."""
    assert _agree(a, a) or not fold_family(a)


def test_family_names_that_differ_tell_two_namesakes_apart():
    """Alice Dumont and Alice Paris disagree; with another birth date they are two people."""
    dumont = PersonFacts.of(["Alice"], ["1980-05-06"], ["Dumont"])
    paris = PersonFacts.of(["Alice"], ["1962-11-20"], ["Paris"])

    assert disagree(dumont, PersonFacts.of(["Alice"], family_names=["Paris"]))
    assert clearly_different(dumont, paris)
    assert not disagree(dumont, PersonFacts.of(["alice"], family_names=["DUMONT épouse PARIS"]))
    assert not disagree(dumont, PersonFacts.of(["Alice"]))


class Story:
    """A graph fed one message at a time, with readable ids and times."""

    def __init__(self) -> None:
        counter = itertools.count(1)
        self.graph = IdentityGraph(make_id=lambda: f"ID{next(counter):03d}")
        self.clock = itertools.count()

    def see(self, *pairs: tuple[str, str], person: PersonFacts) -> Outcome:
        minute = next(self.clock)
        return self.graph.observe(
            Observation(
                identifiers=tuple(make_identifier(kind, value) for kind, value in pairs),
                at=T0 + timedelta(minutes=minute),
                source="test",
                event_ref=f"E{minute}",
                person=person,
                trusted=True,
            )
        )


def test_a_namesake_with_another_family_name_on_the_landline_starts_a_household():
    """Alice Paris on Alice Dumont's landline: her own profile, the landline shared."""
    story = Story()
    dumont = story.see(
        ("email", "alice.dumont@orange.fr"),
        ("phone", "03 49 24 65 76"),
        person=PersonFacts.of(["Alice"], family_names=["Dumont"]),
    )

    paris = story.see(
        ("phone", "03.49.24.65.76"), person=PersonFacts.of(["Alice"], family_names=["PARIS"])
    )

    assert paris.profile_id != dumont.profile_id
    assert paris.refused == [make_identifier("phone", "0349246576")]
    assert story.graph.identifiers[("phone", "+33349246576")].shared
    assert [h.reason for h in story.graph.households] == ["shared_phone"]
    assert story.graph.profiles[dumont.profile_id].anchors == {
        make_identifier("email", "alice.dumont@orange.fr").kind: {"alice.dumont@orange.fr"}
    }


def test_a_family_e_mail_does_not_join_two_namesakes_of_different_families():
    """Étienne Gaudin and Étienne Giraud on one family e-mail stay two people."""
    story = Story()
    gaudin = story.see(
        ("email", "famille.gaudin@free.fr"),
        person=PersonFacts.of(["Étienne"], family_names=["Gaudin"]),
    )

    giraud = story.see(
        ("email", "famille.gaudin@free.fr"),
        ("phone", "06 12 34 56 78"),
        person=PersonFacts.of(["Etienne"], family_names=["GIRAUD"]),
    )

    assert giraud.profile_id != gaudin.profile_id
    assert giraud.merges == []
    assert [h.reason for h in story.graph.households] == ["shared_email"]


def test_a_family_name_written_otherwise_still_links_through_the_e_mail():
    """ "DE LA FONTAINE" then "Delafontaine" née "Roux": one person, one profile."""
    story = Story()
    first = story.see(
        ("email", "claire.dlf@gmail.com"),
        person=PersonFacts.of(["Claire"], family_names=["DE LA FONTAINE"]),
    )

    second = story.see(
        ("email", "claire.dlf@gmail.com"),
        ("phone", "06 12 34 56 78"),
        person=PersonFacts.of(["Claire"], family_names=["Delafontaine née Roux"]),
    )

    assert second.profile_id == first.profile_id
    assert second.refused == []


def test_a_login_is_followed_whatever_the_family_name():
    """A userId names an account: a married name on it is still the account holder's."""
    story = Story()
    first = story.see(("user_id", "u-1"), person=PersonFacts.of(["Alice"], family_names=["Dumont"]))

    second = story.see(("user_id", "u-1"), person=PersonFacts.of(["Alice"], family_names=["Paris"]))

    assert second.profile_id == first.profile_id
    assert second.refused == []
