"""Who may read and change reservations and read the ledger: a pure policy.

- A reservation belongs to the key that made it: its channel, its store for a store key,
  that very key for a marketplace. Anyone else does not see it (404), nor finds it in the
  list of reservations, and cannot change it.
- A reservation made by an order's checkout changes only through the order's own operations
  (cancel, collect, buy, release...), never directly: 409 ``reservation_held_by_order``.
- A store key reads its own store's ledger only, and lists its own store's stock levels
  only (the list is what a till's own system syncs). A SKU's stock per location and
  availability stay readable by every key with ``inventory:read``: every channel shows stock
  everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnicanal.inventory.errors import (
    ReservationForbidden,
    ReservationHeldByOrder,
    UnknownReservation,
)
from omnicanal.platform.access import Owner, is_privileged, owns
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.auth import LocationForbidden

__all__ = [
    "ReservationFacts",
    "VisibleReservations",
    "check_change",
    "check_readable",
    "ledger_location",
    "may_read",
    "visible_reservations",
]


@dataclass(frozen=True)
class ReservationFacts:
    """What the policy needs of a reservation: who made it, where, and for which order."""

    id: str
    owner: Owner
    order_id: str | None = None


def may_read(actor: Actor, reservation: ReservationFacts) -> bool:
    """The key that made it, or its channel (and store) for a first-party channel."""
    return owns(actor, reservation.owner) or reservation.owner.key == actor.label


@dataclass(frozen=True)
class VisibleReservations:
    """What :func:`may_read` lets a caller read, as a list's filter: the reservations of
    its kind of channel (at its store, or made by its very key for a marketplace), and
    those its key made."""

    channel_kind: str
    location_id: str | None
    key: str | None
    made_by: str


def visible_reservations(actor: Actor) -> VisibleReservations | None:
    """The reservations a list shows ``actor``; None: every one (the operator)."""
    if is_privileged(actor):
        return None
    marketplace = actor.channel == ChannelKind.marketplace.value
    return VisibleReservations(
        channel_kind=actor.channel,
        location_id=None if marketplace else actor.location_id,
        key=actor.label if marketplace else None,
        made_by=actor.label,
    )


def check_readable(actor: Actor, reservation: ReservationFacts) -> None:
    """Refuse, as if it did not exist, a reservation the caller does not own."""
    if not may_read(actor, reservation):
        raise UnknownReservation(f"No reservation has the id {reservation.id!r}.", field="id")


def check_change(actor: Actor, reservation: ReservationFacts) -> None:
    """Refuse a confirm or release by anyone but the owner, and of an order's reservation."""
    check_readable(actor, reservation)
    if is_privileged(actor):
        return
    if reservation.order_id is not None:
        raise ReservationHeldByOrder(
            f"Reservation {reservation.id} holds units of order {reservation.order_id}: "
            "cancel the order or move its fulfilment on instead.",
            field="id",
            order_id=reservation.order_id,
        )
    if not owns(actor, reservation.owner):
        raise ReservationForbidden(
            f"Reservation {reservation.id} belongs to the {reservation.owner.channel} channel"
            + (f" at {reservation.owner.location_code}" if reservation.owner.location_code else "")
            + f": a {actor.channel} key cannot change it.",
            field="id",
        )


def ledger_location(actor: Actor, requested: str | None) -> str | None:
    """The location whose ledger (or stock levels list) ``actor`` reads: a store key its own
    store only."""
    if actor.location_code is None or is_privileged(actor):
        return requested
    if requested is not None and requested != actor.location_code:
        raise LocationForbidden(
            f"This key belongs to store {actor.location_code} and cannot read the ledger of "
            f"{requested}.",
            field="location",
        )
    return actor.location_code
