"""Folding, phonetic keys and the splitting of names and street lines."""

from __future__ import annotations

from omnicanal.customers.matching.normalise import (
    fold,
    fold_email,
    fold_postcode,
    phonetic_key,
    split_names,
    split_street,
)


def test_folding_drops_accents_case_punctuation_and_ligatures():
    assert fold("  Hélène LEFÈVRE-Dubois ") == "helene lefevre dubois"
    assert fold("Œillet d'Aÿ") == "oeillet d ay"
    assert fold(None) == ""


def test_french_spellings_of_one_name_share_a_phonetic_key():
    assert phonetic_key("Lefèvre") == phonetic_key("LEFEBVRE") == phonetic_key("Lefevre")
    assert phonetic_key("Dupont") == phonetic_key("DUPOND")
    assert phonetic_key("Philippe") == phonetic_key("Filipe")
    assert phonetic_key("Gauthier") == phonetic_key("Gautier")


def test_different_names_get_different_phonetic_keys():
    assert phonetic_key("Martin") != phonetic_key("Bernard")
    assert phonetic_key("") == ""


def test_a_street_line_splits_into_house_number_and_spelt_out_street_name():
    assert split_street("12 bis av. Foch") == ("12b", "avenue foch")
    assert split_street("3, Bd Voltaire") == ("3", "boulevard voltaire")
    assert split_street("Chemin des Vignes") == ("", "chemin vignes")  # articles left out


def test_a_till_name_typed_in_one_field_gives_family_name_and_initial():
    assert split_names("", "DUPONT J.") == ("j", "dupont")
    assert split_names("Jean", "Dupont") == ("jean", "dupont")


def test_postcodes_and_emails_are_trimmed_and_folded():
    assert fold_postcode(" 75 011 ") == "75011"
    assert fold_email(" Jean.Dupont+promo@Gmail.com ") == (
        "jean.dupont+promo@gmail.com",
        "jean.dupont",
    )
    assert fold_email("not an address") == ("", "")
