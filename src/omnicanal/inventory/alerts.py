"""Stock alerts: which SKUs are low or out of stock, location by location.

"Low" and "out" are the same lines that raise ``inventory.low_stock`` and
``inventory.out_of_stock`` (:func:`omnicanal.inventory.levels.stock_status` over the
available quantity and the level's own threshold). Reservations that have expired but are
not yet released count as free, as every other read of stock does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.inventory.levels import stock_status
from omnicanal.inventory.models import Reservation, StockLevel
from omnicanal.inventory.schemas import LocationAlerts, StockAlert
from omnicanal.network import service as network
from omnicanal.platform.clock import utcnow

__all__ = ["ALERT_STATUSES", "location_alerts", "stock_alerts"]

ALERT_STATUSES = ("low_stock", "out_of_stock")
_available = StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock


def _expired(
    session: Session, now: datetime, location_id: str | None = None
) -> dict[tuple[str, str], int]:
    """(variant id, location id) → units held by reservations past their expiry."""
    query = (
        select(Reservation.variant_id, Reservation.location_id, func.sum(Reservation.quantity))
        .where(Reservation.status == "active", Reservation.expires_at <= now)
        .group_by(Reservation.variant_id, Reservation.location_id)
    )
    if location_id is not None:
        query = query.where(Reservation.location_id == location_id)
    return {(v, loc): int(q) for v, loc, q in session.execute(query)}


def stock_alerts(session: Session, *, now: datetime | None = None) -> list[LocationAlerts]:
    """Every active location with its count of SKUs held, low and out of stock."""
    now = now or utcnow()
    out = case((_available <= 0, 1), else_=0)
    low = case((and_(_available > 0, _available <= StockLevel.low_stock_threshold), 1), else_=0)
    counts = {
        location_id: [int(skus), int(lows or 0), int(outs or 0)]
        for location_id, skus, lows, outs in session.execute(
            select(StockLevel.location_id, func.count(), func.sum(low), func.sum(out)).group_by(
                StockLevel.location_id
            )
        )
    }
    expired = _expired(session, now)
    if expired:
        # The few levels with an expired hold: move them to the status they really have.
        variant_ids = sorted({variant_id for variant_id, _ in expired})
        for variant_id, location_id, on_hand, reserved, safety, threshold in session.execute(
            select(
                StockLevel.variant_id,
                StockLevel.location_id,
                StockLevel.on_hand,
                StockLevel.reserved,
                StockLevel.safety_stock,
                StockLevel.low_stock_threshold,
            ).where(StockLevel.variant_id.in_(variant_ids))
        ):
            freed = expired.get((variant_id, location_id))
            if not freed or location_id not in counts:
                continue
            before = stock_status(on_hand - reserved - safety, threshold)
            after = stock_status(on_hand - reserved + freed - safety, threshold)
            for status, shift in ((before, -1), (after, 1)):
                if status in ALERT_STATUSES:
                    counts[location_id][1 + ALERT_STATUSES.index(status)] += shift
    rows = [
        LocationAlerts(
            location=location.code,
            location_name=location.name,
            city=location.city,
            kind=location.kind,
            skus=counts.get(location.id, [0, 0, 0])[0],
            low_stock=counts.get(location.id, [0, 0, 0])[1],
            out_of_stock=counts.get(location.id, [0, 0, 0])[2],
        )
        for location in network.list_locations(session)
        if location.active
    ]
    return sorted(rows, key=lambda row: row.location)


def location_alerts(
    session: Session,
    *,
    location: str,
    status: str | None = None,
    sku_contains: str | None = None,
    now: datetime | None = None,
) -> list[StockAlert]:
    """A location's low and out-of-stock SKUs (out first), optionally one status or SKU text."""
    place = network.get_location(session, location)
    now = now or utcnow()
    expired = _expired(session, now, place.id)
    query = select(
        StockLevel.variant_id,
        StockLevel.on_hand,
        StockLevel.reserved,
        StockLevel.safety_stock,
        StockLevel.low_stock_threshold,
    ).where(StockLevel.location_id == place.id)
    if not expired:
        # Without expired holds, only the levels at or under their threshold can qualify.
        query = query.where(_available <= StockLevel.low_stock_threshold)
    found: list[tuple[str, int, int, int, int, int, str]] = []
    for variant_id, on_hand, reserved, safety, threshold in session.execute(query):
        reserved -= expired.get((variant_id, place.id), 0)
        available = on_hand - reserved - safety
        level_status = stock_status(available, threshold)
        if level_status not in ALERT_STATUSES or (status is not None and level_status != status):
            continue
        found.append((variant_id, on_hand, reserved, safety, available, threshold, level_status))
    # The SKUs of the alerting levels only, in one lookup: the catalog's, not a join.
    skus = {
        variant_id: variant.sku
        for variant_id, variant in catalog.variants_by_id(
            session, {row[0] for row in found}
        ).items()
    }
    needle = sku_contains.strip().upper() if sku_contains else None
    alerts = [
        StockAlert(
            sku=skus[variant_id],
            on_hand=on_hand,
            reserved=reserved,
            safety_stock=safety,
            available=max(available, 0),
            low_stock_threshold=threshold,
            status=level_status,
        )
        for variant_id, on_hand, reserved, safety, available, threshold, level_status in found
        if needle is None or needle in skus[variant_id].upper()
    ]
    return sorted(alerts, key=lambda row: (row.status != "out_of_stock", row.available, row.sku))
