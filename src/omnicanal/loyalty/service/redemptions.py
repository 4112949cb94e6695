"""Redemptions: points spent anywhere as a payment-like tender, in part or in full.

Points are *held* first (``POST /v1/loyalty/redemptions``): one conditional update takes
them from the balance, so two channels spending the same points at once can never both get
them. The order that names the redemption among its checkout's tenders *captures* it
(``order.placed``); a hold nobody uses is *released* when asked or when its time is up, and
a captured redemption comes back to the member when its order is cancelled (ADR 0021).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicanal.loyalty import access
from omnicanal.loyalty.errors import (
    InsufficientPoints,
    ProgrammeInactive,
    RedemptionNotHeld,
    UnknownRedemption,
)
from omnicanal.loyalty.events import (
    PointsHeld,
    PointsRedeemed,
    RedemptionCaptureFailed,
    RedemptionReleased,
)
from omnicanal.loyalty.models import Redemption
from omnicanal.loyalty.rules import amount_for_points, points_for_amount
from omnicanal.loyalty.schemas import RedemptionIn, RedemptionOut, RedemptionPage
from omnicanal.loyalty.service import ledger
from omnicanal.loyalty.service.common import (
    SYSTEM,
    MemberRef,
    load_member,
    member_by_card,
)
from omnicanal.platform.access import Owner
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC, rowcount
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id
from omnicanal.platform.paging import page_of

__all__ = [
    "CAPTURED",
    "HELD",
    "LOYALTY_TENDER",
    "RELEASED",
    "Tender",
    "capture_tenders",
    "get_redemption",
    "give_back",
    "hold_points",
    "list_redemptions",
    "redemption_out",
    "release_expired_holds",
    "release_redemption",
    "return_order_redemptions",
]

HELD, CAPTURED, RELEASED = "held", "captured", "released"
LOYALTY_TENDER = "loyalty"
"""The ``kind`` of a checkout tender that names a redemption."""

Tender = tuple[str, int]
"""A loyalty tender of an order: the redemption it names and the amount it pays."""


def redemption_out(redemption: Redemption) -> RedemptionOut:
    """A redemption as the API shows it, with the tender that spends it."""
    return RedemptionOut(
        id=redemption.id,
        member_id=redemption.member_id,
        points=redemption.points,
        amount_minor=redemption.amount_minor,
        currency=redemption.currency,
        status=redemption.status,
        order_id=redemption.order_id,
        channel=redemption.channel,
        location=redemption.location_code,
        hold_expires_at=redemption.hold_expires_at,
        created_at=redemption.created_at,
        captured_at=redemption.captured_at,
        released_at=redemption.released_at,
        release_reason=redemption.release_reason,
        tender={
            "kind": LOYALTY_TENDER,
            "reference": redemption.id,
            "amount_minor": redemption.amount_minor,
        },
    )


def _facts(redemption: Redemption) -> access.RedemptionFacts:
    return access.RedemptionFacts(
        id=redemption.id,
        owner=Owner(
            channel=redemption.channel,
            location_code=redemption.location_code,
            key=redemption.requested_by,
        ),
    )


def _load(session: Session, redemption_id: str) -> Redemption:
    redemption = session.get(Redemption, redemption_id)
    if redemption is None:
        raise UnknownRedemption(f"No redemption has the id {redemption_id!r}.", field="id")
    return redemption


def _take_for(
    session: Session,
    member: MemberRef,
    points: int,
    *,
    posting: ledger.Posting,
    now: datetime,
) -> ledger.Taken:
    """Hold ``points`` of the member's (caller holds the lock): expired lots go first, so
    an expired point is never spent."""
    ledger.expire_due(session, member, now=now)
    return ledger.take(session, member.id, points, kind="redeem", posting=posting, now=now)


def hold_points(
    session: Session, *, data: RedemptionIn, actor: Actor, now: datetime | None = None
) -> RedemptionOut:
    """Hold a member's points to pay part or all of a sale, for the programme's hold time:
    all of them or none (409 ``insufficient_points``)."""
    now = now or utcnow()
    location = access.acting_location(actor, data.location)
    if data.member_id is not None:
        member = load_member(session, data.member_id)
    else:
        assert data.programme is not None and data.card_number is not None
        member = member_by_card(session, programme=data.programme, card_number=data.card_number)
    programme = member.programme
    if not programme.active:
        raise ProgrammeInactive(f"Programme {programme.code} is closed.", field="member_id")
    if data.points is not None:
        points = data.points
        amount = amount_for_points(points, programme.point_value_minor)
    else:
        assert data.amount_minor is not None
        amount = data.amount_minor
        points = points_for_amount(amount, programme.point_value_minor)
    redemption_id = new_id()
    ledger.lock(session, member.id)
    posting = ledger.Posting.by(actor, location_code=location, redemption_id=redemption_id)
    # The redemption row first: the ledger line that holds its points refers to it.
    redemption = Redemption(
        id=redemption_id,
        member_id=member.id,
        points=points,
        amount_minor=amount,
        currency=programme.currency,
        status=HELD,
        channel=actor.channel,
        location_code=location,
        requested_by=actor.label[:100],
        hold_expires_at=now + timedelta(minutes=programme.hold_minutes),
        created_at=now,
        taken_from=[],
    )
    session.add(redemption)
    session.flush()
    taken = _take_for(session, member, points, posting=posting, now=now)
    redemption.taken_from = [[lot_id, count] for lot_id, count in taken.plan]
    session.flush()
    record_event(
        session,
        PointsHeld(
            member_id=member.id,
            programme=programme.code,
            profile_id=member.profile_id,
            redemption_id=redemption.id,
            points=points,
            amount_minor=amount,
            currency=programme.currency,
            channel=actor.channel,
            location=location,
            hold_expires_at=redemption.hold_expires_at.isoformat(),
            available=taken.available,
        ),
        actor=actor,
    )
    return redemption_out(redemption)


def give_back(
    session: Session,
    redemption: Redemption,
    member: MemberRef,
    *,
    from_status: str,
    reason: str,
    actor: Actor,
    now: datetime,
) -> bool:
    """Release a redemption in ``from_status``: its points back to the lots they came from
    (caller holds the lock). False when it had already moved on."""
    moved = session.execute(
        update(Redemption)
        .where(Redemption.id == redemption.id, Redemption.status == from_status)
        .values(status=RELEASED, released_at=now, release_reason=reason),
        execution_options=NO_SYNC,
    )
    if rowcount(moved) != 1:
        return False
    plan = [(str(lot_id), int(count)) for lot_id, count in redemption.taken_from or []]
    available = ledger.restore(
        session,
        member.id,
        plan,
        kind="release",
        posting=ledger.Posting.by(
            actor,
            reason=reason,
            redemption_id=redemption.id,
            order_id=redemption.order_id,
        ),
        now=now,
    )
    session.refresh(redemption)
    record_event(
        session,
        RedemptionReleased(
            member_id=member.id,
            programme=member.programme.code,
            profile_id=member.profile_id,
            redemption_id=redemption.id,
            points=redemption.points,
            reason=reason,
            order_id=redemption.order_id,
            available=available,
        ),
        actor=actor,
    )
    return True


def release_redemption(
    session: Session, *, redemption_id: str, actor: Actor, now: datetime | None = None
) -> RedemptionOut:
    """Release a hold nobody used: its points are the member's again (409
    ``redemption_not_held`` once captured or released)."""
    now = now or utcnow()
    redemption = _load(session, redemption_id)
    access.check_release(actor, _facts(redemption))
    member = load_member(session, redemption.member_id, live=False)
    ledger.lock(session, member.id)
    session.refresh(redemption)
    if not give_back(
        session, redemption, member, from_status=HELD, reason="released", actor=actor, now=now
    ):
        raise RedemptionNotHeld(
            f"Redemption {redemption.id} is {redemption.status}: only a held one is released.",
            field="id",
            redemption_status=redemption.status,
        )
    return redemption_out(redemption)


def release_expired_holds(
    session: Session, *, now: datetime | None = None, actor: Actor = SYSTEM, limit: int = 500
) -> int:
    """Release the holds whose time is up, unused; returns how many."""
    now = now or utcnow()
    ids = session.scalars(
        select(Redemption.id)
        .where(Redemption.status == HELD, Redemption.hold_expires_at <= now)
        .order_by(Redemption.hold_expires_at, Redemption.id)
        .limit(limit)
    ).all()
    released = 0
    for redemption_id in ids:
        redemption = _load(session, redemption_id)
        member = load_member(session, redemption.member_id, live=False)
        ledger.lock(session, member.id)
        session.refresh(redemption)
        if give_back(
            session,
            redemption,
            member,
            from_status=HELD,
            reason="hold_expired",
            actor=actor,
            now=now,
        ):
            released += 1
    return released


def _capture_failed(
    session: Session,
    redemption: Redemption,
    member: MemberRef,
    *,
    order_id: str,
    amount_minor: int,
    currency: str,
    problem: str,
    actor: Actor,
) -> None:
    record_event(
        session,
        RedemptionCaptureFailed(
            member_id=member.id,
            programme=member.programme.code,
            profile_id=member.profile_id,
            redemption_id=redemption.id,
            order_id=order_id,
            amount_minor=amount_minor,
            currency=currency,
            problem=problem,
        ),
        actor=actor,
    )


def _capture(
    session: Session,
    redemption: Redemption,
    *,
    order_id: str,
    amount_minor: int,
    currency: str,
    actor: Actor,
    now: datetime,
) -> bool:
    member = load_member(session, redemption.member_id, live=False)
    ledger.lock(session, member.id)
    session.refresh(redemption)
    failed: str | None = None
    if redemption.status == CAPTURED:
        if redemption.order_id == order_id:
            return True
        failed = "already_captured"
    elif redemption.currency != currency:
        failed = "currency_mismatch"
    elif redemption.amount_minor != amount_minor:
        failed = "amount_mismatch"
    elif redemption.status == RELEASED:
        # Its hold ran out before the order reached loyalty: take the points again if the
        # member still has them.
        try:
            retaken = _take_for(
                session,
                member,
                redemption.points,
                posting=ledger.Posting.by(actor, redemption_id=redemption.id, order_id=order_id),
                now=now,
            )
        except InsufficientPoints:
            failed = "insufficient_points"
        else:
            redemption.taken_from = [[lot_id, count] for lot_id, count in retaken.plan]
            redemption.status = HELD
            session.flush()
    if failed is not None:
        if redemption.status == HELD:
            give_back(
                session,
                redemption,
                member,
                from_status=HELD,
                reason="capture_failed",
                actor=actor,
                now=now,
            )
        _capture_failed(
            session,
            redemption,
            member,
            order_id=order_id,
            amount_minor=amount_minor,
            currency=currency,
            problem=failed,
            actor=actor,
        )
        return False
    captured = session.execute(
        update(Redemption)
        .where(Redemption.id == redemption.id, Redemption.status == HELD)
        .values(status=CAPTURED, order_id=order_id, captured_at=now),
        execution_options=NO_SYNC,
    )
    if rowcount(captured) != 1:
        return False
    session.refresh(redemption)
    record_event(
        session,
        PointsRedeemed(
            member_id=member.id,
            programme=member.programme.code,
            profile_id=member.profile_id,
            redemption_id=redemption.id,
            order_id=order_id,
            points=redemption.points,
            amount_minor=redemption.amount_minor,
            currency=redemption.currency,
            channel=redemption.channel,
            location=redemption.location_code,
        ),
        actor=actor,
    )
    return True


def capture_tenders(
    session: Session,
    *,
    order_id: str,
    currency: str,
    tenders: Sequence[Tender],
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> int:
    """Capture the redemptions an order's checkout named as tenders (``order.placed``);
    returns how many were captured. One that cannot pay (unknown, used by another order,
    another amount, released and no longer covered) is announced as
    ``loyalty.redemption_capture_failed``, its hold given back."""
    now = now or utcnow()
    captured = 0
    for redemption_id, amount_minor in tenders:
        redemption = session.get(Redemption, redemption_id)
        if redemption is None:
            continue
        if _capture(
            session,
            redemption,
            order_id=order_id,
            amount_minor=amount_minor,
            currency=currency,
            actor=actor,
            now=now,
        ):
            captured += 1
    return captured


def return_order_redemptions(
    session: Session, *, order_id: str, actor: Actor = SYSTEM, now: datetime | None = None
) -> int:
    """Give the points that paid a cancelled order back to their members; how many
    redemptions."""
    now = now or utcnow()
    returned = 0
    for redemption_id in session.scalars(
        select(Redemption.id).where(Redemption.order_id == order_id, Redemption.status == CAPTURED)
    ).all():
        redemption = _load(session, redemption_id)
        member = load_member(session, redemption.member_id, live=False)
        ledger.lock(session, member.id)
        session.refresh(redemption)
        if give_back(
            session,
            redemption,
            member,
            from_status=CAPTURED,
            reason="order_cancelled",
            actor=actor,
            now=now,
        ):
            returned += 1
    return returned


def get_redemption(session: Session, *, redemption_id: str, actor: Actor) -> RedemptionOut:
    """One redemption."""
    redemption = _load(session, redemption_id)
    access.check_readable(actor, _facts(redemption))
    return redemption_out(redemption)


def list_redemptions(
    session: Session,
    *,
    actor: Actor,
    member_id: str | None = None,
    order_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
    starting_after: str | None = None,
) -> RedemptionPage:
    """Redemptions, newest first, by member, order or status (a store key: its store's);
    ``starting_after``: the previous page's ``next_cursor``."""
    location = access.visible_location(actor)
    query = select(Redemption)
    filters: dict[str, Any] = {
        "member_id": member_id,
        "order_id": order_id,
        "status": status,
        "location_code": location,
    }
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Redemption, name) == value)
    paged = page_of(
        session,
        query,
        key=Redemption.id,
        changed=Redemption.created_at,
        limit=limit,
        starting_after=starting_after,
    )
    return RedemptionPage(
        items=[redemption_out(row) for row in paged.rows],
        has_more=paged.has_more,
        next_cursor=paged.next_cursor,
    )
