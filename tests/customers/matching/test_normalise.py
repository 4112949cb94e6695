"""Folding, phonetic keys and the splitting of names and street lines."""

from __future__ import annotations

from omnicanal.customers.matching import PersonRecord
from omnicanal.customers.matching.normalise import (
    fold,
    fold_email,
    fold_postcode,
    phonetic_key,
    prepare,
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


def test_a_record_with_a_given_name_only_takes_its_family_name_from_the_e_mail():
    """An e-mail platform keeps « Margaud » and margaud.leduc@…: she is Margaud Leduc, and is
    blocked and compared with the till's MARGAUD LEDUC; nothing is guessed otherwise."""

    def family(given: str, email: str | None, family_name: str = "") -> str:
        record = PersonRecord(record_id="r", given_name=given, family_name=family_name, email=email)
        return str(prepare([record]).family[0])

    assert family("Margaud", "margaud.leduc@laposte.net") == "leduc"
    assert family("William", "williamdumont@hotmail.fr") == "dumont"
    assert family("Hélène", "chartier.helene76@gmail.com") == "chartier"
    assert family("Émile", "emile_delmas@orange.fr") == "delmas"
    assert family("Marcel", "famille.guillaume@hotmail.fr") == ""  # not his given name
    assert family("Julie", "famille.julie@gmail.com") == ""
    assert family("Margaud", "m.dumont@free.fr") == ""  # an initial says too little
    assert family("Léa", "lea@gmail.com") == ""
    assert family("Margaud", None) == ""
    assert family("Margaud", "margaud.leduc@laposte.net", "Martin") == "martin"
