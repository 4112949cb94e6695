"""Use cases of the inventory module.

Every change to a stock level is one atomic conditional UPDATE in the database
(``... SET reserved = reserved + :q WHERE available >= :q``), never a read followed by a
write, so concurrent writers from every channel can never reserve more than there is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy import insert as insert_into
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.models import Variant
from omnicanal.inventory.errors import (
    InsufficientStock,
    InvalidMovement,
    LocationNotInChannel,
    NegativeStock,
    ReservationExpired,
    ReservationNotActive,
    UnknownReservation,
)
from omnicanal.inventory.models import (
    DEFAULT_LOW_STOCK_THRESHOLD,
    Reservation,
    StockLevel,
    StockMovement,
)
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
        insert(StockLevel)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["variant_id", "location_id"])
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
    record_event(
        session, type=event_type, subject=f"stock/{sku}/{location}", data=data, actor=actor
    )


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
    common = {
        "variant": variant,
        "reason": data.reason,
        "reference": data.reference,
        "actor": actor,
    }

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
        session,
        type="inventory.settings_changed",
        subject=f"stock/{sku}/{location_code}",
        data={"sku": sku, "location": location_code, **values},
        actor=actor,
    )


# -- counts in bulk -----------------------------------------------------------------------

COUNT_CHUNK = 500
SHORTFALLS_IN_EVENT = 100
_LEVELS = cast(Table, StockLevel.__table__)
_MOVEMENTS = cast(Table, StockMovement.__table__)
# The SET clause comes from each row's on_hand, safety_stock and updated_at.
_SET_LEVEL = update(_LEVELS).where(
    _LEVELS.c.variant_id == bindparam("level_variant"),
    _LEVELS.c.location_id == bindparam("level_location"),
)


class StockCount(NamedTuple):
    """A counted on-hand quantity of a SKU at a location, and the safety stock to set if any."""

    sku: str
    location: str
    quantity: int
    safety_stock: int | None = None


def _check_counts(counts: Sequence[StockCount]) -> None:
    seen: set[tuple[str, str]] = set()
    for count in counts:
        if count.quantity < 0:
            raise InvalidMovement(
                f"The counted quantity of {count.sku} at {count.location} is negative.",
                field="quantity",
            )
        if count.safety_stock is not None and count.safety_stock < 0:
            raise InvalidMovement(
                f"The safety stock of {count.sku} at {count.location} is negative.",
                field="safety_stock",
            )
        key = (count.sku, count.location)
        if key in seen:
            raise InvalidMovement(f"{count.sku} at {count.location} is counted twice.", field="sku")
        seen.add(key)


def _create_levels(session: Session, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Create the missing stock levels among ``pairs``; returns those it created."""
    dialect_insert = _insert(session)
    now = utcnow()
    # Every column given and one statement for all rows (executemany): compiled once, cached.
    rows = [
        {
            "variant_id": variant,
            "location_id": location,
            "on_hand": 0,
            "reserved": 0,
            "safety_stock": 0,
            "low_stock_threshold": DEFAULT_LOW_STOCK_THRESHOLD,
            "updated_at": now,
        }
        for variant, location in pairs
    ]
    created = session.execute(
        dialect_insert(_LEVELS)
        .on_conflict_do_nothing(index_elements=["variant_id", "location_id"])
        .returning(_LEVELS.c.variant_id, _LEVELS.c.location_id),
        rows,
    )
    return {(variant, location) for variant, location in created}


