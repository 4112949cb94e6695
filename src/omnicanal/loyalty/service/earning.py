"""Earning: an order earns its customer's membership points, pending until the return window
closes; returned or cancelled units take theirs back, exactly, line by line.

The orders and returns modules are below loyalty: it reads an order through its frozen
read model (``orders.lookups``) and the categories of its SKUs through the catalog's, and
reacts to their events (``loyalty.wiring``), never to their tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omnicanal.catalog import lookups as catalog
from omnicanal.loyalty.events import PointsConfirmed, PointsEarned, PointsReversed
from omnicanal.loyalty.models import Earning, LedgerEntry
from omnicanal.loyalty.rules import PricedLine, add_months, earn, reversal
from omnicanal.loyalty.service import ledger
from omnicanal.loyalty.service.common import SYSTEM, MemberRef, as_iso, load_member
from omnicanal.orders.lookups import OrderRef, get_order_ref
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC, rowcount
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id

__all__ = [
    "PENDING",
    "RECHECK",
    "Sale",
    "confirm_due",
    "earn_for_sale",
    "reverse_units",
    "sale_of",
]

PENDING, CONFIRMED, CANCELLED = "pending", "confirmed", "cancelled"
RECHECK = timedelta(days=1)
"""How long a confirmation waits before looking again at an order some of whose units have
not reached the customer yet."""


@dataclass(frozen=True)
class Sale:
    """An order as earning reads it."""

    order_id: str
    channel: str
    channel_kind: str
    location_code: str | None
    currency: str
    placed_at: datetime
    lines: tuple[PricedLine, ...]
    paid_with_points_minor: int = 0

    @property
    def channels(self) -> tuple[str, ...]:
        """The channel's code and its kind (``zalando``, ``marketplace``)."""
        return tuple(dict.fromkeys((self.channel, self.channel_kind)))


def sale_of(session: Session, order: OrderRef, *, paid_with_points_minor: int = 0) -> Sale:
    """The sale an order is, with its lines' categories."""
    variants = catalog.resolve_skus(session, [line.sku for line in order.lines])
    return Sale(
        order_id=order.id,
        channel=order.channel,
        channel_kind=order.channel_kind,
        location_code=order.location_code,
        currency=order.currency,
        placed_at=order.placed_at,
        lines=tuple(
            PricedLine(
                line_id=line.id,
                quantity=line.quantity,
                amount_minor=line.total_minor,
                category=variants[line.sku].category if line.sku in variants else "",
            )
            for line in order.lines
        ),
        paid_with_points_minor=paid_with_points_minor,
    )


def _expiry(member: MemberRef, now: datetime) -> datetime | None:
    months = member.programme.expiry_months
    return add_months(now, months) if months else None


