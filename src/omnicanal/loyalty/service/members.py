"""Members: a customer profile joins a programme (by its loyalty card, its app login or at a
counter), is read with its balance and ledger, and has points adjusted by hand."""

from __future__ import annotations

import base64
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import (
    ANCHOR_KINDS,
    Identifier,
    IdentifierKind,
    InvalidIdentifier,
    normalise,
)
from omnicanal.loyalty import access
from omnicanal.loyalty.errors import (
    AlreadyMember,
    CardInUse,
    InvalidCursor,
    MemberNotDesignated,
    NobodyToEnrol,
    ProgrammeInactive,
    UnknownMember,
)
from omnicanal.loyalty.events import MemberEnrolled, PointsAdjusted
from omnicanal.loyalty.models import Balance, LedgerEntry, Member, PointLot, Programme, Redemption
from omnicanal.loyalty.rules import add_months, amount_for_points
from omnicanal.loyalty.schemas import (
    AdjustmentIn,
    BalanceOut,
    EnrolIn,
    ExpiryOut,
    LedgerEntryOut,
    LedgerPage,
    MemberOut,
    TierOut,
)
from omnicanal.loyalty.service import ledger
from omnicanal.loyalty.service.common import (
    card_value,
    load_member,
    member_by_card,
    members_of_profile,
    programme_by_code,
    rules_of,
)
from omnicanal.loyalty.service.programmes import benefits_out
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.events import record_event, source_of
from omnicanal.platform.ids import new_id

__all__ = [
    "adjust_points",
    "enrol",
    "entry_out",
    "find_member",
    "get_member",
    "ledger_page",
    "member_out",
]


def _customer_identifier(customer_ref: str, region: str) -> Identifier:
    kind, colon, value = customer_ref.strip().partition(":")
    if not colon or kind not in IdentifierKind.__members__:
        raise NobodyToEnrol(
            "A customer reference reads kind:value (user_id:…, email:…, phone:…).",
            field="customer_ref",
        )
    try:
        return normalise(IdentifierKind(kind), value, region=region)
    except InvalidIdentifier as error:
        raise NobodyToEnrol(error.reason, field="customer_ref") from None


def _known_identifier(session: Session, profile_id: str) -> Identifier | None:
    """One identifier that names the profile alone (to link a new card to it)."""
    profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
    for known in profile.identifiers:
        kind = IdentifierKind(known.kind)
        if not known.shared and kind in ANCHOR_KINDS:
            return Identifier(kind, known.value, anchor=True)
    return None


def _person(
    session: Session,
    *,
    data: EnrolIn,
    card: str | None,
    actor: Actor,
    region: str,
    now: datetime,
) -> str:
    """The root profile that joins: the one named, or the one its identifiers lead to (a
    new one for a new customer); its card and login are linked to it on the way."""
    given: list[Identifier] = []
    if card is not None:
        given.append(Identifier(IdentifierKind.loyalty_card, card, anchor=True))
    if data.customer_ref is not None:
        given.append(_customer_identifier(data.customer_ref, region))
    if data.profile_id is None and not given:
        raise NobodyToEnrol(
            "Name the customer who joins: profile_id, customer_ref or card_number.",
            field="profile_id",
        )
    root = customers.profile_root(session, data.profile_id).id if data.profile_id else None
    if root is not None and given:
        known = _known_identifier(session, root)
        if known is not None:
            given.append(known)
    if not given:
        assert root is not None
        return root
    [resolved] = customers.record_sightings(
        session,
        sightings=[
            customers.Sighting(
                identifiers=tuple(dict.fromkeys(given)),
                kind="domain",
                name=MemberEnrolled.type,
                occurred_at=now,
                received_at=now,
                source=source_of(actor)[:120],
                channel=actor.channel,
                message_ref=new_id(),
                properties={"programme": data.programme},
                profile_hint=root,
            )
        ],
        actor=actor,
    )
    if root is not None:
        return root
    if resolved.profile_id is None:
        raise NobodyToEnrol(
            "These identifiers are shared by several people: they designate nobody.",
            field="customer_ref" if data.customer_ref else "card_number",
        )
    return customers.profile_root(session, resolved.profile_id).id


