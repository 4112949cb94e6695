"""Rewards: vouchers and personalised offers that a programme's rules issue its members, each
as a single-use coupon of the promotions engine that only the member's carts and orders may
use, on every channel (ADR 0023).

1. The rules (``loyalty/rewards_rules.py``, pure) read what the member is: their tier, the
   points they earned, their RFM and their appetence over the last twelve months, from the
   orders filed under any of their references (``orders.sales``) and the categories of
   what they bought (``catalog.lookups``).
2. Each reward due is a promotion of ``pricing`` requiring its code (``FID-…``), used once
   (``usage_limit`` 1), in force until the reward's end, personal to the member
   (``customer_refs``: every reference their carts and orders may be filed under). A channel
   applies it by adding the code to the cart or the basket; the checkout redeems it through
   the coupon path, whose conditional update lets two channels using it at once use it once.
3. ``pricing.coupon_redeemed`` says it was used: the reward records its order and
   ``loyalty.reward_used`` is announced. Until then, reads ask the coupon how many times it
   was used, so a reward is never shown available once spent.

Issuing holds the member's lock (``ledger.lock``) and numbers each reward per (member, rule):
two runs at once issue once. The job looks at each member of a programme with rules once a
day; ``POST /v1/loyalty/members/{id}/rewards`` looks now.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from omnicanal.catalog import lookups as catalog
from omnicanal.customers import service as customers
from omnicanal.loyalty import access
from omnicanal.loyalty import rewards_rules as rules
from omnicanal.loyalty.events import RewardIssued, RewardUsed
from omnicanal.loyalty.models import (
    LedgerEntry,
    Member,
    Programme,
    Reward,
    RewardReview,
    RewardRule,
)
from omnicanal.loyalty.schemas import RewardOut
from omnicanal.loyalty.service import ledger
from omnicanal.loyalty.service.common import SYSTEM, MemberRef, load_member
from omnicanal.loyalty.service.reward_rules import as_rule, rule_rows
from omnicanal.orders import sales
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.events import Event, record_event
from omnicanal.pricing import promotions
from omnicanal.pricing.engine import Kind, Target
from omnicanal.pricing.events import CouponRedeemed
from omnicanal.pricing.schemas import MAX_CUSTOMER_REFS, PromotionIn

__all__ = [
    "CODE_PREFIX",
    "REWARD_REVIEW",
    "earned_points",
    "issue_due_rewards",
    "issue_rewards",
    "list_rewards",
    "note_coupon_used",
    "rewards_of",
    "void_rewards",
]

CODE_PREFIX = "FID-"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""A reward's code is read aloud and typed at a till: no 0/O, no 1/I."""
CODE_LENGTH = 8
REWARD_REVIEW = timedelta(days=1)
"""How often the job looks again at what a member is due."""


# --- reading rewards ------------------------------------------------------------------------


def _out(reward: Reward, *, uses: int, now: datetime) -> RewardOut:
    status = rules.reward_status(
        used=reward.used_at is not None or uses > 0,
        void=reward.void_at is not None,
        valid_until=as_utc(reward.valid_until),
        now=now,
    )
    return RewardOut(
        id=reward.id,
        member_id=reward.member_id,
        rule=reward.rule_code,
        kind=reward.kind,
        title=rules.title(reward.title_code, reward.params),
        title_code=reward.title_code,
        params=dict(reward.params),
        coupon_code=reward.coupon_code,
        currency=reward.currency,
        value_minor=reward.amount_minor,
        percent_off=Decimal(reward.percent) if reward.percent is not None else None,
        category=reward.category,
        min_subtotal_minor=reward.min_subtotal_minor,
        issued_at=reward.issued_at,
        valid_until=reward.valid_until,
        status=status.value,
        used_at=reward.used_at,
        order_id=reward.order_id,
    )


def _outs(session: Session, found: Sequence[Reward], now: datetime) -> list[RewardOut]:
    # A coupon used a moment ago is used, even before loyalty hears of it through the bus.
    uses = promotions.coupon_uses(
        session, codes=[reward.coupon_code for reward in found if reward.used_at is None]
    )
    return [_out(reward, uses=uses.get(reward.coupon_code, 0), now=now) for reward in found]


def rewards_of(session: Session, *, member_id: str, now: datetime | None = None) -> list[RewardOut]:
    """The member's rewards, newest first: available, used or expired (pages and API)."""
    now = now or utcnow()
    load_member(session, member_id, live=False)
    found = session.scalars(
        select(Reward)
        .where(Reward.member_id == member_id)
        .order_by(Reward.issued_at.desc(), Reward.id.desc())
    ).all()
    return _outs(session, found, now)


