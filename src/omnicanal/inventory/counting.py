"""Stock counts in bulk: set counted on-hand quantities for many lines at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy import insert as insert_into
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.inventory.errors import (
    InvalidMovement,
)
from omnicanal.inventory.events import CountShortfall, StockCounted
from omnicanal.inventory.models import (
    DEFAULT_LOW_STOCK_THRESHOLD,
    StockLevel,
    StockMovement,
)
from omnicanal.inventory.schemas import (
    MovementKind,
)
from omnicanal.network import service as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import require_location
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import dialect_insert
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id

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
    insert_levels = dialect_insert(session)
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
        insert_levels(_LEVELS)
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


def current_levels(
    session: Session, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int]]:
    """(on_hand, safety_stock) of the stock levels among these (variant id, location id)
    pairs that exist, read without a lock (what a count would change, before making it)."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    wanted = set(pairs)
    ordered = sorted(wanted)
    for start in range(0, len(ordered), COUNT_CHUNK):
        chunk = ordered[start : start + COUNT_CHUNK]
        rows = session.execute(
            select(
                StockLevel.variant_id,
                StockLevel.location_id,
                StockLevel.on_hand,
                StockLevel.safety_stock,
            ).where(
                StockLevel.variant_id.in_(sorted({variant for variant, _ in chunk})),
                StockLevel.location_id.in_(sorted({location for _, location in chunk})),
            )
        )
        for variant, location, on_hand, safety in rows:
            if (variant, location) in wanted:
                found[(variant, location)] = (on_hand, safety)
    return found


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
    shortfalls: list[CountShortfall] = []
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
                    CountShortfall(
                        sku=count.sku,
                        location=count.location,
                        on_hand=count.quantity,
                        reserved=reserved,
                    )
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
        StockCounted(
            count_id=count_id,
            reason=reason,
            lines=len(counts),
            unchanged=len(counts) - totals["applied"],
            applied=totals["applied"],
            levels_created=totals["levels_created"],
            units_added=totals["units_added"],
            units_removed=totals["units_removed"],
            safety_stock_set=totals["safety_stock_set"],
            shortfall_count=totals["shortfall_count"],
            locations=sorted(locations),
            shortfalls=shortfalls,
        ),
        actor=actor,
    )
    return totals["applied"]
