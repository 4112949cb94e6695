"""The loyalty module's part of a person's rights: their memberships exported (card, tier,
balance, ledger, redemptions, rewards), or erased.

An erased member's points are forfeited (no one can claim them any more: an ``expire`` line
with the reason ``erased``), their holds released first; the membership, its ledger and its
redemptions stay for the accounts (the points liability), under a member id that names no
one: the profile and the card number are removed. Their rewards not used yet are withdrawn:
the coupons end and no longer name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.loyalty.models import LedgerEntry, Member, Redemption
from omnicanal.loyalty.service import ledger, member_out
from omnicanal.loyalty.service.common import SYSTEM, load_member
from omnicanal.loyalty.service.members import entry_out
from omnicanal.loyalty.service.redemptions import HELD, give_back, redemption_out
from omnicanal.loyalty.service.rewards import rewards_of, void_rewards
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow

__all__ = ["erase_members", "export_memberships", "members_of"]


def members_of(session: Session, *, profile_ids: Sequence[str]) -> list[str]:
    """The ids of the memberships of any of these profiles (one person's)."""
    return list(
        session.scalars(
            select(Member.id)
            .where(Member.profile_id.in_(list(profile_ids)))
            .order_by(Member.joined_at, Member.id)
        )
    )


def export_memberships(session: Session, *, member_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Each membership with its balance, its whole ledger and its redemptions."""
    exported = []
    for member_id in member_ids:
        entries = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.member_id == member_id)
            .order_by(LedgerEntry.at, LedgerEntry.id)
        )
        held = session.scalars(
            select(Redemption)
            .where(Redemption.member_id == member_id)
            .order_by(Redemption.created_at, Redemption.id)
        )
        exported.append(
            {
                **member_out(session, member_id=member_id).model_dump(mode="json"),
                "ledger": [entry_out(entry).model_dump(mode="json") for entry in entries],
                "redemptions": [
                    redemption_out(redemption).model_dump(mode="json") for redemption in held
                ],
                "rewards": [
                    reward.model_dump(mode="json")
                    for reward in rewards_of(session, member_id=member_id)
                ],
            }
        )
    return exported


def erase_members(
    session: Session,
    *,
    member_ids: Sequence[str],
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> int:
    """Release the members' holds, forfeit their points, remove their profile and card;
    how many memberships were erased."""
    now = now or utcnow()
    erased = 0
    for member_id in member_ids:
        member = load_member(session, member_id, live=False)
        if member.erased:
            continue
        ledger.lock(session, member.id)
        for redemption in session.scalars(
            select(Redemption).where(Redemption.member_id == member.id, Redemption.status == HELD)
        ).all():
            give_back(
                session,
                redemption,
                member,
                from_status=HELD,
                reason="erased",
                actor=actor,
                now=now,
            )
        ledger.expire_due(session, member, now=now, actor=actor, reason="erased", everything=True)
        _, pending = ledger.balance_of(session, member.id)
        if pending:
            ledger.change_pending(
                session,
                member.id,
                [(-pending, ledger.Posting.by(actor, reason="erased"))],
                kind="expire",
                now=now,
            )
        void_rewards(session, member_id=member.id, now=now)
        row = session.get(Member, member.id)
        assert row is not None
        row.profile_id = None
        row.card_number = None
        row.erased_at = now
        erased += 1
    session.flush()
    return erased
