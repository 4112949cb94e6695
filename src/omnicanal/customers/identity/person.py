"""What a message says about the person behind it, and whether two such sayings disagree.

Identity resolution trusts an identifier only as far as the person it names: a family
landline, a household e-mail or a loyalty card lent to a partner carry one value for two
people. The strong attributes that tell them apart are the given name and the birth date.
Both are compared tolerantly (pure: no database): accents and case folded, hyphens and spaces
alike, a compound name agreeing with its first part ("Jean-Pierre" and "Jean"), one typo
forgiven, a birth date agreeing with its day and month swapped or one digit mistyped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

__all__ = [
    "BIRTH_DATE_TRAITS",
    "FIRST_NAME_TRAITS",
    "PersonFacts",
    "birth_dates_agree",
    "clearly_different",
    "disagree",
    "fold_name",
    "names_agree",
    "parse_birth_date",
]

FIRST_NAME_TRAITS = ("first_name", "firstName", "given_name", "givenName", "firstname")
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


def fold_name(raw: str) -> tuple[str, ...]:
    """A given name as comparable parts: lower case, no accents, split on hyphens and spaces."""
    decomposed = unicodedata.normalize("NFKD", raw.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return tuple(part for part in _SEPARATORS.split(plain) if part.isalpha())


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
    return _within_one_edit(a, b)


def names_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two folded given names may be one person's: one typo, or a compound name and
    its first part ("jean pierre" and "jean"), or the parts run together ("jeanpierre")."""
    if not a or not b:
        return True
    if "".join(a) == "".join(b) or _within_one_edit("".join(a), "".join(b)):
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
    """The given names and birth dates seen for one person (or said by one message)."""

    first_names: frozenset[tuple[str, ...]] = frozenset()
    birth_dates: frozenset[str] = frozenset()

    @classmethod
    def from_traits(cls, traits: Mapping[str, Any]) -> PersonFacts:
        """What a message's traits say: its given name and its birth date, if any."""
        names = {
            folded
            for key in FIRST_NAME_TRAITS
            if isinstance(traits.get(key), str) and (folded := fold_name(traits[key]))
        }
        births = {
            parsed for key in BIRTH_DATE_TRAITS if (parsed := parse_birth_date(traits.get(key)))
        }
        return cls(frozenset(names), frozenset(births))

    @classmethod
    def of(cls, first_names: Iterable[str] = (), birth_dates: Iterable[object] = ()) -> PersonFacts:
        """Facts from raw given names and birth dates (as stored traits hold them)."""
        names = {folded for name in first_names if (folded := fold_name(name))}
        births = {parsed for raw in birth_dates if (parsed := parse_birth_date(raw))}
        return cls(frozenset(names), frozenset(births))

    def __bool__(self) -> bool:
        return bool(self.first_names or self.birth_dates)

    def __or__(self, other: PersonFacts) -> PersonFacts:
        return PersonFacts(
            self.first_names | other.first_names, self.birth_dates | other.birth_dates
        )


def _names_differ(a: PersonFacts, b: PersonFacts) -> bool:
    if not a.first_names or not b.first_names:
        return False
    return not any(names_agree(x, y) for x in a.first_names for y in b.first_names)


def _births_differ(a: PersonFacts, b: PersonFacts) -> bool:
    if not a.birth_dates or not b.birth_dates:
        return False
    return not any(birth_dates_agree(x, y) for x in a.birth_dates for y in b.birth_dates)


def disagree(a: PersonFacts, b: PersonFacts) -> bool:
    """Whether the two say different people: their given names or their birth dates differ."""
    return _names_differ(a, b) or _births_differ(a, b)


def clearly_different(a: PersonFacts, b: PersonFacts) -> bool:
    """Whether the two are different people beyond doubt: given names and birth dates both
    differ."""
    return _names_differ(a, b) and _births_differ(a, b)
