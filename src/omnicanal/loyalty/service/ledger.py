"""The points ledger and the balance it sums to: every change of a member's points goes
through here, as a ledger line and a conditional update of the balance in one transaction.

A use case that changes a member's points first locks their balance row (:func:`lock`), so
that the changes of one member run one at a time in every process, in one order (balance,
then lots): no deadlock, and what a use case reads of the lots stays true until it commits.
The balance updates stay conditional all the same (``available >= :points``, ADR 0002's
pattern) and are checked by their row count: they are what refuses an overspend, the lock
only makes the lots' bookkeeping safe. ``CHECK (available >= 0)`` is the last backstop.

The balance's ``available`` is always the sum of the ledger's ``points`` and of what the
lots have left; ``pending`` is the sum of the ledger's ``pending_points``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omnicanal.loyalty.errors import InsufficientPoints, UnknownMember
from omnicanal.loyalty.events import PointsExpired, TierChanged
from omnicanal.loyalty.models import Balance, LedgerEntry, Member, PointLot
from omnicanal.loyalty.rules import Lot, add_months, expiring_first, tier_for
from omnicanal.loyalty.service.common import SYSTEM, MemberRef
from omnicanal.platform.actors import Actor
from omnicanal.platform.db import NO_SYNC, rowcount
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id

__all__ = [
    "Line",
    "Posting",
    "Taken",
    "balance_of",
    "change_pending",
    "confirm",
    "credit",
    "expire_due",
    "lock",
    "restore",
    "review_tier",
    "take",
]


@dataclass(frozen=True)
class Posting:
    """Where a ledger line comes from and what it is about."""

    channel: str
    actor: str
    location_code: str | None = None
    reason: str = ""
    order_id: str | None = None
    order_line_id: str | None = None
    return_id: str | None = None
    redemption_id: str | None = None
    quantity: int | None = None

    @classmethod
    def by(cls, actor: Actor, **about: object) -> Posting:
        """A posting by ``actor``, from its channel and store (unless ``about`` names
        another location)."""
        fields: dict[str, object] = {
            "channel": actor.channel,
            "actor": actor.label[:100],
            "location_code": actor.location_code,
            **about,
        }
        return cls(**fields)  # type: ignore[arg-type]


class LedgerOutOfBalance(RuntimeError):
    """The lots no longer add up to the balance: a bug, never a customer's doing. The
    transaction rolls back."""


def lock(session: Session, member_id: str) -> tuple[int, int]:
    """Lock the member's balance row until the transaction ends (PostgreSQL; SQLite's
    writers are one at a time already); its available and pending points."""
    row = session.execute(
        select(Balance.available, Balance.pending)
        .where(Balance.member_id == member_id)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise UnknownMember(f"No loyalty member has the id {member_id!r}.", field="member_id")
    return int(row[0]), int(row[1])


def balance_of(session: Session, member_id: str) -> tuple[int, int]:
    """The member's available and pending points as this transaction sees them."""
    row = session.execute(
        select(Balance.available, Balance.pending).where(Balance.member_id == member_id)
    ).one()
    return int(row[0]), int(row[1])


def _change(
    session: Session, member_id: str, *, available: int, pending: int, now: datetime
) -> tuple[int, int] | None:
    """Move the balance by ``available`` and ``pending`` unless either would fall below
    zero: one conditional UPDATE; the balance after it, or None when it did not apply."""
    conditions = [Balance.member_id == member_id]
    if available < 0:
        conditions.append(Balance.available >= -available)
    if pending < 0:
        conditions.append(Balance.pending >= -pending)
    row = session.execute(
        update(Balance)
        .where(*conditions)
        .values(
            available=Balance.available + available,
            pending=Balance.pending + pending,
            updated_at=now,
        )
        .returning(Balance.available, Balance.pending),
        execution_options=NO_SYNC,
    ).one_or_none()
    return (int(row[0]), int(row[1])) if row is not None else None


def _entry(
    session: Session,
    member_id: str,
    *,
    kind: str,
    posting: Posting,
    now: datetime,
    points: int = 0,
    pending_points: int = 0,
    expires_at: datetime | None = None,
) -> LedgerEntry:
    entry = LedgerEntry(
        id=new_id(),
        member_id=member_id,
        kind=kind,
        points=points,
        pending_points=pending_points,
        quantity=posting.quantity,
        order_id=posting.order_id,
        order_line_id=posting.order_line_id,
        return_id=posting.return_id,
        redemption_id=posting.redemption_id,
        channel=posting.channel[:50],
        location_code=posting.location_code,
        reason=posting.reason[:300],
        actor=posting.actor[:100],
        at=now,
        expires_at=expires_at,
    )
    session.add(entry)
    return entry


