"""What every loyalty use case shares: a programme's rules, a member as the use cases read
them, and finding the members an order or a card names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import IdentifierKind, InvalidIdentifier, normalise
from omnicanal.loyalty.errors import (
    MemberErased,
    NobodyToEnrol,
    UnknownMember,
    UnknownProgramme,
)
from omnicanal.loyalty.models import Member, Programme
from omnicanal.loyalty.rules import BonusEvent, EarningRule, Rates, Tier, TierBenefit
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc
from omnicanal.platform.db import kept_memo, transaction_memo

__all__ = [
    "SYSTEM",
    "MemberRef",
    "ProgrammeRules",
    "as_iso",
    "bonus_event_rows",
    "card_value",
    "load_member",
    "member_by_card",
    "members_of_customer",
    "members_of_profile",
    "programme_by_code",
    "rate_rule_rows",
    "read_customers_ahead",
    "rules_of",
]

SYSTEM = Actor(key_id=None, channel="system", name="loyalty")
"""Who the reactions to other modules' events and the periodic jobs act as."""


@dataclass(frozen=True)
class ProgrammeRules:
    """A programme as its rules read it."""

    id: str
    code: str
    currency: str
    rates: Rates
    earning_channels: frozenset[str]
    point_value_minor: Decimal
    pending_days: int
    tiers: tuple[Tier, ...]
    tier_period_months: int
    expiry_months: int
    hold_minutes: int
    active: bool
    bonus_events: tuple[BonusEvent, ...] = ()

    def tier(self, code: str | None) -> Tier | None:
        return next((tier for tier in self.tiers if tier.code == code), None)

    def multiplier(self, tier_code: str | None) -> Decimal:
        tier = self.tier(tier_code)
        return tier.multiplier if tier is not None else Decimal(1)

    def earns_on(self, channels: tuple[str, ...]) -> bool:
        return bool(self.earning_channels & set(channels))


@dataclass(frozen=True)
class MemberRef:
    """A member as the use cases read them, with their programme's rules."""

    id: str
    profile_id: str | None
    card_number: str | None
    tier: str | None
    erased: bool
    programme: ProgrammeRules


BONUS_EVENT = "bonus_event"
"""The kind of an earning-rules row that is a bonus event (a rate has no kind)."""


def rate_rule_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rates among a programme's earning-rules rows."""
    return [row for row in rows if row.get("kind") is None]


def bonus_event_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bonus events among a programme's earning-rules rows."""
    return [row for row in rows if row.get("kind") == BONUS_EVENT]


def _bonus_event(row: dict[str, Any]) -> BonusEvent:
    return BonusEvent(
        code=row["code"],
        name=row.get("name", row["code"]),
        starts_at=as_utc(datetime.fromisoformat(row["starts_at"])),
        ends_at=as_utc(datetime.fromisoformat(row["ends_at"])),
        multiplier=Decimal(str(row["multiplier"])),
        channels=frozenset(row.get("channels") or ()),
        categories=frozenset(row.get("categories") or ()),
    )


def _tier(row: dict[str, Any]) -> Tier:
    return Tier(
        code=row["code"],
        name=row["name"],
        threshold=int(row["threshold"]),
        multiplier=Decimal(str(row.get("multiplier", "1"))),
        perks=tuple(
            TierBenefit(
                code=perk["code"],
                days=perk.get("days"),
                amount_minor=perk.get("amount_minor"),
            )
            for perk in row.get("benefits") or ()
        ),
    )


def rules_of(programme: Programme) -> ProgrammeRules:
    """The rules of a programme row."""
    return ProgrammeRules(
        id=programme.id,
        code=programme.code,
        currency=programme.currency,
        rates=Rates(
            default=Decimal(programme.points_per_euro),
            rules=tuple(
                EarningRule(
                    points_per_euro=Decimal(str(rule["points_per_euro"])),
                    category=rule.get("category"),
                    channel=rule.get("channel"),
                )
                for rule in rate_rule_rows(programme.earning_rules)
            ),
        ),
        earning_channels=frozenset(programme.earning_channels),
        point_value_minor=Decimal(programme.point_value_minor),
        pending_days=programme.pending_days,
        tiers=tuple(_tier(row) for row in programme.tiers),
        tier_period_months=programme.tier_period_months,
        expiry_months=programme.expiry_months,
        hold_minutes=programme.hold_minutes,
        active=programme.active,
        bonus_events=tuple(_bonus_event(row) for row in bonus_event_rows(programme.earning_rules)),
    )


def programme_by_code(session: Session, code: str) -> Programme:
    programme = session.scalar(select(Programme).where(Programme.code == code))
    if programme is None:
        raise UnknownProgramme(f"No loyalty programme has the code {code!r}.", field="programme")
    return programme


def _ref(member: Member, programme: Programme) -> MemberRef:
    return MemberRef(
        id=member.id,
        profile_id=member.profile_id,
        card_number=member.card_number,
        tier=member.tier,
        erased=member.erased_at is not None,
        programme=rules_of(programme),
    )


