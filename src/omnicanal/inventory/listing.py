"""Stock levels, the ledger and reservations as the lists a connector syncs from.

Each follows the one pagination (``platform/paging.py``) over a query narrowed first by the
caller's rights (``inventory/access.py``): a store key lists its own store's levels and
ledger; reservations are those the caller may read one by one. A filter naming a SKU or a
location that does not exist gives an empty page, as the ledger always has. A level's
``updated_at`` is set by every write of its numbers; a ledger line never changes, so its
change time is ``occurred_at``; a reservation's moves when it is made and when it ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from omnicanal.catalog import service as catalog
from omnicanal.inventory import access
from omnicanal.inventory.ledger import movement_out
from omnicanal.inventory.models import Reservation, StockLevel, StockMovement
from omnicanal.inventory.reservations import reservation_out
from omnicanal.inventory.schemas import (
    LedgerKind,
    MovementOut,
    ReservationOut,
    ReservationStatus,
    StockLevelOut,
)
from omnicanal.network import service as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.paging import DEFAULT_LIMIT, Page, page_of

__all__ = ["movement_page", "reservation_page", "sku_movements", "stock_level_page"]


def _sku_condition(
    session: Session, column: InstrumentedAttribute[str], sku: str | None
) -> ColumnElement[bool] | None:
    """``column`` (a variant id) is the variant of ``sku``; None without a SKU."""
    if sku is None:
        return None
    known = catalog.known_skus(session, [sku])
    return column == known[sku].id if sku in known else false()


def _location_condition(
    session: Session,
    column: InstrumentedAttribute[str],
    requested: str | None,
    actor: Actor | None,
) -> ColumnElement[bool] | None:
    """``column`` (a location id) is the location asked for (its code in any case) or, for a
    store key, its own store (403 ``location_forbidden`` for another); None: every one."""
    found = network.find_location(session, requested) if requested is not None else None
    code = found.code if found is not None else requested
    if actor is not None:
        code = access.ledger_location(actor, code)
    if code is None:
        return None
    if found is None or found.code != code:
        found = network.find_location(session, code)
    return column == found.id if found is not None else false()


def _where(*conditions: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [condition for condition in conditions if condition is not None]


def stock_level_page(
    session: Session,
    *,
    actor: Actor | None = None,
    location: str | None = None,
    sku: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[StockLevelOut]:
    """One page of stock levels, one per (SKU, location); with ``actor``, a store key's own
    store only."""
    query = select(StockLevel).where(
        *_where(
            _location_condition(session, StockLevel.location_id, location, actor),
            _sku_condition(session, StockLevel.variant_id, sku),
        )
    )
    paged = page_of(
        session,
        query,
        key=(StockLevel.variant_id, StockLevel.location_id),
        changed=StockLevel.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    variants = catalog.variants_by_id(session, {level.variant_id for level in paged.rows})
    locations = network.locations_by_id(session, {level.location_id for level in paged.rows})
    return paged.page(
        [
            StockLevelOut(
                sku=variants[level.variant_id].sku,
                location=locations[level.location_id].code,
                on_hand=level.on_hand,
                reserved=level.reserved,
                safety_stock=level.safety_stock,
                available=max(level.on_hand - level.reserved - level.safety_stock, 0),
                low_stock_threshold=level.low_stock_threshold,
                updated_at=level.updated_at,
            )
            for level in paged.rows
        ]
    )


def movement_page(
    session: Session,
    *,
    actor: Actor | None = None,
    sku: str | None = None,
    location: str | None = None,
    kind: LedgerKind | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[MovementOut]:
    """One page of the ledger, every SKU's, newest first; with ``updated_since``, the lines
    recorded from then, oldest first. With ``actor``, a store key's own store only."""
    query = select(StockMovement).where(
        *_where(
            _location_condition(session, StockMovement.location_id, location, actor),
            _sku_condition(session, StockMovement.variant_id, sku),
            StockMovement.kind == kind.value if kind is not None else None,
        )
    )
    paged = page_of(
        session,
        query,
        key=StockMovement.id,
        changed=StockMovement.occurred_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    variants = catalog.variants_by_id(session, {row.variant_id for row in paged.rows})
    locations = network.locations_by_id(session, {row.location_id for row in paged.rows})
    return paged.page(
        [
            movement_out(row, variants[row.variant_id].sku, locations[row.location_id].code)
            for row in paged.rows
        ]
    )


def sku_movements(
    session: Session,
    *,
    sku: str,
    actor: Actor | None = None,
    location: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[MovementOut]:
    """One page of a SKU's ledger (:class:`UnknownSku` when the catalogue lacks it)."""
    catalog.get_variant(session, sku)
    return movement_page(
        session,
        actor=actor,
        sku=sku,
        location=location,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )


def _status_condition(status: ReservationStatus | None) -> ColumnElement[bool] | None:
    """A status as a reader sees it: a live reservation whose time is up is expired already,
    before the sweeper records it."""
    if status is None:
        return None
    now = utcnow()
    if status is ReservationStatus.active:
        return and_(Reservation.status == "active", Reservation.expires_at > now)
    if status is ReservationStatus.expired:
        return or_(
            Reservation.status == "expired",
            and_(Reservation.status == "active", Reservation.expires_at <= now),
        )
    return Reservation.status == status.value


def _visible(session: Session, actor: Actor | None) -> ColumnElement[bool] | None:
    """The reservations ``actor`` may read (``access.visible_reservations``) as a condition."""
    visible = access.visible_reservations(actor) if actor is not None else None
    if visible is None:
        return None
    codes = [
        channel.code
        for channel in network.list_channels(session)
        if channel.kind == visible.channel_kind
    ]
    owned: list[ColumnElement[bool]] = [Reservation.channel.in_(codes)]
    if visible.location_id is not None:
        owned.append(Reservation.location_id == visible.location_id)
    if visible.key is not None:
        owned.append(Reservation.actor == visible.key)
    return or_(and_(*owned), Reservation.actor == visible.made_by)


def reservation_page(
    session: Session,
    *,
    actor: Actor | None = None,
    status: ReservationStatus | None = None,
    sku: str | None = None,
    location: str | None = None,
    reference: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[ReservationOut]:
    """One page of reservations, newest first; with ``actor``, those it may read."""
    query = select(Reservation).where(
        *_where(
            _visible(session, actor),
            _status_condition(status),
            _sku_condition(session, Reservation.variant_id, sku),
            _location_condition(session, Reservation.location_id, location, None),
            Reservation.reference == reference if reference is not None else None,
        )
    )
    paged = page_of(
        session,
        query,
        key=Reservation.id,
        changed=Reservation.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    variants = catalog.variants_by_id(session, {row.variant_id for row in paged.rows})
    locations = network.locations_by_id(session, {row.location_id for row in paged.rows})
    now = utcnow()
    items = []
    for row in paged.rows:
        out = reservation_out(row, variants[row.variant_id].sku, locations[row.location_id].code)
        if out.status == "active" and out.expires_at <= now:
            out.status = "expired"
        items.append(out)
    return paged.page(items)
