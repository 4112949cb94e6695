"""Reading fulfilments: one, a store's queue, an order's history, and the pickup waits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from omnicanal.fulfilment.errors import UnknownFulfilment
from omnicanal.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentStatusChange
from omnicanal.fulfilment.schemas import (
    FulfilmentLineOut,
    FulfilmentOut,
    PickupWaitsOut,
    StorePickupWaits,
)
from omnicanal.fulfilment.states import FulfilmentStatus, Method, allowed_actions
from omnicanal.platform.address import Address
from omnicanal.platform.paging import DEFAULT_LIMIT, Paged, page_of

__all__ = [
    "FulfilmentChange",
    "FulfilmentLineRef",
    "FulfilmentRef",
    "fulfilment_out",
    "fulfilments_of",
    "get_fulfilment",
    "history_of",
    "lines_by_fulfilment",
    "list_fulfilments",
    "overdue",
    "page_fulfilments",
    "percentile",
    "pickup_waits",
    "rejected_locations",
]


@dataclass(frozen=True, slots=True)
class FulfilmentRef:
    """A fulfilment as other modules read it (the orders module, mostly)."""

    id: str
    order_id: str
    position: int
    method: str
    status: str
    location_id: str
    location_code: str
    stock_channel: str
    delivery_address: dict[str, Any] | None
    distance_km: float | None
    due_at: datetime | None
    carrier: str | None
    tracking_reference: str | None
    ready_at: datetime | None
    checked_in_at: datetime | None
    handed_over_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    replaces_id: str | None
    pickup_code: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FulfilmentLineRef:
    """Units of an order line in a fulfilment, as other modules read them."""

    id: str
    fulfilment_id: str
    order_line_id: str
    position: int
    sku: str
    quantity: int
    reservation_id: str | None
    status: str
    reason: str


@dataclass(frozen=True, slots=True)
class FulfilmentChange:
    """One move of a fulfilment's status, as an order's history shows it."""

    fulfilment_id: str
    order_id: str
    from_status: str | None
    to_status: str
    action: str
    event_type: str
    reason: str
    actor: str
    channel: str
    occurred_at: datetime


_Ref = TypeVar("_Ref", FulfilmentRef, FulfilmentLineRef, FulfilmentChange)


def as_ref(kind: type[_Ref], row: Fulfilment | FulfilmentLine | FulfilmentStatusChange) -> _Ref:
    """The frozen read model ``kind`` of one of this module's rows."""
    return kind(**{field.name: getattr(row, field.name) for field in fields(kind)})


