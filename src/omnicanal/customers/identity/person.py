"""What a message says about the person behind it, and whether two such sayings disagree.

Identity resolution trusts an identifier only as far as the person it names: a family
landline, a household e-mail or a loyalty card lent to a partner carry one value for two
people. The strong attributes that tell them apart are the given name, the family name and
the birth date. They are compared tolerantly (pure: no database): accents and case folded,
hyphens and spaces alike, a compound given name agreeing with its first part ("Jean-Pierre" and
"Jean"), a family name with or without its particles ("de la Fontaine" and "Delafontaine"), a
double family name agreeing with each of its parts, a married name ("Martin née Dupont") with
both, one typo forgiven (but not a masculine name against its feminine: "Louis" and
"Louise" are a couple, not a slip), a birth date agreeing with its day and month swapped or
one digit mistyped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

__all__ = [
    "BIRTH_DATE_TRAITS",
    "FACTS_KEPT",
    "FAMILY_NAME_TRAITS",
    "FIRST_NAME_TRAITS",
    "PersonFacts",
    "birth_dates_agree",
    "births_differ",
    "clearly_different",
    "disagree",
    "families_agree",
    "fold_family",
    "fold_name",
    "gendered_forms",
    "names_agree",
    "parse_birth_date",
]

FIRST_NAME_TRAITS = ("first_name", "firstName", "given_name", "givenName", "firstname")
FAMILY_NAME_TRAITS = (
    "last_name",
    "lastName",
    "family_name",
    "familyName",
    "lastname",
    "surname",
)
BIRTH_DATE_TRAITS = (
    "birthday",
    "birth_date",
    "birthDate",
    "birthdate",
    "date_of_birth",
    "dateOfBirth",
)
_SEPARATORS = re.compile("[\\s\\-_.'\u2019]+")
_FRENCH_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
# Civilities typed before a family name ("Mme DUPONT").
_CIVILITIES = frozenset(
    {"m", "mr", "mme", "mlle", "melle", "monsieur", "madame", "mademoiselle", "dr", "me"}
)
# Between a married and a birth name ("MARTIN née DUPONT", "Dupont épouse Martin", "Vve Durand").
_MARRIED = frozenset({"epouse", "ep", "epse", "nee", "ne", "veuve", "vve", "dite", "dit"})
# Particles a family name is written with or without ("de la Fontaine", "Delafontaine").
_PARTICLES = frozenset(
    {"de", "du", "des", "d", "la", "le", "les", "l", "van", "von", "der", "den", "di", "da"}
)
# Particles recognised when run into the name ("Delafontaine"), longest first.
_RUN_PARTICLES = ("des", "les", "van", "von", "der", "den", "de", "du", "la", "le", "di", "da")
_SAINTS = {"st": "saint", "ste": "sainte", "saint": "saint", "sainte": "sainte"}
FACTS_KEPT = 8
"""At most this many given names, family names and birth dates are kept per profile: a few
spellings of one person, not a list anyone could fill to make every name agree."""


def fold_name(raw: str) -> tuple[str, ...]:
    """A given name as comparable parts: lower case, no accents, split on hyphens and spaces."""
    decomposed = unicodedata.normalize("NFKD", raw.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return tuple(part for part in _SEPARATORS.split(plain) if part.isalpha())


def fold_family(raw: str) -> tuple[tuple[str, ...], ...]:
    """A family name as comparable parts, one tuple per name it holds: "Mme MARTIN née Dupont"
    → (("martin",), ("dupont",)); "St-Exupéry" → (("saint", "exupery"),)."""
    tokens = list(fold_name(raw))
    while len(tokens) > 1 and tokens[0] in _CIVILITIES:
        tokens.pop(0)
    names: list[tuple[str, ...]] = []
    current: list[str] = []
    for token in tokens:
        if token in _MARRIED:
            names.append(tuple(current))
            current = []
        else:
            current.append(_SAINTS.get(token, token))
    names.append(tuple(current))
    return tuple(name for name in names if name)


def _family_core(name: tuple[str, ...]) -> tuple[str, ...]:
    """The parts that carry a family name: no particles, "saint" joined to the next part."""
    core: list[str] = []
    for token in name:
        if core and core[-1] in ("saint", "sainte"):
            core[-1] += token
        elif token not in _PARTICLES:
            core.append(token)
    return tuple(core) or name


def _run_together(name: tuple[str, ...], core: tuple[str, ...]) -> set[str]:
    """The name written in one word, with and without its particles, also when they were
    run into it ("delafontaine", "lafontaine", "fontaine")."""
    forms = {"".join(name), "".join(core)}
    whole = "".join(name)
    stripped = True
    while stripped:
        stripped = False
        for particle in _RUN_PARTICLES:
            if whole.startswith(particle) and len(whole) - len(particle) >= 4:
                whole = whole[len(particle) :]
                forms.add(whole)
                stripped = True
                break
    return forms


def families_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two folded family names may be one person's: one typo, with or without
    particles or spaces ("de la fontaine" and "delafontaine"), an initial, or a double name
    and one of its parts ("dumont paris" and "paris")."""
    if not a or not b:
        return True
    whole_a, whole_b = "".join(a), "".join(b)
    if min(len(whole_a), len(whole_b)) == 1:
        return whole_a[0] == whole_b[0]
    if _within_one_edit(whole_a, whole_b):
        return True
    core_a, core_b = _family_core(a), _family_core(b)
    forms_a, forms_b = _run_together(a, core_a), _run_together(b, core_b)
    if any(_within_one_edit(x, y) for x in forms_a for y in forms_b):
        return True
    if len(core_a) == 1 and len(core_b) == 1:
        return False
    return any(_within_one_edit(x, y) for x in core_a for y in core_b if min(len(x), len(y)) >= 3)


