"""Reserving the lines of an order at once: one conditional UPDATE for all of them.

A checkout holds a few SKUs at the locations its sourcing chose. Reserving them one by one
costs a round trip per line (and a savepoint to undo the first lines when a later one
fails). Here every line goes in one ``UPDATE stock_levels ... FROM wanted`` (``wanted``:
the lines' (variant, location, quantity) rows) whose condition is the single-line one
(``available >= quantity``, re-checked by PostgreSQL after a row lock wait): the rows it did
not change are the lines short of stock. All or nothing:
when one line is short, the units the statement took for the others are given back at once
and the refusal is the one ``reserve`` gives for that line.

On PostgreSQL the stock rows are locked first, in a fixed order (variant, location), by a
``SELECT ... FOR UPDATE`` inside the same statement: two checkouts of overlapping lines then
wait for each other instead of deadlocking. SQLite has one writer at a time; it has run
``UPDATE ... FROM`` since 3.33, and every stock update of omnicanal needs its ``RETURNING``
(3.35) anyway, so no version of it needs a line-by-line way.

A till sale's reservations are confirmed the same way (:func:`confirm_lines`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Integer, String, Table, Update, bindparam, select, union_all, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from omnicanal.catalog.lookups import VariantRef
from omnicanal.inventory.errors import InsufficientStock, ReservationNotActive
from omnicanal.inventory.events import (
    ReservationConfirmed,
    ReservationShortfallFound,
    StockMoved,
    StockReserved,
)
from omnicanal.inventory.levels import LevelAfter, level_where, signal_thresholds
from omnicanal.inventory.models import Reservation, StockLevel, StockMovement
from omnicanal.inventory.reservations import release_expired
from omnicanal.network.lookups import LocationRef
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id

__all__ = ["LineHold", "confirm_lines", "reserve_lines"]

_Key = tuple[str, str]
_LEVELS = cast(Table, StockLevel.__table__)
_RESERVATIONS = cast(Table, Reservation.__table__)


@dataclass(frozen=True)
class LineHold:
    """Units of one line to hold: a SKU at a location, for a channel, for a while."""

    variant: VariantRef
    location: LocationRef
    quantity: int
    channel: str
    ttl_seconds: int

    @property
    def key(self) -> _Key:
        return (self.variant.id, self.location.id)


def reserve_lines(
    session: Session,
    *,
    lines: Sequence[LineHold],
    actor: Actor,
    reference: str | None,
    order_id: str | None = None,
) -> list[str]:
    """Hold the units of every line, or of none (:class:`InsufficientStock` for the first
    line short of stock); the ids of the reservations, one per line, in the lines' order.

    The events are the ones :func:`reserve` records, line after line. The caller has checked
    that ``actor`` may reserve for each line's channel at its location (a checkout sources
    from its channel's network only); ``order_id``: the order whose checkout holds the units.
    """
    if not lines:
        return []
    totals: dict[_Key, int] = {}
    for line in lines:
        totals[line.key] = totals.get(line.key, 0) + line.quantity
    levels = _hold_all(session, totals)
    # Units held by expired reservations are released only when they are needed, as
    # ``reserve`` does: the hot path stays one UPDATE.
    if levels is None and release_expired(
        session, actor=actor, variant_ids=sorted({line.variant.id for line in lines})
    ):
        levels = _hold_all(session, totals)
    if levels is None:
        raise _shortfall(session, lines)
    now = utcnow()
    reservations = [
        Reservation(
            id=new_id(),
            variant_id=line.variant.id,
            location_id=line.location.id,
            channel=line.channel,
            quantity=line.quantity,
            status="active",
            reference=reference,
            expires_at=now + timedelta(seconds=line.ttl_seconds),
            created_at=now,
            updated_at=now,
            ended_at=None,
            actor=actor.label,
            order_id=order_id,
        )
        for line in lines
    ]
    session.add_all(reservations)
    # Each line's events as if it had been reserved alone, in turn: the level after it is
    # the final level less what the next lines of the same level took.
    reserved = {key: levels[key].reserved - total for key, total in totals.items()}
    for line, reservation in zip(lines, reservations, strict=True):
        final = levels[line.key]
        reserved[line.key] += line.quantity
        after = LevelAfter(
            on_hand=final.on_hand,
            reserved=reserved[line.key],
            safety_stock=final.safety_stock,
            low_stock_threshold=final.low_stock_threshold,
        )
        record_event(
            session,
            StockReserved(
                id=reservation.id,
                sku=line.variant.sku,
                location=line.location.code,
                channel=line.channel,
                quantity=line.quantity,
                status="active",
                reference=reference,
                expires_at=reservation.expires_at,
                created_at=now,
                ended_at=None,
                actor=actor.label,
            ),
            actor=actor,
        )
        signal_thresholds(
            session,
            sku=line.variant.sku,
            location=line.location.code,
            before=after.available + line.quantity,
            after=after,
            actor=actor,
        )
    return [reservation.id for reservation in reservations]


def confirm_lines(session: Session, *, lines: Sequence[tuple[str, LineHold]], actor: Actor) -> None:
    """Sell the units that these reservations of the transaction hold (a till sale: they
    leave on-hand stock at once), one UPDATE for the reservations and one for the levels.

    ``lines``: each reservation's id and the line it holds. The events are the ones
    :func:`confirm_reservation` records, reservation after reservation. The caller acts for
    the order that made them.
    """
    if not lines:
        return
    now = utcnow()
    ids = [reservation_id for reservation_id, _ in lines]
    reservation = _RESERVATIONS.c
    ended = {
        row.id: row
        for row in session.execute(
            update(_RESERVATIONS)
            .where(
                reservation.id.in_(ids),
                reservation.status == "active",
                reservation.expires_at > now,
            )
            .values(status="confirmed", ended_at=now, updated_at=now)
            .returning(
                reservation.id,
                reservation.channel,
                reservation.quantity,
                reservation.reference,
                reservation.expires_at,
                reservation.created_at,
                reservation.actor,
            )
        )
    }
    for reservation_id in ids:
        if reservation_id not in ended:
            raise ReservationNotActive(
                f"Reservation {reservation_id} is no longer active.", field="id"
            )
        loaded = session.identity_map.get(identity_key(Reservation, reservation_id))
        if loaded is not None:
            for name, value in (("status", "confirmed"), ("ended_at", now), ("updated_at", now)):
                set_committed_value(loaded, name, value)
    totals: dict[_Key, int] = {}
    for reservation_id, line in lines:
        totals[line.key] = totals.get(line.key, 0) + ended[reservation_id].quantity
    levels = _update_levels(session, totals, _SELL)
    gone = [line for _, line in lines if line.key not in levels]
    if gone:
        raise InsufficientStock(
            f"The reserved units of {gone[0].variant.sku} are no longer on hand at "
            f"{gone[0].location.code}.",
            field="id",
        )
    # Each sale as if it were confirmed alone, in turn (see reserve_lines).
    moved = {
        key: (levels[key].on_hand + total, levels[key].reserved + total)
        for key, total in totals.items()
    }
    for reservation_id, line in lines:
        row = ended[reservation_id]
        on_hand, reserved = moved[line.key]
        on_hand, reserved = on_hand - row.quantity, reserved - row.quantity
        moved[line.key] = (on_hand, reserved)
        session.add(
            StockMovement(
                id=new_id(),
                variant_id=line.variant.id,
                location_id=line.location.id,
                kind="sale",
                quantity=-row.quantity,
                on_hand_after=on_hand,
                reason="reservation confirmed",
                reference=reservation_id,
                actor=actor.label,
                channel=actor.channel,
                occurred_at=now,
            )
        )
        sku, location = line.variant.sku, line.location.code
        record_event(
            session,
            StockMoved(
                sku=sku,
                location=location,
                kind="sale",
                quantity=-row.quantity,
                on_hand=on_hand,
                reserved=reserved,
                reason="reservation confirmed",
                reference=reservation_id,
            ),
            actor=actor,
        )
        if on_hand < reserved:
            record_event(
                session,
                ReservationShortfallFound(
                    sku=sku, location=location, on_hand=on_hand, reserved=reserved
                ),
                actor=actor,
            )
        # A sale of reserved units leaves availability as it was: no threshold is crossed.
        record_event(
            session,
            ReservationConfirmed(
                id=reservation_id,
                sku=sku,
                location=location,
                channel=row.channel,
                quantity=row.quantity,
                status="confirmed",
                reference=row.reference,
                expires_at=row.expires_at,
                created_at=row.created_at,
                ended_at=now,
                actor=row.actor,
            ),
            actor=actor,
        )


def _hold_all(session: Session, totals: dict[_Key, int]) -> dict[_Key, LevelAfter] | None:
    """Reserve every level's total, or none: the levels after, None when one is short."""
    held = _update_levels(session, totals, _RESERVE)
    if len(held) == len(totals):
        return held
    _give_back(session, {key: totals[key] for key in held})
    return None