def list_rewards(
    session: Session, *, member_id: str, actor: Actor, status: str | None = None
) -> list[RewardOut]:
    """The member's rewards for a channel (``status``: only those available, used or
    expired)."""
    access.check_first_party(actor)
    found = rewards_of(session, member_id=member_id)
    return [reward for reward in found if status is None or reward.status == status]


# --- issuing --------------------------------------------------------------------------------


def _facts(
    session: Session, member: MemberRef, references: Sequence[str], now: datetime
) -> rules.MemberFacts:
    """What the rules read of the member: tier, points earned, RFM and appetence."""
    programme = member.programme
    since = now - timedelta(days=rules.PERIOD_DAYS)
    until = now + timedelta(seconds=1)
    orders = sales.orders_sold(
        session,
        placed_from=since,
        placed_until=until,
        customer_refs=references,
        currency=programme.currency,
    )
    lines = sales.lines_bought(
        session,
        customer_refs=references,
        placed_from=since,
        placed_until=until,
        currency=programme.currency,
    )
    variants = catalog.resolve_skus(session, [line.sku for line in lines]) if lines else {}
    return rules.MemberFacts(
        tier=member.tier,
        tiers=tuple(tier.code for tier in sorted(programme.tiers, key=lambda t: t.threshold)),
        earned_points=earned_points(session, member.id),
        rfm=rules.rfm(
            (rules.Order(order.placed_at, order.total_minor) for order in orders), now=now
        ),
        appetence=rules.appetence(
            rules.Bought(variants[line.sku].category, line.quantity, line.total_minor)
            for line in lines
            if line.sku in variants
        ),
    )


def earned_points(session: Session, member_id: str) -> int:
    """The points the member earned with their orders and kept: earned at once or
    confirmed, less what returns took back from the balance (pending points count once
    confirmed)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.kind.in_(("earn", "confirm", "reverse")),
        )
    )
    return max(0, int(total or 0))


def _issued(session: Session, member_id: str) -> dict[str, rules.Issued]:
    return {
        rule: rules.Issued(count=int(count), last_at=as_utc(last))
        for rule, count, last in session.execute(
            select(Reward.rule_code, func.max(Reward.sequence), func.max(Reward.issued_at))
            .where(Reward.member_id == member_id)
            .group_by(Reward.rule_code)
        )
    }


def _new_code(session: Session) -> str:
    while True:
        code = CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not promotions.coupon_uses(session, codes=[code]):
            return code


def _grant(
    session: Session,
    member: MemberRef,
    due: rules.Due,
    *,
    references: Sequence[str],
    now: datetime,
    actor: Actor,
) -> Reward:
    """Make the reward's coupon (a promotion personal to the member) and record it."""
    programme = member.programme
    code = _new_code(session)
    title = rules.title(due.title_code, due.params)
    offer = due.kind is rules.RewardKind.offer
    promotions.create_promotion(
        session,
        data=PromotionIn(
            code=code,
            name=f"{programme.code} reward: {title}"[:200],
            kind=Kind.percent_off if offer else Kind.amount_off,
            target=Target.categories if offer else Target.cart,
            categories=[due.category] if offer and due.category else [],
            percent=due.percent,
            amount_minor=due.amount_minor,
            currency=programme.currency,
            requires_coupon=True,
            usage_limit=1,
            starts_at=now,
            ends_at=due.valid_until,
            min_subtotal_minor=due.min_subtotal_minor,
            customer_refs=list(references[:MAX_CUSTOMER_REFS]),
        ),
        actor=actor,
    )
    reward = Reward(
        member_id=member.id,
        rule_code=due.rule,
        sequence=due.sequence,
        kind=due.kind.value,
        coupon_code=code,
        title_code=due.title_code,
        params=dict(due.params),
        currency=programme.currency,
        amount_minor=due.amount_minor,
        percent=due.percent,
        category=due.category,
        min_subtotal_minor=due.min_subtotal_minor,
        issued_at=now,
        valid_until=due.valid_until,
        issued_by=actor.label[:100],
    )
    session.add(reward)
    session.flush()
    record_event(
        session,
        RewardIssued(
            member_id=member.id,
            programme=programme.code,
            profile_id=member.profile_id,
            reward_id=reward.id,
            rule=due.rule,
            kind=due.kind.value,
            coupon_code=code,
            title=title,
            title_code=due.title_code,
            params=dict(due.params),
            currency=programme.currency,
            value_minor=due.amount_minor,
            percent_off=f"{due.percent.normalize():f}" if due.percent is not None else None,
            category=due.category,
            valid_until=due.valid_until.isoformat(),
        ),
        actor=actor,
    )
    return reward


def _reviewed(session: Session, member_id: str, now: datetime) -> None:
    review = session.get(RewardReview, member_id)
    if review is None:
        session.add(RewardReview(member_id=member_id, reviewed_at=now))
    else:
        review.reviewed_at = now
    session.flush()


