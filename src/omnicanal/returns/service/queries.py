"""Reading returns: one return as every channel sees it, and pages of returns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, case, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from omnicanal.platform.actors import Actor
from omnicanal.platform.paging import DEFAULT_LIMIT, Page, page_of
from omnicanal.returns import access
from omnicanal.returns.events import ReviewReasonOut
from omnicanal.returns.models import Return
from omnicanal.returns.rules import ReviewCode
from omnicanal.returns.schemas import ReturnOut, ReturnQueue, ReturnSummary
from omnicanal.returns.service.common import facts_of, load_return, return_out
from omnicanal.returns.states import ReturnStatus

__all__ = ["get_return", "label_token", "list_returns", "review_queue"]


def get_return(session: Session, *, return_id: str, actor: Actor | None = None) -> ReturnOut:
    """The return's lines, status, history, refund or exchange.

    With ``actor``, a return it may not read is unknown (access policy: returns/access.py).
    """
    row = load_return(session, return_id)
    if actor is not None:
        access.check_readable(actor, facts_of(row))
    return return_out(session, row)


def label_token(session: Session, *, return_id: str, actor: Actor) -> str | None:
    """The postal authorisation a return's label prints, None for a counter return."""
    row = load_return(session, return_id)
    access.check_readable(actor, facts_of(row))
    return row.authorisation_token


def _visible(actor: Actor) -> ColumnElement[bool] | None:
    seen = access.visibility(actor)
    if seen.everything:
        return None
    if seen.order_placed_by is not None:
        return Return.order_placed_by == seen.order_placed_by
    if seen.location is not None:
        return or_(
            Return.location_code == seen.location,
            Return.requested_location == seen.location,
        )
    return Return.purchase_channel_kind.in_(sorted(seen.purchase_channels))


def list_returns(
    session: Session,
    *,
    status: str | None = None,
    location: str | None = None,
    order_id: str | None = None,
    customer_ref: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
    actor: Actor | None = None,
) -> Page[ReturnSummary]:
    """A page of returns, filtered: newest first, or with ``updated_since`` those changed
    since then, oldest change first (platform/paging.py).

    With ``actor``, only the returns it may read (a store: those at its store)."""
    query = select(Return)
    if actor is not None:
        visible = _visible(actor)
        if visible is not None:
            query = query.where(visible)
    if status is not None:
        query = query.where(Return.status == status)
    if location is not None:
        query = query.where(Return.location_code == location)
    if order_id is not None:
        query = query.where(Return.order_id == order_id)
    if customer_ref is not None:
        query = query.where(Return.customer_ref == customer_ref)
    paged = page_of(
        session,
        query,
        key=Return.id,
        changed=Return.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    return paged.page([_summary(row) for row in paged.rows])


def _summary(row: Return) -> ReturnSummary:
    return ReturnSummary(
        id=row.id,
        order_id=row.order_id,
        customer_ref=row.customer_ref,
        purchase_channel=row.purchase_channel,
        return_channel=row.return_channel,
        location=row.location_code,
        status=row.status,
        currency=row.currency,
        value_minor=row.value_minor,
        review_reasons=[ReviewReasonOut.model_validate(reason) for reason in row.review_reasons],
        requested_at=row.requested_at,
        updated_at=row.updated_at,
    )


def review_queue(
    session: Session,
    *,
    status: ReturnStatus | None = None,
    location: str | None = None,
    return_channel: str | None = None,
    reason: ReviewCode | None = None,
    limit: int = 50,
    offset: int = 0,
    actor: Actor | None = None,
) -> ReturnQueue:
    """Head office's queue: the returns waiting for review first, oldest first (the longest
    wait on top), then every other return, newest first; filtered by status, where the units
    came back (or the channel of return: ``store`` or ``post``) and review reason.

    With ``actor``, only the returns it may read (a reviewer reads them all)."""
    filters: list[ColumnElement[bool]] = []
    if actor is not None:
        visible = _visible(actor)
        if visible is not None:
            filters.append(visible)
    if status is not None:
        filters.append(Return.status == status.value)
    if location is not None:
        filters.append(Return.location_code == location)
    if return_channel is not None:
        filters.append(Return.return_channel == return_channel)
    if reason is not None:
        # The reasons are a JSON list of {"code", "params"}, kept with the return; a code is
        # matched as a quoted string in its text, the same on SQLite and PostgreSQL (a code
        # is no other code's substring once quoted: "worn" is not "unworn").
        code = reason.value.replace("_", "\\_")
        filters.append(cast(Return.review_reasons, String).like(f'%"{code}"%', escape="\\"))
    waiting = Return.status == ReturnStatus.review_pending.value
    total = session.scalar(select(func.count()).select_from(Return).where(*filters)) or 0
    rows = session.scalars(
        select(Return)
        .where(*filters)
        .order_by(
            case((waiting, 0), else_=1),
            case((waiting, Return.requested_at), else_=None).asc(),
            Return.requested_at.desc(),
            Return.id,
        )
        .limit(limit)
        .offset(offset)
    )
    return ReturnQueue(items=[_summary(row) for row in rows], total=int(total))
