"""Identifiers are normalised so that one person typed differently is one key."""

from __future__ import annotations

import pytest

from omnicanal.customers.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    hash_device_id,
    make_identifier,
    normalise,
    normalise_email,
    normalise_phone,
)

FRENCH_MOBILE_FORMS = [
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "0612345678",
    "+33612345678",
    "+33 6 12 34 56 78",
    "+33 (0)6 12 34 56 78",
    "0033 6 12 34 56 78",
    "  06 12 34 56 78  ",
    "6 12 34 56 78",
]


@pytest.mark.parametrize("typed", FRENCH_MOBILE_FORMS)
def test_a_french_mobile_typed_in_any_usual_form_is_one_e164_number(typed):
    assert normalise_phone(typed, "FR") == "+33612345678"


def test_a_mobile_names_a_person_and_a_landline_a_household():
    assert normalise(IdentifierKind.phone, "06 12 34 56 78").anchor is True
    assert normalise(IdentifierKind.phone, "07 81 23 45 67").anchor is True
    assert normalise(IdentifierKind.phone, "04 78 12 34 56").anchor is False
    assert normalise(IdentifierKind.phone, "09 51 12 34 56").anchor is False


def test_the_default_region_decides_how_a_national_number_is_read():
    assert normalise_phone("07911 123456", "GB") == "+447911123456"
    assert normalise_phone("+44 7911 123456", "FR") == "+447911123456"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12", "not a valid phone number"),
        ("06 12 34 56 7", "not a valid phone number"),
        ("not a phone", "not a phone number"),
        ("", "empty"),
        ("0" * 41, "too long"),
    ],
)
def test_an_impossible_phone_is_refused_with_a_reason(typed, reason):
    with pytest.raises(InvalidIdentifier) as refused:
        normalise_phone(typed, "FR")
    assert reason in refused.value.reason
    assert refused.value.kind is IdentifierKind.phone


def test_an_email_is_trimmed_and_lower_cased():
    assert normalise_email("  Jean.Dupont@Example.FR ") == "jean.dupont@example.fr"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("jean.dupont", "no @"),
        ("jean@", "not a valid email"),
        ("jean@@example.fr", "not a valid email"),
        ("jean dupont@example.fr", "not a valid email"),
        ("jean@example", "not a valid email"),
        ("", "empty"),
        ("a" * 65 + "@example.fr", "too long"),
    ],
)
def test_a_malformed_email_is_refused_with_a_reason(typed, reason):
    with pytest.raises(InvalidIdentifier) as refused:
        normalise_email(typed)
    assert reason in refused.value.reason


def test_a_loyalty_card_loses_its_spaces_and_dashes_and_is_upper_cased():
    card = normalise(IdentifierKind.loyalty_card, "fid 1234-5678 90")
    assert card.value == "FID1234567890"
    assert card.anchor is True


def test_a_loyalty_card_with_other_characters_is_refused():
    with pytest.raises(InvalidIdentifier):
        normalise(IdentifierKind.loyalty_card, "12€4")


def test_a_device_id_is_stored_hashed_never_as_given():
    device = normalise(IdentifierKind.device_id, "TABLET-LYON-01")
    assert device.value == hash_device_id("TABLET-LYON-01")
    assert "TABLET" not in device.value
    assert len(device.value) == 64
    assert device.anchor is False


def test_logins_cookies_and_till_numbers_are_kept_as_given_and_numbers_become_text():
    assert normalise(IdentifierKind.user_id, 12345).value == "12345"
    assert normalise(IdentifierKind.anonymous_id, " a1b2 ").value == "a1b2"
    assert normalise(IdentifierKind.external_id, "C-000042").value == "C-000042"
    assert normalise(IdentifierKind.anonymous_id, "x").anchor is False
    assert normalise(IdentifierKind.external_id, "x").anchor is True


@pytest.mark.parametrize("value", [None, True, 1.5, ["a"], {"a": 1}])
def test_an_identifier_that_is_not_text_is_refused(value):
    with pytest.raises(InvalidIdentifier):
        normalise(IdentifierKind.user_id, value)


def test_an_unknown_kind_is_refused_by_name():
    with pytest.raises(InvalidIdentifier):
        make_identifier("passport", "X1")