def parse_birth_date(raw: object) -> str | None:
    """A birth date as ``YYYY-MM-DD`` from ISO (with or without a time) or French
    ``DD/MM/YYYY``; None when it is not one."""
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    french = _FRENCH_DATE.match(text)
    try:
        if french:
            day, month, year = (int(g) for g in french.groups())
            return date(year, month, day).isoformat()
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


# The feminine form of a French given name, from its masculine: Louis → Louise, Michel →
# Michelle, Jean → Jeanne, Henri → Henriette, Paul → Pauline, Frédéric → Frédérique,
# Antoine → Antoinette. One letter or two apart, they are two people's names, not a typo.
_FEMININE_ENDINGS = ("e", "le", "ne", "tte", "ette", "ine")
_FEMININE_REPLACED = (("c", "que"), ("e", "ette"), ("e", "ine"))


def gendered_forms(a: str, b: str) -> bool:
    """Whether two folded, compact given names are one name's masculine and feminine forms
    ("pascal" and "pascale", "emmanuel" and "emmanuelle", "frederic" and "frederique")."""
    short, long = sorted((a, b), key=len)
    if len(short) < 3 or short == long:
        return False
    forms = [short + ending for ending in _FEMININE_ENDINGS]
    forms += [short[: -len(end)] + new for end, new in _FEMININE_REPLACED if short.endswith(end)]
    if long in forms:
        return True
    # A typo on top ("Emmnauelle" for Emmanuelle): forgiven when the ending is two letters or
    # more and the name long enough that the slip cannot be the ending itself.
    return len(short) >= 5 and any(
        len(form) - len(short) >= 2 and DamerauLevenshtein.distance(long, form, score_cutoff=1) <= 1
        for form in forms
    )


def _within_one_edit(a: str, b: str) -> bool:
    """Equal but for one insertion, deletion, substitution or swap of neighbours."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _parts_agree(a: str, b: str) -> bool:
    if min(len(a), len(b)) < 3:
        # An initial agrees with the names it starts.
        return a[0] == b[0] and (len(a) == 1 or len(b) == 1 or a == b)
    return not gendered_forms(a, b) and _within_one_edit(a, b)


def names_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two folded given names may be one person's: one typo, or a compound name and
    its first part ("jean pierre" and "jean"), or the parts run together ("jeanpierre")."""
    if not a or not b:
        return True
    whole_a, whole_b = "".join(a), "".join(b)
    if whole_a == whole_b:
        return True
    if gendered_forms(whole_a, whole_b):
        # "Louis" and "Louise", "Michel" and "Michèle": a couple, not a slip.
        return False
    if _within_one_edit(whole_a, whole_b):
        return True
    return _parts_agree(a[0], b[0]) and (len(a) == 1 or len(b) == 1)


def birth_dates_agree(a: str, b: str) -> bool:
    """Whether two ``YYYY-MM-DD`` dates may be one person's: equal, day and month swapped,
    or one digit mistyped."""
    if a == b:
        return True
    year_a, month_a, day_a = a.split("-")
    year_b, month_b, day_b = b.split("-")
    if year_a == year_b and month_a == day_b and day_a == month_b:
        return True
    digits_a, digits_b = a.replace("-", ""), b.replace("-", "")
    return sum(x != y for x, y in zip(digits_a, digits_b, strict=True)) == 1


