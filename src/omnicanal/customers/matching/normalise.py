"""Normalise person records once: fold accents and case, split street numbers, code values.

Every comparison and blocking key works on these folded forms, so "Hélène LEFÈVRE",
"HELENE LEFEVRE" and "helene lefevre" are the same name before any similarity is computed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from omnicanal.customers.matching.records import PersonRecord

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o"})
_SEPARATORS = re.compile(r"[\W_]+")
_HOUSE_NUMBER = re.compile(r"^\d+[a-z]?$")
_NUMBER_SUFFIXES = {"bis": "b", "ter": "t", "quater": "q"}
# French street-type abbreviations as tills and forms type them.
_STREET_WORDS = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "boul": "boulevard",
    "pl": "place",
    "che": "chemin",
    "chem": "chemin",
    "imp": "impasse",
    "rte": "route",
    "all": "allee",
    "sq": "square",
    "fbg": "faubourg",
    "crs": "cours",
    "qu": "quai",
    "res": "residence",
    "resid": "residence",
    "bvd": "boulevard",
    "fg": "faubourg",
    "prom": "promenade",
    "esp": "esplanade",
    "lot": "lotissement",
    "ham": "hameau",
    "st": "saint",
    "ste": "sainte",
    "gal": "general",
    "gen": "general",
    "mal": "marechal",
    "pdt": "president",
    "pres": "president",
    "dr": "docteur",
    "cdt": "commandant",
}
_CITY_WORDS = {"st": "saint", "ste": "sainte"}
# Articles and prepositions that streets are written with or without ("rue de la Paix").
_STREET_ARTICLES = frozenset({"de", "du", "des", "d", "la", "le", "les", "l"})
# Apartment and building lines: the keyword and the word after it are dropped from a street.
_COMPLEMENTS = frozenset(
    {
        "bat", "batiment", "bt", "apt", "appt", "app", "appartement", "esc", "escalier",
        "porte", "etage", "log", "logement", "bal", "boite", "bp", "cs", "cedex",
    }
)  # fmt: skip
_RESIDENCE = frozenset({"residence", "res", "resid", "immeuble", "imm", "chez"})
_FLOOR = re.compile(r"^(\d+(e|er|eme|ieme)|rdc)$")
_HOUSE_NUMBER_WORDS = frozenset({"n", "no", "num"})
_NUMBER_WITH_SUFFIX = re.compile(r"^(\d+)(bis|ter|quater|[a-z])?$")
# Civilities typed in a name field ("Mme DUPONT", "M. Jean").
_CIVILITIES = frozenset(
    {"m", "mr", "mme", "mlle", "melle", "monsieur", "madame", "mademoiselle", "dr", "me"}
)
# "DUPONT épouse MARTIN", "Martin née Dupont", "Vve Durand": the name before the marker.
_MARRIED = frozenset({"epouse", "ep", "epse", "nee", "ne", "veuve", "vve", "dite", "dit"})
# Cities with arrondissements and the postcode of the first one.
_ARRONDISSEMENTS = {"paris": (75000, 20), "lyon": (69000, 9), "marseille": (13000, 16)}
_CITY_NOISE = re.compile(r"^(\d+(e|er|eme|ieme)?|arrondissement|arr|cedex)$")
# Rewrites for a French-aware phonetic key, applied in this order.
_PHONETIC_RULES = (
    ("sch", "x"),
    ("ch", "x"),
    ("sh", "x"),
    ("ph", "f"),
    ("gn", "n"),
    ("qu", "k"),
    ("ck", "k"),
    ("eau", "o"),
    ("au", "o"),
    ("ou", "u"),
    ("bv", "v"),
    ("ce", "se"),
    ("ci", "si"),
    ("cy", "si"),
    ("ge", "je"),
    ("gi", "ji"),
    ("gu", "g"),
    ("c", "k"),
    ("q", "k"),
    ("w", "v"),
    ("z", "s"),
    ("y", "i"),
    ("h", ""),
)
_VOWELS = frozenset("aeiou")


@lru_cache(maxsize=65_536)  # names, streets and cities repeat across a customer base
def fold(text: str | None) -> str:
    """Lower-case words without accents, punctuation or repeated spaces."""
    if not text:
        return ""
    stripped = text if text.isascii() else _strip_accents(text)  # ASCII has none to strip
    return " ".join(_SEPARATORS.sub(" ", stripped.casefold()).split())


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def compact(folded: str) -> str:
    """A folded text without spaces, so "Le Gall", "LEGALL" and "le-gall" agree."""
    return folded.replace(" ", "")


@lru_cache(maxsize=65_536)
def phonetic_key(name: str) -> str:
    """A French-aware sound key of a name: silent endings dropped, vowels after the first gone."""
    letters = "".join(char for char in compact(fold(name)) if char.isalpha())
    if letters.endswith("e") and len(letters) > 2:
        letters = letters[:-1]
    if letters[-1:] in ("s", "t", "x", "d", "z") and len(letters) > 2:
        letters = letters[:-1]
    for written, sound in _PHONETIC_RULES:
        letters = letters.replace(written, sound)
    if not letters:
        return ""
    key = [letters[0]]
    for char in letters[1:]:
        if char not in _VOWELS and char != key[-1]:
            key.append(char)
    return "".join(key)


def _without_complements(tokens: list[str]) -> list[str]:
    """An address line without its apartment and building parts ("Bât. B", "Apt 12",
    "3e étage", "Résidence les Pins" before the number)."""
    kept: list[str] = []
    skip = False
    for index, token in enumerate(tokens):
        if skip:
            skip = False
            continue
        if token in _COMPLEMENTS:
            skip = True
            continue
        if _FLOOR.match(token) and (index + 1 < len(tokens) and tokens[index + 1] == "etage"):
            skip = True
            continue
        if token == "rdc":
            continue
        kept.append(token)
    if kept and kept[0] in _RESIDENCE:
        numbers = [i for i, token in enumerate(kept) if _NUMBER_WITH_SUFFIX.match(token)]
        if numbers:  # "Résidence les Pins 12 rue X": the street is after the residence
            kept = kept[numbers[0] :]
    return kept or tokens


@lru_cache(maxsize=65_536)
def split_street(street: str) -> tuple[str, str]:
    """The house number ("12b" for "12 bis", "12" for "12-14" or "n° 12") and the folded
    street name of an address line, street types spelt out ("bd" → "boulevard", "St" →
    "saint"), articles and apartment or building lines left out."""
    segments = [fold(segment).split() for segment in re.split(r"[,;/]", street or "")]
    segments = [segment for segment in segments if segment]
    # A segment that is only a complement ("Appt 12", "Bât. B") goes when another remains.
    useful = [
        segment
        for segment in segments
        if (segment[0] not in _COMPLEMENTS | _RESIDENCE and not _FLOOR.match(segment[0]))
        or any(_NUMBER_WITH_SUFFIX.match(token) for token in segment[2:])
    ]
    tokens = _without_complements([t for segment in (useful or segments) for t in segment])
    if tokens and tokens[0] in _HOUSE_NUMBER_WORDS and len(tokens) > 1:
        tokens.pop(0)
    number = ""
    matched = _NUMBER_WITH_SUFFIX.match(tokens[0]) if tokens else None
    if matched:
        tokens.pop(0)
        suffix = matched.group(2) or ""
        number = matched.group(1) + _NUMBER_SUFFIXES.get(suffix, suffix)
        if tokens and tokens[0] in _NUMBER_SUFFIXES:
            number += _NUMBER_SUFFIXES[tokens.pop(0)]
        elif (
            tokens
            and len(tokens[0]) == 1
            and tokens[0].isalpha()
            and tokens[0] not in _STREET_WORDS
            and len(tokens) > 1
        ):
            number += tokens.pop(0)  # "12 B rue X"
        if tokens and tokens[0].isdigit() and len(tokens) > 1:
            tokens.pop(0)  # "12-14 rue X": the first number
    words = [_STREET_WORDS.get(token, token) for token in tokens]
    named = [word for word in words if word not in _STREET_ARTICLES]
    return number, " ".join(named or words)


@lru_cache(maxsize=65_536)
def fold_city(city: str) -> str:
    """A folded city name with "St"/"Ste" spelt out, without an arrondissement or a CEDEX
    ("Lyon 3e", "PARIS 15", "Lyon Cedex 03" → "lyon")."""
    tokens = [_CITY_WORDS.get(token, token) for token in fold(city).split()]
    kept = [token for token in tokens if not _CITY_NOISE.match(token)]
    return " ".join(kept or tokens)


def arrondissement_postcode(city: str) -> str:
    """The postcode a city written with its arrondissement names ("Lyon 3e" → "69003")."""
    tokens = fold(city).split()
    if len(tokens) < 2 or tokens[0] not in _ARRONDISSEMENTS:
        return ""
    digits = re.match(r"^(\d+)", tokens[1])
    base, most = _ARRONDISSEMENTS[tokens[0]]
    if digits is None or not 1 <= int(digits.group(1)) <= most:
        return ""
    return str(base + int(digits.group(1))).zfill(5)


def fold_postcode(postcode: str, city: str = "") -> str:
    """A postcode without spaces, punctuation or country prefix ("F-69003"), upper-cased;
    from the city's arrondissement when it is missing."""
    value = compact(fold(postcode)).upper()
    if re.fullmatch(r"(F|FR)\d{5}", value):
        value = value.lstrip("FR")
    return value or arrondissement_postcode(city)