def enrol(
    session: Session,
    *,
    data: EnrolIn,
    actor: Actor,
    region: str = "FR",
    now: datetime | None = None,
) -> MemberOut:
    """A customer joins a programme: by card, app login or at a counter (once per
    programme; a card belongs to one member)."""
    now = now or utcnow()
    location = access.acting_location(actor, data.location)
    programme = programme_by_code(session, data.programme)
    if not programme.active:
        raise ProgrammeInactive(f"Programme {programme.code} is closed.", field="programme")
    card = card_value(data.card_number) if data.card_number is not None else None
    if card is not None and session.scalar(
        select(Member.id).where(Member.programme_id == programme.id, Member.card_number == card)
    ):
        raise CardInUse(
            f"Card {card} belongs to another member of {programme.code}.", field="card_number"
        )
    profile_id = _person(session, data=data, card=card, actor=actor, region=region, now=now)
    existing = [
        member
        for member in members_of_profile(session, profile_id=profile_id)
        if member.programme.id == programme.id
    ]
    if existing:
        raise AlreadyMember(
            f"This customer is already member {existing[0].id} of {programme.code}.",
            field="profile_id",
            member_id=existing[0].id,
        )
    member = Member(
        id=new_id(),
        programme_id=programme.id,
        profile_id=profile_id,
        card_number=card,
        joined_at=now,
        joined_channel=actor.channel,
        joined_location=location,
        joined_by=actor.label[:100],
        tier_reviewed_at=now,
    )
    session.add(member)
    session.flush()
    session.add(Balance(member_id=member.id, available=0, pending=0, updated_at=now))
    session.flush()
    ref = load_member(session, member.id)
    ledger.lock(session, member.id)
    tier = ledger.review_tier(session, ref, now=now, actor=actor)
    record_event(
        session,
        MemberEnrolled(
            member_id=member.id,
            programme=programme.code,
            profile_id=profile_id,
            card_number=card,
            channel=actor.channel,
            location=location,
            tier=tier,
        ),
        actor=actor,
    )
    return member_out(session, member_id=member.id, now=now)


def member_out(session: Session, *, member_id: str, now: datetime | None = None) -> MemberOut:
    """The member with their tier and balance as every channel reads them: points whose
    time is up count as gone at once, before the expiry job records it."""
    now = now or utcnow()
    row = session.execute(
        select(Member, Programme, Balance)
        .join(Programme, Programme.id == Member.programme_id)
        .join(Balance, Balance.member_id == Member.id)
        .where(Member.id == member_id)
    ).one_or_none()
    if row is None:
        raise UnknownMember(f"No loyalty member has the id {member_id!r}.", field="member_id")
    member, programme, balance = row
    rules = rules_of(programme)
    lapsed = session.scalar(
        select(func.coalesce(func.sum(PointLot.remaining), 0)).where(
            PointLot.member_id == member.id,
            PointLot.remaining > 0,
            PointLot.expires_at.is_not(None),
            PointLot.expires_at <= now,
        )
    )
    held = session.scalar(
        select(func.coalesce(func.sum(Redemption.points), 0)).where(
            Redemption.member_id == member.id, Redemption.status == "held"
        )
    )
    next_at = session.scalar(
        select(func.min(PointLot.expires_at)).where(
            PointLot.member_id == member.id,
            PointLot.remaining > 0,
            PointLot.expires_at > now,
        )
    )
    next_expiry = None
    if next_at is not None:
        points = session.scalar(
            select(func.sum(PointLot.remaining)).where(
                PointLot.member_id == member.id,
                PointLot.remaining > 0,
                PointLot.expires_at == next_at,
            )
        )
        next_expiry = ExpiryOut(points=int(points or 0), at=as_utc(next_at))
    available = max(0, balance.available - int(lapsed or 0))
    tier = rules.tier(member.tier)
    return MemberOut(
        id=member.id,
        programme=programme.code,
        profile_id=member.profile_id,
        card_number=member.card_number,
        joined_at=member.joined_at,
        joined_channel=member.joined_channel,
        joined_location=member.joined_location,
        tier=(
            TierOut(
                code=tier.code,
                name=tier.name,
                threshold=tier.threshold,
                multiplier=tier.multiplier,
                benefits=benefits_out(tier.benefits),
            )
            if tier is not None
            else None
        ),
        tier_since=member.tier_since,
        tier_benefits=benefits_out(tier.benefits) if tier is not None else [],
        balance=BalanceOut(
            available=available,
            pending=balance.pending,
            held=int(held or 0),
            available_value_minor=amount_for_points(available, rules.point_value_minor),
            currency=programme.currency,
        ),
        next_expiry=next_expiry,
        erased=member.erased_at is not None,
    )


