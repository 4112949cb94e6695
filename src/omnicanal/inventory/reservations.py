"""Reservations: hold units for a channel until confirmed, released or expired."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.lookups import VariantRef
from omnicanal.inventory import access
from omnicanal.inventory.errors import (
    InsufficientStock,
    LocationNotInChannel,
    NegativeStock,
    ReservationExpired,
    ReservationNotActive,
    UnknownReservation,
)
from omnicanal.inventory.events import (
    ReservationChanged,
    ReservationConfirmed,
    ReservationLapsed,
    ReservationReleased,
    StockReserved,
)
from omnicanal.inventory.ledger import apply_delta
from omnicanal.inventory.levels import (
    LevelAfter,
    level_where,
    returning_level,
    signal_thresholds,
)
from omnicanal.inventory.models import (
    Reservation,
    StockLevel,
)
from omnicanal.inventory.schemas import (
    ReservationIn,
    ReservationOut,
)
from omnicanal.network import service as network
from omnicanal.network.lookups import LocationRef
from omnicanal.platform.access import Owner
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import require_channel, require_location
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC, rowcount
from omnicanal.platform.events import record_event, write_recorded_events
from omnicanal.platform.ids import new_id

Held = TypeVar("Held")
"""What a hold returns when it found the units."""

# -- reservations -------------------------------------------------------------------------


def reservation_out(reservation: Reservation, sku: str, location: str) -> ReservationOut:
    """A reservation row as the API shows it; ``sku`` and ``location``: its codes."""
    return ReservationOut(
        id=reservation.id,
        sku=sku,
        location=location,
        channel=reservation.channel,
        quantity=reservation.quantity,
        status=reservation.status,
        reference=reservation.reference,
        expires_at=reservation.expires_at,
        created_at=reservation.created_at,
        ended_at=reservation.ended_at,
        actor=reservation.actor,
        updated_at=reservation.updated_at,
    )


def _event_fields(out: ReservationOut) -> dict[str, object]:
    """The fields of a reservation event (its declared payload has no change time)."""
    return out.model_dump(exclude={"updated_at"})


def _candidate_locations(
    session: Session, *, channel_code: str, location_code: str | None, actor: Actor
) -> tuple[str, list[tuple[str, str]]]:
    """The channel's code and the (id, code) of the locations to try, preferred first."""
    channel, serving = network.serving_locations(session, channel_code)
    require_channel(actor, kind=channel.kind, code=channel.code, doing="reserve for")
    if location_code is not None:
        location = network.get_location(session, location_code)
        require_location(actor, location.id, location.code)
        if (location.id, location.code) not in serving:
            raise LocationNotInChannel(
                f"{location.code} does not fulfil the {channel.code} channel.", field="location"
            )
        return channel.code, [(location.id, location.code)]
    if actor.location_id is not None:
        return channel.code, [loc for loc in serving if loc[0] == actor.location_id]
    return channel.code, serving


@cache
def _statements() -> tuple[Insert, Update]:
    """The INSERT of a reservation and the conditional UPDATE that holds its units, built
    once: on the hottest write, building them each time costs about as much as running
    them. Both run as Core statements on the session's connection."""
    table = cast(Table, StockLevel.__table__)
    levels = table.c
    quantity = bindparam("hold_quantity", type_=Integer)
    hold = (
        update(table)
        .where(
            levels.variant_id == bindparam("hold_variant"),
            levels.location_id == bindparam("hold_location"),
            levels.on_hand - levels.reserved - levels.safety_stock >= quantity,
        )
        .values(
            reserved=levels.reserved + quantity,
            updated_at=bindparam("hold_at", type_=levels.updated_at.type),
        )
        .returning(levels.on_hand, levels.reserved, levels.safety_stock, levels.low_stock_threshold)
    )
    return insert(cast(Table, Reservation.__table__)), hold


def _expired(variants: ColumnElement[bool]) -> ColumnElement[bool]:
    """The active holds of ``variants`` whose time was up at ``now`` (a bound parameter)."""
    holds = cast(Table, Reservation.__table__).c
    return and_(
        variants,
        holds.status == "active",
        holds.expires_at <= bindparam("now", type_=holds.expires_at.type),
    )