def fold_phone(phone: str | None) -> tuple[str, bool | None]:
    """A phone in E.164 from any French way of typing it, and whether it is a landline
    (None when it cannot be read: it is then compared as typed, digits only)."""
    from omnicanal.customers.identifiers import InvalidIdentifier, parse_phone

    text = (phone or "").strip()
    if not text:
        return "", None
    try:
        e164, mobile = parse_phone(text, "FR")
    except InvalidIdentifier:
        return "".join(char for char in text if char.isdigit() or char == "+"), None
    return e164, not mobile


def fold_email(email: str | None) -> tuple[str, str]:
    """The trimmed, lower-cased address and its local part without a "+tag"."""
    address = _strip_accents((email or "").strip().lower())
    if "@" not in address:
        return "", ""
    local = address.split("@", 1)[0].split("+", 1)[0]
    return address, local


def _fold_family(family: str) -> str:
    """A folded family name without civility or married-name part, "St" spelt out:
    "Mme DUPONT épouse MARTIN" → "dupont", "St-Exupéry" → "saint exupery"."""
    tokens = fold(family).split()
    while len(tokens) > 1 and tokens[0] in _CIVILITIES:
        tokens.pop(0)
    for index, token in enumerate(tokens[1:], start=1):
        if token in _MARRIED:
            tokens = tokens[:index]
            break
    return " ".join(_CITY_WORDS.get(token, token) for token in tokens)


