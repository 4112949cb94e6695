"""The French name and address model: accents, compound and particle names, "Saint/St",
street types, apartment lines, arrondissements, phones in every French form; and the e-mail
local part weighed against two different mobiles."""

from __future__ import annotations

from datetime import date

import pytest

from omnicanal.customers.matching import Matcher, PersonRecord
from omnicanal.customers.matching.normalise import (
    compact,
    fold_city,
    fold_phone,
    fold_postcode,
    split_names,
    split_street,
)
from tests.customers.matching.population import fitted_matcher


@pytest.mark.parametrize(
    ("written", "number", "street"),
    [
        ("12 rue Victor Hugo", "12", "rue victor hugo"),
        ("12, R. VICTOR-HUGO", "12", "rue victor hugo"),
        ("12 bis rue de la Paix", "12b", "rue paix"),
        ("12bis Rue Paix", "12b", "rue paix"),
        ("12 B rue de la Paix", "12b", "rue paix"),
        ("12-14 av. Foch", "12", "avenue foch"),
        ("n° 7 rue des Lilas", "7", "rue lilas"),
        ("3 bd St-Michel", "3", "boulevard saint michel"),
        ("8 Ste Anne", "8", "sainte anne"),
        ("3 av. du Gal de Gaulle", "3", "avenue general gaulle"),
        ("Bât. B, Apt 12, 3 avenue du Général de Gaulle", "3", "avenue general gaulle"),
        ("Appt 17, 87 impasse Guy Chauveau", "87", "impasse guy chauveau"),
        ("Résidence les Pins 4 bd Saint-Michel", "4", "boulevard saint michel"),
        ("3e étage 5 rue Oberkampf", "5", "rue oberkampf"),
        ("5 rue Oberkampf Esc. A", "5", "rue oberkampf"),
        ("Résidence les Pins", "", "residence pins"),
        ("4 Pl. de la République", "4", "place republique"),
        ("10 Imp. des Roses", "10", "impasse roses"),
    ],
)
def test_french_street_lines_fold_to_one_number_and_name(written, number, street):
    """Street types, articles, "St", numbers and apartment lines are read the French way."""
    assert split_street(written) == (number, street)


@pytest.mark.parametrize(
    ("city", "folded"),
    [
        ("Lyon 3e", "lyon"),
        ("PARIS 15", "paris"),
        ("Lyon Cedex 03", "lyon"),
        ("St-Étienne", "saint etienne"),
        ("Marseille 1er arrondissement", "marseille"),
        ("Saint-Denis", "saint denis"),
    ],
)
def test_french_cities_drop_arrondissements_and_spell_out_saint(city, folded):
    """A commune is one name however its arrondissement or "St" is written."""
    assert fold_city(city) == folded


@pytest.mark.parametrize(
    ("postcode", "city", "folded"),
    [
        ("69003", "Lyon", "69003"),
        ("69 003", "Lyon", "69003"),
        ("F-69003", "Lyon", "69003"),
        ("", "Lyon 3e", "69003"),
        ("", "Paris 15e", "75015"),
        ("", "Marseille 16", "13016"),
        ("", "Lyon 12", ""),
        ("", "Rennes", ""),
    ],
)
def test_postcodes_are_read_with_or_without_spaces_prefix_or_from_the_arrondissement(
    postcode, city, folded
):
    """ "Lyon 3e" without a postcode is 69003."""
    assert fold_postcode(postcode, city) == folded


@pytest.mark.parametrize(
    ("typed", "e164", "landline"),
    [
        ("06 12 34 56 78", "+33612345678", False),
        ("06.12.34.56.78", "+33612345678", False),
        ("06-12-34-56-78", "+33612345678", False),
        ("+33 6 12 34 56 78", "+33612345678", False),
        ("+33 (0)6 12 34 56 78", "+33612345678", False),
        ("0033612345678", "+33612345678", False),
        ("0612345678", "+33612345678", False),
        ("04 78 12 34 56", "+33478123456", True),
        ("09 70 12 34 56", "+33970123456", True),
        ("+33612345678", "+33612345678", False),
    ],
)
def test_french_phones_in_every_form_are_one_number(typed, e164, landline):
    """A phone typed any French way is one E.164 number, a landline known as one."""
    assert fold_phone(typed) == (e164, landline)


def test_an_unreadable_phone_is_kept_as_its_digits():
    """An invalid number is compared as typed, and says nothing about being a landline."""
    assert fold_phone("00 00 00 00 00") == ("0000000000", None)


