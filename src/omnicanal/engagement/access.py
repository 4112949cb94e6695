"""Who may read and change triggers, messages and stock watches: a pure policy over the
caller (``platform/access.py`` is the ownership rule it builds on).

- Messages and triggers are the retailer's own: a marketplace key sees nothing of them
  (403), whatever its scopes.
- Triggers are read with ``engagement:read``; people's messages too, by the retailer's
  staff only (the call centre's keys have the scope, to answer a customer asking about a
  message; never the web shop's or the app's, which act for one customer); a trigger is
  created or changed with ``engagement:admin`` only (head office; no channel key has it by
  default).
- A stock watch (``watches:write``) follows its customer, as a known customer's cart does:
  the web shop and the app watch a SKU for their logged-in customer and list that
  customer's watches (never everyone's); the call centre watches and lists for anyone; a
  store key watches at its own store, and reads and ends the watches of its store only
  (another store's is, to it, as if it did not exist).
"""

from __future__ import annotations

from dataclasses import dataclass

from omnicanal.engagement.errors import EngagementForbidden, UnknownStockWatch
from omnicanal.platform.access import is_first_party, is_privileged
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.auth import LocationForbidden

__all__ = [
    "ADMIN_SCOPE",
    "READ_SCOPE",
    "WATCH_SCOPE",
    "WatchFacts",
    "check_admin",
    "check_first_party",
    "check_message_reader",
    "check_reader",
    "check_watch",
    "may_read_watch",
    "watch_listing",
    "watch_location",
]

READ_SCOPE = "engagement:read"
WATCH_SCOPE = "watches:write"
ADMIN_SCOPE = "engagement:admin"
_CUSTOMER_CHANNELS = frozenset({ChannelKind.web.value, ChannelKind.app.value})
"""The channels that act for their logged-in customer only."""


@dataclass(frozen=True)
class WatchFacts:
    """What the policy needs of a stock watch: its id and the store it watches."""

    id: str
    location_code: str


def check_first_party(actor: Actor) -> None:
    """Refuse a key that is not one of the retailer's own channels."""
    if not (is_privileged(actor) or is_first_party(actor)):
        raise EngagementForbidden(
            f"A {actor.channel} key cannot use the retailer's messages and alerts: they are "
            "its own channels'.",
            channel=actor.channel,
        )


def check_reader(actor: Actor) -> None:
    """Refuse a key that may not read triggers, templates, segments and measures
    (``engagement:read``)."""
    check_first_party(actor)
    if not (is_privileged(actor) or {READ_SCOPE, ADMIN_SCOPE} & actor.scopes):
        raise EngagementForbidden(
            f"A key needs the '{READ_SCOPE}' scope to read messages and triggers.",
            required_scope=READ_SCOPE,
        )


def check_message_reader(actor: Actor) -> None:
    """Refuse a key that may not read people's messages: besides ``engagement:read``, the
    retailer's staff only (the web shop and the app act for one logged-in customer)."""
    check_reader(actor)
    if not is_privileged(actor) and actor.channel in _CUSTOMER_CHANNELS:
        raise EngagementForbidden(
            f"A {actor.channel} key acts for its logged-in customer: people's messages are "
            "the retailer's staff's to read.",
            channel=actor.channel,
        )


def check_admin(actor: Actor, *, doing: str) -> None:
    """Refuse a key without ``engagement:admin`` (head office: triggers)."""
    check_first_party(actor)
    if not (is_privileged(actor) or ADMIN_SCOPE in actor.scopes):
        raise EngagementForbidden(
            f"A key needs the '{ADMIN_SCOPE}' scope (head office) to {doing}.",
            required_scope=ADMIN_SCOPE,
        )


def watch_location(actor: Actor, requested: str) -> str:
    """The store a new watch is for: a store key watches at its own store only."""
    check_first_party(actor)
    own = actor.location_code
    if own is not None and not is_privileged(actor) and requested != own:
        raise LocationForbidden(
            f"This key belongs to store {own} and cannot act for {requested}.", field="location"
        )
    return requested


def watch_listing(actor: Actor, *, names_customer: bool) -> str | None:
    """The store a list of watches is narrowed to for ``actor`` (None: every store); the web
    shop and the app must name their customer."""
    check_first_party(actor)
    if is_privileged(actor):
        return None
    if actor.channel in _CUSTOMER_CHANNELS and not names_customer:
        raise EngagementForbidden(
            f"A {actor.channel} key lists the watches of its logged-in customer: give "
            "customer_ref or profile_id.",
            field="customer_ref",
        )
    return actor.location_code


def may_read_watch(actor: Actor, watch: WatchFacts) -> bool:
    """First-party channels read watches; a store key those of its store."""
    if is_privileged(actor):
        return True
    if not is_first_party(actor):
        return False
    return actor.location_code is None or actor.location_code == watch.location_code


def check_watch(actor: Actor, watch: WatchFacts) -> None:
    """Refuse, as if it did not exist, a watch the caller may not read or end."""
    check_first_party(actor)
    if not may_read_watch(actor, watch):
        raise UnknownStockWatch(f"No stock watch has the id {watch.id!r}.", field="id")