def _fold_given(given: str) -> str:
    tokens = fold(given).split()
    while len(tokens) > 1 and tokens[0] in _CIVILITIES:
        tokens.pop(0)
    return " ".join(tokens)


def initials(folded: str) -> str:
    """The first letter of each word: "jean pierre" → "jp"."""
    return "".join(word[0] for word in folded.split())


def split_names(given: str, family: str) -> tuple[str, str]:
    """Folded given and family names; "DUPONT J." typed in one field gives ("j", "dupont")."""
    folded_given, folded_family = _fold_given(given), _fold_family(family)
    if not folded_given:
        tokens = folded_family.split()
        if len(tokens) >= 2 and len(tokens[-1]) == 1:
            return tokens[-1], " ".join(tokens[:-1])
    return folded_given, folded_family


_NOT_FAMILY_NAMES = frozenset({"famille", "family", "fam", "contact", "info", "mr", "mme"})


def _family_from_email(names: tuple[str, str], email: str | None) -> tuple[str, str]:
    """The family name an e-mail local part spells beside the given name, when the record
    has none: an e-mail platform often keeps only "Margaud" and margaud.leduc@…, which is
    "Leduc" ("prenom.nom", "nom_prenom85", "prenomnom", "nomprenom"). Nothing is guessed
    when the local part does not hold the given name whole."""
    given, family = names
    if family or len(given) < 3 or " " in given:
        return names
    local = fold_email(email)[1]
    words = ["".join(c for c in part if c.isalpha()) for part in re.split(r"[._\-+\d]+", local)]
    words = [word for word in words if word]
    if len(words) == 2 and given in words:
        other = words[1] if words[0] == given else words[0]
        if len(other) >= 2 and other not in _NOT_FAMILY_NAMES and other != given:
            return given, other
        return names
    if len(words) == 1 and words[0] != given:
        letters = words[0]
        if letters.startswith(given) and len(letters) - len(given) >= 3:
            return given, letters[len(given) :]
        if letters.endswith(given) and len(letters) - len(given) >= 3:
            return given, letters[: -len(given)]
    return names