def fulfilment_row(session: Session, fulfilment_id: str, *, lock: bool = False) -> Fulfilment:
    """The fulfilment's row, for this module's use cases; others read :func:`get_fulfilment`."""
    query = select(Fulfilment).where(Fulfilment.id == fulfilment_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    fulfilment = session.scalar(query)
    if fulfilment is None:
        raise UnknownFulfilment(f"No fulfilment has the id {fulfilment_id!r}.", field="id")
    return fulfilment


def get_fulfilment(session: Session, fulfilment_id: str, *, lock: bool = False) -> FulfilmentRef:
    """One fulfilment; ``lock``: read again and locked (PostgreSQL) until the commit."""
    return as_ref(FulfilmentRef, fulfilment_row(session, fulfilment_id, lock=lock))


def fulfilments_of(session: Session, order_id: str) -> list[FulfilmentRef]:
    """An order's fulfilments, in the order they were created."""
    return [
        as_ref(FulfilmentRef, row)
        for row in session.scalars(
            select(Fulfilment).where(Fulfilment.order_id == order_id).order_by(Fulfilment.position)
        )
    ]


def lines_by_fulfilment(
    session: Session, fulfilment_ids: Iterable[str]
) -> dict[str, list[FulfilmentLineRef]]:
    """The lines of these fulfilments, in the order's order."""
    ids = list(fulfilment_ids)
    grouped: dict[str, list[FulfilmentLineRef]] = {fid: [] for fid in ids}
    if not ids:
        return grouped
    for line in session.scalars(
        select(FulfilmentLine)
        .where(FulfilmentLine.fulfilment_id.in_(ids))
        .order_by(FulfilmentLine.position, FulfilmentLine.id)
    ):
        grouped[line.fulfilment_id].append(as_ref(FulfilmentLineRef, line))
    return grouped


def history_of(session: Session, order_id: str) -> list[FulfilmentChange]:
    """The status changes of an order's fulfilments, oldest first."""
    return [
        as_ref(FulfilmentChange, change)
        for change in session.scalars(
            select(FulfilmentStatusChange)
            .where(FulfilmentStatusChange.order_id == order_id)
            .order_by(FulfilmentStatusChange.occurred_at)
        )
    ]


def rejected_locations(session: Session, order_line_id: str) -> set[str]:
    """The locations that already rejected some units of an order line."""
    return set(
        session.scalars(
            select(Fulfilment.location_code)
            .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
            .where(
                FulfilmentLine.order_line_id == order_line_id,
                FulfilmentLine.status == "rejected",
            )
        )
    )


def fulfilment_out(
    fulfilment: FulfilmentRef, lines: Sequence[FulfilmentLineRef], order_status: str
) -> FulfilmentOut:
    wait = None
    if fulfilment.checked_in_at is not None and fulfilment.handed_over_at is not None:
        wait = (fulfilment.handed_over_at - fulfilment.checked_in_at).total_seconds()
    return FulfilmentOut(
        id=fulfilment.id,
        order_id=fulfilment.order_id,
        order_status=order_status,
        method=fulfilment.method,
        status=fulfilment.status,
        location=fulfilment.location_code,
        stock_channel=fulfilment.stock_channel,
        distance_km=fulfilment.distance_km,
        delivery_address=(
            Address.stored(fulfilment.delivery_address) if fulfilment.delivery_address else None
        ),
        due_at=fulfilment.due_at,
        carrier=fulfilment.carrier,
        tracking_reference=fulfilment.tracking_reference,
        ready_at=fulfilment.ready_at,
        checked_in_at=fulfilment.checked_in_at,
        handed_over_at=fulfilment.handed_over_at,
        pickup_wait_seconds=wait,
        shipped_at=fulfilment.shipped_at,
        delivered_at=fulfilment.delivered_at,
        replaces=fulfilment.replaces_id,
        pickup_code=fulfilment.pickup_code,
        allowed_actions=[
            action.value
            for action in allowed_actions(
                Method(fulfilment.method), FulfilmentStatus(fulfilment.status)
            )
        ],
        lines=[
            FulfilmentLineOut(
                id=line.id,
                order_line_id=line.order_line_id,
                sku=line.sku,
                quantity=line.quantity,
                status=line.status,
                reservation_id=line.reservation_id,
                reason=line.reason,
            )
            for line in lines
        ],
        created_at=fulfilment.created_at,
        updated_at=fulfilment.updated_at,
    )


def _filtered(
    *,
    location_code: str | None,
    status: str | None,
    method: str | None,
    order_ids: Select[str] | None,
) -> Select[Fulfilment]:
    query = select(Fulfilment)
    if order_ids is not None:
        query = query.where(Fulfilment.order_id.in_(order_ids))
    if location_code is not None:
        query = query.where(Fulfilment.location_code == location_code)
    if status is not None:
        query = query.where(Fulfilment.status == status)
    if method is not None:
        query = query.where(Fulfilment.method == method)
    return query


def list_fulfilments(
    session: Session,
    *,
    location_code: str | None = None,
    status: str | None = None,
    method: str | None = None,
    limit: int = 100,
    order_ids: Select[str] | None = None,
    updated_since: datetime | None = None,
) -> list[FulfilmentRef]:
    """A location's queue (or everyone's), oldest first; ``order_ids`` narrows it to the
    fulfilments of those orders, ``updated_since`` to those that moved since then."""
    query = _filtered(
        location_code=location_code, status=status, method=method, order_ids=order_ids
    )
    if updated_since is not None:
        query = query.where(Fulfilment.updated_at >= updated_since)
    rows = session.scalars(query.order_by(Fulfilment.created_at, Fulfilment.id).limit(limit))
    return [as_ref(FulfilmentRef, row) for row in rows]


def page_fulfilments(
    session: Session,
    *,
    location_code: str | None = None,
    status: str | None = None,
    method: str | None = None,
    order_ids: Select[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Paged[FulfilmentRef]:
    """A page of fulfilments, filtered as :func:`list_fulfilments`: newest first, or with
    ``updated_since`` those that moved since then, oldest move first (platform/paging.py)."""
    paged = page_of(
        session,
        _filtered(location_code=location_code, status=status, method=method, order_ids=order_ids),
        key=Fulfilment.id,
        changed=Fulfilment.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    return Paged(
        rows=[as_ref(FulfilmentRef, row) for row in paged.rows],
        has_more=paged.has_more,
        next_cursor=paged.next_cursor,
    )


def overdue(session: Session, *, now: datetime, limit: int = 500) -> list[FulfilmentRef]:
    """Holds and uncollected pickups whose time is up."""
    rows = session.scalars(
        select(Fulfilment)
        .where(
            Fulfilment.status.in_(
                [
                    FulfilmentStatus.held.value,
                    FulfilmentStatus.tried.value,
                    FulfilmentStatus.ready_for_pickup.value,
                ]
            ),
            Fulfilment.due_at <= now,
        )
        .order_by(Fulfilment.due_at, Fulfilment.id)
        .limit(limit)
    )
    return [as_ref(FulfilmentRef, row) for row in rows]


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100), interpolating linearly between ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _waits(location: str, collected: int, waits: Sequence[float]) -> StorePickupWaits:
    return StorePickupWaits(
        location=location,
        collected=collected,
        measured=len(waits),
        p50_seconds=percentile(waits, 50),
        p90_seconds=percentile(waits, 90),
        mean_seconds=sum(waits) / len(waits) if waits else None,
        max_seconds=max(waits) if waits else None,
    )


def pickup_waits(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    location_code: str | None = None,
) -> PickupWaitsOut:
    """Pickup wait (handover minus check-in) per store over collected pickups."""
    query = select(
        Fulfilment.location_code, Fulfilment.checked_in_at, Fulfilment.handed_over_at
    ).where(
        Fulfilment.method == Method.pickup.value,
        Fulfilment.status == FulfilmentStatus.collected.value,
    )
    if since is not None:
        query = query.where(Fulfilment.handed_over_at >= since)
    if until is not None:
        query = query.where(Fulfilment.handed_over_at < until)
    if location_code is not None:
        query = query.where(Fulfilment.location_code == location_code)
    collected: dict[str, int] = {}
    waits: dict[str, list[float]] = {}
    for code, checked_in, handed_over in session.execute(query):
        collected[code] = collected.get(code, 0) + 1
        waits.setdefault(code, [])
        if checked_in is not None and handed_over is not None:
            waits[code].append((handed_over - checked_in).total_seconds())
    stores = [_waits(code, collected[code], waits[code]) for code in sorted(collected)]
    everything = [wait for values in waits.values() for wait in values]
    return PickupWaitsOut(
        since=since,
        until=until,
        overall=_waits("*", sum(collected.values()), everything),
        stores=stores,
    )