@cache
def _free_at() -> Select[int]:
    """The units of the SKU ``variant`` free at the locations ``locations``: a location
    short of its safety stock counts none, not fewer."""
    levels = cast(Table, StockLevel.__table__).c
    free = levels.on_hand - levels.reserved - levels.safety_stock
    return select(func.coalesce(func.sum(case((free > 0, free), else_=0)), 0)).where(
        levels.variant_id == bindparam("variant"),
        levels.location_id.in_(bindparam("locations", expanding=True)),
    )


@cache
def _after_a_miss() -> Select[int, bool]:
    """What a reservation that found no units reads, in one statement: the units available
    at its candidate locations (for the refusal), and whether any hold of the SKU has
    expired (those units are released and the hold tried again)."""
    holds = cast(Table, Reservation.__table__).c
    expired = exists().where(_expired(holds.variant_id == bindparam("variant")))
    return select(_free_at().scalar_subquery(), expired)


@cache
def _any_expired() -> Select[bool]:
    """Whether any active hold of the SKUs ``variants`` has expired at ``now``."""
    holds = cast(Table, Reservation.__table__).c
    return select(
        exists().where(_expired(holds.variant_id.in_(bindparam("variants", expanding=True))))
    )


def _available_unless_released(
    session: Session, *, actor: Actor, variant_id: str, candidates: Sequence[tuple[str, str]]
) -> int | None:
    """After a hold found no units: None when expired holds of the SKU were released (try
    the hold again), else the units available at ``candidates``, for the refusal."""
    now = utcnow()
    available, expired = (
        session.connection()
        .execute(
            _after_a_miss(),
            {"variant": variant_id, "locations": [loc_id for loc_id, _ in candidates], "now": now},
        )
        .one()
    )
    if expired and _release(session, actor=actor, variant_ids=[variant_id], now=now):
        return None
    return int(available)


def _hold_at(
    session: Session, variant_id: str, location_id: str, quantity: int
) -> LevelAfter | None:
    """Hold ``quantity`` units at one location if it has them: one conditional UPDATE."""
    row = (
        session.connection()
        .execute(
            _statements()[1],
            {
                "hold_variant": variant_id,
                "hold_location": location_id,
                "hold_quantity": quantity,
                "hold_at": utcnow(),
            },
        )
        .one_or_none()
    )
    return LevelAfter(*row) if row is not None else None


def _hold(
    session: Session, variant_id: str, candidates: Sequence[tuple[str, str]], quantity: int
) -> tuple[str, str, LevelAfter] | None:
    """Reserve at the first candidate that has the units: one conditional UPDATE each."""
    for location_id, location_code in candidates:
        after = _hold_at(session, variant_id, location_id, quantity)
        if after is not None:
            return location_id, location_code, after
    return None


def reserve(
    session: Session,
    *,
    data: ReservationIn,
    actor: Actor,
    default_ttl_seconds: int,
    order_id: str | None = None,
) -> ReservationOut:
    """Hold units of a SKU for a channel, at a given location or the first that has them.

    ``order_id``: the order whose checkout holds the units (it then changes them alone).
    Raises :class:`InsufficientStock` when no candidate has the units; the caller's
    transaction (or savepoint) then rolls back, as every refused use case's does.
    """
    variant = catalog.get_variant(session, data.sku)
    channel, candidates = _candidate_locations(
        session,
        channel_code=data.channel or actor.channel,
        location_code=data.location,
        actor=actor,
    )
    if len(candidates) == 1:
        # One place to hold the units (a given location, a store key, a channel served by
        # one location): the reservation and its event are written first and the
        # conditional UPDATE comes last, so that the hot SKU's row stays locked from the
        # UPDATE to the COMMIT only, not through the INSERTs too (docs/adr/0034). A refusal
        # rolls them back with the transaction.
        location_id, location_code = candidates[0]
        session.flush()  # what the transaction changed before, through the ORM
        out = _write_reservation(
            session,
            data=data,
            variant=variant,
            location=candidates[0],
            channel=channel,
            actor=actor,
            order_id=order_id,
            default_ttl_seconds=default_ttl_seconds,
        )
        if not session.in_nested_transaction():
            # In a savepoint (a checkout's) the events wait for the commit: written here,
            # those recorded before the savepoint would go if it rolled back.
            write_recorded_events(session)
        after = _held_or_refused(
            session,
            lambda: _hold_at(session, variant.id, location_id, data.quantity),
            actor=actor,
            refusal=(data, variant, channel, candidates),
        )
    else:
        session.flush()  # what the transaction changed before, through the ORM
        location_id, location_code, after = _held_or_refused(
            session,
            lambda: _hold(session, variant.id, candidates, data.quantity),
            actor=actor,
            refusal=(data, variant, channel, candidates),
        )
        out = _write_reservation(
            session,
            data=data,
            variant=variant,
            location=(location_id, location_code),
            channel=channel,
            actor=actor,
            order_id=order_id,
            default_ttl_seconds=default_ttl_seconds,
        )
    signal_thresholds(
        session,
        sku=variant.sku,
        location=location_code,
        before=after.available + data.quantity,
        after=after,
        actor=actor,
    )
    return out


