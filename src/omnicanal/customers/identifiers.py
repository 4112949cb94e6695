"""Identifiers of a person and their normalisation (pure: no database, no HTTP).

Each kind has its own normal form, so that the same person typed differently at a till, in
the app and on the web is one key: emails trimmed and lower-cased, phones in E.164 (parsed
with ``phonenumbers`` in the configured default region), loyalty cards without spaces or
dashes, device ids hashed. A value that cannot be normalised raises
:class:`InvalidIdentifier` with a sentence saying why.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

__all__ = [
    "ANCHOR_KINDS",
    "Identifier",
    "IdentifierKind",
    "InvalidIdentifier",
    "hash_device_id",
    "make_identifier",
    "mask",
    "normalise",
    "normalise_email",
    "normalise_phone",
]

MAX_LENGTH = 200


class IdentifierKind(StrEnum):
    """The kinds of identifier, strongest first."""

    user_id = "user_id"
    loyalty_card = "loyalty_card"
    external_id = "external_id"
    email = "email"
    phone = "phone"
    device_id = "device_id"
    anonymous_id = "anonymous_id"


ANCHOR_KINDS = frozenset(
    {
        IdentifierKind.user_id,
        IdentifierKind.loyalty_card,
        IdentifierKind.external_id,
        IdentifierKind.email,
    }
)
"""Kinds that name one person. A mobile phone is one too; a landline names a household."""


class InvalidIdentifier(ValueError):
    """A value that is not a valid identifier of its kind; ``str()`` says why."""

    def __init__(self, kind: IdentifierKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True, order=True)
class Identifier:
    """A normalised identifier. ``anchor``: it names one person (not a device or a household)."""

    kind: IdentifierKind
    value: str
    anchor: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind.value, self.value)

    def __str__(self) -> str:
        return f"{self.kind.value}:{mask(self)}"


_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)


def normalise_email(raw: str) -> str:
    """An email trimmed and lower-cased, or :class:`InvalidIdentifier`."""
    value = raw.strip().lower()
    if not value:
        raise InvalidIdentifier(IdentifierKind.email, "the email is empty")
    if "@" not in value:
        raise InvalidIdentifier(IdentifierKind.email, f"'{raw}' is not an email address (no @)")
    if len(value) > 254 or len(value.split("@", 1)[0]) > 64:
        raise InvalidIdentifier(IdentifierKind.email, f"'{raw[:80]}' is too long for an email")
    if not _EMAIL.match(value):
        raise InvalidIdentifier(IdentifierKind.email, f"'{raw}' is not a valid email address")
    return value


@lru_cache(maxsize=65_536)
def parse_phone(raw: str, region: str) -> tuple[str, bool]:
    """(E.164 number, is a mobile) of a phone typed in any usual way, or InvalidIdentifier.

    Cached: the same number comes back typed the same way message after message."""
    text = raw.strip()
    if not text:
        raise InvalidIdentifier(IdentifierKind.phone, "the phone number is empty")
    if len(text) > 40:
        raise InvalidIdentifier(IdentifierKind.phone, f"'{text[:40]}…' is too long for a phone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidIdentifier(
            IdentifierKind.phone, f"'{text}' is not a phone number ({error._msg})"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(
            IdentifierKind.phone, f"'{text}' is not a valid phone number (region {region})"
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.number_type(number) == PhoneNumberType.MOBILE


def normalise_phone(raw: str, region: str = "FR") -> str:
    """A phone number in E.164 (``+33612345678``), or :class:`InvalidIdentifier`."""
    return parse_phone(raw, region)[0]


def hash_device_id(raw: str) -> str:
    """How a device id is stored: its SHA-256, never the id itself."""
    return hashlib.sha256(raw.strip().encode()).hexdigest()


def _plain(kind: IdentifierKind, raw: str) -> str:
    value = raw.strip()
    if not value:
        raise InvalidIdentifier(kind, f"the {kind.value} is empty")
    if len(value) > MAX_LENGTH:
        raise InvalidIdentifier(kind, f"the {kind.value} is longer than {MAX_LENGTH} characters")
    if any(ord(char) < 32 for char in value):
        raise InvalidIdentifier(kind, f"the {kind.value} contains control characters")
    return value


def _loyalty_card(raw: str) -> str:
    value = re.sub(r"[\s\-./]", "", raw).upper()
    if not value:
        raise InvalidIdentifier(IdentifierKind.loyalty_card, "the loyalty card number is empty")
    if not (4 <= len(value) <= 40 and value.isascii() and value.isalnum()):
        raise InvalidIdentifier(
            IdentifierKind.loyalty_card,
            f"'{raw}' is not a loyalty card number (4 to 40 letters or digits)",
        )
    return value


def normalise(kind: IdentifierKind, raw: object, *, region: str = "FR") -> Identifier:
    """The identifier of ``kind`` for a raw value, normalised, or InvalidIdentifier."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidIdentifier(kind, f"the {kind.value} must be a string")
    text = str(raw)
    if kind is IdentifierKind.email:
        return Identifier(kind, normalise_email(text), anchor=True)
    if kind is IdentifierKind.phone:
        e164, mobile = parse_phone(text, region)
        return Identifier(kind, e164, anchor=mobile)
    if kind is IdentifierKind.loyalty_card:
        return Identifier(kind, _loyalty_card(text), anchor=True)
    if kind is IdentifierKind.device_id:
        return Identifier(kind, hash_device_id(_plain(kind, text)), anchor=False)
    return Identifier(kind, _plain(kind, text), anchor=kind in ANCHOR_KINDS)


def make_identifier(kind: str | IdentifierKind, raw: object, *, region: str = "FR") -> Identifier:
    """Like :func:`normalise`, with the kind given by name."""
    try:
        chosen = IdentifierKind(kind)
    except ValueError:
        raise InvalidIdentifier(
            IdentifierKind.external_id, f"'{kind}' is not an identifier kind"
        ) from None
    return normalise(chosen, raw, region=region)


def mask(identifier: Identifier) -> str:
    """The value as logs and explanations show it (device ids are already hashes)."""
    if identifier.kind is IdentifierKind.device_id:
        return identifier.value[:12] + "…"
    return identifier.value