_RESERVE, _SELL = "reserve", "sell"


def _update_levels(
    session: Session, totals: dict[_Key, int], change: str
) -> dict[_Key, LevelAfter]:
    """One UPDATE of the levels, each by its total (``change``: reserve the units, or sell
    reserved ones); the levels it changed, as they are after."""
    dialect = session.get_bind().dialect.name
    parameters: dict[str, Any] = {"now": utcnow()}
    for index, ((variant_id, location_id), quantity) in enumerate(totals.items()):
        parameters[f"variant_{index}"] = variant_id
        parameters[f"location_{index}"] = location_id
        parameters[f"quantity_{index}"] = quantity
    rows = session.execute(_levels_statement(change, len(totals), dialect), parameters).all()
    return {(row[0], row[1]): LevelAfter(*row[2:]) for row in rows}


@functools.cache
def _levels_statement(change: str, lines: int, dialect: str) -> Update:
    """``UPDATE stock_levels ... FROM wanted`` where ``wanted`` holds ``lines`` rows of
    bound (variant, location, quantity), a ``UNION ALL`` of one-row SELECTs: built once per
    shape, so SQLAlchemy compiles it once too (a ``VALUES`` list is compiled anew at every
    execution).

    A reservation (``change`` "reserve") takes the units where they are available; on
    PostgreSQL it first locks the rows in (variant, location) order, for rows that this
    transaction may not hold yet. A sale of reserved units ("sell") takes them out of on-hand
    stock where they still are: its rows are the transaction's already."""
    wanted = union_all(
        *(
            select(
                bindparam(f"variant_{index}", type_=String).label("variant_id"),
                bindparam(f"location_{index}", type_=String).label("location_id"),
                bindparam(f"quantity_{index}", type_=Integer).label("quantity"),
            )
            for index in range(lines)
        )
    ).cte("wanted")
    level = _LEVELS.c
    quantity = wanted.c.quantity
    if change == _RESERVE:
        condition = level.on_hand - level.reserved - level.safety_stock >= quantity
        changes = {"reserved": level.reserved + quantity}
    else:
        condition = level.on_hand - quantity >= 0
        changes = {"on_hand": level.on_hand - quantity, "reserved": level.reserved - quantity}
    # The table, not the mapped class: a plain Core UPDATE, without the ORM's bulk-update
    # steps (the session's objects are left alone anyway).
    statement = update(_LEVELS).where(
        level.variant_id == wanted.c.variant_id,
        level.location_id == wanted.c.location_id,
        condition,
    )
    if change == _RESERVE and dialect == "postgresql":
        locked = (
            select(level.variant_id, level.location_id)
            .join(
                wanted,
                (level.variant_id == wanted.c.variant_id)
                & (level.location_id == wanted.c.location_id),
            )
            .order_by(level.variant_id, level.location_id)
            .with_for_update(of=_LEVELS)
            .cte("locked")
            .prefix_with("MATERIALIZED")
        )
        statement = statement.where(
            level.variant_id == locked.c.variant_id, level.location_id == locked.c.location_id
        )
    return statement.values(**changes, updated_at=bindparam("now")).returning(
        level.variant_id,
        level.location_id,
        level.on_hand,
        level.reserved,
        level.safety_stock,
        level.low_stock_threshold,
    )


