"""Use cases of the inventory module.

Every change to a stock level is one atomic conditional UPDATE in the database
(``... SET reserved = reserved + :q WHERE available >= :q``), never a read followed by a
write, so concurrent writers from every channel can never reserve more than there is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.models import Variant
from omnicanal.inventory.errors import (
    InsufficientStock,
    LocationNotInChannel,
    NegativeStock,
    ReservationExpired,
    ReservationNotActive,
    UnknownReservation,
)
from omnicanal.inventory.models import Reservation, StockLevel, StockMovement
from omnicanal.inventory.schemas import (
    SIGN,
    MovementIn,
    MovementKind,
    MovementOut,
    ReservationIn,
    ReservationOut,
    StockSettingsIn,
)
from omnicanal.network import service as network
from omnicanal.network.models import Location
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import require_location
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import Forbidden
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id

NO_SYNC = {"synchronize_session": False}


class ChannelForbidden(Forbidden):
    code = "channel_forbidden"
    title = "A key acts for its own channel only"


@dataclass(frozen=True)
class LevelAfter:
    on_hand: int
    reserved: int
    safety_stock: int
    low_stock_threshold: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.safety_stock


def stock_status(available: int, threshold: int) -> str:
    """in_stock, low_stock or out_of_stock for an available quantity."""
    if available <= 0:
        return "out_of_stock"
    if available <= threshold:
        return "low_stock"
    return "in_stock"


def _insert(session: Session):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def ensure_levels(session: Session, pairs: Iterable[tuple[str, str]]) -> None:
    """Create empty stock levels for these (variant id, location id) pairs if missing."""
    rows = [{"variant_id": v, "location_id": loc} for v, loc in dict.fromkeys(pairs)]
    if not rows:
        return
    insert = _insert(session)
    session.execute(
        insert(StockLevel).values(rows).on_conflict_do_nothing(
            index_elements=["variant_id", "location_id"]
        )
    )


def _returning_level(session: Session, statement) -> LevelAfter | None:  # type: ignore[no-untyped-def]
    row = session.execute(
        statement.returning(
            StockLevel.on_hand,
            StockLevel.reserved,
            StockLevel.safety_stock,
            StockLevel.low_stock_threshold,
        ),
        execution_options=NO_SYNC,
    ).one_or_none()
    return LevelAfter(*row) if row is not None else None


def _level_where(variant_id: str, location_id: str) -> tuple:  # type: ignore[type-arg]
    return (StockLevel.variant_id == variant_id, StockLevel.location_id == location_id)


def _signal_thresholds(
    session: Session,
    *,
    sku: str,
    location: str,
    before: int,
    after: LevelAfter,
    actor: Actor,
) -> None:
    """Emit low/out-of-stock (and back-in-stock) events when availability crosses a line."""
    threshold = after.low_stock_threshold
    was, now = stock_status(before, threshold), stock_status(after.available, threshold)
    if was == now:
        return
    data = {
        "sku": sku,
        "location": location,
        "available": max(after.available, 0),
        "on_hand": after.on_hand,
        "reserved": after.reserved,
        "threshold": threshold,
        "previous_status": was,
    }
    event_type = {
        "out_of_stock": "inventory.out_of_stock",
        "low_stock": "inventory.low_stock",
        "in_stock": "inventory.back_in_stock",
    }[now]
    record_event(session, type=event_type, subject=f"stock/{sku}/{location}", data=data, actor=actor)


def _apply_delta(
    session: Session,
    *,
    variant: Variant,
    location: Location,
    kind: str,
    delta: int,
    reason: str,
    reference: str | None,
    actor: Actor,
    reserved_delta: int = 0,
) -> tuple[StockMovement, LevelAfter]:
    """Move ``delta`` units in or out of on-hand stock, atomically, and write the ledger line."""
    ensure_levels(session, [(variant.id, location.id)])
    after = _returning_level(
        session,
        update(StockLevel)
        .where(*_level_where(variant.id, location.id), StockLevel.on_hand + delta >= 0)
        .values(
            on_hand=StockLevel.on_hand + delta,
            reserved=StockLevel.reserved + reserved_delta,
            updated_at=utcnow(),
        ),
    )
    if after is None:
        raise NegativeStock(
            f"{location.code} does not hold {-delta} unit(s) of {variant.sku} to move out.",
            field="quantity",
        )
    movement = StockMovement(
        id=new_id(),
        variant_id=variant.id,
        location_id=location.id,
        kind=kind,
        quantity=delta,
        on_hand_after=after.on_hand,
        reason=reason,
        reference=reference,
        actor=actor.label,
        channel=actor.channel,
        occurred_at=utcnow(),
    )
    session.add(movement)
    before_available = after.available - delta + reserved_delta
    record_event(
        session,
        type="inventory.stock_moved",
        subject=f"stock/{variant.sku}/{location.code}",
        data={
            "sku": variant.sku,
            "location": location.code,
            "kind": kind,
            "quantity": delta,
            "on_hand": after.on_hand,
            "reserved": after.reserved,
            "reason": reason,
            "reference": reference,
        },
        actor=actor,
    )
    if after.on_hand < after.reserved:
        record_event(
            session,
            type="inventory.reservation_shortfall",
            subject=f"stock/{variant.sku}/{location.code}",
            data={
                "sku": variant.sku,
                "location": location.code,
                "on_hand": after.on_hand,
                "reserved": after.reserved,
            },
            actor=actor,
        )
    _signal_thresholds(
        session,
        sku=variant.sku,
        location=location.code,
        before=before_available,
        after=after,
        actor=actor,
    )
    return movement, after


def _movement_out(movement: StockMovement, sku: str, location: str) -> MovementOut:
    return MovementOut(
        id=movement.id,
        sku=sku,
        location=location,
        kind=movement.kind,
        quantity=movement.quantity,
        on_hand_after=movement.on_hand_after,
        reason=movement.reason,
        reference=movement.reference,
        actor=movement.actor,
        channel=movement.channel,
        occurred_at=movement.occurred_at,
    )


def record_movement(session: Session, *, data: MovementIn, actor: Actor) -> list[MovementOut]:
    """Record a receipt, sale, adjustment, transfer, return restock or cycle count."""
    variant = catalog.get_variant(session, data.sku)
    location = network.get_location(session, data.location)
    require_location(actor, location.id, location.code)
    common = {"variant": variant, "reason": data.reason, "reference": data.reference, "actor": actor}

    if data.kind is MovementKind.transfer:
        assert data.to_location is not None
        destination = network.get_location(session, data.to_location)
        out, _ = _apply_delta(
            session, location=location, kind="transfer_out", delta=-data.quantity, **common
        )
        into, _ = _apply_delta(
            session, location=destination, kind="transfer_in", delta=data.quantity, **common
        )
        return [
            _movement_out(out, variant.sku, location.code),
            _movement_out(into, variant.sku, destination.code),
        ]

    if data.kind is MovementKind.cycle_count:
        ensure_levels(session, [(variant.id, location.id)])
        current = session.scalar(
            select(StockLevel.on_hand)
            .where(*_level_where(variant.id, location.id))
            .with_for_update()
        )
        delta = data.quantity - (current or 0)
    elif data.kind is MovementKind.adjustment:
        delta = data.quantity
    else:
        delta = SIGN[data.kind] * data.quantity
    movement, _ = _apply_delta(
        session, location=location, kind=data.kind.value, delta=delta, **common
    )
    return [_movement_out(movement, variant.sku, location.code)]


def update_stock_settings(
    session: Session, *, sku: str, location_code: str, data: StockSettingsIn, actor: Actor
) -> None:
    """Set the safety stock and the low-stock threshold of a SKU at a location."""
    variant = catalog.get_variant(session, sku)
    location = network.get_location(session, location_code)
    require_location(actor, location.id, location.code)
    ensure_levels(session, [(variant.id, location.id)])
    values = data.model_dump(exclude_none=True)
    if not values:
        return
    session.execute(
        update(StockLevel).where(*_level_where(variant.id, location.id)).values(**values),
        execution_options=NO_SYNC,
    )
    record_event(
        session, type="inventory.settings_changed", subject=f"stock/{sku}/{location_code}",
        data={"sku": sku, "location": location_code, **values}, actor=actor,
    )


# -- reservations -------------------------------------------------------------------------


def _reservation_out(reservation: Reservation, sku: str, location: str) -> ReservationOut:
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
    )


def _candidate_locations(
    session: Session, *, channel: str, location_code: str | None, actor: Actor
) -> list[Location]:
    serving = network.fulfilling_locations(session, channel)
    if location_code is not None:
        location = network.get_location(session, location_code)
        require_location(actor, location.id, location.code)
        if location.id not in {loc.id for loc in serving}:
            raise LocationNotInChannel(
                f"{location.code} does not fulfil the {channel} channel.", field="location"
            )
        return [location]
    if actor.location_id is not None:
        return [loc for loc in serving if loc.id == actor.location_id]
    return serving


def _check_channel(session: Session, channel_code: str, actor: Actor) -> str:
    channel = network.get_channel(session, channel_code)
    if "*" not in actor.scopes and channel.kind != actor.channel:
        raise ChannelForbidden(
            f"A {actor.channel} key cannot reserve for the {channel.code} channel.",
            field="channel",
        )
    return channel.code


def reserve(
    session: Session, *, data: ReservationIn, actor: Actor, default_ttl_seconds: int
) -> ReservationOut:
    """Hold units of a SKU for a channel, at a given location or the first that has them."""
    variant = catalog.get_variant(session, data.sku)
    channel = _check_channel(session, data.channel or actor.channel, actor)
    candidates = _candidate_locations(
        session, channel=channel, location_code=data.location, actor=actor
    )
    release_expired(session, actor=actor, variant_ids=[variant.id])
    ensure_levels(session, [(variant.id, loc.id) for loc in candidates])
    for location in candidates:
        after = _returning_level(
            session,
            update(StockLevel)
            .where(
                *_level_where(variant.id, location.id),
                StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock
                >= data.quantity,
            )
            .values(reserved=StockLevel.reserved + data.quantity, updated_at=utcnow()),
        )
        if after is None:
            continue
        now = utcnow()
        reservation = Reservation(
            id=new_id(),
            variant_id=variant.id,
            location_id=location.id,
            channel=channel,
            quantity=data.quantity,
            reference=data.reference,
            expires_at=now + timedelta(seconds=data.ttl_seconds or default_ttl_seconds),
            created_at=now,
            actor=actor.label,
        )
        session.add(reservation)
        session.flush()
        out = _reservation_out(reservation, variant.sku, location.code)
        record_event(
            session,
            type="inventory.reserved",
            subject=f"reservations/{reservation.id}",
            data=out.model_dump(mode="json"),
            actor=actor,
        )
        _signal_thresholds(
            session,
            sku=variant.sku,
            location=location.code,
            before=after.available + data.quantity,
            after=after,
            actor=actor,
        )
        return out
    available = _available_at(session, variant.id, [loc.id for loc in candidates])
    where = data.location or f"the locations serving {channel}"
    raise InsufficientStock(
        f"Only {max(available, 0)} unit(s) of {variant.sku} available at {where}; "
        f"{data.quantity} requested.",
        field="quantity",
        sku=variant.sku,
        requested=data.quantity,
        available=max(available, 0),
    )


def _available_at(session: Session, variant_id: str, location_ids: Sequence[str]) -> int:
    levels = session.execute(
        select(StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock).where(
            StockLevel.variant_id == variant_id, StockLevel.location_id.in_(location_ids)
        )
    )
    return sum(max(value, 0) for (value,) in levels)


def _load_reservation(session: Session, reservation_id: str, actor: Actor) -> Reservation:
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise UnknownReservation(f"No reservation has the id {reservation_id!r}.", field="id")
    location = session.get(Location, reservation.location_id)
    assert location is not None
    require_location(actor, location.id, location.code)
    return reservation


def _end(
    session: Session, reservation: Reservation, status: str, *, now: datetime, live_only: bool
) -> bool:
    """Move an active reservation to ``status``; False if another writer ended it first."""
    conditions = [Reservation.id == reservation.id, Reservation.status == "active"]
    if live_only:
        conditions.append(Reservation.expires_at > now)
    result = session.execute(
        update(Reservation).where(*conditions).values(status=status, ended_at=now),
        execution_options=NO_SYNC,
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


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
    reservation = _load_reservation(session, reservation_id, actor)
    now = utcnow()
    if not _end(session, reservation, "confirmed", now=now, live_only=True):
        session.refresh(reservation)
        raise _not_active(reservation, now)
    variant = session.get(Variant, reservation.variant_id)
    location = session.get(Location, reservation.location_id)
    assert variant is not None and location is not None
    try:
        _apply_delta(
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
    out = _reservation_out(reservation, variant.sku, location.code)
    record_event(
        session, type="inventory.reservation_confirmed", subject=f"reservations/{reservation.id}",
        data=out.model_dump(mode="json"), actor=actor,
    )
    return out


def _give_back(
    session: Session, reservation: Reservation, *, actor: Actor, event_type: str
) -> tuple[str, str]:
    after = _returning_level(
        session,
        update(StockLevel)
        .where(*_level_where(reservation.variant_id, reservation.location_id))
        .values(reserved=StockLevel.reserved - reservation.quantity, updated_at=utcnow()),
    )
    assert after is not None
    sku = session.scalar(select(Variant.sku).where(Variant.id == reservation.variant_id))
    location = session.scalar(select(Location.code).where(Location.id == reservation.location_id))
    assert sku is not None and location is not None
    record_event(
        session,
        type=event_type,
        subject=f"reservations/{reservation.id}",
        data=_reservation_out(reservation, sku, location).model_dump(mode="json"),
        actor=actor,
    )
    _signal_thresholds(
        session,
        sku=sku,
        location=location,
        before=after.available - reservation.quantity,
        after=after,
        actor=actor,
    )
    return sku, location


def release_reservation(session: Session, *, reservation_id: str, actor: Actor) -> ReservationOut:
    """Give reserved units back to availability."""
    reservation = _load_reservation(session, reservation_id, actor)
    now = utcnow()
    if not _end(session, reservation, "released", now=now, live_only=False):
        session.refresh(reservation)
        raise ReservationNotActive(
            f"Reservation {reservation.id} is {reservation.status}, not active.",
            field="id",
            reservation_status=reservation.status,
        )
    reservation.status, reservation.ended_at = "released", now
    sku, location = _give_back(
        session, reservation, actor=actor, event_type="inventory.reservation_released"
    )
    return _reservation_out(reservation, sku, location)


def release_expired(
    session: Session,
    *,
    actor: Actor,
    variant_ids: Sequence[str] | None = None,
    now: datetime | None = None,
    limit: int = 1000,
) -> int:
    """Release reservations whose time is up; returns how many this call released."""
    now = now or utcnow()
    query = select(Reservation).where(
        Reservation.status == "active", Reservation.expires_at <= now
    )
    if variant_ids is not None:
        query = query.where(Reservation.variant_id.in_(variant_ids))
    released = 0
    for reservation in session.scalars(query.order_by(Reservation.expires_at).limit(limit)):
        if not _end(session, reservation, "expired", now=now, live_only=False):
            continue
        reservation.status, reservation.ended_at = "expired", now
        _give_back(session, reservation, actor=actor, event_type="inventory.reservation_expired")
        released += 1
    return released


def get_reservation(session: Session, *, reservation_id: str) -> ReservationOut:
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise UnknownReservation(f"No reservation has the id {reservation_id!r}.", field="id")
    sku = session.scalar(select(Variant.sku).where(Variant.id == reservation.variant_id))
    location = session.scalar(select(Location.code).where(Location.id == reservation.location_id))
    assert sku is not None and location is not None
    out = _reservation_out(reservation, sku, location)
    if out.status == "active" and out.expires_at <= utcnow():
        out.status = "expired"
    return out


def movements(
    session: Session, *, sku: str, location_code: str | None = None, limit: int = 100
) -> list[MovementOut]:
    """The latest ledger lines of a SKU, newest first."""
    variant = catalog.get_variant(session, sku)
    query = (
        select(StockMovement, Location.code)
        .join(Location, Location.id == StockMovement.location_id)
        .where(StockMovement.variant_id == variant.id)
    )
    if location_code is not None:
        query = query.where(Location.code == location_code)
    rows = session.execute(query.order_by(StockMovement.id.desc()).limit(limit))
    return [_movement_out(movement, sku, code) for movement, code in rows]


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
