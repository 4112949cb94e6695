"""Who may read and change an order: a pure policy over the caller and the order's owner.

- Read: every first-party channel reads every order (one status for the customer on every
  channel; a store finds any order to help); a marketplace key reads the orders it placed,
  and another's order does not exist for it.
- Cancel: the channel that placed it (a store order: that store; a marketplace order: that
  key), or the call centre for a first-party order.
- Record a payment: as cancel, and a store where the order has a fulfilment (the customer
  pays at that till, e.g. for a held item).
- Act on a fulfilment: a store key at its own store only; any other key on the orders it reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnicanal.fulfilment.errors import UnknownFulfilment
from omnicanal.orders.errors import OrderForbidden, UnknownOrder
from omnicanal.platform.access import FIRST_PARTY, Owner, is_first_party, is_privileged, owns
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.auth import LocationForbidden

__all__ = [
    "OrderFacts",
    "check_cancel",
    "check_fulfilment_action",
    "check_payment",
    "check_readable",
    "may_cancel",
    "may_read",
    "may_record_payment",
    "queue_location",
    "visible_to",
]


@dataclass(frozen=True)
class OrderFacts:
    """What the policy needs of an order: its owner and the stores its fulfilments are at."""

    id: str
    owner: Owner
    fulfilment_locations: frozenset[str] = frozenset()


def visible_to(actor: Actor) -> str | None:
    """The ``placed_by`` a list of orders is narrowed to for ``actor``, or None for all."""
    if is_privileged(actor) or is_first_party(actor):
        return None
    return actor.label


def queue_location(actor: Actor, requested: str | None) -> str | None:
    """The store whose fulfilment queue ``actor`` lists: a store key's own, whatever it asks."""
    if actor.location_code is not None and not is_privileged(actor):
        return actor.location_code
    return requested


def may_read(actor: Actor, order: OrderFacts) -> bool:
    """First-party channels read every order; anyone else the orders it placed."""
    placed_by = visible_to(actor)
    return placed_by is None or order.owner.key == placed_by


def may_cancel(actor: Actor, order: OrderFacts) -> bool:
    """The placing channel (store, key), or customer service for a first-party order."""
    if owns(actor, order.owner):
        return True
    return actor.channel == ChannelKind.call_centre.value and order.owner.channel in FIRST_PARTY


def may_record_payment(actor: Actor, order: OrderFacts) -> bool:
    """As :func:`may_cancel`, and a store where one of the order's fulfilments is."""
    if may_cancel(actor, order):
        return True
    return (
        actor.channel == ChannelKind.store.value
        and actor.location_code is not None
        and actor.location_code in order.fulfilment_locations
    )


def check_readable(actor: Actor, order: OrderFacts) -> None:
    """Refuse, as if it did not exist, an order the caller may not read."""
    if not may_read(actor, order):
        raise UnknownOrder(f"No order has the id {order.id!r}.", field="id")


def _refuse(actor: Actor, order: OrderFacts, what: str) -> OrderForbidden:
    where = f" of store {actor.location_code}" if actor.location_code else ""
    return OrderForbidden(
        f"A {actor.channel} key{where} cannot {what} order {order.id}: only the channel that "
        "placed it (or customer service) can.",
        field="order",
        channel=order.owner.channel,
    )


def check_cancel(actor: Actor, order: OrderFacts) -> None:
    """Refuse a caller who may not cancel the order (404 if it may not even read it)."""
    check_readable(actor, order)
    if not may_cancel(actor, order):
        raise _refuse(actor, order, "cancel")


def check_payment(actor: Actor, order: OrderFacts) -> None:
    """Refuse a caller who may not record the order's payment (404 if it may not read it)."""
    check_readable(actor, order)
    if not may_record_payment(actor, order):
        raise _refuse(actor, order, "record the payment of")


def check_fulfilment_action(
    actor: Actor, order: OrderFacts, *, fulfilment_id: str, location_code: str
) -> None:
    """A store key acts at its own store only; any other key on the orders it may read."""
    if actor.location_code is not None and not is_privileged(actor):
        if location_code != actor.location_code:
            raise LocationForbidden(
                f"This key belongs to store {actor.location_code} and cannot act for "
                f"{location_code}.",
                field="location",
            )
        return
    if not may_read(actor, order):
        raise UnknownFulfilment(f"No fulfilment has the id {fulfilment_id!r}.", field="id")
