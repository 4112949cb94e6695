"""The customer's own links: to the preference centre, and to unsubscribe in one click
(RFC 8058), put in every marketing message.

A link carries a token signed with the platform's secret key (itsdangerous), so it cannot be
forged nor pointed at another person; it names the person, what it opens (the preference
centre, or unsubscribing only), its own id (kept as the proof of the answers given through
it) and when it was signed. A preference link is refused once older than
:data:`PREFERENCES_VALID`; an unsubscribe link, which can only withdraw, lives longer
(:data:`UNSUBSCRIBE_VALID`), so that an old message still unsubscribes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, urlencode

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from omnicanal.engagement.errors import ConsentLinkExpired, InvalidConsentLink
from omnicanal.platform.config import Settings

__all__ = [
    "PREFERENCES_VALID",
    "UNSUBSCRIBE_VALID",
    "LinkKind",
    "LinkToken",
    "preference_url",
    "read_link",
    "read_token",
    "sign_link",
    "unsubscribe_url",
]

SALT = "omnicanal.engagement.consent-link"
PREFERENCES_VALID = timedelta(days=60)
UNSUBSCRIBE_VALID = timedelta(days=365)
MAX_TOKEN_LENGTH = 400
"""No token of ours is longer: a longer one is refused before any decoding."""


class LinkKind(StrEnum):
    """What a link opens."""

    preferences = "p"
    unsubscribe = "u"


VALIDITY = {LinkKind.preferences: PREFERENCES_VALID, LinkKind.unsubscribe: UNSUBSCRIBE_VALID}


@dataclass(frozen=True)
class LinkToken:
    """What a valid token says: whose it is, what it opens, its id, when it was signed."""

    profile_id: str
    kind: LinkKind
    token_id: str
    signed_at: datetime

    @property
    def expires_at(self) -> datetime:
        return self.signed_at + VALIDITY[self.kind]


def _secret(settings: Settings) -> str:
    return settings.resolved_secret_key()


def sign_link(settings: Settings, profile_id: str, *, kind: LinkKind, now: datetime) -> str:
    """A token for ``profile_id`` opening ``kind``, signed at ``now`` (the start of its
    validity)."""
    signed_at = int(now.timestamp())

    class _SignedAt(TimestampSigner):
        def get_timestamp(self) -> int:
            return signed_at

    serializer = URLSafeTimedSerializer(_secret(settings), salt=SALT, signer=_SignedAt)
    return str(serializer.dumps({"p": profile_id, "k": kind.value, "i": secrets.token_urlsafe(6)}))


def read_link(
    settings: Settings, token: str, *, now: datetime, kind: LinkKind | None = None
) -> LinkToken:
    """What a token says; :class:`InvalidConsentLink` for one we did not sign (or one of
    another ``kind`` than asked), :class:`ConsentLinkExpired` once it is too old at
    ``now``."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise InvalidConsentLink("This link is not one of ours.", field="token")
    serializer = URLSafeTimedSerializer(_secret(settings), salt=SALT)
    try:
        payload, signed_at = serializer.loads(token, return_timestamp=True)
    except (BadSignature, ValueError, UnicodeDecodeError) as error:
        raise InvalidConsentLink("This link is not one of ours.", field="token") from error
    try:
        found = LinkToken(
            profile_id=str(payload["p"]),
            kind=LinkKind(payload["k"]),
            token_id=str(payload["i"]),
            signed_at=signed_at.astimezone(UTC),
        )
    except (TypeError, KeyError, ValueError):
        raise InvalidConsentLink("This link names nobody.", field="token") from None
    if kind is not None and found.kind is not kind:
        raise InvalidConsentLink("This link does not open this page.", field="token")
    if now > found.expires_at:
        raise ConsentLinkExpired(
            f"This link expired on {found.expires_at:%Y-%m-%d}.",
            field="token",
            expired_at=found.expires_at.isoformat(),
        )
    return found


def read_token(settings: Settings, token: str, *, now: datetime) -> str:
    """The profile id a preference or unsubscribe token names; raises
    :class:`InvalidConsentLink` or :class:`ConsentLinkExpired`."""
    return read_link(settings, token, now=now).profile_id


def _base(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


def preference_url(settings: Settings, profile_id: str, *, language: str, now: datetime) -> str:
    """The address of the person's preference centre, in ``language`` (valid 60 days)."""
    token = sign_link(settings, profile_id, kind=LinkKind.preferences, now=now)
    query = urlencode({"lang": language}) if language else ""
    return f"{_base(settings)}/preferences/{quote(token)}" + (f"?{query}" if query else "")


def unsubscribe_url(settings: Settings, profile_id: str, *, now: datetime) -> str:
    """The address that unsubscribes the person from every marketing message: a POST of
    ``List-Unsubscribe=One-Click`` (RFC 8058), or a GET that asks them to confirm."""
    token = sign_link(settings, profile_id, kind=LinkKind.unsubscribe, now=now)
    return f"{_base(settings)}/unsubscribe/{quote(token)}"
