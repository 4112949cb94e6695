"""Stock levels and the ledger read page by page for an export.

The stock export's first columns are the stock import's (``sku,location,quantity,
safety_stock``), followed by what the database alone knows (``reserved``, ``available``,
``updated_at``), which an import reads past: a stock file exported here imports back
changing nothing. Pages follow the tables' own keys (the level's variant and location ids,
the movement's sortable id); SKUs and location codes come from the catalog's and the
network's batch lookups, one call per page.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.inventory.models import StockLevel, StockMovement
from omnicanal.network import service as network
from omnicanal.network.errors import UnknownLocation
from omnicanal.platform.tabular import Column, ColumnKind, Page

__all__ = [
    "MOVEMENT_EXPORT_COLUMNS",
    "STOCK_EXPORT_COLUMNS",
    "count_movements",
    "count_stock_levels",
    "movements_page",
    "stock_page",
]

_INTEGER, _MOMENT = ColumnKind.integer, ColumnKind.moment
STOCK_EXPORT_COLUMNS = (
    Column("sku"),
    Column("location"),
    Column("quantity", _INTEGER),
    Column("safety_stock", _INTEGER),
    Column("reserved", _INTEGER),
    Column("available", _INTEGER),
    Column("updated_at", _MOMENT),
)
MOVEMENT_EXPORT_COLUMNS = (
    Column("id"),
    Column("occurred_at", _MOMENT),
    Column("sku"),
    Column("location"),
    Column("kind"),
    Column("quantity", _INTEGER),
    Column("on_hand_after", _INTEGER),
    Column("reason"),
    Column("reference"),
    Column("actor"),
    Column("channel"),
)


def _levels_since(since: datetime | None) -> list[ColumnElement[bool]]:
    return [] if since is None else [StockLevel.updated_at >= since]


def stock_page(
    session: Session, *, after: str | None, limit: int, since: datetime | None = None
) -> Page:
    """Up to ``limit`` stock levels after the cursor ``after`` (changed from ``since``)."""
    query = select(StockLevel).where(*_levels_since(since))
    if after is not None:
        variant_id, location_id = json.loads(after)
        query = query.where(
            tuple_(StockLevel.variant_id, StockLevel.location_id) > tuple_(variant_id, location_id)
        )
    levels = list(
        session.scalars(
            query.order_by(StockLevel.variant_id, StockLevel.location_id).limit(limit + 1)
        )
    )
    cursor = None
    if len(levels) > limit:
        levels = levels[:limit]
        cursor = json.dumps([levels[-1].variant_id, levels[-1].location_id])
    variants = catalog.variants_by_id(session, {level.variant_id for level in levels})
    locations = network.locations_by_id(session, {level.location_id for level in levels})
    rows: list[tuple[Any, ...]] = [
        (
            variants[level.variant_id].sku,
            locations[level.location_id].code,
            level.on_hand,
            level.safety_stock,
            level.reserved,
            max(level.on_hand - level.reserved - level.safety_stock, 0),
            level.updated_at,
        )
        for level in levels
    ]
    return Page(rows=rows, after=cursor)


def count_stock_levels(session: Session, *, since: datetime | None = None) -> int:
    """How many rows :func:`stock_page` would give in all."""
    query = select(func.count()).select_from(StockLevel).where(*_levels_since(since))
    return int(session.scalar(query) or 0)


def _movements_where(
    session: Session, since: datetime | None, location_code: str | None
) -> list[ColumnElement[bool]] | None:
    """The conditions of a ledger export; None when its location does not exist."""
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(StockMovement.occurred_at >= since)
    if location_code is not None:
        try:
            location = network.get_location(session, location_code)
        except UnknownLocation:
            return None
        conditions.append(StockMovement.location_id == location.id)
    return conditions


def movements_page(
    session: Session,
    *,
    after: str | None,
    limit: int,
    since: datetime | None = None,
    location_code: str | None = None,
) -> Page:
    """Up to ``limit`` ledger lines after the cursor ``after``, oldest first; from
    ``since``, at ``location_code`` only when given (a store key's own store)."""
    conditions = _movements_where(session, since, location_code)
    if conditions is None:
        return Page(rows=[], after=None)
    query = select(StockMovement).where(*conditions)
    if after is not None:
        query = query.where(StockMovement.id > after)
    movements = list(session.scalars(query.order_by(StockMovement.id).limit(limit + 1)))
    cursor = None
    if len(movements) > limit:
        movements = movements[:limit]
        cursor = movements[-1].id
    variants = catalog.variants_by_id(session, {row.variant_id for row in movements})
    locations = network.locations_by_id(session, {row.location_id for row in movements})
    rows: list[tuple[Any, ...]] = [
        (
            movement.id,
            movement.occurred_at,
            variants[movement.variant_id].sku,
            locations[movement.location_id].code,
            movement.kind,
            movement.quantity,
            movement.on_hand_after,
            movement.reason,
            movement.reference or "",
            movement.actor,
            movement.channel,
        )
        for movement in movements
    ]
    return Page(rows=rows, after=cursor)


def count_movements(
    session: Session, *, since: datetime | None = None, location_code: str | None = None
) -> int:
    """How many rows :func:`movements_page` would give in all."""
    conditions = _movements_where(session, since, location_code)
    if conditions is None:
        return 0
    query = select(func.count()).select_from(StockMovement).where(*conditions)
    return int(session.scalar(query) or 0)
