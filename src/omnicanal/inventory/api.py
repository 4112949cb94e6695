"""HTTP routes of the inventory module."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response

from omnicanal.inventory import availability, service
from omnicanal.inventory.schemas import (
    AvailabilityOut,
    AvailabilityQuery,
    LedgerKind,
    MovementIn,
    MovementOut,
    ReservationIn,
    ReservationOut,
    ReservationStatus,
    SkuStock,
    StockLevelOut,
    StockSettingsIn,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import (
    IdempotencyKey,
    PlatformDep,
    ReadSession,
    scope,
    write,
)
from omnicanal.platform.http.paging import Paging
from omnicanal.platform.http.problems import responses
from omnicanal.platform.paging import Page

LocationCode = Annotated[
    str | None, Query(max_length=50, description="A location code, in any case")
]
Sku = Annotated[str | None, Query(max_length=60)]

router = APIRouter(prefix="/v1", tags=["inventory"])


@router.post(
    "/inventory/movements",
    status_code=201,
    response_model=list[MovementOut],
    responses=responses(404, 409),
)
def record_movement(
    body: MovementIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("inventory:write"),
):
    """Record a receipt, sale, adjustment, transfer, return restock or cycle count."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="record_movement",
        payload=body,
        status_code=201,
        action=lambda s: service.record_movement(s, data=body, actor=actor),
    )