def earn_for_sale(
    session: Session,
    *,
    member: MemberRef,
    sale: Sale,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> Earning | None:
    """Credit what the sale earns the member (once per order): pending for the programme's
    return window, or available at once without one. None when the channel or the
    currency earns nothing in the programme."""
    now = now or utcnow()
    programme = member.programme
    if (
        member.erased
        or not programme.active
        or programme.currency != sale.currency
        or not programme.earns_on(sale.channels)
    ):
        return None
    ledger.lock(session, member.id)
    existing = session.scalar(
        select(Earning).where(Earning.member_id == member.id, Earning.order_id == sale.order_id)
    )
    if existing is not None:
        return existing
    lines = earn(
        sale.lines,
        rates=programme.rates,
        channels=sale.channels,
        multiplier=programme.multiplier(member.tier),
        paid_with_points_minor=sale.paid_with_points_minor,
        bonus_events=programme.bonus_events,
        placed_at=sale.placed_at,
    )
    points = sum(line.points for line in lines)
    pending = programme.pending_days > 0
    confirm_at = sale.placed_at + timedelta(days=programme.pending_days)
    earning = Earning(
        id=new_id(),
        member_id=member.id,
        order_id=sale.order_id,
        channel=sale.channel,
        location_code=sale.location_code,
        currency=sale.currency,
        eligible_minor=sum(line.eligible_minor for line in lines),
        points=points,
        status=PENDING if pending else CONFIRMED,
        placed_at=sale.placed_at,
        confirm_at=confirm_at,
        confirmed_at=None if pending else now,
    )
    session.add(earning)
    session.flush()
    if points == 0:
        return earning
    credits = [
        (
            line.points,
            ledger.Posting(
                channel=sale.channel,
                actor=actor.label,
                location_code=sale.location_code,
                reason=f"bonus_event:{line.bonus}" if line.bonus else "",
                order_id=sale.order_id,
                order_line_id=line.line_id,
                quantity=line.quantity,
            ),
        )
        for line in lines
        if line.points > 0
    ]
    if pending:
        available, pending_points = ledger.change_pending(
            session, member.id, credits, kind="pending", now=now
        )
    else:
        available, pending_points = ledger.credit(
            session, member.id, credits, kind="earn", now=now, expires_at=_expiry(member, now)
        )
    record_event(
        session,
        PointsEarned(
            member_id=member.id,
            programme=programme.code,
            profile_id=member.profile_id,
            order_id=sale.order_id,
            channel=sale.channel,
            location=sale.location_code,
            points=points,
            pending=pending,
            confirm_at=as_iso(confirm_at) if pending else None,
            available=available,
            pending_points=pending_points,
        ),
        actor=actor,
    )
    if not pending:
        ledger.review_tier(session, member, now=now, actor=actor)
    return earning


@dataclass(frozen=True)
class _LineAccount:
    earned: int
    quantity: int
    units_back: int
    taken: int


def _accounts(session: Session, member_id: str, order_id: str) -> dict[str, _LineAccount]:
    """Per order line: what it earned, its units, and what came back already."""
    earned: dict[str, int] = {}
    quantity: dict[str, int] = {}
    units_back: dict[str, int] = {}
    taken: dict[str, int] = {}
    for kind, line, points, pending_points, units in session.execute(
        select(
            LedgerEntry.kind,
            LedgerEntry.order_line_id,
            LedgerEntry.points,
            LedgerEntry.pending_points,
            LedgerEntry.quantity,
        ).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.order_id == order_id,
            LedgerEntry.order_line_id.is_not(None),
        )
    ):
        line_id = str(line)
        if kind in ("pending", "earn"):
            earned[line_id] = earned.get(line_id, 0) + points + pending_points
            quantity[line_id] = units or 0
        elif kind == "reverse":
            units_back[line_id] = units_back.get(line_id, 0) + (units or 0)
            taken[line_id] = taken.get(line_id, 0) - points - pending_points
    return {
        line_id: _LineAccount(
            earned=earned[line_id],
            quantity=quantity[line_id],
            units_back=units_back.get(line_id, 0),
            taken=taken.get(line_id, 0),
        )
        for line_id in earned
    }


def reverse_units(
    session: Session,
    *,
    order_id: str,
    units: Mapping[str, int] | None,
    cause: str,
    return_id: str | None = None,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> int:
    """Take back the points of units that came back: ``units`` per order line, or every
    unit not back yet (None: the order is cancelled). From pending while the return window
    is open, else from available (what was spent meanwhile stays spent: ``uncollected``).
    Returns the points taken back."""
    now = now or utcnow()
    total = 0
    for earning in session.scalars(
        select(Earning).where(Earning.order_id == order_id).order_by(Earning.id)
    ).all():
        if earning.status == CANCELLED:
            continue
        member = load_member(session, earning.member_id, live=False)
        if member.erased:
            continue
        ledger.lock(session, member.id)
        session.refresh(earning)
        from_pending = earning.status == PENDING
        if not from_pending:
            ledger.expire_due(session, member, now=now)
        due_total, taken_total = 0, 0
        for line_id, account in sorted(_accounts(session, member.id, order_id).items()):
            back = account.quantity - account.units_back if units is None else units.get(line_id, 0)
            back = min(back, account.quantity - account.units_back)
            if back <= 0:
                continue
            due = reversal(
                earned=account.earned,
                quantity=account.quantity,
                units_before=account.units_back,
                units=back,
                taken=account.taken,
            )
            posting = ledger.Posting(
                channel=actor.channel,
                actor=actor.label,
                location_code=actor.location_code,
                reason=cause,
                order_id=order_id,
                order_line_id=line_id,
                return_id=return_id,
                quantity=back,
            )
            if from_pending:
                ledger.change_pending(
                    session, member.id, [(-due, posting)], kind="reverse", now=now
                )
                taken = due
            else:
                taken = ledger.take(
                    session,
                    member.id,
                    due,
                    kind="reverse",
                    posting=posting,
                    now=now,
                    exact=False,
                    order_first=order_id,
                ).points
                if taken == 0:
                    # Nothing left to take: the units are still recorded as back.
                    session.add(
                        LedgerEntry(
                            id=new_id(),
                            member_id=member.id,
                            kind="reverse",
                            quantity=back,
                            order_id=order_id,
                            order_line_id=line_id,
                            return_id=return_id,
                            channel=actor.channel,
                            location_code=actor.location_code,
                            reason=cause,
                            actor=actor.label[:100],
                            at=now,
                        )
                    )
            due_total += due
            taken_total += taken
        if units is None:
            earning.status = CANCELLED
        session.flush()
        if due_total == 0 and units is not None:
            continue
        available, pending_points = ledger.balance_of(session, member.id)
        record_event(
            session,
            PointsReversed(
                member_id=member.id,
                programme=member.programme.code,
                profile_id=member.profile_id,
                order_id=order_id,
                return_id=return_id,
                cause=cause,
                points=taken_total,
                from_pending=from_pending,
                uncollected=due_total - taken_total,
                available=available,
                pending_points=pending_points,
            ),
            actor=actor,
        )
        if not from_pending and taken_total:
            ledger.review_tier(session, member, now=now, actor=actor)
        total += taken_total
    return total


def _remaining_pending(session: Session, member_id: str, order_id: str) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.pending_points), 0)).where(
                LedgerEntry.member_id == member_id, LedgerEntry.order_id == order_id
            )
        )
        or 0
    )