def _held_or_refused(
    session: Session,
    hold: Callable[[], Held | None],
    *,
    actor: Actor,
    refusal: tuple[ReservationIn, VariantRef, str, Sequence[tuple[str, str]]],
) -> Held:
    """What ``hold`` held; if it found no units, the units of the SKU's expired holds are
    released and it is tried again. Units held by expired reservations are released only
    when they are needed: the hot path stays one UPDATE, and the sweeper does the rest in
    the background. Raises :class:`InsufficientStock` when it still finds none."""
    held = hold()
    if held is not None:
        return held
    data, variant, channel, candidates = refusal
    available = _available_unless_released(
        session, actor=actor, variant_id=variant.id, candidates=candidates
    )
    if available is None:
        held = hold()
    if held is None:
        raise _shortfall(session, data, variant, channel, candidates, available)
    return held


def _write_reservation(
    session: Session,
    *,
    data: ReservationIn,
    variant: VariantRef,
    location: tuple[str, str],
    channel: str,
    actor: Actor,
    order_id: str | None,
    default_ttl_seconds: int,
) -> ReservationOut:
    """Insert the reservation row (now) and record its ``inventory.reserved`` event;
    ``location``: the (id, code) where the units are held."""
    location_id, location_code = location
    now = utcnow()
    out = ReservationOut(
        id=new_id(),
        sku=variant.sku,
        location=location_code,
        channel=channel,
        quantity=data.quantity,
        status="active",
        reference=data.reference,
        expires_at=now + timedelta(seconds=data.ttl_seconds or default_ttl_seconds),
        created_at=now,
        ended_at=None,
        actor=actor.label,
        updated_at=now,
    )
    session.connection().execute(
        _statements()[0],
        {
            "id": out.id,
            "variant_id": variant.id,
            "location_id": location_id,
            "channel": channel,
            "quantity": out.quantity,
            "status": out.status,
            "reference": out.reference,
            "expires_at": out.expires_at,
            "created_at": now,
            "updated_at": now,
            "ended_at": None,
            "actor": out.actor,
            "order_id": order_id,
        },
    )
    record_event(session, StockReserved.model_validate(_event_fields(out)), actor=actor)
    return out


def _shortfall(
    session: Session,
    data: ReservationIn,
    variant: VariantRef,
    channel: str,
    candidates: Sequence[tuple[str, str]],
    available: int | None = None,
) -> InsufficientStock:
    """The refusal; ``available``: the units free at ``candidates`` when already read."""
    if available is None:
        available = _available_at(session, variant.id, [loc_id for loc_id, _ in candidates])
    where = data.location or f"the locations serving {channel}"
    return InsufficientStock(
        f"Only {available} unit(s) of {variant.sku} available at {where}; "
        f"{data.quantity} requested.",
        field="quantity",
        sku=variant.sku,
        requested=data.quantity,
        available=available,
    )


def _available_at(session: Session, variant_id: str, location_ids: Sequence[str]) -> int:
    free = session.connection().execute(
        _free_at(), {"variant": variant_id, "locations": list(location_ids)}
    )
    return int(free.scalar_one())