def _lots(
    session: Session, member_id: str, entries: Sequence[LedgerEntry], *, now: datetime
) -> None:
    """A lot for each credit line, holding its points until they expire with it."""
    # The lines are written first: a lot refers to its line (the unit of work knows no
    # relationship to order them by).
    session.flush()
    for entry in entries:
        session.add(
            PointLot(
                id=new_id(),
                member_id=member_id,
                ledger_id=entry.id,
                order_id=entry.order_id,
                points=entry.points,
                remaining=entry.points,
                expires_at=entry.expires_at,
                created_at=now,
            )
        )


Line = tuple[int, Posting]
"""Points and what they are about: one ledger line."""


def credit(
    session: Session,
    member_id: str,
    lines: Sequence[Line],
    *,
    kind: str,
    now: datetime,
    expires_at: datetime | None,
) -> tuple[int, int]:
    """Add each line's points to available, as a lot expiring at ``expires_at`` (the
    caller holds the lock); the balance after."""
    assert lines and all(points > 0 for points, _ in lines)
    after = _change(
        session, member_id, available=sum(points for points, _ in lines), pending=0, now=now
    )
    if after is None:
        raise UnknownMember(f"No loyalty member has the id {member_id!r}.", field="member_id")
    entries = [
        _entry(
            session,
            member_id,
            kind=kind,
            posting=posting,
            now=now,
            points=points,
            expires_at=expires_at,
        )
        for points, posting in lines
    ]
    _lots(session, member_id, entries, now=now)
    return after


def change_pending(
    session: Session, member_id: str, lines: Sequence[Line], *, kind: str, now: datetime
) -> tuple[int, int]:
    """Add (> 0) or take back (< 0) each line's pending points (the caller holds the lock);
    the balance after."""
    total = sum(points for points, _ in lines)
    after = _change(session, member_id, available=0, pending=total, now=now)
    if after is None:
        raise LedgerOutOfBalance(f"Member {member_id} has fewer pending points than {-total}.")
    for points, posting in lines:
        _entry(session, member_id, kind=kind, posting=posting, now=now, pending_points=points)
    return after


def confirm(
    session: Session,
    member_id: str,
    points: int,
    *,
    posting: Posting,
    now: datetime,
    expires_at: datetime | None,
) -> tuple[int, int]:
    """Move ``points`` from pending to available, as a lot (the caller holds the lock); the
    balance after."""
    after = _change(session, member_id, available=points, pending=-points, now=now)
    if after is None:
        raise LedgerOutOfBalance(f"Member {member_id} has fewer pending points than {points}.")
    entry = _entry(
        session,
        member_id,
        kind="confirm",
        posting=posting,
        now=now,
        points=points,
        pending_points=-points,
        expires_at=expires_at,
    )
    _lots(session, member_id, [entry], now=now)
    return after


def _live_lots(session: Session, member_id: str) -> list[Lot]:
    return [
        Lot(id=lot_id, remaining=remaining, expires_at=expires_at, order_id=order_id)
        for lot_id, remaining, expires_at, order_id in session.execute(
            select(PointLot.id, PointLot.remaining, PointLot.expires_at, PointLot.order_id).where(
                PointLot.member_id == member_id, PointLot.remaining > 0
            )
        )
    ]


@dataclass(frozen=True)
class Taken:
    """What :func:`take` took: the points, how many from each lot, and the balance after."""

    points: int
    plan: list[tuple[str, int]]
    available: int


def take(
    session: Session,
    member_id: str,
    points: int,
    *,
    kind: str,
    posting: Posting,
    now: datetime,
    exact: bool = True,
    order_first: str | None = None,
) -> Taken:
    """Take ``points`` from available (the caller holds the lock and expired the due lots
    first): from the lots of order ``order_first`` first, then those expiring first.

    ``exact``: all of them or :class:`InsufficientPoints`; otherwise as many as there are."""
    wanted = points
    if not exact:
        available, _ = balance_of(session, member_id)
        wanted = min(points, available)
        if wanted <= 0:
            return Taken(points=0, plan=[], available=available)
    after = _change(session, member_id, available=-wanted, pending=0, now=now)
    if after is None:
        available, _ = balance_of(session, member_id)
        raise InsufficientPoints(
            f"The member has {available} points available, not {wanted}.",
            field="points",
            available=available,
        )
    lots = _live_lots(session, member_id)
    plan: list[tuple[str, int]] = []
    if order_first is not None:
        own = [lot for lot in lots if lot.order_id == order_first]
        plan = expiring_first(own, wanted, now=now)
        given = dict(plan)
        lots = [replace(lot, remaining=lot.remaining - given.get(lot.id, 0)) for lot in lots]
    plan += expiring_first(lots, wanted - sum(n for _, n in plan), now=now)
    if sum(n for _, n in plan) != wanted:
        raise LedgerOutOfBalance(f"Member {member_id}'s lots do not hold {wanted} points.")
    for lot_id, count in plan:
        result = session.execute(
            update(PointLot)
            .where(PointLot.id == lot_id, PointLot.remaining >= count)
            .values(remaining=PointLot.remaining - count),
            execution_options=NO_SYNC,
        )
        if rowcount(result) != 1:
            raise LedgerOutOfBalance(f"Lot {lot_id} no longer holds {count} points.")
    _entry(session, member_id, kind=kind, posting=posting, now=now, points=-wanted)
    return Taken(points=wanted, plan=plan, available=after[0])


