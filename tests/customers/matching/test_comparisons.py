"""Each comparison puts a pair of records on one of its levels, or leaves it neutral."""

from __future__ import annotations

from datetime import date

import numpy as np

from omnicanal.customers.matching import PersonRecord
from omnicanal.customers.matching.address import ADDRESS
from omnicanal.customers.matching.comparisons import MISSING, Comparison, compare
from omnicanal.customers.matching.normalise import prepare
from omnicanal.customers.matching.personal import (
    BIRTH_DATE,
    EMAIL,
    EMAIL_YEAR,
    FAMILY_NAME,
    GIVEN_NAME,
    PHONE,
)


def make_person(record_id: str = "a", **fields: object) -> PersonRecord:
    """A person record with only the given fields filled in."""
    return PersonRecord(record_id=record_id, **fields)  # type: ignore[arg-type]


def level_of(comparison: Comparison, a: PersonRecord, b: PersonRecord) -> str:
    """The label of the level the comparison gives the pair, or "missing"."""
    levels, _ = compare([comparison], prepare([a, b]), np.array([0]), np.array([1]))
    level = int(levels[0, 0])
    return "missing" if level == MISSING else comparison.levels[level].label


def test_names_equal_once_accents_and_case_are_folded_are_exact():
    a = make_person(given_name="Hélène", family_name="Lefèvre")
    b = make_person("b", given_name="HELENE", family_name="LEFEVRE")
    assert level_of(GIVEN_NAME, a, b) == "exact"
    assert level_of(FAMILY_NAME, a, b) == "exact"


def test_a_typo_in_a_name_is_one_typo_apart_even_on_the_first_letter():
    a = make_person(given_name="Jean", family_name="Martin")
    assert level_of(FAMILY_NAME, a, make_person("b", family_name="Matrin")) == "one typo apart"
    assert level_of(FAMILY_NAME, a, make_person("b", family_name="Nartin")) == "one typo apart"


def test_an_initial_or_one_part_of_a_compound_given_name_is_similar():
    a = make_person(given_name="Jean-Pierre", family_name="Dupont")
    similar = "similar (close spelling, an initial, or one part of a compound)"
    assert level_of(GIVEN_NAME, a, make_person("b", given_name="J.")) == similar
    assert level_of(GIVEN_NAME, a, make_person("b", given_name="Pierre")) == similar
    assert level_of(GIVEN_NAME, a, make_person("b", given_name="Marc")) == "different"


def test_swapped_first_and_last_names_are_compared_the_right_way_round():
    a = make_person(given_name="Hélène", family_name="Lefèvre")
    b = make_person("b", given_name="LEFEVRE", family_name="HELENE")
    assert level_of(GIVEN_NAME, a, b) == "exact"
    assert level_of(FAMILY_NAME, a, b) == "exact"


def test_a_missing_name_is_neutral():
    a = make_person(given_name="Jean", family_name="Dupont")
    assert level_of(GIVEN_NAME, a, make_person("b", family_name="Dupont")) == "missing"


def test_birth_dates_exact_swapped_mistyped_year_off_or_missing():
    born = make_person(birth_date=date(1980, 3, 12))

    def against(other: date | None) -> str:
        return level_of(BIRTH_DATE, born, make_person("b", birth_date=other))

    assert against(date(1980, 3, 12)) == "exact"
    assert against(date(1980, 12, 3)) == "day and month swapped"
    assert against(date(1980, 3, 13)) == "one digit mistyped"
    assert against(date(1981, 3, 12)) == "year off by one"
    assert against(date(1980, 11, 12)) == "one of day, month, year differs"
    assert against(date(1955, 7, 30)) == "different"
    assert against(None) == "missing"


def test_an_address_written_two_ways_is_the_same_address():
    a = make_person(street="3 av. Foch", postcode="69006", city="Lyon")
    b = make_person("b", street="3 avenue Foch", postcode="69 006", city="LYON")
    assert level_of(ADDRESS, a, b) == "same address"


