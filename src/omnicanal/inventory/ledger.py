"""The movements ledger: receipts, sales, adjustments, transfers, restocks, counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.lookups import VariantRef
from omnicanal.inventory.errors import (
    NegativeStock,
)
from omnicanal.inventory.events import (
    ReservationShortfallFound,
    StockMoved,
    StockSettingsChanged,
)
from omnicanal.inventory.levels import (
    LevelAfter,
    ensure_levels,
    level_where,
    returning_level,
    signal_thresholds,
)
from omnicanal.inventory.models import (
    StockLevel,
    StockMovement,
)
from omnicanal.inventory.schemas import (
    SIGN,
    MovementIn,
    MovementKind,
    MovementOut,
    StockSettingsIn,
)
from omnicanal.network import service as network
from omnicanal.network.lookups import LocationRef
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import require_location
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id


def apply_delta(
    session: Session,
    *,
    variant: VariantRef,
    location: LocationRef,
    kind: str,
    delta: int,
    reason: str,
    reference: str | None,
    actor: Actor,
    reserved_delta: int = 0,
) -> tuple[StockMovement, LevelAfter]:
    """Move ``delta`` units in or out of on-hand stock, atomically, and write the ledger line."""
    ensure_levels(session, [(variant.id, location.id)])
    after = returning_level(
        session,
        update(StockLevel)
        .where(*level_where(variant.id, location.id), StockLevel.on_hand + delta >= 0)
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
        StockMoved(
            sku=variant.sku,
            location=location.code,
            kind=kind,
            quantity=delta,
            on_hand=after.on_hand,
            reserved=after.reserved,
            reason=reason,
            reference=reference,
        ),
        actor=actor,
    )
    if after.on_hand < after.reserved:
        record_event(
            session,
            ReservationShortfallFound(
                sku=variant.sku,
                location=location.code,
                on_hand=after.on_hand,
                reserved=after.reserved,
            ),
            actor=actor,
        )
    signal_thresholds(
        session,
        sku=variant.sku,
        location=location.code,
        before=before_available,
        after=after,
        actor=actor,
    )
    return movement, after


def movement_out(movement: StockMovement, sku: str, location: str) -> MovementOut:
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
        updated_at=movement.occurred_at,
    )


def record_movement(session: Session, *, data: MovementIn, actor: Actor) -> list[MovementOut]:
    """Record a receipt, sale, adjustment, transfer, return restock or cycle count."""
    variant = catalog.get_variant(session, data.sku)
    location = network.get_location(session, data.location)
    require_location(actor, location.id, location.code)
    common: dict[str, Any] = {
        "variant": variant,
        "reason": data.reason,
        "reference": data.reference,
        "actor": actor,
    }

    if data.kind is MovementKind.transfer:
        assert data.to_location is not None
        destination = network.get_location(session, data.to_location)
        out, _ = apply_delta(
            session, location=location, kind="transfer_out", delta=-data.quantity, **common
        )
        into, _ = apply_delta(
            session, location=destination, kind="transfer_in", delta=data.quantity, **common
        )
        return [
            movement_out(out, variant.sku, location.code),
            movement_out(into, variant.sku, destination.code),
        ]

    if data.kind is MovementKind.cycle_count:
        ensure_levels(session, [(variant.id, location.id)])
        current = session.scalar(
            select(StockLevel.on_hand)
            .where(*level_where(variant.id, location.id))
            .with_for_update()
        )
        delta = data.quantity - (current or 0)
    elif data.kind is MovementKind.adjustment:
        delta = data.quantity
    else:
        delta = SIGN[data.kind] * data.quantity
    movement, _ = apply_delta(
        session, location=location, kind=data.kind.value, delta=delta, **common
    )
    return [movement_out(movement, variant.sku, location.code)]


def receive_returned(
    session: Session,
    *,
    sku: str,
    location_code: str,
    resellable: int,
    damaged: int,
    reason: str,
    reference: str | None,
    actor: Actor,
) -> list[MovementOut]:
    """Returned units coming into a location where they physically are: the resellable ones
    restocked, the damaged ones written off at once.

    The ledger says what came back: one ``return_restock`` line of every unit, then an
    ``adjustment`` line writing the damaged ones off (with the reason). On-hand moves by the
    resellable units only, in one update, so a damaged unit never shows as available for a
    moment (no back-in-stock signal for an item nobody can buy).
    """
    variant = catalog.get_variant(session, sku)
    location = network.get_location(session, location_code)
    require_location(actor, location.id, location.code)
    returned = resellable + damaged
    if returned <= 0:
        return []
    ensure_levels(session, [(variant.id, location.id)])
    after = returning_level(
        session,
        update(StockLevel)
        .where(*level_where(variant.id, location.id))
        .values(on_hand=StockLevel.on_hand + resellable, updated_at=utcnow()),
    )
    assert after is not None  # the level exists and nothing leaves: the update cannot miss
    lines = [("return_restock", returned, after.on_hand + damaged, reason)]
    if damaged:
        lines.append(("adjustment", -damaged, after.on_hand, f"written off, damaged: {reason}"))
    written = []
    for kind, quantity, on_hand_after, why in lines:
        movement = StockMovement(
            id=new_id(),
            variant_id=variant.id,
            location_id=location.id,
            kind=kind,
            quantity=quantity,
            on_hand_after=on_hand_after,
            reason=why,
            reference=reference,
            actor=actor.label,
            channel=actor.channel,
            occurred_at=utcnow(),
        )
        session.add(movement)
        record_event(
            session,
            StockMoved(
                sku=variant.sku,
                location=location.code,
                kind=kind,
                quantity=quantity,
                on_hand=on_hand_after,
                reserved=after.reserved,
                reason=why,
                reference=reference,
            ),
            actor=actor,
        )
        written.append(movement_out(movement, variant.sku, location.code))
    signal_thresholds(
        session,
        sku=variant.sku,
        location=location.code,
        before=after.available - resellable,
        after=after,
        actor=actor,
    )
    return written


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
        update(StockLevel)
        .where(*level_where(variant.id, location.id))
        .values(**values, updated_at=utcnow()),
        execution_options=NO_SYNC,
    )
    record_event(
        session, StockSettingsChanged(sku=sku, location=location_code, **values), actor=actor
    )