def restore(
    session: Session,
    member_id: str,
    plan: Sequence[tuple[str, int]],
    *,
    kind: str,
    posting: Posting,
    now: datetime,
) -> int:
    """Give back points taken by :func:`take` to the lots they came from (an expired lot
    gets them back expired: they expire at the next pass); returns the available points
    after."""
    points = sum(count for _, count in plan)
    if points <= 0:
        return balance_of(session, member_id)[0]
    for lot_id, count in plan:
        result = session.execute(
            update(PointLot)
            .where(PointLot.id == lot_id, PointLot.remaining + count <= PointLot.points)
            .values(remaining=PointLot.remaining + count),
            execution_options=NO_SYNC,
        )
        if rowcount(result) != 1:
            raise LedgerOutOfBalance(f"Lot {lot_id} cannot take {count} points back.")
    after = _change(session, member_id, available=points, pending=0, now=now)
    if after is None:
        raise UnknownMember(f"No loyalty member has the id {member_id!r}.", field="member_id")
    _entry(session, member_id, kind=kind, posting=posting, now=now, points=points)
    return after[0]


def expire_due(
    session: Session,
    member: MemberRef,
    *,
    now: datetime,
    actor: Actor = SYSTEM,
    reason: str = "expired",
    everything: bool = False,
) -> int:
    """Expire what is left of the member's lots whose time is up (``everything``: every
    lot, a forfeit), before anything is spent: an expired point is never spendable, whether
    or not the periodic job has passed. The caller holds the lock; returns the points."""
    query = select(PointLot.id, PointLot.remaining).where(
        PointLot.member_id == member.id, PointLot.remaining > 0
    )
    if not everything:
        query = query.where(PointLot.expires_at.is_not(None), PointLot.expires_at <= now)
    total = 0
    for lot_id, remaining in session.execute(query).all():
        result = session.execute(
            update(PointLot)
            .where(PointLot.id == lot_id, PointLot.remaining == remaining)
            .values(remaining=0),
            execution_options=NO_SYNC,
        )
        if rowcount(result) == 1:
            total += remaining
    if total == 0:
        return 0
    after = _change(session, member.id, available=-total, pending=0, now=now)
    if after is None:
        raise LedgerOutOfBalance(f"Member {member.id} has fewer points than their lots.")
    _entry(
        session,
        member.id,
        kind="expire",
        posting=Posting.by(actor, reason=reason),
        now=now,
        points=-total,
    )
    record_event(
        session,
        PointsExpired(
            member_id=member.id,
            programme=member.programme.code,
            profile_id=member.profile_id,
            points=total,
            reason=reason,
            available=after[0],
        ),
        actor=actor,
    )
    return total


def qualifying_points(session: Session, member: MemberRef, *, now: datetime) -> int:
    """The points earned and confirmed over the programme's rolling period, less those
    taken back by returns and cancellations since."""
    since = add_months(now, -member.programme.tier_period_months)
    earned = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.member_id == member.id,
            LedgerEntry.at > since,
            LedgerEntry.kind.in_(("earn", "confirm", "reverse")),
        )
    )
    return max(0, int(earned or 0))


def review_tier(
    session: Session, member: MemberRef, *, now: datetime, actor: Actor = SYSTEM
) -> str | None:
    """Put the member in the tier their qualifying points reach (the caller holds the
    lock); their tier afterwards."""
    points = qualifying_points(session, member, now=now)
    reached = tier_for(points, member.programme.tiers)
    tier = reached.code if reached is not None else None
    row = session.get(Member, member.id)
    assert row is not None
    row.tier_reviewed_at = now
    if row.tier != tier:
        previous = row.tier
        row.tier = tier
        row.tier_since = now
        record_event(
            session,
            TierChanged(
                member_id=member.id,
                programme=member.programme.code,
                profile_id=member.profile_id,
                from_tier=previous,
                tier=tier,
                qualifying_points=points,
            ),
            actor=actor,
        )
    session.flush()
    return tier
