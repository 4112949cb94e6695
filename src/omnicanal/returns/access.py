"""Who may take, read and change a return: a pure policy over the caller, the order's owner
and the return's own facts (``platform/access.py`` is the ownership rule it builds on).

- Take a return at a counter: a store key, at its own store, for any order it may read
  (bought on any channel: the web, the app, another store).
- Authorise a postal return: the channel that placed the order (a marketplace: that very
  key), the call centre for a first-party order, or a store for a first-party order.
- Receive a postal return (scan its label): a key bound to the location it arrives at.
- Read a return: a store key the returns taken or received at its store; another
  first-party key the returns of its channel's orders and those it authorised (the call
  centre: every first-party order's); a marketplace key the returns of its own orders; a
  key with ``returns:review``, every return.
- Inspect, refund, exchange, close: a key of the location holding the units.
- Cancel: as above, or whoever opened the return.
- Review: a key with ``returns:review`` (head office); the operator may do anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnicanal.orders import access as order_access
from omnicanal.platform.access import FIRST_PARTY, Owner, is_privileged, owns
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.auth import LocationForbidden
from omnicanal.returns.errors import ReturnForbidden, ReturnLocationRequired, UnknownReturn

__all__ = [
    "REVIEW_SCOPE",
    "ReturnFacts",
    "Visibility",
    "check_cancel",
    "check_handle",
    "check_open",
    "check_readable",
    "check_receive",
    "may_read",
    "opening_location",
    "visibility",
]

REVIEW_SCOPE = "returns:review"
_STORE = ChannelKind.store.value
_CALL_CENTRE = ChannelKind.call_centre.value
_MARKETPLACE = ChannelKind.marketplace.value


@dataclass(frozen=True)
class ReturnFacts:
    """What the policy needs of a return: its order's owner, who opened it, where it is."""

    id: str
    order_owner: Owner
    opened_by: Owner
    location_code: str | None


def _reviewer(actor: Actor) -> bool:
    return REVIEW_SCOPE in actor.scopes and actor.channel in FIRST_PARTY


def _store_of(actor: Actor) -> str | None:
    """The store a key is bound to (a warehouse, for a warehouse's key)."""
    return actor.location_code


def opening_location(actor: Actor, *, counter: bool, requested: str | None) -> str | None:
    """Where a return opened by ``actor`` comes back: a counter return at the key's own
    store (or where the operator says); a postal return is located when it arrives."""
    if not counter:
        return None
    if is_privileged(actor):
        location = requested or _store_of(actor)
    else:
        location = _store_of(actor)
        if location is not None and requested is not None and requested != location:
            raise LocationForbidden(
                f"This key belongs to store {location} and cannot take a return at {requested}.",
                field="location",
            )
    if location is None:
        raise ReturnLocationRequired(
            "A return at a counter is taken by the key of that store (or give the location).",
            field="location",
        )
    return location


def check_open(actor: Actor, order: order_access.OrderFacts, *, counter: bool) -> None:
    """Refuse a caller who may not open a return of ``order`` (404 if it may not read it)."""
    order_access.check_readable(actor, order)
    if is_privileged(actor):
        return
    if counter:
        if actor.channel != _STORE or _store_of(actor) is None:
            raise ReturnForbidden(
                f"A {actor.channel} key cannot take a return at a counter: only a store's "
                "key can (or authorise a postal return).",
                field="method",
            )
        return
    if owns(actor, order.owner):
        return
    if actor.channel in (_CALL_CENTRE, _STORE) and order.owner.channel in FIRST_PARTY:
        return
    raise ReturnForbidden(
        f"A {actor.channel} key cannot authorise a return of order {order.id}, placed on the "
        f"{order.owner.channel} channel: only that channel (or customer service) can.",
        field="order_id",
        channel=order.owner.channel,
    )


def may_read(actor: Actor, facts: ReturnFacts) -> bool:
    """Whether ``actor`` sees the return at all (see the module's rules)."""
    if is_privileged(actor) or _reviewer(actor):
        return True
    if actor.channel == _MARKETPLACE:
        return facts.order_owner.key == actor.label
    if owns(actor, facts.opened_by):
        return True
    store = _store_of(actor)
    if store is not None:
        return facts.location_code == store
    if actor.channel == _CALL_CENTRE:
        return facts.order_owner.channel in FIRST_PARTY
    return facts.order_owner.channel == actor.channel


def check_readable(actor: Actor, facts: ReturnFacts) -> None:
    """Refuse, as if it did not exist, a return the caller may not read."""
    if not may_read(actor, facts):
        raise UnknownReturn(f"No return has the id {facts.id!r}.", field="id")


def check_handle(actor: Actor, facts: ReturnFacts, *, doing: str) -> None:
    """Inspect, refund, exchange or close: a key of the location holding the units."""
    check_readable(actor, facts)
    if is_privileged(actor):
        return
    store = _store_of(actor)
    if store is not None and store == facts.location_code:
        return
    if store is not None:
        raise LocationForbidden(
            f"This key belongs to store {store} and cannot {doing} a return held at "
            f"{facts.location_code or 'no location yet'}.",
            field="location",
        )
    raise ReturnForbidden(
        f"A {actor.channel} key cannot {doing} a return: the key of the location holding "
        "its units can.",
        field="id",
    )


def check_receive(actor: Actor, facts: ReturnFacts, *, requested: str | None) -> str:
    """Receiving a postal return: where it arrives, the key's own location (the operator
    names it). Returns that location."""
    if is_privileged(actor):
        location = requested or _store_of(actor)
        if location is None:
            raise ReturnLocationRequired(
                "Say where the parcel arrived (location).", field="location"
            )
        return location
    store = _store_of(actor)
    if store is None:
        raise ReturnForbidden(
            f"A {actor.channel} key cannot receive a parcel: the key of the location it "
            "arrives at can.",
            field="token",
        )
    if requested is not None and requested != store:
        raise LocationForbidden(
            f"This key belongs to {store} and cannot receive a parcel at {requested}.",
            field="location",
        )
    return store


def check_cancel(actor: Actor, facts: ReturnFacts) -> None:
    """Whoever opened the return, or a key of the location holding it."""
    check_readable(actor, facts)
    if is_privileged(actor) or owns(actor, facts.opened_by):
        return
    if facts.location_code is not None and _store_of(actor) == facts.location_code:
        return
    if actor.channel == _CALL_CENTRE and facts.order_owner.channel in FIRST_PARTY:
        return
    raise ReturnForbidden(
        f"A {actor.channel} key cannot cancel return {facts.id}: whoever opened it, or the "
        "location holding it, can.",
        field="id",
    )


@dataclass(frozen=True)
class Visibility:
    """What a list of returns is narrowed to for a caller."""

    everything: bool = False
    order_placed_by: str | None = None
    """A marketplace: the returns of the orders this key placed."""
    location: str | None = None
    """A store: the returns held at this location or opened there."""
    purchase_channels: frozenset[str] = frozenset()
    """Another first-party key: the returns of the orders of these kinds of channel."""


def visibility(actor: Actor) -> Visibility:
    """The narrowing of a list of returns that :func:`may_read` implies for ``actor``."""
    if is_privileged(actor) or _reviewer(actor):
        return Visibility(everything=True)
    if actor.channel == _MARKETPLACE:
        return Visibility(order_placed_by=actor.label)
    store = _store_of(actor)
    if store is not None:
        return Visibility(location=store)
    if actor.channel == _CALL_CENTRE:
        return Visibility(purchase_channels=FIRST_PARTY)
    return Visibility(purchase_channels=frozenset({actor.channel}))
