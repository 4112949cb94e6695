"""What every return use case shares: loading and locking a return, its facts for the
policy, moving its status (a history row and an event), the units claimed back per order
line, and rendering it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicanal.platform.access import Owner
from omnicanal.platform.actors import Actor
from omnicanal.platform.db import NO_SYNC, dialect_insert
from omnicanal.platform.events import record_event
from omnicanal.returns.access import ReturnFacts
from omnicanal.returns.errors import ReturnQuantityExceeded, UnknownReturn
from omnicanal.returns.events import RETURN_STATUS_EVENTS, ReturnedLine, ReturnEvent
from omnicanal.returns.models import Return, ReturnedQuantity, ReturnLine, ReturnStatusChange
from omnicanal.returns.rules import Shortfall
from omnicanal.returns.schemas import (
    AuthorisationOut,
    RefundOut,
    ReturnHistoryEntry,
    ReturnLineOut,
    ReturnOut,
    ReviewReasonOut,
)
from omnicanal.returns.states import ReturnStatus, check_move, next_statuses

__all__ = [
    "claim_units",
    "event_fields",
    "facts_of",
    "lines_of",
    "load_return",
    "move_return",
    "release_units",
    "return_out",
    "write_change",
]


def load_return(session: Session, return_id: str, *, lock: bool = False) -> Return:
    """The return; locked (PostgreSQL) so that one use case at a time changes it."""
    query = select(Return).where(Return.id == return_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalar(query)
    if row is None:
        raise UnknownReturn(f"No return has the id {return_id!r}.", field="id")
    return row


def facts_of(row: Return) -> ReturnFacts:
    """The return as the access policy sees it."""
    return ReturnFacts(
        id=row.id,
        order_owner=Owner(
            channel=row.purchase_channel_kind,
            location_code=row.purchase_location,
            key=row.order_placed_by,
        ),
        opened_by=Owner(
            channel=row.requested_channel,
            location_code=row.requested_location,
            key=row.requested_by,
        ),
        location_code=row.location_code,
    )


def lines_of(session: Session, return_id: str) -> list[ReturnLine]:
    return list(
        session.scalars(
            select(ReturnLine)
            .where(ReturnLine.return_id == return_id)
            .order_by(ReturnLine.position)
        )
    )


def event_fields(row: Return, lines: list[ReturnLine]) -> dict[str, Any]:
    """The fields every ``return.*`` event carries (the score only when one was given)."""
    fields: dict[str, Any] = {
        "return_id": row.id,
        "order_id": row.order_id,
        "customer_ref": row.customer_ref,
        "purchase_channel": row.purchase_channel,
        "return_channel": row.return_channel,
        "return_location": row.location_code,
        "status": row.status,
        "lines": [
            ReturnedLine(
                order_line_id=line.order_line_id,
                sku=line.sku,
                quantity=line.quantity,
                reason=line.reason,
                condition=line.condition,
            )
            for line in lines
        ],
        "reason_codes": list(dict.fromkeys(line.reason for line in lines)),
    }
    if row.satisfaction is not None:
        fields["satisfaction"] = row.satisfaction
    return fields


def write_change(
    session: Session,
    row: Return,
    from_status: ReturnStatus | None,
    event: ReturnEvent,
    *,
    actor: Actor,
    now: datetime,
    reason: str = "",
) -> None:
    """The history row of the return's move to its current status, and its event."""
    session.add(
        ReturnStatusChange(
            return_id=row.id,
            from_status=from_status.value if from_status else None,
            to_status=row.status,
            event_type=event.type,
            reason=reason,
            actor=actor.label,
            channel=actor.channel,
            location_code=actor.location_code,
            occurred_at=now,
        )
    )
    record_event(session, event, actor=actor)