def _facts(
    session: Session, reservation: Reservation, location_code: str
) -> access.ReservationFacts:
    """The reservation as the access policy sees it."""
    kind = network.channel_kind(session, reservation.channel)
    return access.ReservationFacts(
        id=reservation.id,
        owner=Owner(
            channel=kind or reservation.channel, location_code=location_code, key=reservation.actor
        ),
        order_id=reservation.order_id,
    )


def _load_reservation(
    session: Session, reservation_id: str, actor: Actor
) -> tuple[Reservation, LocationRef]:
    """The reservation and its location, if ``actor`` may confirm or release it
    (inventory/access.py)."""
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise UnknownReservation(f"No reservation has the id {reservation_id!r}.", field="id")
    location = network.locations_by_id(session, [reservation.location_id])[reservation.location_id]
    access.check_change(actor, _facts(session, reservation, location.code))
    return reservation, location


def _end(
    session: Session, reservation: Reservation, status: str, *, now: datetime, live_only: bool
) -> bool:
    """Move an active reservation to ``status``; False if another writer ended it first."""
    conditions = [Reservation.id == reservation.id, Reservation.status == "active"]
    if live_only:
        conditions.append(Reservation.expires_at > now)
    # The change time is the write's own, even when ``now`` is the moment expiry is judged at.
    changed = utcnow()
    result = session.execute(
        update(Reservation)
        .where(*conditions)
        .values(status=status, ended_at=now, updated_at=changed),
        execution_options=NO_SYNC,
    )
    if not rowcount(result):
        return False
    reservation.updated_at = changed
    return True


def _not_active(reservation: Reservation, now: datetime) -> Exception:
    if reservation.status == "active" and reservation.expires_at <= now:
        return ReservationExpired(
            f"Reservation {reservation.id} expired at {reservation.expires_at.isoformat()}.",
            field="id",
        )
    return ReservationNotActive(
        f"Reservation {reservation.id} is {reservation.status}, not active.",
        field="id",
        reservation_status=reservation.status,
    )


def confirm_reservation(session: Session, *, reservation_id: str, actor: Actor) -> ReservationOut:
    """Turn a live reservation into a sale: the units leave on-hand stock."""
    reservation, location = _load_reservation(session, reservation_id, actor)
    now = utcnow()
    if not _end(session, reservation, "confirmed", now=now, live_only=True):
        session.refresh(reservation)
        raise _not_active(reservation, now)
    variant = catalog.variants_by_id(session, [reservation.variant_id])[reservation.variant_id]
    try:
        apply_delta(
            session,
            variant=variant,
            location=location,
            kind="sale",
            delta=-reservation.quantity,
            reserved_delta=-reservation.quantity,
            reason="reservation confirmed",
            reference=reservation.id,
            actor=actor,
        )
    except NegativeStock as error:
        raise InsufficientStock(
            f"The reserved units of {variant.sku} are no longer on hand at {location.code}.",
            field="id",
        ) from error
    reservation.status, reservation.ended_at = "confirmed", now
    out = reservation_out(reservation, variant.sku, location.code)
    record_event(session, ReservationConfirmed.model_validate(_event_fields(out)), actor=actor)
    return out


def _give_back(
    session: Session,
    reservation: Reservation,
    *,
    sku: str,
    location: str,
    actor: Actor,
    event: type[ReservationChanged],
) -> None:
    """Give the reservation's units back to its level; ``sku`` and ``location``: its codes."""
    after = returning_level(
        session,
        update(StockLevel)
        .where(*level_where(reservation.variant_id, reservation.location_id))
        .values(reserved=StockLevel.reserved - reservation.quantity, updated_at=utcnow()),
    )
    assert after is not None
    out = reservation_out(reservation, sku, location)
    record_event(session, event.model_validate(_event_fields(out)), actor=actor)
    signal_thresholds(
        session,
        sku=sku,
        location=location,
        before=after.available - reservation.quantity,
        after=after,
        actor=actor,
    )