def _follow_the_customer(
    session: Session, member_id: str, references: Sequence[str], now: datetime
) -> None:
    """Keep the member's available coupons theirs as their references change (a new
    login, a merge): a coupon follows the person, not the reference it was issued under."""
    codes = session.scalars(
        select(Reward.coupon_code).where(
            Reward.member_id == member_id,
            Reward.used_at.is_(None),
            Reward.void_at.is_(None),
            Reward.valid_until > now,
        )
    ).all()
    for code in codes:
        promotions.make_personal(
            session, code=code, customer_refs=list(references[:MAX_CUSTOMER_REFS])
        )


def _issue(session: Session, member: MemberRef, *, now: datetime, actor: Actor) -> list[Reward]:
    """Run the programme's rules for the member (the caller checked who may)."""
    ledger.lock(session, member.id)
    _reviewed(session, member.id, now)
    programme = member.programme
    if member.erased or member.profile_id is None or not programme.active:
        return []
    rows = [row for row in rule_rows(session, programme.id) if row.active]
    references = customers.reference_forms(session, profile_id=member.profile_id)
    _follow_the_customer(session, member.id, references, now)
    if not rows:
        return []
    due = rules.due_rewards(
        [as_rule(row) for row in rows],
        _facts(session, member, references, now),
        _issued(session, member.id),
        now=now,
        currency=programme.currency,
        tier_names={tier.code: tier.name for tier in programme.tiers},
    )
    return [
        _grant(session, member, reward, references=references, now=now, actor=actor)
        for reward in due
    ]


def issue_rewards(
    session: Session, *, member_id: str, now: datetime | None = None, actor: Actor
) -> list[RewardOut]:
    """Run the programme's reward rules for the member now (head office); the rewards
    issued (none when nothing is due)."""
    access.check_admin(actor, doing="issue rewards")
    now = now or utcnow()
    member = load_member(session, member_id)
    return _outs(session, _issue(session, member, now=now, actor=actor), now)


def issue_due_rewards(
    session: Session, *, now: datetime | None = None, actor: Actor = SYSTEM, limit: int = 50
) -> int:
    """Run the reward rules for up to ``limit`` members of programmes with rules not looked
    at for a day (the job); how many members were looked at."""
    now = now or utcnow()
    with_rules = select(RewardRule.programme_id).where(RewardRule.active)
    member_ids = session.scalars(
        select(Member.id)
        .join(Programme, Programme.id == Member.programme_id)
        .outerjoin(RewardReview, RewardReview.member_id == Member.id)
        .where(
            Member.erased_at.is_(None),
            Programme.active,
            Member.programme_id.in_(with_rules),
            or_(
                RewardReview.reviewed_at.is_(None),
                RewardReview.reviewed_at <= now - REWARD_REVIEW,
            ),
        )
        .order_by(func.coalesce(RewardReview.reviewed_at, Member.joined_at), Member.id)
        .limit(limit)
    ).all()
    for member_id in member_ids:
        _issue(session, load_member(session, member_id), now=now, actor=actor)
    return len(member_ids)


# --- used, withdrawn ------------------------------------------------------------------------


def _channel(event: Event) -> str:
    """The channel an event came from (``channels/<code>/…``)."""
    parts = event.source.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "channels" else SYSTEM.channel


def note_coupon_used(session: Session, event: Event) -> None:
    """A coupon was redeemed: if it is a reward's, the reward is used by that order
    (``loyalty.reward_used``, once)."""
    payload = event.payload
    if not isinstance(payload, CouponRedeemed):
        return
    reward = session.scalar(select(Reward).where(Reward.coupon_code == payload.coupon))
    if reward is None or reward.used_at is not None:
        return
    member = load_member(session, reward.member_id, live=False)
    reward.used_at = event.time
    reward.order_id = payload.order_id
    reward.used_channel = _channel(event)[:50]
    session.flush()
    record_event(
        session,
        RewardUsed(
            member_id=member.id,
            programme=member.programme.code,
            profile_id=member.profile_id,
            reward_id=reward.id,
            coupon_code=reward.coupon_code,
            kind=reward.kind,
            order_id=payload.order_id,
            channel=reward.used_channel,
        ),
        actor=SYSTEM,
    )


def void_rewards(session: Session, *, member_id: str, now: datetime | None = None) -> int:
    """Withdraw the member's rewards not used yet (the member is erased): their coupons end
    and no longer say whose they were; how many were withdrawn."""
    now = now or utcnow()
    found = session.scalars(
        select(Reward).where(
            Reward.member_id == member_id, Reward.used_at.is_(None), Reward.void_at.is_(None)
        )
    ).all()
    promotions.withdraw_coupons(session, codes=[reward.coupon_code for reward in found], at=now)
    for reward in found:
        reward.void_at = now
    session.flush()
    return len(found)
