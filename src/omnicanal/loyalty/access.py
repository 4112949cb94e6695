"""Who may read and change loyalty: a pure policy over the caller and a redemption's owner
(``platform/access.py`` is the ownership rule it builds on).

- Loyalty is the retailer's own: a marketplace key sees nothing of it (403), whatever its
  scopes.
- Programmes: every first-party key reads them; a key with ``loyalty:admin`` (head office)
  creates or changes one.
- Members: every first-party key enrols a customer and reads members (a clerk serves
  customers of every channel); a store key enrols at its own store.
- Redemptions: a store key holds points at its own store only, and reads the redemptions
  made there; another first-party key holds points for its channel and reads every
  redemption. Releasing a hold is for the channel (and store) that made it.
- Adjustments by hand: a first-party key with ``loyalty:admin``; the operator may do
  anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnicanal.loyalty.errors import LoyaltyForbidden, UnknownRedemption
from omnicanal.platform.access import Owner, is_first_party, is_privileged, owns
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import LocationForbidden

__all__ = [
    "ADMIN_SCOPE",
    "RedemptionFacts",
    "acting_location",
    "check_admin",
    "check_first_party",
    "check_readable",
    "check_release",
    "may_read",
    "visible_location",
]

ADMIN_SCOPE = "loyalty:admin"


@dataclass(frozen=True)
class RedemptionFacts:
    """What the policy needs of a redemption: who made it, where."""

    id: str
    owner: Owner


def check_first_party(actor: Actor) -> None:
    """Refuse a key that is not one of the retailer's own channels."""
    if not (is_privileged(actor) or is_first_party(actor)):
        raise LoyaltyForbidden(
            f"A {actor.channel} key cannot use the loyalty programme: it is the retailer's "
            "own channels'.",
            channel=actor.channel,
        )


def check_admin(actor: Actor, *, doing: str) -> None:
    """Refuse a key without ``loyalty:admin`` (head office: programmes, adjustments)."""
    check_first_party(actor)
    if not (is_privileged(actor) or ADMIN_SCOPE in actor.scopes):
        raise LoyaltyForbidden(
            f"A key needs the '{ADMIN_SCOPE}' scope (head office) to {doing}.",
            required_scope=ADMIN_SCOPE,
        )


def acting_location(actor: Actor, requested: str | None) -> str | None:
    """Where a store key acts: its own store (naming another is refused); the operator or
    another channel where it says, if anywhere."""
    check_first_party(actor)
    own = actor.location_code
    if own is None or is_privileged(actor):
        return requested or own
    if requested is not None and requested != own:
        raise LocationForbidden(
            f"This key belongs to store {own} and cannot act for {requested}.", field="location"
        )
    return own


def may_read(actor: Actor, facts: RedemptionFacts) -> bool:
    """The operator and first-party channels read redemptions; a store key those made at
    its store."""
    if is_privileged(actor):
        return True
    if not is_first_party(actor):
        return False
    if actor.location_code is not None:
        return facts.owner.location_code == actor.location_code
    return True


def visible_location(actor: Actor) -> str | None:
    """The store a list of redemptions is narrowed to for ``actor`` (None: every one)."""
    check_first_party(actor)
    if is_privileged(actor):
        return None
    return actor.location_code


def check_readable(actor: Actor, facts: RedemptionFacts) -> None:
    """Refuse, as if it did not exist, a redemption the caller may not read."""
    check_first_party(actor)
    if not may_read(actor, facts):
        raise UnknownRedemption(f"No redemption has the id {facts.id!r}.", field="id")


def check_release(actor: Actor, facts: RedemptionFacts) -> None:
    """Releasing a hold: the channel (and store) that made it, or the operator."""
    check_readable(actor, facts)
    if owns(actor, facts.owner):
        return
    raise LoyaltyForbidden(
        f"A {actor.channel} key cannot release redemption {facts.id}: the channel that "
        "held it can.",
        field="id",
    )
