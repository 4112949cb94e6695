"""Stock alerts: which SKUs are low or out of stock, location by location.

"Low" and "out" are the same lines that raise ``inventory.low_stock`` and
``inventory.out_of_stock`` (:func:`omnicanal.inventory.levels.stock_status` over the
available quantity and the level's own threshold). Reservations that have expired but are
not yet released count as free, as every other read of stock does.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.inventory.levels import stock_status
from omnicanal.inventory.models import Reservation, StockLevel, StockMovement
from omnicanal.inventory.priority import SALES_WINDOW_DAYS, AlertFacts, Priority, rank, sort_key
from omnicanal.inventory.schemas import LocationAlerts, StockAlert
from omnicanal.network import service as network
from omnicanal.platform.actors import ChannelKind
from omnicanal.platform.clock import utcnow

__all__ = [
    "ALERT_STATUSES",
    "ONLINE_CHANNEL_KINDS",
    "AlertPage",
    "RankedAlert",
    "location_alerts",
    "ranked_alerts",
    "stock_alerts",
]

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


# --- the alerts of the whole network, most urgent first (omnicanal.inventory.priority) --------

# Channels whose customers buy without walking in: a line they can buy weighs more.
ONLINE_CHANNEL_KINDS = frozenset({ChannelKind.web, ChannelKind.app, ChannelKind.marketplace})


@dataclass(frozen=True, slots=True)
class RankedAlert:
    """One low or out-of-stock line, with its sales and its place in the queue."""

    rank: int
    sku: str
    product: str
    category: str
    location: str
    location_name: str
    online: bool
    status: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int
    units_sold: int
    daily_sales: float
    days_of_cover: float | None
    priority: Priority
    score: float


@dataclass(frozen=True, slots=True)
class AlertPage:
    """One page of the ranked alerts, how many match, and how many at each priority."""

    items: list[RankedAlert]
    total: int
    page: int
    pages: int
    per_page: int
    by_priority: dict[Priority, int]
    window_days: int


def _sold(
    session: Session, since: datetime, location_ids: Collection[str] | None
) -> dict[tuple[str, str], int]:
    """(variant id, location id) → units that left the shelf as sales since ``since``."""
    query = (
        select(
            StockMovement.variant_id, StockMovement.location_id, func.sum(StockMovement.quantity)
        )
        .where(StockMovement.kind == "sale", StockMovement.occurred_at >= since)
        .group_by(StockMovement.variant_id, StockMovement.location_id)
    )
    if location_ids is not None:
        query = query.where(StockMovement.location_id.in_(sorted(location_ids)))
    # A sale's quantity is negative in the ledger (units going out).
    return {(v, loc): -int(q) for v, loc, q in session.execute(query) if q}


def ranked_alerts(
    session: Session,
    *,
    location: str | None = None,
    channel: str | None = None,
    category: str | None = None,
    status: str | None = None,
    sku_contains: str | None = None,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> AlertPage:
    """The low and out-of-stock lines of the active locations (or of one ``location``, or
    of those fulfilling ``channel``), ranked by the demand they put at risk, one page.

    Raises :class:`UnknownLocation` or :class:`UnknownChannel` for a code that names none.
    """
    now = now or utcnow()
    places = {loc.id: loc for loc in network.list_locations(session) if loc.active}
    if location is not None:
        chosen = network.get_location(session, location)
        places = {chosen.id: chosen}
    if channel is not None:
        serving = {loc.id for loc in network.fulfilling_locations(session, channel)}
        places = {key: loc for key, loc in places.items() if key in serving}
    online = {
        code
        for each in network.list_channels(session)
        if each.kind in ONLINE_CHANNEL_KINDS
        for code in each.locations
    }
    every = location is None and channel is None
    # Filtering on every location id is slower than reading every level and skipping the
    # inactive locations' few rows.
    ids = None if every else list(places)
    expired = _expired(session, now)
    query = select(
        StockLevel.variant_id,
        StockLevel.location_id,
        StockLevel.on_hand,
        StockLevel.reserved,
        StockLevel.safety_stock,
        StockLevel.low_stock_threshold,
    ).where(_available <= StockLevel.low_stock_threshold)  # expired holds only raise it
    if ids is not None:
        query = query.where(StockLevel.location_id.in_(ids))
    found = []
    for variant_id, location_id, on_hand, reserved, safety, threshold in session.execute(query):
        if location_id not in places:
            continue
        reserved -= expired.get((variant_id, location_id), 0)
        available = on_hand - reserved - safety
        level_status = stock_status(available, threshold)
        if level_status not in ALERT_STATUSES or (status is not None and level_status != status):
            continue
        found.append(
            (variant_id, location_id, on_hand, reserved, available, threshold, level_status)
        )
    variants = catalog.variants_by_id(session, {row[0] for row in found})
    needle = sku_contains.strip().upper() if sku_contains else None
    found = [
        row
        for row in found
        if (category is None or variants[row[0]].category == category)
        and (needle is None or needle in variants[row[0]].sku.upper())
    ]
    sold = _sold(session, now - timedelta(days=SALES_WINDOW_DAYS), ids)
    ranked = []
    for variant_id, location_id, on_hand, reserved, available, threshold, level_status in found:
        place, variant = places[location_id], variants[variant_id]
        facts = AlertFacts(
            status=level_status,
            available=available,
            units_sold=sold.get((variant_id, location_id), 0),
            online=place.code in online,
        )
        ranking = rank(facts)
        ranked.append(
            (
                (*sort_key(facts, ranking), variant.sku, place.code),
                facts,
                ranking,
                (variant, place, on_hand, reserved, threshold),
            )
        )
    ranked.sort(key=lambda entry: entry[0])
    by_priority = {level: 0 for level in Priority}
    for _, _, ranking, _ in ranked:
        by_priority[ranking.priority] += 1
    pages = max(math.ceil(len(ranked) / per_page), 1)
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    items = [
        RankedAlert(
            rank=start + index + 1,
            sku=variant.sku,
            product=variant.name,
            category=variant.category,
            location=place.code,
            location_name=place.name,
            online=facts.online,
            status=facts.status,
            on_hand=on_hand,
            reserved=reserved,
            available=max(facts.available, 0),
            low_stock_threshold=threshold,
            units_sold=facts.units_sold,
            daily_sales=ranking.daily_sales,
            days_of_cover=ranking.days_of_cover,
            priority=ranking.priority,
            score=ranking.score,
        )
        for index, (_, facts, ranking, (variant, place, on_hand, reserved, threshold)) in enumerate(
            ranked[start : start + per_page]
        )
    ]
    return AlertPage(
        items=items,
        total=len(ranked),
        page=page,
        pages=pages,
        per_page=per_page,
        by_priority=by_priority,
        window_days=SALES_WINDOW_DAYS,
    )