def _codes(
    session: Session, reservations: Sequence[Reservation]
) -> tuple[dict[str, str], dict[str, str]]:
    """The SKU of each variant id and the code of each location id these reservations hold
    (one lookup of each for the whole batch)."""
    variants = catalog.variants_by_id(session, {r.variant_id for r in reservations})
    locations = network.locations_by_id(session, {r.location_id for r in reservations})
    return (
        {variant_id: variant.sku for variant_id, variant in variants.items()},
        {location_id: location.code for location_id, location in locations.items()},
    )


def release_reservation(session: Session, *, reservation_id: str, actor: Actor) -> ReservationOut:
    """Give reserved units back to availability."""
    reservation, location = _load_reservation(session, reservation_id, actor)
    now = utcnow()
    if not _end(session, reservation, "released", now=now, live_only=False):
        session.refresh(reservation)
        raise ReservationNotActive(
            f"Reservation {reservation.id} is {reservation.status}, not active.",
            field="id",
            reservation_status=reservation.status,
        )
    reservation.status, reservation.ended_at = "released", now
    sku = catalog.variants_by_id(session, [reservation.variant_id])[reservation.variant_id].sku
    _give_back(
        session,
        reservation,
        sku=sku,
        location=location.code,
        actor=actor,
        event=ReservationReleased,
    )
    return reservation_out(reservation, sku, location.code)


def release_expired(
    session: Session,
    *,
    actor: Actor,
    variant_ids: Sequence[str] | None = None,
    now: datetime | None = None,
    limit: int = 1000,
) -> int:
    """Release reservations whose time is up; returns how many this call released.

    With ``variant_ids`` (a hold that found no units), one Core statement first asks
    whether any of theirs has expired: most often none has, and the refusal then costs no
    ORM query."""
    now = now or utcnow()
    if variant_ids is not None:
        expired = session.connection().execute(
            _any_expired(), {"variants": list(variant_ids), "now": now}
        )
        if not expired.scalar():
            return 0
    return _release(session, actor=actor, variant_ids=variant_ids, now=now, limit=limit)


def _release(
    session: Session,
    *,
    actor: Actor,
    variant_ids: Sequence[str] | None,
    now: datetime,
    limit: int = 1000,
) -> int:
    """Release the expired holds (of ``variant_ids``, or of every SKU), oldest first."""
    query = select(Reservation).where(Reservation.status == "active", Reservation.expires_at <= now)
    if variant_ids is not None:
        query = query.where(Reservation.variant_id.in_(variant_ids))
    due = list(session.scalars(query.order_by(Reservation.expires_at).limit(limit)))
    if not due:
        return 0
    skus, codes = _codes(session, due)
    released = 0
    for reservation in due:
        if not _end(session, reservation, "expired", now=now, live_only=False):
            continue
        reservation.status, reservation.ended_at = "expired", now
        _give_back(
            session,
            reservation,
            sku=skus[reservation.variant_id],
            location=codes[reservation.location_id],
            actor=actor,
            event=ReservationLapsed,
        )
        released += 1
    return released


def get_reservation(
    session: Session, *, reservation_id: str, actor: Actor | None = None
) -> ReservationOut:
    """One reservation; with ``actor``, only one it owns (others are unknown to it)."""
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise UnknownReservation(f"No reservation has the id {reservation_id!r}.", field="id")
    skus, codes = _codes(session, [reservation])
    sku, location = skus[reservation.variant_id], codes[reservation.location_id]
    if actor is not None:
        access.check_readable(actor, _facts(session, reservation, location))
    out = reservation_out(reservation, sku, location)
    if out.status == "active" and out.expires_at <= utcnow():
        out.status = "expired"
    return out


def expired_hold(
    session: Session, variant_ids: Sequence[str], now: datetime
) -> dict[tuple[str, str], int]:
    """Units still counted as reserved although their reservation has expired.

    Reads treat them as free at once; the next write for the SKU or the sweeper records
    the release in the ledger.
    """
    rows = session.execute(
        select(Reservation.variant_id, Reservation.location_id, func.sum(Reservation.quantity))
        .where(
            Reservation.status == "active",
            Reservation.expires_at <= now,
            Reservation.variant_id.in_(variant_ids),
        )
        .group_by(Reservation.variant_id, Reservation.location_id)
    )
    return {(v, loc): int(q) for v, loc, q in rows}