def move_return(
    session: Session,
    row: Return,
    target: ReturnStatus,
    *,
    actor: Actor,
    now: datetime,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> None:
    """Move the return to ``target``: a history row and the ``return.<status>`` event
    (``details``: the fields that status's event adds, see ``returns.events``)."""
    current = ReturnStatus(row.status)
    check_move(current, target)
    row.status = target.value
    row.updated_at = now
    session.flush()
    event = RETURN_STATUS_EVENTS[target.value](
        **event_fields(row, lines_of(session, row.id)), **(details or {})
    )
    write_change(session, row, current, event, actor=actor, now=now, reason=reason)


def claim_units(
    session: Session, *, order_id: str, wanted: Mapping[str, int], returnable: Mapping[str, int]
) -> dict[str, int]:
    """Claim ``wanted`` units of each order line back, never beyond its ``returnable``
    units (those that reached the customer); returns the units each line had claimed before.

    One conditional ``UPDATE … WHERE claimed + :quantity <= :returnable`` per line, lines in
    a fixed order: two counters returning the same line at once cannot both have it (the
    second's update finds the condition false once the first's commit is in). Every line
    that does not fit is named in one refusal.
    """
    insert = dialect_insert(session)
    session.execute(
        insert(ReturnedQuantity)
        .values([{"order_line_id": line, "order_id": order_id, "claimed": 0} for line in wanted])
        .on_conflict_do_nothing(index_elements=["order_line_id"])
    )
    before: dict[str, int] = {}
    missing: list[Shortfall] = []
    for line_id in sorted(wanted):
        quantity = wanted[line_id]
        claimed = session.execute(
            update(ReturnedQuantity)
            .where(
                ReturnedQuantity.order_line_id == line_id,
                ReturnedQuantity.claimed + quantity <= returnable.get(line_id, 0),
            )
            .values(claimed=ReturnedQuantity.claimed + quantity)
            .returning(ReturnedQuantity.claimed),
            execution_options=NO_SYNC,
        ).scalar_one_or_none()
        if claimed is None:
            already = session.scalar(
                select(ReturnedQuantity.claimed).where(ReturnedQuantity.order_line_id == line_id)
            )
            missing.append(
                Shortfall(line_id, quantity, max(returnable.get(line_id, 0) - (already or 0), 0))
            )
        else:
            before[line_id] = claimed - quantity
    if missing:
        raise shortfall_error(missing)
    return before


def shortfall_error(missing: list[Shortfall]) -> ReturnQuantityExceeded:
    """One refusal naming every line asked back beyond what may still come back."""
    first = missing[0]
    return ReturnQuantityExceeded(
        f"Order line {first.order_line_id}: {first.requested} unit(s) asked back, "
        f"{first.returnable} may still be returned (bought and received, less those returned "
        "or on their way back).",
        field="lines",
        shortfalls=[
            {
                "order_line_id": item.order_line_id,
                "requested": item.requested,
                "returnable": item.returnable,
            }
            for item in missing
        ],
    )


def release_units(session: Session, lines: list[ReturnLine]) -> None:
    """Give a refused or cancelled return's units back to their order lines."""
    for line in sorted(lines, key=lambda item: item.order_line_id):
        session.execute(
            update(ReturnedQuantity)
            .where(ReturnedQuantity.order_line_id == line.order_line_id)
            .values(claimed=ReturnedQuantity.claimed - line.quantity),
            execution_options=NO_SYNC,
        )


def _history(session: Session, return_id: str) -> list[ReturnHistoryEntry]:
    return [
        ReturnHistoryEntry(
            at=change.occurred_at,
            from_status=change.from_status,
            to_status=change.to_status,
            event=change.event_type,
            reason=change.reason,
            actor=change.actor,
            channel=change.channel,
            location=change.location_code,
        )
        for change in session.scalars(
            select(ReturnStatusChange)
            .where(ReturnStatusChange.return_id == return_id)
            .order_by(ReturnStatusChange.occurred_at, ReturnStatusChange.id)
        )
    ]


def _authorisation(row: Return) -> AuthorisationOut | None:
    if row.authorisation_token is None or row.authorisation_expires_at is None:
        return None
    base = f"/v1/returns/{row.id}/label"
    return AuthorisationOut(
        token=row.authorisation_token,
        expires_at=row.authorisation_expires_at,
        label_svg=f"{base}.svg",
        label_png=f"{base}.png",
        label_pdf=f"{base}.pdf",
    )


def return_out(session: Session, row: Return) -> ReturnOut:
    """The return as every channel reads it."""
    session.flush()
    refund = None
    if row.refund_method is not None:
        refund = RefundOut(
            method=row.refund_method,
            amount_minor=row.refunded_minor,
            provider=row.refund_provider,
            reference=row.refund_reference,
        )
    return ReturnOut(
        id=row.id,
        order_id=row.order_id,
        customer_ref=row.customer_ref,
        purchase_channel=row.purchase_channel,
        return_channel=row.return_channel,
        location=row.location_code,
        status=row.status,
        next_statuses=next_statuses(ReturnStatus(row.status)),
        currency=row.currency,
        value_minor=row.value_minor,
        review_reasons=[ReviewReasonOut.model_validate(reason) for reason in row.review_reasons],
        satisfaction=row.satisfaction,
        note=row.note,
        refund=refund,
        exchange_order_id=row.exchange_order_id,
        price_difference_minor=row.price_difference_minor,
        authorisation=_authorisation(row),
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        received_at=row.received_at,
        inspected_at=row.inspected_at,
        resolved_at=row.resolved_at,
        updated_at=row.updated_at,
        lines=[
            ReturnLineOut(
                id=line.id,
                order_line_id=line.order_line_id,
                position=line.position,
                sku=line.sku,
                quantity=line.quantity,
                reason=line.reason,
                condition=line.condition,
                value_minor=line.value_minor,
                resellable_quantity=line.resellable_quantity,
                damaged_quantity=line.damaged_quantity,
            )
            for line in lines_of(session, row.id)
        ],
        history=_history(session, row.id),
    )