def _give_back(session: Session, taken: dict[_Key, int]) -> None:
    """Undo the part of a reservation that went through (the rows stay locked by us)."""
    for (variant_id, location_id), quantity in taken.items():
        session.execute(
            update(StockLevel)
            .where(*level_where(variant_id, location_id))
            .values(reserved=StockLevel.reserved - quantity),
            execution_options=NO_SYNC,
        )


def _shortfall(session: Session, lines: Sequence[LineHold]) -> InsufficientStock:
    """The refusal of the first line short of stock, the lines before it counted as held."""
    keys = {line.key for line in lines}
    available = dict.fromkeys(keys, 0)
    for variant_id, location_id, units in session.execute(
        select(
            StockLevel.variant_id,
            StockLevel.location_id,
            StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock,
        ).where(
            StockLevel.variant_id.in_({key[0] for key in keys}),
            StockLevel.location_id.in_({key[1] for key in keys}),
        )
    ):
        if (variant_id, location_id) in available:
            available[(variant_id, location_id)] = units
    short = None
    for line in lines:
        if available[line.key] < line.quantity:
            short = line
            break
        available[line.key] -= line.quantity
    # None short when units were freed between the UPDATE and this read (PostgreSQL): the
    # first line is named, and still nothing was held.
    line = short or lines[0]
    shown = max(available[line.key], 0)
    return InsufficientStock(
        f"Only {shown} unit(s) of {line.variant.sku} available at {line.location.code}; "
        f"{line.quantity} requested.",
        field="quantity",
        sku=line.variant.sku,
        requested=line.quantity,
        available=shown,
    )
