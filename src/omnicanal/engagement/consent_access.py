"""Who may read and record a person's consent through the API: a pure policy over the caller
(``platform/access.py`` holds the rules it builds on).

- Consent is between the retailer and its customer: a marketplace key reads and records
  none (403 ``consent_forbidden``), whatever its scopes.
- ``consents:read`` reads, ``consents:write`` records; the web shop, the app, the stores and
  the call centre have both by default.
- A store key and the call centre serve customers who are in front of them or on the phone,
  checked by the person serving: they read and record anyone's consent; a store key records
  at its own store (another store is refused: 403 ``location_forbidden``).
- The web shop and the app act for their logged-in customer only: a request names them by
  their login (``customer_ref``: ``user_id:<login>``), which must be the person of the
  profile in the address. A profile id alone, which travels in addresses and pages, never
  reads nor changes anyone's consent from those keys (403 ``consent_forbidden``, the same
  answer whether the profile exists or not).
- The operator (the back office) may do anything.
"""

from __future__ import annotations

from omnicanal.engagement.errors import ConsentForbidden
from omnicanal.platform.access import is_first_party, is_privileged
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.auth import LocationForbidden

__all__ = [
    "CUSTOMER_CHANNELS",
    "READ_SCOPE",
    "SOURCES",
    "WRITE_SCOPE",
    "acting_location",
    "check_first_party",
    "check_own_customer",
    "login_of",
    "needs_login",
    "source_of",
]

READ_SCOPE = "consents:read"
WRITE_SCOPE = "consents:write"
CUSTOMER_CHANNELS = frozenset({ChannelKind.web.value, ChannelKind.app.value})
"""The channels that act for their logged-in customer only."""
SOURCES = {
    ChannelKind.web.value: "web_form",
    ChannelKind.app.value: "app",
    ChannelKind.store.value: "till",
    ChannelKind.call_centre.value: "call_centre",
    "back_office": "back_office",
}
"""Where an answer recorded through the API was given, by the caller's channel."""
LOGIN_PREFIX = "user_id:"


def check_first_party(actor: Actor) -> None:
    """Refuse a key that is not one of the retailer's own channels."""
    if not (is_privileged(actor) or is_first_party(actor)):
        raise ConsentForbidden(
            f"A {actor.channel} key cannot read or record consent: it is between the "
            "retailer and its customers.",
            channel=actor.channel,
        )


def needs_login(actor: Actor) -> bool:
    """Whether the caller acts for its logged-in customer only (the web shop, the app)."""
    return actor.channel in CUSTOMER_CHANNELS and not is_privileged(actor)


def login_of(customer_ref: str | None) -> str | None:
    """The login a customer reference names (``user_id:<login>``, or a bare login); None
    for a reference of another kind (an e-mail, a card: known to others than the person)."""
    if customer_ref is None:
        return None
    text = customer_ref.strip()
    if text.startswith(LOGIN_PREFIX):
        text = text[len(LOGIN_PREFIX) :].strip()
    elif ":" in text:
        return None
    return text or None


def check_own_customer(actor: Actor, *, is_their_login: bool) -> None:
    """Refuse a web or app key whose request does not name, by their login, the person of
    the profile it asks about."""
    check_first_party(actor)
    if needs_login(actor) and not is_their_login:
        raise ConsentForbidden(
            f"A {actor.channel} key reads and records the consent of its logged-in customer "
            "only: give their login as customer_ref (user_id:…), the person of this profile.",
            field="customer_ref",
        )


def acting_location(actor: Actor, requested: str | None) -> str | None:
    """The store an answer is recorded at: a store key's own (naming another is refused);
    for another key, the store it names, if any."""
    own = actor.location_code
    if own is None or is_privileged(actor):
        return requested or own
    if requested is not None and requested != own:
        raise LocationForbidden(
            f"This key belongs to store {own} and cannot act for {requested}.", field="location"
        )
    return own


def source_of(actor: Actor) -> str:
    """Where an answer the caller records was given (``api`` for a channel of no form)."""
    return SOURCES.get(actor.channel, "api")