@pytest.mark.parametrize(
    ("given", "family", "folded"),
    [
        ("Hélène", "LEFÈVRE", ("helene", "lefevre")),
        ("Jean-Pierre", "de la Fontaine", ("jean pierre", "de la fontaine")),
        ("Mme Marie", "DUPONT épouse MARTIN", ("marie", "dupont")),
        ("Marie", "Martin née Dupont", ("marie", "martin")),
        ("", "St-Exupéry", ("", "saint exupery")),
        ("Zoé", "Mme Dupont", ("zoe", "dupont")),
    ],
)
def test_french_names_fold_accents_civilities_and_married_names(given, family, folded):
    """Accents, civilities and "épouse"/"née" parts leave the name a person is known by."""
    assert split_names(given, family) == folded


def test_particle_names_written_together_or_apart_are_one_name():
    """ "de la Fontaine", "Delafontaine" and "DE LA FONTAINE" compact to one name."""
    names = {compact(split_names("", name)[1]) for name in ("de la Fontaine", "Delafontaine")}
    assert names == {"delafontaine"}


@pytest.mark.parametrize("written", ["Jean Pierre", "JEAN-PIERRE", "JP", "J.-P."])
def test_compound_first_names_match_their_other_forms(written):
    """Jean-Pierre against "Jean Pierre" is exact, against "JP" or "J.-P." similar."""
    a = PersonRecord("a", "Jean-Pierre", "Dupont", postcode="69003")
    b = PersonRecord("b", written, "Dupont", postcode="69003")
    given = Matcher().score(a, b).reasons[0]
    assert ": exact" in given or ": similar" in given, given


def _till_and_web() -> tuple[PersonRecord, PersonRecord]:
    web = PersonRecord(
        "web",
        "Jean-Pierre",
        "de la Fontaine",
        date(1970, 5, 2),
        street="Bât. B, 12 bis avenue du Général de Gaulle",
        postcode="69003",
        city="Lyon",
        phone="+33478123456",
        phone_is_landline=True,
    )
    till = PersonRecord(
        "till",
        "JEAN PIERRE",
        "DELAFONTAINE",
        date(1970, 5, 2),
        street="12B AV GAL DE GAULLE",
        city="LYON 3E",
        phone="04.78.12.34.56",
    )
    return web, till


@pytest.mark.parametrize("matcher", [Matcher(), fitted_matcher()], ids=["unfitted", "fitted"])
def test_a_till_record_typed_the_french_way_merges_with_the_web_account(matcher):
    """Every French variant at once still reads as one person at one address."""
    web, till = _till_and_web()
    score = matcher.score(web, till)
    assert score.decision == "merge", score.reasons
    assert "same address" in score.reasons[3]
    assert "same landline" in score.reasons[4]


def _namesakes(local_part: str) -> tuple[PersonRecord, PersonRecord]:
    home = {"street": "8 rue des Lilas", "postcode": "35000", "city": "Rennes"}
    father = PersonRecord(
        "father",
        "Jérôme",
        "Jacquet",
        date(1961, 5, 2),
        phone="+33612345678",
        email=f"{local_part}@gmail.com",
        **home,  # type: ignore[arg-type]
    )
    son = PersonRecord(
        "son",
        "Jerome",
        "JACQUET",
        None,
        phone="+33698765432",
        email=f"{local_part}@free.fr",
        **home,  # type: ignore[arg-type]
    )
    return father, son


@pytest.mark.parametrize("matcher", [Matcher(), fitted_matcher()], ids=["unfitted", "fitted"])
@pytest.mark.parametrize("local_part", ["jerome.jacquet", "jacquet.jerome35", "jj.bzh"])
def test_namesakes_of_one_household_with_one_local_part_and_two_mobiles_are_a_household(
    matcher, local_part
):
    """Finding 6: the same local part elsewhere never outvotes two different mobiles."""
    father, son = _namesakes(local_part)

    score = matcher.score(father, son)

    assert score.decision == "household", score.reasons
    assert any("two different mobiles" in reason for reason in score.reasons)


def test_a_local_part_built_from_the_names_weighs_nothing():
    """ "jacquet.jerome35" at two providers is what namesakes share: neutral."""
    father, son = _namesakes("jacquet.jerome35")
    email = Matcher().score(father, son).reasons[5]
    assert email.endswith("missing, neutral, +0.0"), email


def test_one_person_with_two_mobiles_and_one_birth_date_still_merges():
    """A birth date that agrees lets a changed mobile through: one person, two numbers."""
    father, son = _namesakes("jj.bzh")
    same_person = PersonRecord(**{**son.__dict__, "birth_date": father.birth_date})
    assert Matcher().score(father, same_person).decision == "merge"


def test_namesakes_at_two_addresses_with_two_mobiles_are_never_merged():
    """Without a shared home the conflict sends the pair to review at most."""
    father, son = _namesakes("jj.bzh")
    elsewhere = PersonRecord(**{**son.__dict__, "street": "3 rue Foch", "postcode": "75011"})
    assert Matcher().score(father, elsewhere).decision in ("review", "distinct")
