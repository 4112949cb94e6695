"""Reading stock: per location, per channel, and in bulk for a cart across the network."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.inventory.models import StockLevel
from omnicanal.inventory.schemas import (
    AvailabilityOut,
    AvailabilityQuery,
    LocationAvailability,
    LocationStock,
    SkuAvailability,
    SkuStock,
)
from omnicanal.inventory.service import expired_hold, stock_status
from omnicanal.network import service as network
from omnicanal.network.geo import great_circle_km
from omnicanal.network.lookups import LocationRef
from omnicanal.platform.clock import utcnow


def _levels(
    session: Session, variant_ids: Sequence[str], location_ids: Sequence[str] | None
) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(variant, location) -> (on_hand, reserved, safety, threshold), expired holds removed."""
    query = select(
        StockLevel.variant_id,
        StockLevel.location_id,
        StockLevel.on_hand,
        StockLevel.reserved,
        StockLevel.safety_stock,
        StockLevel.low_stock_threshold,
    ).where(StockLevel.variant_id.in_(variant_ids))
    if location_ids is not None:
        query = query.where(StockLevel.location_id.in_(location_ids))
    expired = expired_hold(session, variant_ids, utcnow())
    levels = {}
    for variant_id, location_id, on_hand, reserved, safety, threshold in session.execute(query):
        reserved -= expired.get((variant_id, location_id), 0)
        levels[(variant_id, location_id)] = (on_hand, reserved, safety, threshold)
    return levels


def stock_for_sku(session: Session, *, sku: str) -> SkuStock:
    """One SKU at every location that has a stock level for it."""
    return stock_for_skus(session, skus=[sku])[sku]


def stock_for_skus(session: Session, *, skus: Sequence[str]) -> dict[str, SkuStock]:
    """Each SKU at every location that has a stock level for it (on hand, reserved, safety
    stock and available), read in one go whatever the number of SKUs."""
    variants = catalog.resolve_skus(session, skus)
    by_id = {variant.id: sku for sku, variant in variants.items()}
    levels = _levels(session, list(by_id), None)
    locations = network.locations_by_id(session, {location_id for _, location_id in levels})
    rows: dict[str, list[LocationStock]] = {sku: [] for sku in variants}
    for (variant_id, location_id), (on_hand, reserved, safety, threshold) in levels.items():
        location = locations[location_id]
        available = max(on_hand - reserved - safety, 0)
        rows[by_id[variant_id]].append(
            LocationStock(
                location=location.code,
                location_name=location.name,
                kind=location.kind,
                on_hand=on_hand,
                reserved=reserved,
                safety_stock=safety,
                available=available,
                low_stock_threshold=threshold,
                status=stock_status(available, threshold),
            )
        )
    found = {}
    for sku, places in rows.items():
        places.sort(key=lambda row: row.location)
        found[sku] = SkuStock(
            sku=sku,
            on_hand=sum(r.on_hand for r in places),
            reserved=sum(r.reserved for r in places),
            available=sum(r.available for r in places),
            locations=places,
        )
    return found


def _considered_locations(
    session: Session, query: AvailabilityQuery
) -> tuple[list[LocationRef], dict[str, float]]:
    if query.locations is not None:
        chosen = network.locations_by_code(session, query.locations)
        locations = [chosen[code] for code in dict.fromkeys(query.locations)]
    elif query.channel is not None:
        locations = network.fulfilling_locations(session, query.channel)
    else:
        locations = [loc for loc in network.list_locations(session) if loc.active]
    distances: dict[str, float] = {}
    if query.near is not None:
        near = query.near
        for loc in locations:
            distances[loc.id] = great_circle_km(
                near.latitude, near.longitude, loc.latitude, loc.longitude
            )
        locations = sorted(locations, key=lambda loc: distances[loc.id])[: near.limit]
    return locations, distances


def availability(session: Session, *, query: AvailabilityQuery) -> AvailabilityOut:
    """Available units of each SKU at each considered location, and their sum."""
    variants = catalog.resolve_skus(session, query.skus)
    locations, distances = _considered_locations(session, query)
    every_location = query.locations is None and query.channel is None and query.near is None
    # Filtering on hundreds of location ids makes the database walk the location index;
    # when every location is wanted, the SKU filter alone is the fast path.
    location_ids = None if every_location else [loc.id for loc in locations]
    levels = _levels(session, [v.id for v in variants.values()], location_ids)
    items = []
    for sku in dict.fromkeys(query.skus):
        variant = variants[sku]
        per_location = []
        for loc in locations:
            on_hand, reserved, safety, _ = levels.get((variant.id, loc.id), (0, 0, 0, 0))
            per_location.append(
                LocationAvailability.model_construct(
                    location=loc.code,
                    available=max(on_hand - reserved - safety, 0),
                    distance_km=round(distances[loc.id], 2) if loc.id in distances else None,
                )
            )
        items.append(
            SkuAvailability(
                sku=sku,
                available=sum(row.available for row in per_location),
                locations=per_location,
            )
        )
    return AvailabilityOut(
        channel=query.channel, locations=[loc.code for loc in locations], items=items
    )
