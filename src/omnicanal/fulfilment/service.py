"""Use cases of the fulfilment module: create a fulfilment, move it on, reject a line.

These run inside the caller's transaction (the orders module's use cases, which roll the
order status up afterwards). A status moves by a conditional UPDATE on the status it was
read in, so two clerks pressing "collected" at once move it once; the loser gets
``invalid_transition``. Stock follows the lifecycle: handing over confirms the
reservations (the units leave on-hand stock), ending unsold releases them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from omnicanal.fulfilment.errors import InvalidTransition, UnknownFulfilment, UnknownFulfilmentLine
from omnicanal.fulfilment.events import (
    FULFILMENT_STATUS_EVENTS,
    FulfilmentItem,
    FulfilmentLineRejected,
)
from omnicanal.fulfilment.handover import (
    WITH_PICKUP_CODE,
    IdentityDocument,
    check_handover,
    new_pickup_code,
)
from omnicanal.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentStatusChange
from omnicanal.fulfilment.queries import FulfilmentChange, FulfilmentLineRef, FulfilmentRef, as_ref
from omnicanal.fulfilment.states import (
    Action,
    FulfilmentStatus,
    Method,
    StockEffect,
    initial_status,
    next_status,
    stock_effect,
)
from omnicanal.inventory import service as inventory
from omnicanal.inventory.errors import ReservationNotActive
from omnicanal.network.lookups import LocationRef
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC, rowcount
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id

__all__ = [
    "NewFulfilment",
    "NewLine",
    "acting_for_order",
    "advance",
    "create_fulfilment",
    "reject_line",
]

OPEN, FULFILLED, RELEASED, REJECTED = "open", "fulfilled", "released", "rejected"

_STAMPS = {
    Action.ready: "ready_at",
    Action.check_in: "checked_in_at",
    Action.collect: "handed_over_at",
    Action.buy: "handed_over_at",
    Action.ship: "shipped_at",
    Action.deliver: "delivered_at",
}


@dataclass(frozen=True)
class NewLine:
    """Units of an order line to put in a new fulfilment, with the reservation holding them."""

    order_line_id: str
    position: int
    sku: str
    quantity: int
    reservation_id: str | None


def acting_for_order(actor: Actor) -> Actor:
    """The caller, moving the order's stock wherever sourcing put it.

    The caller's key was checked for the order itself (its channel, its store); the stock
    of an endless-aisle or ship-from-elsewhere order lies at other locations, which a store
    key could not touch in its own name. Attribution (key id, channel, store) is unchanged.
    """
    return replace(actor, location_id=None, scopes=frozenset({"*"}))


def _record(
    session: Session,
    fulfilment: Fulfilment,
    *,
    from_status: str | None,
    action: str,
    reason: str,
    actor: Actor,
    now: datetime,
    lines: Sequence[FulfilmentLine],
    extra: dict[str, Any] | None = None,
) -> FulfilmentStatusChange:
    """The history row and the event of the fulfilment's move to its current status
    (``extra``: the fields that status's event adds, see ``fulfilment.events``)."""
    event = FULFILMENT_STATUS_EVENTS[fulfilment.status](
        fulfilment_id=fulfilment.id,
        order_id=fulfilment.order_id,
        method=fulfilment.method,
        location=fulfilment.location_code,
        from_status=from_status,
        status=fulfilment.status,
        action=action,
        reason=reason,
        lines=[FulfilmentItem(sku=line.sku, quantity=line.quantity) for line in lines],
        **(extra or {}),
    )
    change = FulfilmentStatusChange(
        fulfilment_id=fulfilment.id,
        order_id=fulfilment.order_id,
        from_status=from_status,
        to_status=fulfilment.status,
        action=action,
        event_type=event.type,
        reason=reason,
        actor=actor.label,
        channel=actor.channel,
        occurred_at=now,
    )
    session.add(change)
    record_event(session, event, actor=actor)
    return change


@dataclass(frozen=True)
class NewFulfilment:
    """A fulfilment just created, with its lines and its first history entry."""

    fulfilment: FulfilmentRef
    lines: list[FulfilmentLineRef]
    change: FulfilmentChange


def create_fulfilment(
    session: Session,
    *,
    order_id: str,
    position: int,
    method: Method,
    location: LocationRef,
    stock_channel: str,
    lines: Sequence[NewLine],
    actor: Actor,
    now: datetime,
    delivery_address: dict[str, Any] | None = None,
    distance_km: float | None = None,
    due_at: datetime | None = None,
    replaces_id: str | None = None,
    reason: str = "",
) -> NewFulfilment:
    """A fulfilment in its method's first status, holding reserved units of order lines.

    Its rows are written with the caller's next flush, in one INSERT per table for all the
    fulfilments of a checkout (their ids are given here, not by the flush)."""
    fulfilment = Fulfilment(
        id=new_id(),
        order_id=order_id,
        position=position,
        method=method.value,
        status=initial_status(method).value,
        location_id=location.id,
        location_code=location.code,
        stock_channel=stock_channel,
        delivery_address=delivery_address,
        distance_km=round(distance_km, 3) if distance_km is not None else None,
        due_at=due_at,
        handed_over_at=now if method is Method.carry_out else None,
        replaces_id=replaces_id,
        pickup_code=new_pickup_code() if method in WITH_PICKUP_CODE else None,
        created_at=now,
        updated_at=now,
    )
    session.add(fulfilment)
    rows = [
        FulfilmentLine(
            id=new_id(),
            fulfilment_id=fulfilment.id,
            order_line_id=line.order_line_id,
            position=line.position,
            sku=line.sku,
            quantity=line.quantity,
            reservation_id=line.reservation_id,
            status=FULFILLED if method is Method.carry_out else OPEN,
            reason="",
        )
        for line in lines
    ]
    session.add_all(rows)
    change = _record(
        session,
        fulfilment,
        from_status=None,
        action="create",
        reason=reason,
        actor=actor,
        now=now,
        lines=rows,
        extra={"replaces": replaces_id} if replaces_id else None,
    )
    return NewFulfilment(
        fulfilment=as_ref(FulfilmentRef, fulfilment),
        lines=[as_ref(FulfilmentLineRef, row) for row in rows],
        change=as_ref(FulfilmentChange, change),
    )


def _row(session: Session, fulfilment_id: str) -> Fulfilment:
    """The fulfilment's row (the one the caller locked, when it did)."""
    fulfilment = session.get(Fulfilment, fulfilment_id)
    if fulfilment is None:
        raise UnknownFulfilment(f"No fulfilment has the id {fulfilment_id!r}.", field="id")
    return fulfilment


def lines_of(session: Session, fulfilment_id: str) -> list[FulfilmentLine]:
    return list(
        session.scalars(
            select(FulfilmentLine)
            .where(FulfilmentLine.fulfilment_id == fulfilment_id)
            .order_by(FulfilmentLine.position, FulfilmentLine.id)
        )
    )


def _release(session: Session, line: FulfilmentLine, actor: Actor) -> None:
    """Give the line's reserved units back; a reservation the sweeper ended already is fine."""
    if line.reservation_id is None:
        return
    with contextlib.suppress(ReservationNotActive):
        inventory.release_reservation(
            session, reservation_id=line.reservation_id, actor=acting_for_order(actor)
        )


def _claim(
    session: Session,
    fulfilment: Fulfilment,
    current: FulfilmentStatus,
    target: FulfilmentStatus,
    values: dict[str, Any],
) -> None:
    """Move the status (and its timestamps) only if no one moved it since we read it."""
    moved = rowcount(
        session.execute(
            update(Fulfilment)
            .where(Fulfilment.id == fulfilment.id, Fulfilment.status == current.value)
            .values(status=target.value, **values),
            execution_options=NO_SYNC,
        )
    )
    if not moved:
        session.refresh(fulfilment)
        raise InvalidTransition(
            f"Fulfilment {fulfilment.id} changed meanwhile: it is now {fulfilment.status}.",
            field="action",
            current_status=fulfilment.status,
        )
    for key, value in {"status": target.value, **values}.items():
        set_committed_value(fulfilment, key, value)


def advance(
    session: Session,
    *,
    fulfilment_id: str,
    action: Action,
    actor: Actor,
    now: datetime | None = None,
    reason: str = "",
    carrier: str | None = None,
    tracking_reference: str | None = None,
    due_at: datetime | None = None,
    pickup_code: str | None = None,
    identity_checked: IdentityDocument | None = None,
) -> tuple[FulfilmentRef, list[FulfilmentLineRef]]:
    """Apply ``action``: the new status, its stock effect, a history row and an event.

    Handing a pickup over (``collect``) needs the customer's ``pickup_code`` or an
    ``identity_checked``; the history and the event say which. Returns the fulfilment and its
    lines as they now are.
    """
    now = now or utcnow()
    fulfilment = _row(session, fulfilment_id)
    method = Method(fulfilment.method)
    current = FulfilmentStatus(fulfilment.status)
    target = next_status(method, current, action)
    if action is Action.collect:
        proof = check_handover(
            fulfilment.pickup_code, pickup_code=pickup_code, identity_checked=identity_checked
        )
        reason = f"{reason}; {proof}" if reason else proof
    values: dict[str, Any] = {"updated_at": now}
    if action in _STAMPS:
        values[_STAMPS[action]] = now
    if action is Action.ship:
        values.update(carrier=carrier, tracking_reference=tracking_reference)
    if due_at is not None:
        values["due_at"] = due_at
    _claim(session, fulfilment, current, target, values)
    lines = lines_of(session, fulfilment.id)
    effect = stock_effect(action)
    stock_actor = acting_for_order(actor)
    for line in lines:
        if line.status != OPEN:
            continue
        if effect is StockEffect.confirm and line.reservation_id is not None:
            inventory.confirm_reservation(
                session, reservation_id=line.reservation_id, actor=stock_actor
            )
            line.status = FULFILLED
        elif effect is StockEffect.release:
            _release(session, line, actor)
            line.status = RELEASED
    extra: dict[str, Any] = {}
    if action is Action.ship:
        extra = {"carrier": carrier, "tracking_reference": tracking_reference}
    if action is Action.collect and fulfilment.checked_in_at is not None:
        extra = {"pickup_wait_seconds": (now - fulfilment.checked_in_at).total_seconds()}
    if action is Action.ready and due_at is not None:
        extra = {"collect_by": due_at.isoformat()}
    _record(
        session,
        fulfilment,
        from_status=current.value,
        action=action.value,
        reason=reason,
        actor=actor,
        now=now,
        lines=lines,
        extra=extra,
    )
    return as_ref(FulfilmentRef, fulfilment), [as_ref(FulfilmentLineRef, line) for line in lines]


def reject_line(
    session: Session,
    *,
    fulfilment_id: str,
    line_id: str,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> FulfilmentLineRef:
    """The location cannot fulfil a line: release its units; a fulfilment left empty ends.

    Re-sourcing the line elsewhere is the caller's business (it knows the order).
    """
    now = now or utcnow()
    fulfilment = _row(session, fulfilment_id)
    method = Method(fulfilment.method)
    current = FulfilmentStatus(fulfilment.status)
    next_status(method, current, Action.reject)  # refuses when it is too late to reject
    line = session.get(FulfilmentLine, line_id)
    if line is None or line.fulfilment_id != fulfilment.id:
        raise UnknownFulfilmentLine(
            f"Fulfilment {fulfilment.id} has no line {line_id!r}.", field="line_id"
        )
    if line.status != OPEN:
        raise InvalidTransition(
            f"Line {line_id} is {line.status}: it can no longer be rejected.",
            field="line_id",
            line_status=line.status,
            action="reject",
        )
    _release(session, line, actor)
    line.status, line.reason = REJECTED, reason
    # A rejected line changes the fulfilment as its list shows it (its lines).
    fulfilment.updated_at = now
    session.flush()
    record_event(
        session,
        FulfilmentLineRejected(
            fulfilment_id=fulfilment.id,
            order_id=fulfilment.order_id,
            location=fulfilment.location_code,
            line_id=line.id,
            order_line_id=line.order_line_id,
            sku=line.sku,
            quantity=line.quantity,
            reason=reason,
        ),
        actor=actor,
    )
    if all(other.status != OPEN for other in lines_of(session, fulfilment.id)):
        advance(
            session,
            fulfilment_id=fulfilment.id,
            action=Action.reject,
            actor=actor,
            now=now,
            reason=f"every line rejected: {reason}",
        )
    return as_ref(FulfilmentLineRef, line)