@dataclass(frozen=True)
class PersonFacts:
    """The given names, birth dates and family names seen for one person (or said by one
    message)."""

    first_names: frozenset[tuple[str, ...]] = frozenset()
    birth_dates: frozenset[str] = frozenset()
    family_names: frozenset[tuple[str, ...]] = frozenset()

    @classmethod
    def from_traits(cls, traits: Mapping[str, Any]) -> PersonFacts:
        """What a message's traits say: its given name, family name and birth date, if any."""
        names = {
            folded
            for key in FIRST_NAME_TRAITS
            if isinstance(traits.get(key), str) and (folded := fold_name(traits[key]))
        }
        births = {
            parsed for key in BIRTH_DATE_TRAITS if (parsed := parse_birth_date(traits.get(key)))
        }
        families = {
            name
            for key in FAMILY_NAME_TRAITS
            if isinstance(traits.get(key), str)
            for name in fold_family(traits[key])
        }
        return cls(frozenset(names), frozenset(births), frozenset(families))

    @classmethod
    def of(
        cls,
        first_names: Iterable[str] = (),
        birth_dates: Iterable[object] = (),
        family_names: Iterable[str] = (),
    ) -> PersonFacts:
        """Facts from raw given names, birth dates and family names (as stored traits hold
        them)."""
        names = {folded for name in first_names if (folded := fold_name(name))}
        births = {parsed for raw in birth_dates if (parsed := parse_birth_date(raw))}
        families = {name for raw in family_names for name in fold_family(raw)}
        return cls(frozenset(names), frozenset(births), frozenset(families))

    def __bool__(self) -> bool:
        return bool(self.first_names or self.birth_dates or self.family_names)

    def keeping(self, other: PersonFacts) -> PersonFacts:
        """These facts and ``other``'s, up to ``FACTS_KEPT`` of each kind: what a profile
        keeps of the names and birth dates it is given (the first ones stay)."""

        def kept(mine: frozenset[Any], theirs: frozenset[Any]) -> frozenset[Any]:
            room = FACTS_KEPT - len(mine)
            return mine | frozenset(sorted(theirs - mine)[: max(room, 0)])

        return PersonFacts(
            kept(self.first_names, other.first_names),
            kept(self.birth_dates, other.birth_dates),
            kept(self.family_names, other.family_names),
        )

    def to_json(self) -> dict[str, list[Any]]:
        """As stored on a profile (``profiles.facts``)."""
        return {
            "first_names": sorted(list(name) for name in self.first_names),
            "birth_dates": sorted(self.birth_dates),
            "family_names": sorted(list(name) for name in self.family_names),
        }

    @classmethod
    def from_json(cls, raw: object) -> PersonFacts:
        """Facts as ``to_json`` stored them; nothing from anything else."""
        if not isinstance(raw, dict):
            return cls()

        def names(key: str) -> frozenset[tuple[str, ...]]:
            values = raw.get(key)
            return frozenset(
                name
                for value in (values if isinstance(values, list) else [])
                if isinstance(value, list)
                and (name := tuple(part for part in value if isinstance(part, str) and part))
            )

        births = raw.get("birth_dates")
        return cls(
            names("first_names"),
            frozenset(
                parsed
                for birth in (births if isinstance(births, list) else [])
                if (parsed := parse_birth_date(birth))
            ),
            names("family_names"),
        )

    def __or__(self, other: PersonFacts) -> PersonFacts:
        return PersonFacts(
            self.first_names | other.first_names,
            self.birth_dates | other.birth_dates,
            self.family_names | other.family_names,
        )


def _names_differ(a: PersonFacts, b: PersonFacts) -> bool:
    if not a.first_names or not b.first_names:
        return False
    return not any(names_agree(x, y) for x in a.first_names for y in b.first_names)


def _families_differ(a: PersonFacts, b: PersonFacts) -> bool:
    if not a.family_names or not b.family_names:
        return False
    return not any(families_agree(x, y) for x in a.family_names for y in b.family_names)


def births_differ(a: PersonFacts, b: PersonFacts) -> bool:
    """Whether both give birth dates and none of one agrees with any of the other's (a slip
    or a swapped day and month agree)."""
    if not a.birth_dates or not b.birth_dates:
        return False
    return not any(birth_dates_agree(x, y) for x in a.birth_dates for y in b.birth_dates)


def disagree(a: PersonFacts, b: PersonFacts) -> bool:
    """Whether the two say different people: their given names, family names or birth dates
    differ."""
    return _names_differ(a, b) or _families_differ(a, b) or births_differ(a, b)


def clearly_different(a: PersonFacts, b: PersonFacts) -> bool:
    """Whether the two are different people beyond doubt: their birth dates differ and so do
    their given names or their family names."""
    return births_differ(a, b) and (_names_differ(a, b) or _families_differ(a, b))