def load_member(session: Session, member_id: str, *, live: bool = True) -> MemberRef:
    """The member and their programme's rules; ``live``: refuse an erased member."""
    row = session.execute(
        select(Member, Programme)
        .join(Programme, Programme.id == Member.programme_id)
        .where(Member.id == member_id)
    ).one_or_none()
    if row is None:
        raise UnknownMember(f"No loyalty member has the id {member_id!r}.", field="member_id")
    member, programme = row
    if live and member.erased_at is not None:
        raise MemberErased(f"Member {member_id} was erased.", field="member_id")
    return _ref(member, programme)


def card_value(card_number: str) -> str:
    """A loyalty card number in its normal form (no spaces or dashes, upper case)."""
    try:
        return normalise(IdentifierKind.loyalty_card, card_number).value
    except InvalidIdentifier as error:
        raise NobodyToEnrol(error.reason, field="card_number") from None


def member_by_card(session: Session, *, programme: str, card_number: str) -> MemberRef:
    """The member of ``programme`` holding the card."""
    programme_row = programme_by_code(session, programme)
    member = session.scalar(
        select(Member).where(
            Member.programme_id == programme_row.id,
            Member.card_number == card_value(card_number),
        )
    )
    if member is None:
        raise UnknownMember(
            f"No member of {programme} holds this loyalty card.", field="card_number"
        )
    return _ref(member, programme_row)


def members_of_profile(
    session: Session, *, profile_id: str, currency: str | None = None
) -> list[MemberRef]:
    """The live memberships of the person ``profile_id`` is part of (merges followed)."""
    references = customers.customer_references(session, profile_id=profile_id)
    query = (
        select(Member, Programme)
        .join(Programme, Programme.id == Member.programme_id)
        .where(Member.profile_id.in_(references), Member.erased_at.is_(None))
        .order_by(Member.joined_at, Member.id)
    )
    if currency is not None:
        query = query.where(Programme.currency == currency)
    seen: set[str] = set()
    found = []
    for member, programme in session.execute(query):
        # A person made of two enrolled profiles earns once per programme: the first
        # membership.
        if programme.id in seen:
            continue
        seen.add(programme.id)
        found.append(_ref(member, programme))
    return found


def members_of_customer(
    session: Session, *, customer_ref: str | None, currency: str, region: str
) -> list[MemberRef]:
    """The live memberships, in programmes of ``currency``, of the customer an order's or a
    return's reference names: a loyalty card directly, anything else through the profile it
    names."""
    if customer_ref is None or not customer_ref.strip():
        return []
    # What the loyalty consumer's read-ahead kept for its batch, else read here.
    open_programmes = kept_memo(session, _OPEN_PROGRAMMES) or {}
    open_programme = (
        open_programmes[currency]
        if currency in open_programmes
        else _open_programme(session, currency)
    )
    if open_programme is None:
        # No programme to earn in: the customer is not looked up at all.
        return []
    prefix, _, value = customer_ref.strip().partition(":")
    if prefix == IdentifierKind.loyalty_card.value and value:
        try:
            card = normalise(IdentifierKind.loyalty_card, value).value
        except InvalidIdentifier:
            return []
        rows = session.execute(
            select(Member, Programme)
            .join(Programme, Programme.id == Member.programme_id)
            .where(
                Member.card_number == card,
                Member.erased_at.is_(None),
                Programme.currency == currency,
            )
        ).all()
        if rows:
            return [_ref(member, programme) for member, programme in rows]
    people = kept_memo(session, _PEOPLE) or {}
    key = (customer_ref, region)
    profile_id = (
        people[key]
        if key in people
        else customers.referenced_profile_id(session, customer_ref=customer_ref, region=region)
    )
    if profile_id is None:
        return []
    return members_of_profile(session, profile_id=profile_id, currency=currency)


def _open_programme(session: Session, currency: str) -> str | None:
    """An active programme in ``currency``, if there is one."""
    return session.scalar(
        select(Programme.id).where(Programme.currency == currency, Programme.active).limit(1)
    )


_OPEN_PROGRAMMES = "loyalty.open_programmes"
"""The transaction's memo (``transaction_memo``) of an active programme per currency."""
_PEOPLE = "loyalty.people"
"""The transaction's memo of the person each customer reference names."""


def read_customers_ahead(
    session: Session, *, references: Iterable[tuple[str, str]], region: str
) -> None:
    """Read at once what :func:`members_of_customer` reads for each (customer reference,
    currency) of a batch of events: whether each currency has an active programme, and,
    where one has, the people the references name (two statements for the batch), kept for
    the transaction. The loyalty consumer never opens programmes nor changes identities."""
    open_programmes = transaction_memo(session, _OPEN_PROGRAMMES)
    wanted = list(references)
    for currency in dict.fromkeys(currency for _, currency in wanted):
        if currency not in open_programmes:
            open_programmes[currency] = _open_programme(session, currency)
    people = transaction_memo(session, _PEOPLE)
    unknown = [
        reference
        for reference, currency in wanted
        if reference.strip()
        and open_programmes[currency] is not None
        and (reference, region) not in people
    ]
    if not unknown:
        return
    named = customers.referenced_profile_ids(session, customer_refs=unknown, region=region)
    for reference, profile_id in named.items():
        people[(reference, region)] = profile_id


def as_iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