class Vocabulary:
    """Integer codes for strings, 0 for the empty string, so equality is a numpy comparison."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {"": 0}

    def encode(self, values: Sequence[str] | np.ndarray) -> np.ndarray:
        """The code of each value, new values getting new codes."""
        codes = self._codes
        return np.fromiter(
            (codes.setdefault(value, len(codes)) for value in values),
            dtype=np.int64,
            count=len(values),
        )


def _strings(values: Sequence[str]) -> np.ndarray:
    """A numpy array of Python strings, so pairs are picked by fancy indexing."""
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def _initials(values: Sequence[str]) -> np.ndarray:
    return np.fromiter((ord(value[0]) if value else 0 for value in values), np.int64, len(values))


def _lengths(values: Sequence[str]) -> np.ndarray:
    return np.fromiter((len(value) for value in values), np.int64, len(values))


def _characters(values: Sequence[str], width: int = 10) -> np.ndarray:
    """Short codes as a (records x width) array of code points, 0-padded."""
    array = np.zeros((len(values), width), dtype=np.int32)
    for row, value in enumerate(values):
        codes = [ord(char) for char in value[:width]]
        array[row, : len(codes)] = codes
    return array


@dataclass(frozen=True, eq=False)
class PreparedRecords:
    """Folded, columnar forms of a batch of records, computed once and compared many times.

    String columns are numpy object arrays; ``*_code`` columns are integer codes (0 = empty)
    so that equality is one numpy comparison. Given and family names share one vocabulary,
    so a given name can be compared with a family name (swapped names).
    """

    records: Sequence[PersonRecord]
    given: np.ndarray  # folded, words kept apart
    family: np.ndarray
    given_compact: np.ndarray  # folded, without spaces
    family_compact: np.ndarray
    given_code: np.ndarray
    family_code: np.ndarray
    given_length: np.ndarray
    family_length: np.ndarray
    given_words: np.ndarray  # number of words, 0 when empty
    given_initials: np.ndarray  # first letter of each word: "jp" for "jean pierre"
    family_initials: np.ndarray
    family_words: np.ndarray
    given_initial: np.ndarray  # code point of the first letter, 0 when none
    family_initial: np.ndarray
    birth_year: np.ndarray  # 0 when unknown
    birth_month: np.ndarray
    birth_day: np.ndarray
    birth_digits: np.ndarray  # records x 8 code points of YYYYMMDD
    street_number: np.ndarray  # codes
    street_number_text: np.ndarray
    street_name: np.ndarray  # folded, without the number
    street_compact: np.ndarray
    postcode: np.ndarray
    postcode_code: np.ndarray
    postcode_characters: np.ndarray  # records x 10 code points
    postcode_length: np.ndarray
    city: np.ndarray  # folded, without spaces
    city_code: np.ndarray
    city_initial: np.ndarray
    phone_code: np.ndarray
    landline: np.ndarray
    email_code: np.ndarray
    email_local_code: np.ndarray
    email_local_is_name: np.ndarray  # the local part only spells the record's names
    email_year: np.ndarray  # the year the local part ends with, mod 100, plus 1 (0: none)

    def __len__(self) -> int:
        return len(self.records)


@dataclass(frozen=True, slots=True)
class _Folded:
    """What :func:`prepare` reads from one record's text, folded once."""

    given: str
    family: str
    given_compact: str
    family_compact: str
    street_number: str
    street_name: str
    postcode: str
    city: str
    phone: str
    phone_landline: bool
    email: str
    email_local: str


@lru_cache(maxsize=32_768)
def _fold_record(
    given_name: str,
    family_name: str,
    street: str,
    postcode: str,
    city: str,
    phone: str | None,
    email: str | None,
) -> _Folded:
    """One record's text, folded: cached, since the real-time matcher compares the same
    people again and again (a candidate comes back with every new record of its block)."""
    given, family = _family_from_email(split_names(given_name, family_name), email)
    number, street_name = split_street(street)
    folded_phone = fold_phone(phone)
    folded_email = fold_email(email)
    return _Folded(
        given=given,
        family=family,
        given_compact=compact(given),
        family_compact=compact(family),
        street_number=number,
        street_name=street_name,
        postcode=fold_postcode(postcode, city),
        city=compact(fold_city(city)),
        phone=folded_phone[0],
        phone_landline=bool(folded_phone[1]),
        email=folded_email[0],
        email_local=folded_email[1],
    )


