"""The pure rules of webhooks: which events an endpoint follows, which addresses may receive
them, how deliveries are signed and when a failed one is tried again.

No database, no network: each rule is a function of its arguments (the time, the random
draws and the declared event types are given), tested by the hundred in milliseconds.
"""

from __future__ import annotations

import base64
import ipaddress
import random
import secrets
import string
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from omnicanal.engagement.delivery.webhook import sign
from omnicanal.webhooks.errors import InvalidEndpointUrl, UnknownEventType

__all__ = [
    "BASE",
    "CEILING",
    "EVERY_EVENT",
    "MAX_PATTERNS",
    "MAX_URL_LENGTH",
    "ceiling",
    "check_patterns",
    "check_url",
    "is_private_host",
    "matches",
    "new_secret",
    "next_attempt",
    "signature_header",
]

EVERY_EVENT = "*"
MAX_PATTERNS = 100
MAX_PATTERN_LENGTH = 100
MAX_URL_LENGTH = 2000
BASE = timedelta(seconds=30)
"""The longest wait after a first failed attempt; it doubles with each attempt."""
CEILING = timedelta(hours=1)
"""The longest wait between two attempts, however many failed."""
SECRET_BYTES = 32

_random = random.SystemRandom()
_URL_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
_HOST_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "-.")
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain")


# --- the events an endpoint follows --------------------------------------------------------


def check_patterns(patterns: Sequence[str], declared: Iterable[str]) -> list[str]:
    """``patterns`` without repeats, each a declared type, a module's prefix (``order.*``)
    or ``*``; :class:`UnknownEventType` naming the others."""
    known = set(declared)
    prefixes = {event_type.split(".", 1)[0] for event_type in known}
    unknown = []
    for pattern in patterns:
        if pattern == EVERY_EVENT or pattern in known:
            continue
        if pattern.endswith(".*") and pattern[:-2] in prefixes:
            continue
        unknown.append(pattern)
    if unknown:
        shown = ", ".join(repr(pattern[:MAX_PATTERN_LENGTH]) for pattern in unknown[:5])
        raise UnknownEventType(
            f"No declared event has the type or prefix {shown}: give declared types "
            "(GET /v1/webhooks/event-types), a module's prefix such as 'order.*', or '*'.",
            field="event_types",
        )
    return list(dict.fromkeys(patterns))


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """Whether an endpoint following ``patterns`` is sent events of ``event_type``."""
    wanted = (EVERY_EVENT, event_type, event_type.split(".", 1)[0] + ".*")
    return any(pattern in wanted for pattern in patterns)


# --- the addresses that may receive them ---------------------------------------------------


def is_private_host(host: str) -> bool:
    """Whether ``host`` (lower case, an IP without brackets or a name) is this machine or a
    private network's: loopback, private, link-local and reserved addresses, ``localhost``,
    names of one label and the suffixes no public name has (``.local``, ``.internal``...)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_PRIVATE_SUFFIXES)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def check_url(url: str, *, allow_private: bool) -> str:
    """``url`` if omnicanal may post events to it, else :class:`InvalidEndpointUrl` saying
    why: https (http only to a local or private address, when the settings allow those), no
    credentials, no fragment, at most :data:`MAX_URL_LENGTH` characters."""

    def refuse(why: str) -> InvalidEndpointUrl:
        return InvalidEndpointUrl(why, field="url")

    if len(url) > MAX_URL_LENGTH:
        raise refuse(f"An endpoint's address has at most {MAX_URL_LENGTH} characters.")
    if not url or any(character not in _URL_CHARACTERS for character in url):
        raise refuse(
            "An endpoint's address is a URL of visible ASCII characters (percent-encode the "
            "others), without spaces."
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise refuse(f"This is not a URL: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise refuse("An endpoint's address starts with https://.")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise refuse(
            "An endpoint's address carries no credentials: the signature proves who sends."
        )
    host = (parts.hostname or "").strip("[]")
    if not host:
        raise refuse("An endpoint's address names a host.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if any(character not in _HOST_CHARACTERS for character in host) or ".." in host:
            raise refuse(f"{host!r} is not a host name.") from None
    if port == 0:
        raise refuse("Port 0 receives nothing.")
    if parts.fragment or url.endswith("#"):
        raise refuse("An endpoint's address has no #fragment: it is never sent.")
    private = is_private_host(host)
    if private and not allow_private:
        raise refuse(
            f"{host} is a local or private address: omnicanal posts to public addresses "
            "only (OMNICANAL_WEBHOOKS_ALLOW_PRIVATE_URLS=true allows the others)."
        )
    if scheme == "http" and not private:
        raise refuse("Events travel over https only (http is for local and private addresses).")
    return url


# --- signing -------------------------------------------------------------------------------


def new_secret() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64 (Standard Webhooks)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_header(
    signing_secrets: Sequence[str], *, webhook_id: str, timestamp: int, body: bytes
) -> str:
    """The ``webhook-signature`` header: ``v1,<signature>`` for each secret (the current one
    first, then the previous one while a rotation overlaps), separated by spaces."""
    return " ".join(
        sign(secret, webhook_id=webhook_id, timestamp=timestamp, body=body)
        for secret in signing_secrets
    )


# --- trying again --------------------------------------------------------------------------


def ceiling(attempts: int) -> timedelta:
    """The longest wait after the ``attempts``-th failed attempt: :data:`BASE` doubled with
    each attempt, up to :data:`CEILING`."""
    # Doubling stops once past the ceiling: no 2**attempts of a large number.
    doublings = min(max(attempts, 1) - 1, 20)
    return min(BASE * 2**doublings, CEILING)


def next_attempt(
    attempts: int,
    *,
    now: datetime,
    started_at: datetime,
    give_up_after: timedelta,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try a delivery again after ``attempts`` failed attempts, the last at ``now``;
    None when it is given up (``give_up_after`` has passed since ``started_at``).

    The wait is drawn uniformly below the ceiling ("full jitter"), so that the deliveries an
    outage held back do not all come back at the same moment; the last attempt falls at the
    deadline."""
    deadline = started_at + give_up_after
    if now >= deadline:
        return None
    # 1 - random() lies in (0, 1]: never a zero wait, at most the ceiling.
    fraction = 1.0 - (rng or _random).random()
    return min(now + ceiling(attempts) * fraction, deadline)
