"""Reading a person out of a profile's traits, whatever names the sources gave them
("first_name", "firstName", "prenom"...)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

__all__ = ["FAMILY", "GIVEN", "TRAIT_NAMES", "person_fields"]

GIVEN = ("first_name", "firstName", "given_name", "givenName", "firstname", "prenom")
FAMILY = ("last_name", "lastName", "family_name", "familyName", "lastname", "nom")
BIRTH = ("birthday", "birth_date", "birthDate", "date_of_birth")
STREET = ("street", "address_line1", "address1")
POSTCODE = ("postal_code", "postalCode", "postcode", "zip", "zip_code")
CITY = ("city", "town")
TRAIT_NAMES = sorted({*GIVEN, *FAMILY, *BIRTH, *STREET, *POSTCODE, *CITY, "address", "name"})


def _first(traits: Mapping[str, Any], names: Iterable[str]) -> str | None:
    for name in names:
        value = traits.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _birth_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def person_fields(traits: Mapping[str, Any]) -> dict[str, Any]:
    """Names, birth date and address from a profile's traits, however the sources named them."""
    given_address = traits.get("address")
    address: Mapping[str, Any] = given_address if isinstance(given_address, Mapping) else {}
    given, family = _first(traits, GIVEN), _first(traits, FAMILY)
    if given is None and family is None and isinstance(traits.get("name"), str):
        parts = traits["name"].split()
        if len(parts) >= 2:
            given, family = parts[0], " ".join(parts[1:])
    return {
        "given_name": given or "",
        "family_name": family or "",
        "birth_date": _birth_date(_first(traits, BIRTH)),
        "street": _first(address, STREET) or _first(traits, STREET) or "",
        "postcode": _first(address, POSTCODE) or _first(traits, POSTCODE) or "",
        "city": _first(address, CITY) or _first(traits, CITY) or "",
    }