def test_a_neighbour_is_on_the_same_street_at_another_number():
    a = make_person(street="3 avenue Foch", postcode="69006", city="Lyon")
    b = make_person("b", street="15 avenue Foch", postcode="69006", city="Lyon")
    assert level_of(ADDRESS, a, b) == "same street, other number, same postcode and city"


def test_a_postcode_without_a_street_still_compares_the_place():
    a = make_person(street="12 rue Oberkampf", postcode="75011", city="Paris")
    b = make_person("b", postcode="75011")
    assert level_of(ADDRESS, a, b) == "street unknown, same postcode, city differs or unknown"
    assert level_of(ADDRESS, a, make_person("b")) == "missing"


def test_a_shared_landline_is_not_a_shared_mobile_and_a_mobile_against_a_landline_is_neutral():
    mobile = make_person(phone="+33612345678")
    landline = make_person("b", phone="+33478123456", phone_is_landline=True)
    assert level_of(PHONE, mobile, make_person("c", phone="+33612345678")) == "same mobile"
    assert level_of(PHONE, landline, landline) == "same landline"
    assert level_of(PHONE, mobile, landline) == "missing"
    assert level_of(PHONE, mobile, make_person("c", phone="+33698765432")) == (
        "two different mobiles"
    )
    other_landline = make_person("d", phone="+33145678901", phone_is_landline=True)
    assert level_of(PHONE, landline, other_landline) == "two different landlines"


def test_an_email_local_part_that_only_spells_the_names_is_neutral():
    a = make_person(given_name="Jean", family_name="Dupont", email="jean.dupont@gmail.com")
    b = make_person("b", given_name="Jean", family_name="Dupont", email="jean.dupont@orange.fr")
    c = make_person("c", email="jd.lyon69@gmail.com")
    d = make_person("d", email="JD.Lyon69@orange.fr")
    assert level_of(EMAIL, a, b) == "missing"
    assert level_of(EMAIL, c, d) == "same local part at another domain"
    assert level_of(EMAIL, c, make_person("e", email="jd.lyon69@gmail.com")) == "exact"


def test_the_year_an_email_ends_with_is_read_against_the_other_records_birth_year():
    thomas = make_person(given_name="Thomas", family_name="Giraud", email="giraud.thomas66@free.fr")
    born_1966 = make_person(
        "b", given_name="Thomas", family_name="Giraud", birth_date=date(1966, 2, 20)
    )
    born_1984 = make_person(
        "c", given_name="Thomas", family_name="Giraud", birth_date=date(1984, 7, 1)
    )
    assert level_of(EMAIL_YEAR, thomas, born_1966) == "agrees with the birth year"
    assert level_of(EMAIL_YEAR, born_1966, thomas) == "agrees with the birth year"
    assert level_of(EMAIL_YEAR, thomas, born_1984) == "differs from the birth year"
    four_digits = make_person("d", email="marie.durand1966@gmail.com")
    assert level_of(EMAIL_YEAR, four_digits, born_1966) == "agrees with the birth year"


def test_an_email_year_is_neutral_without_a_birth_date_to_read_it_against_or_with_two():
    thomas = make_person(given_name="Thomas", email="giraud.thomas66@free.fr")
    undated = make_person("b", given_name="Thomas", email="thomas.giraud@free.fr")
    assert level_of(EMAIL_YEAR, thomas, undated) == "missing"
    # Its own record gives a birth date: the birth dates are compared, not the e-mail.
    dated = make_person("c", email="giraud.thomas66@free.fr", birth_date=date(1966, 2, 20))
    other = make_person("d", birth_date=date(1984, 7, 1))
    assert level_of(EMAIL_YEAR, dated, other) == "missing"
    # No year at its end: three digits, a number in the middle, none at all.
    for email in ("thomas123@free.fr", "t66.giraud@free.fr", "thomas.giraud@free.fr"):
        assert level_of(EMAIL_YEAR, make_person("e", email=email), other) == "missing"