def get_member(session: Session, *, member_id: str, actor: Actor) -> MemberOut:
    """One member, their tier and balance."""
    access.check_first_party(actor)
    return member_out(session, member_id=member_id)


def find_member(
    session: Session,
    *,
    actor: Actor,
    programme: str | None = None,
    profile_id: str | None = None,
    card_number: str | None = None,
) -> MemberOut:
    """The member holding a card (in ``programme``), or the person ``profile_id`` is part
    of (in ``programme``, or their first membership)."""
    access.check_first_party(actor)
    if (profile_id is None) == (card_number is None):
        raise MemberNotDesignated(
            "Look a member up by profile_id or by card_number.", field="profile_id"
        )
    if card_number is not None:
        if programme is None:
            raise MemberNotDesignated("A card_number goes with its programme.", field="programme")
        return member_out(
            session,
            member_id=member_by_card(session, programme=programme, card_number=card_number).id,
        )
    assert profile_id is not None
    found = [
        member
        for member in members_of_profile(session, profile_id=profile_id)
        if programme is None or member.programme.code == programme
    ]
    if not found:
        raise UnknownMember("This customer is not a member.", field="profile_id")
    return member_out(session, member_id=found[0].id)


def _cursor(at: datetime, entry_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{entry_id}".encode()).decode()


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, entry_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return as_utc(datetime.fromisoformat(at)), entry_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor("This cursor is not one we gave.", field="starting_after") from None


def entry_out(entry: LedgerEntry) -> LedgerEntryOut:
    return LedgerEntryOut(
        id=entry.id,
        kind=entry.kind,
        points=entry.points,
        pending_points=entry.pending_points,
        quantity=entry.quantity,
        order_id=entry.order_id,
        order_line_id=entry.order_line_id,
        return_id=entry.return_id,
        redemption_id=entry.redemption_id,
        channel=entry.channel,
        location=entry.location_code,
        reason=entry.reason,
        actor=entry.actor,
        at=entry.at,
        expires_at=entry.expires_at,
    )


def ledger_page(
    session: Session,
    *,
    member_id: str,
    actor: Actor,
    starting_after: str | None = None,
    limit: int = 50,
) -> LedgerPage:
    """The member's ledger, newest first (by when each line was posted), ``limit`` lines at
    a time; ``starting_after``: the previous page's ``next_cursor``."""
    access.check_first_party(actor)
    load_member(session, member_id, live=False)
    query = select(LedgerEntry).where(LedgerEntry.member_id == member_id)
    if starting_after:
        at, entry_id = _read_cursor(starting_after)
        query = query.where(
            or_(LedgerEntry.at < at, and_(LedgerEntry.at == at, LedgerEntry.id < entry_id))
        )
    rows = list(
        session.scalars(
            query.order_by(LedgerEntry.at.desc(), LedgerEntry.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return LedgerPage(
        items=[entry_out(row) for row in rows],
        has_more=more,
        next_cursor=_cursor(rows[-1].at, rows[-1].id) if more and rows else None,
    )


def adjust_points(
    session: Session,
    *,
    member_id: str,
    data: AdjustmentIn,
    actor: Actor,
    now: datetime | None = None,
) -> MemberOut:
    """Add or take points by hand, with the reason (the back office; audited). Points
    added expire like earned ones; points taken never take the balance below zero."""
    access.check_admin(actor, doing="adjust points by hand")
    now = now or utcnow()
    member = load_member(session, member_id)
    ledger.lock(session, member.id)
    posting = ledger.Posting.by(actor, reason=data.reason)
    if data.points > 0:
        months = member.programme.expiry_months
        available, _ = ledger.credit(
            session,
            member.id,
            [(data.points, posting)],
            kind="adjust",
            now=now,
            expires_at=add_months(now, months) if months else None,
        )
    else:
        ledger.expire_due(session, member, now=now)
        available = ledger.take(
            session, member.id, -data.points, kind="adjust", posting=posting, now=now
        ).available
    record_event(
        session,
        PointsAdjusted(
            member_id=member.id,
            programme=member.programme.code,
            profile_id=member.profile_id,
            points=data.points,
            reason=data.reason,
            actor=actor.label,
            available=available,
        ),
        actor=actor,
    )
    return member_out(session, member_id=member.id, now=now)