def _when_returnable_ends(order: OrderRef, pending_days: int) -> datetime | None:
    """When the return window of the order's last units closes; None while some units have
    not reached the customer yet."""
    moments = []
    for line in order.lines:
        if line.left_quantity < line.quantity - line.cancelled_quantity:
            return None
        if line.left_at is not None:
            moments.append(line.left_at)
    if not moments:
        return order.placed_at + timedelta(days=pending_days)
    return max(moments) + timedelta(days=pending_days)


def _confirm(session: Session, earning: Earning, *, now: datetime, actor: Actor) -> int:
    member = load_member(session, earning.member_id, live=False)
    ledger.lock(session, member.id)
    claimed = session.execute(
        update(Earning)
        .where(Earning.id == earning.id, Earning.status == PENDING)
        .values(status=CONFIRMED, confirmed_at=now),
        execution_options=NO_SYNC,
    )
    if rowcount(claimed) != 1:
        return 0
    points = _remaining_pending(session, member.id, earning.order_id)
    if points <= 0 or member.erased:
        return 0
    expires_at = _expiry(member, now)
    available, pending_points = ledger.confirm(
        session,
        member.id,
        points,
        posting=ledger.Posting(
            channel=earning.channel,
            actor=actor.label,
            location_code=earning.location_code,
            order_id=earning.order_id,
        ),
        now=now,
        expires_at=expires_at,
    )
    record_event(
        session,
        PointsConfirmed(
            member_id=member.id,
            programme=member.programme.code,
            profile_id=member.profile_id,
            order_id=earning.order_id,
            points=points,
            expires_at=as_iso(expires_at),
            available=available,
            pending_points=pending_points,
        ),
        actor=actor,
    )
    ledger.review_tier(session, member, now=now, actor=actor)
    return points


def confirm_due(
    session: Session, *, now: datetime | None = None, actor: Actor = SYSTEM, limit: int = 500
) -> int:
    """Confirm the pending points of the orders whose return window has closed (counted
    from when their last units reached the customer); an order with units still on their
    way is looked at again later. Returns how many orders were looked at."""
    now = now or utcnow()
    due = session.scalars(
        select(Earning)
        .where(Earning.status == PENDING, Earning.confirm_at <= now)
        .order_by(Earning.confirm_at, Earning.id)
        .limit(limit)
    ).all()
    for earning in due:
        member = load_member(session, earning.member_id, live=False)
        if member.erased:
            # Forfeited with the erasure: nothing to confirm, nothing to wait for.
            _confirm(session, earning, now=now, actor=actor)
            continue
        order = get_order_ref(session, earning.order_id)
        closes = _when_returnable_ends(order, member.programme.pending_days)
        if closes is None:
            earning.confirm_at = now + RECHECK
        elif closes > now:
            earning.confirm_at = closes
        else:
            _confirm(session, earning, now=now, actor=actor)
    session.flush()
    return len(due)