def _lock_levels(
    session: Session, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(on_hand, reserved, safety_stock) of these levels, locked in (variant, location) order."""
    variant_ids = sorted({variant for variant, _ in pairs})
    location_ids = sorted({location for _, location in pairs})
    rows = session.execute(
        select(
            StockLevel.variant_id,
            StockLevel.location_id,
            StockLevel.on_hand,
            StockLevel.reserved,
            StockLevel.safety_stock,
        )
        .where(StockLevel.variant_id.in_(variant_ids), StockLevel.location_id.in_(location_ids))
        .order_by(StockLevel.variant_id, StockLevel.location_id)
        .with_for_update()
    )
    return {(v, loc): (on_hand, reserved, safety) for v, loc, on_hand, reserved, safety in rows}


def count_stock(
    session: Session,
    *,
    lines: Sequence[StockCount | tuple[str, str, int] | tuple[str, str, int, int | None]],
    actor: Actor,
    reason: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Set on-hand stock to counted quantities in bulk; returns how many ledger lines it wrote.

    Each changed (SKU, location) gets one ledger line for the difference (``cycle_count``, or
    ``receipt`` where the location had no stock level for the SKU yet); unchanged lines write
    nothing. The whole count emits one ``inventory.stock_counted`` event, not one per line:
    consumers that need the per-SKU detail read the ledger lines it references.
    ``progress`` is called with the number of lines handled after each chunk.
    """
    counts = [StockCount(*line) for line in lines]
    _check_counts(counts)
    if not counts:
        return 0
    variants = catalog.resolve_skus(session, {count.sku for count in counts})
    locations = network.locations_by_code(session, {count.location for count in counts})
    for location in sorted(locations.values(), key=lambda loc: loc.code):
        require_location(actor, location.id, location.code)

    variant_ids = {sku: variant.id for sku, variant in variants.items()}
    location_ids = {code: location.id for code, location in locations.items()}

    def pair(count: StockCount) -> tuple[str, str]:
        return variant_ids[count.sku], location_ids[count.location]

    # A fixed lock order (variant, then location) keeps concurrent counts from deadlocking.
    keyed = sorted(((pair(count), count) for count in counts), key=lambda item: item[0])
    count_id = new_id()
    now = utcnow()
    totals = {
        "applied": 0,
        "levels_created": 0,
        "units_added": 0,
        "units_removed": 0,
        "safety_stock_set": 0,
        "shortfall_count": 0,
    }
    shortfalls: list[dict[str, Any]] = []
    for start in range(0, len(counts), COUNT_CHUNK):
        chunk = keyed[start : start + COUNT_CHUNK]
        pairs = [key for key, _ in chunk]
        created = _create_levels(session, pairs)
        current = _lock_levels(session, pairs)
        level_rows: list[dict[str, Any]] = []
        movement_rows: list[dict[str, Any]] = []
        for key, count in chunk:
            on_hand, reserved, safety = current[key]
            delta = count.quantity - on_hand
            new_safety = safety if count.safety_stock is None else count.safety_stock
            if delta == 0 and new_safety == safety:
                continue
            level_rows.append(
                {
                    "level_variant": key[0],
                    "level_location": key[1],
                    "on_hand": count.quantity,
                    "safety_stock": new_safety,
                    "updated_at": now,
                }
            )
            totals["safety_stock_set"] += new_safety != safety
            if delta == 0:
                continue
            movement_rows.append(
                {
                    "id": new_id(),
                    "variant_id": key[0],
                    "location_id": key[1],
                    "kind": "receipt" if key in created else MovementKind.cycle_count.value,
                    "quantity": delta,
                    "on_hand_after": count.quantity,
                    "reason": reason,
                    "reference": count_id,
                    "actor": actor.label,
                    "channel": actor.channel,
                    "occurred_at": now,
                }
            )
            totals["units_added" if delta > 0 else "units_removed"] += abs(delta)
            if count.quantity < reserved:
                totals["shortfall_count"] += 1
            if count.quantity < reserved and len(shortfalls) < SHORTFALLS_IN_EVENT:
                shortfalls.append(
                    {
                        "sku": count.sku,
                        "location": count.location,
                        "on_hand": count.quantity,
                        "reserved": reserved,
                    }
                )
        # Core executemany statements: one compiled statement, no per-row ORM bookkeeping.
        if level_rows:
            session.execute(_SET_LEVEL, level_rows)
        if movement_rows:
            session.execute(insert_into(_MOVEMENTS), movement_rows)
        totals["applied"] += len(movement_rows)
        totals["levels_created"] += len(created)
        if progress is not None:
            progress(len(chunk))
    record_event(
        session,
        type="inventory.stock_counted",
        subject=f"stock_counts/{count_id}",
        data={
            "count_id": count_id,
            "reason": reason,
            "lines": len(counts),
            "unchanged": len(counts) - totals["applied"],
            **totals,
            "locations": sorted(locations),
            "shortfalls": shortfalls,
        },
        actor=actor,
    )
    return totals["applied"]


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
                StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock >= data.quantity,
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
        session,
        type="inventory.reservation_confirmed",
        subject=f"reservations/{reservation.id}",
        data=out.model_dump(mode="json"),
        actor=actor,
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
    query = select(Reservation).where(Reservation.status == "active", Reservation.expires_at <= now)
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
