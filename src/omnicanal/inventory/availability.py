"""Reading stock: per location, per channel, and in bulk for a cart across the network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Select, bindparam, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from omnicanal.catalog import service as catalog
from omnicanal.inventory.models import Reservation, StockLevel
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
from omnicanal.network.geo import great_circle_km_to
from omnicanal.network.lookups import LocationPoint, location_points
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
) -> tuple[list[LocationPoint], dict[str, float] | None]:
    """The locations a query considers, in the answer's order, and their distance to the
    point when it asks for the nearest."""
    if query.locations is not None:
        locations = location_points(session, codes=query.locations)
    else:
        locations = location_points(session, channel_code=query.channel)
    if query.near is None:
        return locations, None
    near = query.near
    kilometres = great_circle_km_to(
        near.latitude,
        near.longitude,
        [location[2] for location in locations],
        [location[3] for location in locations],
    )
    # Stable: of two locations as far, the one listed first comes first.
    order = np.argsort(kilometres, kind="stable")[: near.limit].tolist()
    return [locations[i] for i in order], {locations[i][0]: float(kilometres[i]) for i in order}


class _BesideTheIndex(ColumnElement[Any]):
    """A column that a condition reads on the rows the other conditions found, rather than
    through its own index: on SQLite, ``+column``. For "these SKUs at these locations",
    SQLite otherwise probes the location index once per (SKU, location) and fetches every
    row it finds; reading the SKUs' primary-key entries and checking their location there
    fetches only the rows wanted (4x faster at 100 SKUs x 100 of 500 locations)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(_BesideTheIndex)
def _column(element: _BesideTheIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(_BesideTheIndex, "sqlite")
def _column_not_indexed(element: _BesideTheIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)


def _units_statement(*, filtered: bool) -> Select[str, str, int]:
    """(variant, location, available units) of the stock levels of some SKUs with units
    available: on hand less reserved and safety stock, plus the units of the expired holds
    not yet swept, which a read counts as free (see ``reservations.expired_hold``). Built
    once: constructing a statement costs as much as running it on a 10-SKU cart."""
    levels, holds = StockLevel.__table__.c, Reservation.__table__.c
    variant_ids = bindparam("variant_ids", type_=levels.variant_id.type, expanding=True)
    expired = (
        select(holds.variant_id, holds.location_id, func.sum(holds.quantity).label("units"))
        .where(
            holds.status == "active",
            holds.expires_at <= bindparam("now"),
            holds.variant_id.in_(variant_ids),
        )
        .group_by(holds.variant_id, holds.location_id)
        .subquery("expired")
    )
    units = (
        levels.on_hand
        - levels.reserved
        - levels.safety_stock
        + func.coalesce(expired.c.units, literal_column("0"))
    )
    statement = (
        select(levels.variant_id, levels.location_id, units)
        .select_from(
            StockLevel.__table__.outerjoin(
                expired,
                (expired.c.variant_id == levels.variant_id)
                & (expired.c.location_id == levels.location_id),
            )
        )
        .where(levels.variant_id.in_(variant_ids), units > 0)
    )
    if filtered:
        location_ids = bindparam("location_ids", type_=levels.location_id.type, expanding=True)
        statement = statement.where(_BesideTheIndex(levels.location_id).in_(location_ids))
    return statement


_UNITS = {filtered: _units_statement(filtered=filtered) for filtered in (False, True)}


def _available(
    session: Session, variant_ids: Sequence[str], location_ids: Sequence[str] | None
) -> Sequence[tuple[str, str, int]]:
    """(variant, location, available units) of the stock levels with units available."""
    parameters: dict[str, Any] = {"variant_ids": variant_ids, "now": utcnow()}
    if location_ids is not None:
        parameters["location_ids"] = location_ids
    statement = _UNITS[location_ids is not None]
    # all() fetches the rows in one call: iterating a result fetches them one by one, which on
    # psycopg costs more than the query itself for a thousand rows.
    return session.connection().execute(statement, parameters).all()


def availability_answer(
    session: Session, *, query: AvailabilityQuery, include_empty: bool = False
) -> dict[str, Any]:
    """Available units of each SKU at each considered location, and their sum, as the plain
    data of :class:`AvailabilityOut` (what the API encodes as it is): a SKU lists the
    locations with units available, or every considered location with ``include_empty``."""
    variants = catalog.resolve_skus(session, query.skus)
    locations, distances = _considered_locations(session, query)
    position = {location[0]: index for index, location in enumerate(locations)}
    every_active = query.locations is None and query.channel is None and query.near is None
    stocked: dict[str, list[tuple[int, int]]] = {v.id: [] for v in variants.values()}
    for variant_id, location_id, units in _available(
        session, list(stocked), None if every_active else list(position)
    ):
        index = position.get(location_id)
        if index is not None:
            stocked[variant_id].append((index, units))
    codes = [location[1] for location in locations]
    kilometres = (
        [round(distances[location[0]], 2) for location in locations]
        if distances is not None
        else [None] * len(locations)
    )
    items = []
    for sku in dict.fromkeys(query.skus):
        entries = stocked[variants[sku].id]
        if include_empty:
            units_at = [0] * len(locations)
            for index, units in entries:
                units_at[index] = units
            entries = list(enumerate(units_at))
        else:
            entries.sort()  # the considered locations' order
        items.append(
            {
                "sku": sku,
                "available": sum([units for _, units in entries]),
                "locations": [
                    {"location": codes[index], "available": units, "distance_km": kilometres[index]}
                    for index, units in entries
                ],
            }
        )
    return {"channel": query.channel, "locations": codes, "items": items}


def availability(session: Session, *, query: AvailabilityQuery) -> AvailabilityOut:
    """Available units of each SKU at every considered location (0 where none), and their
    sum, as read models for in-process callers."""
    answer = availability_answer(session, query=query, include_empty=True)
    return AvailabilityOut.model_construct(
        channel=answer["channel"],
        locations=answer["locations"],
        items=[
            SkuAvailability.model_construct(
                sku=item["sku"],
                available=item["available"],
                locations=[
                    LocationAvailability.model_construct(**row) for row in item["locations"]
                ],
            )
            for item in answer["items"]
        ],
    )