@router.get("/stock-levels", response_model=Page[StockLevelOut], responses=responses())
def list_stock_levels(
    session: ReadSession,
    paging: Paging,
    location: LocationCode = None,
    sku: Sku = None,
    actor: Actor = scope("inventory:read"),
):
    """Stock levels, one per SKU and location; ``updated_since`` reads when a level's numbers
    changed. A store key lists its own store's (403 ``location_forbidden`` for another)."""
    return service.stock_level_page(
        session,
        actor=actor,
        location=location,
        sku=sku,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@router.get("/inventory/movements", response_model=Page[MovementOut], responses=responses())
def list_movements(
    session: ReadSession,
    paging: Paging,
    sku: Sku = None,
    location: LocationCode = None,
    kind: LedgerKind | None = None,
    actor: Actor = scope("inventory:read"),
):
    """The ledger of every SKU, newest first; ``updated_since`` reads the lines recorded from
    then. A store key reads its own store's (403 ``location_forbidden`` for another)."""
    return service.movement_page(
        session,
        actor=actor,
        sku=sku,
        location=location,
        kind=kind,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@router.get("/inventory/{sku}", response_model=SkuStock, responses=responses(404))
def get_sku_stock(sku: str, session: ReadSession, actor: Actor = scope("inventory:read")):
    """On-hand, reserved, safety stock and available units of a SKU at each location."""
    return availability.stock_for_sku(session, sku=sku)


@router.get(
    "/inventory/{sku}/movements", response_model=Page[MovementOut], responses=responses(404)
)
def list_sku_movements(
    sku: str,
    session: ReadSession,
    paging: Paging,
    location: LocationCode = None,
    actor: Actor = scope("inventory:read"),
):
    """The ledger of a SKU, newest first (a store key reads its own store's only)."""
    return service.sku_movements(
        session,
        sku=sku,
        actor=actor,
        location=location,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@router.put(
    "/inventory/{sku}/locations/{location}/settings",
    status_code=204,
    responses=responses(404),
)
def update_stock_settings(
    sku: str,
    location: str,
    body: StockSettingsIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("inventory:write"),
):
    """Set the safety stock and low-stock threshold of a SKU at a location."""
    response = write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"stock_settings:{sku}:{location}",
        payload=body,
        status_code=204,
        action=lambda s: service.update_stock_settings(
            s, sku=sku, location_code=location, data=body, actor=actor
        ),
    )
    response.body = b""
    response.headers["content-length"] = "0"
    return response


@router.post(
    "/reservations", status_code=201, response_model=ReservationOut, responses=responses(404, 409)
)
def reserve_stock(
    body: ReservationIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("reservations:write"),
):
    """Hold units for a channel; 409 ``insufficient_stock`` when there are not enough."""
    ttl = platform.settings.reservation_ttl_seconds
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="reserve",
        payload=body,
        status_code=201,
        action=lambda s: service.reserve(s, data=body, actor=actor, default_ttl_seconds=ttl),
    )


@router.get("/reservations", response_model=Page[ReservationOut], responses=responses())
def list_reservations(
    session: ReadSession,
    paging: Paging,
    status: ReservationStatus | None = None,
    sku: Sku = None,
    location: LocationCode = None,
    reference: Annotated[str | None, Query(max_length=100)] = None,
    actor: Actor = scope("inventory:read"),
):
    """The reservations the key may read (its channel's, its store's for a store key, its
    own for a marketplace), newest first; ``updated_since`` reads when one was made or
    ended."""
    return service.reservation_page(
        session,
        actor=actor,
        status=status,
        sku=sku,
        location=location,
        reference=reference,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@router.get(
    "/reservations/{reservation_id}", response_model=ReservationOut, responses=responses(404)
)
def get_reservation(
    reservation_id: str, session: ReadSession, actor: Actor = scope("inventory:read")
):
    """One reservation and its status; another key's reservation is unknown (404)."""
    return service.get_reservation(session, reservation_id=reservation_id, actor=actor)


@router.post(
    "/reservations/{reservation_id}/confirm",
    response_model=ReservationOut,
    responses=responses(404, 409),
)
def confirm_reservation(
    reservation_id: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("reservations:write"),
):
    """Turn a live reservation into a sale: the key (channel, store) that made it only; an
    order's reservation moves with the order (409 ``reservation_held_by_order``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"confirm:{reservation_id}",
        payload=None,
        action=lambda s: service.confirm_reservation(s, reservation_id=reservation_id, actor=actor),
    )


@router.post(
    "/reservations/{reservation_id}/release",
    response_model=ReservationOut,
    responses=responses(404, 409),
)
def release_reservation(
    reservation_id: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("reservations:write"),
):
    """Give reserved units back: the key (channel, store) that made it only; an order's
    reservation moves with the order (409 ``reservation_held_by_order``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"release:{reservation_id}",
        payload=None,
        action=lambda s: service.release_reservation(s, reservation_id=reservation_id, actor=actor),
    )


IncludeEmpty = Annotated[
    bool,
    Query(
        description="Also list, under each SKU, the considered locations with nothing "
        "available (0). By default a SKU lists only the locations where it is available."
    ),
]


def _encoded(answer: dict[str, Any]) -> Response:
    # The answer is plain data already: encoded once, with no response model to build and
    # validate for each of its (SKU, location) entries (the model still documents it).
    return Response(orjson.dumps(answer), media_type="application/json")


@router.get("/availability", response_model=AvailabilityOut, responses=responses(404))
def get_availability(
    session: ReadSession,
    sku: Annotated[list[str], Query(min_length=1, max_length=500)],
    channel: str | None = None,
    location: Annotated[list[str] | None, Query()] = None,
    include_empty: IncludeEmpty = False,
    actor: Actor = scope("inventory:read"),
):
    """Availability of one or more SKUs, per location and summed, for a channel or all.

    Each SKU lists the locations where units are available; ``include_empty=true`` lists
    every considered location, 0 where none is available. ``locations`` names every
    considered location either way."""
    query = AvailabilityQuery(skus=sku, channel=channel, locations=location)
    return _encoded(
        availability.availability_answer(session, query=query, include_empty=include_empty)
    )


@router.post("/availability", response_model=AvailabilityOut, responses=responses(404))
def bulk_availability(
    body: AvailabilityQuery,
    session: ReadSession,
    include_empty: IncludeEmpty = False,
    actor: Actor = scope("inventory:read"),
):
    """Availability of a cart of SKUs across locations, optionally the N nearest to a point.

    Each SKU lists the locations where units are available; ``include_empty=true`` lists
    every considered location, 0 where none is available. ``locations`` names every
    considered location either way."""
    return _encoded(
        availability.availability_answer(session, query=body, include_empty=include_empty)
    )
