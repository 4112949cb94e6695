"""Values that never link anyone: placeholders typed at a till and a shop's own addresses.

A clerk who must fill in a phone types "06 00 00 00 00"; a form that needs an e-mail gets
"contact@magasin.fr" or "test@test.fr". Each such value is given to many people, so linking
through it merges strangers. The defaults below ship with omnicanal; a retailer adds its own
values (its stores' addresses, its staff card) in ``OMNICANAL_IDENTITY_BLOCKED_VALUES``.
Pure: no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from omnicanal.customers.identifiers import Identifier, IdentifierKind, InvalidIdentifier, normalise

__all__ = [
    "DEFAULT_BLOCKED_VALUES",
    "GENERIC_LOCAL_PARTS",
    "Blocklist",
    "blocked_reason",
    "configured_blocklist",
    "default_blocklist",
]

GENERIC_LOCAL_PARTS = frozenset(
    {
        "contact",
        "info",
        "infos",
        "information",
        "noreply",
        "no-reply",
        "no_reply",
        "donotreply",
        "do-not-reply",
        "nepasrepondre",
        "ne-pas-repondre",
        "ne_pas_repondre",
        "test",
        "tests",
        "testing",
        "essai",
        "magasin",
        "boutique",
        "accueil",
        "serviceclient",
        "service-client",
        "service.client",
        "sav",
        "client",
        "clients",
        "admin",
        "postmaster",
        "webmaster",
        "nobody",
        "aucun",
        "none",
        "null",
        "inconnu",
        "pasdemail",
        "pas-de-mail",
        "nomail",
        "no-mail",
        "noemail",
        "xxx",
    }
)
"""Local parts of an address that name a shop's mailbox or no one, never a customer."""

GENERIC_DOMAINS = frozenset({"test.com", "test.fr", "test", "invalid", "localhost"})

DEFAULT_BLOCKED_VALUES = (
    "phone:0123456789",
    "phone:0102030405",
    "phone:0601020304",
    "loyalty_card:0000",
    "loyalty_card:1234",
    "loyalty_card:12345678",
    "loyalty_card:123456789",
)
"""Placeholder values besides those recognised by their form (repeated digits, a generic
address)."""

_REPEATED = re.compile(r"^(\d)\1+$")


def _placeholder_phone(e164: str) -> bool:
    """A number made of one repeated digit after its prefix ("06 00 00 00 00", "01 11 11 11
    11"), or of one repeated pair ("06 06 06 06 06")."""
    digits = e164.removeprefix("+33") if e164.startswith("+33") else e164.lstrip("+")[2:]
    subscriber = digits[1:]
    return bool(_REPEATED.match(subscriber)) or (
        len(set(digits[0::2])) == 1 and len(set(digits[1::2])) == 1
    )


def _generic_email(value: str) -> bool:
    local, _, domain = value.partition("@")
    return local in GENERIC_LOCAL_PARTS or domain in GENERIC_DOMAINS


def _placeholder_card(value: str) -> bool:
    return bool(_REPEATED.match(value))


@dataclass(frozen=True)
class Blocklist:
    """The identifier values that never link anyone: recognised by form, and listed."""

    values: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @classmethod
    def with_defaults(cls, extra: Iterable[str] = (), *, region: str = "FR") -> Blocklist:
        """The shipped defaults and ``extra`` (``kind:value``, typed as customers type)."""
        keys: set[tuple[str, str]] = set()
        for entry in (*DEFAULT_BLOCKED_VALUES, *extra):
            kind, _, raw = entry.partition(":")
            try:
                identifier = normalise(IdentifierKind(kind.strip()), raw.strip(), region=region)
            except (ValueError, InvalidIdentifier):
                continue
            keys.add(identifier.key)
        return cls(frozenset(keys))

    def reason(self, identifier: Identifier) -> str | None:
        """Why this identifier never links anyone, or None when it may."""
        return blocked_reason(identifier, self.values)


def blocked_reason(identifier: Identifier, listed: frozenset[tuple[str, str]]) -> str | None:
    """``listed`` when the value is on the list, ``placeholder`` or ``generic_address`` when
    its form gives it away, else None."""
    if identifier.key in listed:
        return "listed"
    if identifier.kind is IdentifierKind.phone and _placeholder_phone(identifier.value):
        return "placeholder"
    if identifier.kind is IdentifierKind.email and _generic_email(identifier.value):
        return "generic_address"
    if identifier.kind is IdentifierKind.loyalty_card and _placeholder_card(identifier.value):
        return "placeholder"
    return None


def default_blocklist() -> Blocklist:
    """The shipped defaults alone (French numbering)."""
    return configured_blocklist()


@lru_cache(maxsize=16)
def configured_blocklist(extra: tuple[str, ...] = (), region: str = "FR") -> Blocklist:
    """The shipped defaults and a retailer's own values (settings), built once."""
    return Blocklist.with_defaults(extra, region=region)
