"""Who owns a resource, and whether a caller acts as its owner: the one rule that every
module's access policy (orders, reservations, carts, fulfilments, the ledger) builds on.

A resource belongs to the channel that made it; a store's resource to that store as well;
a marketplace's resource to the very key that made it (each marketplace has its own key and
never sees another's). A key with the ``*`` scope (the operator, the order's own use cases
moving its stock) owns everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from omnicanal.platform.actors import Actor, ChannelKind

__all__ = [
    "FIRST_PARTY",
    "Mismatch",
    "Owner",
    "is_first_party",
    "is_privileged",
    "mismatch",
    "owns",
]

BACK_OFFICE = "back_office"
"""The channel of the retailer's own back office: the operator, the warehouse's tools."""

FIRST_PARTY = frozenset(
    {
        ChannelKind.web.value,
        ChannelKind.app.value,
        ChannelKind.store.value,
        ChannelKind.call_centre.value,
        BACK_OFFICE,
    }
)
"""The retailer's own channels (and its back office); a marketplace is a third party."""


@dataclass(frozen=True)
class Owner:
    """The owner fields of a resource: the kind of channel, the store, the key's label."""

    channel: str
    location_code: str | None = None
    key: str | None = None


class Mismatch(StrEnum):
    """Why a caller is not a resource's owner."""

    channel = "channel"
    location = "location"
    key = "key"


def is_privileged(actor: Actor) -> bool:
    """The operator (or a use case acting for an order) may do anything."""
    return "*" in actor.scopes


def is_first_party(actor: Actor) -> bool:
    """A key of one of the retailer's own channels (not a marketplace)."""
    return actor.channel in FIRST_PARTY


def mismatch(actor: Actor, owner: Owner) -> Mismatch | None:
    """Why ``actor`` does not own a resource of ``owner``, or None when it does."""
    if is_privileged(actor):
        return None
    if actor.channel != owner.channel:
        return Mismatch.channel
    if actor.channel == ChannelKind.marketplace.value:
        return None if owner.key == actor.label else Mismatch.key
    if actor.location_code is not None and owner.location_code != actor.location_code:
        return Mismatch.location
    return None


def owns(actor: Actor, owner: Owner) -> bool:
    """Whether ``actor`` acts as the owner of a resource of ``owner``."""
    return mismatch(actor, owner) is None