def prepare(records: Sequence[PersonRecord]) -> PreparedRecords:
    """Fold and encode a batch of records for comparison and blocking."""
    folded = [
        _fold_record(
            record.given_name,
            record.family_name,
            record.street,
            record.postcode,
            record.city,
            record.phone,
            record.email,
        )
        for record in records
    ]
    given = [f.given for f in folded]
    family = [f.family for f in folded]
    given_compact = [f.given_compact for f in folded]
    family_compact = [f.family_compact for f in folded]
    name_codes = Vocabulary()
    street_name = [f.street_name for f in folded]
    postcode = [f.postcode for f in folded]
    city = [f.city for f in folded]
    email_locals = [f.email_local for f in folded]
    birth_dates = [record.birth_date for record in records]
    return PreparedRecords(
        records=records,
        given=_strings(given),
        family=_strings(family),
        given_compact=_strings(given_compact),
        family_compact=_strings(family_compact),
        given_code=name_codes.encode(given_compact),
        family_code=name_codes.encode(family_compact),
        given_length=_lengths(given_compact),
        family_length=_lengths(family_compact),
        given_words=np.array([len(value.split()) for value in given], dtype=np.int64),
        given_initials=_strings([initials(value) for value in given]),
        family_initials=_strings([initials(value) for value in family]),
        family_words=np.array([len(value.split()) for value in family], dtype=np.int64),
        given_initial=_initials(given_compact),
        family_initial=_initials(family_compact),
        birth_year=np.array([d.year if d else 0 for d in birth_dates], dtype=np.int64),
        birth_month=np.array([d.month if d else 0 for d in birth_dates], dtype=np.int64),
        birth_day=np.array([d.day if d else 0 for d in birth_dates], dtype=np.int64),
        birth_digits=_characters([d.strftime("%Y%m%d") if d else "" for d in birth_dates], 8),
        street_number=Vocabulary().encode([f.street_number for f in folded]),
        street_number_text=_strings([f.street_number for f in folded]),
        street_name=_strings(street_name),
        street_compact=_strings([compact(value) for value in street_name]),
        postcode=_strings(postcode),
        postcode_code=Vocabulary().encode(postcode),
        postcode_characters=_characters(postcode),
        postcode_length=_lengths(postcode),
        city=_strings(city),
        city_code=Vocabulary().encode(city),
        city_initial=_initials(city),
        phone_code=Vocabulary().encode([f.phone for f in folded]),
        landline=np.array(
            [
                record.phone_is_landline or f.phone_landline
                for record, f in zip(records, folded, strict=True)
            ],
            dtype=bool,
        ),
        email_code=Vocabulary().encode([f.email for f in folded]),
        email_local_code=Vocabulary().encode(email_locals),
        email_local_is_name=np.array(
            [
                _spells_names(local, first, last)
                for local, first, last in zip(
                    email_locals, given_compact, family_compact, strict=True
                )
            ],
            dtype=bool,
        ),
        email_year=np.fromiter(
            (email_year(local) for local in email_locals), dtype=np.int64, count=len(email_locals)
        ),
    )


_YEAR_AT_END = re.compile(r"(?<!\d)(?:19|20)?(\d{2})$")


def email_year(local: str) -> int:
    """The two digits of a year an e-mail local part ends with ("dupont.jean85",
    "marie.durand1987"), plus 1; 0 when it ends otherwise. Many people write their birth year
    there; a number added to make the address unique is read too, and the weights learn how
    often that is."""
    found = _YEAR_AT_END.search(local)
    return int(found.group(1)) + 1 if found else 0


def _spells_names(local: str, given: str, family: str) -> bool:
    """Whether an e-mail local part is built from the names: "jean.dupont", "jdupont",
    "dupont.j", "dupont.jean85", "famille.dupont" (digits and separators aside)."""
    letters = "".join(char for char in compact(fold(local)) if char.isalpha())
    if not letters or not family:
        return False
    if len(family) >= 3 and family in letters:
        return True
    initial = given[:1]
    return letters in {given + family, family + given, initial + family, family + initial}
