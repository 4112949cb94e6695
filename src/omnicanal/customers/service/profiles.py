"""Reading profiles: the 360° view, lookup by any identifier, the paged timeline."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers.commerce import computed_traits, order_facts
from omnicanal.customers.errors import (
    IdentifierShared,
    InvalidIdentifierValue,
    UnknownIdentifier,
    UnknownProfile,
)
from omnicanal.customers.identifiers import IdentifierKind, InvalidIdentifier, normalise
from omnicanal.customers.models import (
    HouseholdMember,
    Profile,
    ProfileEvent,
    ProfileIdentifier,
    ProfileTrait,
)
from omnicanal.customers.schemas import (
    ChannelUse,
    ComputedTraitsOut,
    HouseholdMemberOut,
    HouseholdOut,
    IdentifierOut,
    ProfileOut,
    TimelineEventOut,
    TimelinePage,
    TraitOut,
)
from omnicanal.customers.service.returns_seen import returns_seen
from omnicanal.platform.bounds import MAX_JSON_DEPTH, json_depth
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.paging import InvalidCursor

__all__ = [
    "REFERENCE_KINDS",
    "computed",
    "current_traits",
    "customer_references",
    "display_name",
    "find_profile_id",
    "get_profile",
    "names_of_references",
    "own_identifiers",
    "own_identifiers_of",
    "profile_root",
    "recognised_profile_ids",
    "referenced_profile_id",
    "referenced_profile_ids",
    "timeline",
]


def profile_root(session: Session, profile_id: str) -> Profile:
    """The profile that ``profile_id`` is part of now (itself unless merged)."""
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise UnknownProfile(f"No profile has the id {profile_id!r}.", field="id")
    if profile.root_id != profile.id:
        root = session.get(Profile, profile.root_id)
        assert root is not None
        return root
    return profile


# Identifiers other modules file a person's things under (a cart, an order), strongest first.
REFERENCE_KINDS = ("user_id", "external_id", "loyalty_card", "email")


def customer_references(session: Session, *, profile_id: str) -> list[str]:
    """The references a channel may have filed this person's cart or orders under, strongest
    first: their own identifiers (not those shared with others), then the profile ids."""
    root = profile_root(session, profile_id)
    rows = session.execute(
        select(ProfileIdentifier.kind, ProfileIdentifier.value).where(
            ProfileIdentifier.profile_id == root.id,
            ProfileIdentifier.kind.in_(REFERENCE_KINDS),
            ProfileIdentifier.shared.is_(False),
        )
    ).all()
    strength = {kind: position for position, kind in enumerate(REFERENCE_KINDS)}
    values = [value for _, value in sorted(rows, key=lambda row: (strength[row[0]], row[1]))]
    members = session.scalars(
        select(Profile.id).where(Profile.root_id == root.id, Profile.id != root.id)
    ).all()
    return list(dict.fromkeys([*values, root.id, *sorted(members)]))


def reference_forms(session: Session, *, profile_id: str) -> list[str]:
    """Every reference this person's carts and orders may be filed under, in each form
    :func:`referenced_profile_id` reads, strongest first: their own identifiers as
    ``kind:value`` (a phone too) and, for :data:`REFERENCE_KINDS`, bare; then the profile
    ids, bare and as ``profile:<id>``. What a personal coupon is for (a loyalty reward)."""
    root = profile_root(session, profile_id)
    kinds: list[str] = [
        kind.value for kind in IdentifierKind if kind.value in (*REFERENCE_KINDS, "phone")
    ]
    rows = session.execute(
        select(ProfileIdentifier.kind, ProfileIdentifier.value).where(
            ProfileIdentifier.profile_id == root.id,
            ProfileIdentifier.kind.in_(kinds),
            ProfileIdentifier.shared.is_(False),
        )
    ).all()
    forms: list[str] = []
    for kind, value in sorted(rows, key=lambda row: (kinds.index(row[0]), row[1])):
        forms.append(f"{kind}:{value}")
        if kind in REFERENCE_KINDS:
            forms.append(value)
    members = session.scalars(
        select(Profile.id).where(Profile.root_id == root.id, Profile.id != root.id)
    ).all()
    for id_ in [root.id, *sorted(members)]:
        forms += [id_, f"profile:{id_}"]
    return list(dict.fromkeys(forms))


def own_identifiers(
    session: Session, *, profile_id: str, kinds: Iterable[IdentifierKind]
) -> dict[str, str]:
    """The person's own (not shared) identifier of each of ``kinds`` they have, the first in
    order of value where they have several, read in one statement (merges followed): where
    a message reaches them. Nothing for an unknown profile."""
    root = select(Profile.root_id).where(Profile.id == profile_id).scalar_subquery()
    rows = session.execute(
        select(ProfileIdentifier.kind, ProfileIdentifier.value)
        .where(
            ProfileIdentifier.profile_id == root,
            ProfileIdentifier.kind.in_([kind.value for kind in kinds]),
            ProfileIdentifier.shared.is_(False),
        )
        .order_by(ProfileIdentifier.value)
    ).all()
    found: dict[str, str] = {}
    for kind, value in rows:
        found.setdefault(kind, value)
    return found


def own_identifiers_of(
    session: Session, *, profile_ids: Iterable[str], kinds: Iterable[IdentifierKind]
) -> dict[str, dict[str, str]]:
    """:func:`own_identifiers` of many people at once, in one statement: for each of
    ``profile_ids``, its person's own identifier of each kind (merges followed; the first in
    order of value); nothing for an unknown profile."""
    wanted = sorted(set(profile_ids))
    found: dict[str, dict[str, str]] = {profile_id: {} for profile_id in wanted}
    if not wanted:
        return found
    rows = session.execute(
        select(Profile.id, ProfileIdentifier.kind, ProfileIdentifier.value)
        .join(ProfileIdentifier, ProfileIdentifier.profile_id == Profile.root_id)
        .where(
            Profile.id.in_(wanted),
            ProfileIdentifier.kind.in_([kind.value for kind in kinds]),
            ProfileIdentifier.shared.is_(False),
        )
        .order_by(Profile.id, ProfileIdentifier.value)
    ).all()
    for profile_id, kind, value in rows:
        found[profile_id].setdefault(kind, value)
    return found


def find_profile_id(session: Session, *, kind: IdentifierKind, value: str, region: str) -> str:
    """The profile carrying an identifier typed in any usual form (a phone in any format)."""
    try:
        identifier = normalise(kind, value, region=region)
    except InvalidIdentifier as error:
        raise InvalidIdentifierValue(error.reason, field=kind.value) from None
    row = session.scalar(
        select(ProfileIdentifier).where(
            ProfileIdentifier.kind == identifier.kind.value,
            ProfileIdentifier.value == identifier.value,
        )
    )
    if row is None:
        raise UnknownIdentifier(f"No profile carries this {kind.value}.", field=kind.value)
    if row.shared:
        people = session.scalars(
            select(Profile.root_id).where(Profile.id.in_(row.seen_with or [row.profile_id]))
        ).all()
        candidates = sorted(set(people))
        raise IdentifierShared(
            f"This {kind.value} is shared by {len(candidates)} people; it designates nobody.",
            field=kind.value,
            profile_ids=candidates,
        )
    return row.profile_id


def referenced_profile_id(session: Session, *, customer_ref: str, region: str) -> str | None:
    """The profile (as it is now, merges followed) that a cart's or an order's customer
    reference names: ``kind:value``, ``profile:<id>``, a profile id, or the value of one of
    :data:`REFERENCE_KINDS`; None when it names nobody known, or several people."""
    profile_id, identifiers = _reading(customer_ref, region=region)
    if profile_id is not None:
        root = _roots_of_profiles(session, [profile_id]).get(profile_id)
        if root is not None or not identifiers:
            return root
    return _first_named(identifiers, _roots_named(session, identifiers))


def referenced_profile_ids(
    session: Session, *, customer_refs: Iterable[str], region: str
) -> dict[str, str | None]:
    """:func:`referenced_profile_id` of each of ``customer_refs``, in two statements whatever
    their number: for a consumer that hears many orders and carts at once."""
    readings = {ref: _reading(ref, region=region) for ref in dict.fromkeys(customer_refs)}
    if not readings:
        return {}
    roots = _roots_of_profiles(
        session, sorted({profile_id for profile_id, _ in readings.values() if profile_id})
    )
    named = _roots_named(
        session, sorted({key for _, identifiers in readings.values() for key in identifiers})
    )
    return {
        ref: (roots.get(profile_id) if profile_id is not None else None)
        or _first_named(identifiers, named)
        for ref, (profile_id, identifiers) in readings.items()
    }


def _reading(customer_ref: str, *, region: str) -> tuple[str | None, list[tuple[str, str]]]:
    """What a customer reference may name, in the order it is tried: a profile id, then
    identifiers (kind, normalised value), the first known one winning."""
    text = customer_ref.strip()
    prefix, colon, rest = text.partition(":")
    if not text or (colon and not rest):
        return None, []
    if colon and prefix == "profile":
        return rest, []
    if colon and prefix in IdentifierKind.__members__:
        return None, _normalised([(IdentifierKind(prefix), rest)], region=region)
    return text, _normalised(
        [(IdentifierKind(kind), text) for kind in REFERENCE_KINDS], region=region
    )


def _normalised(
    candidates: list[tuple[IdentifierKind, str]], *, region: str
) -> list[tuple[str, str]]:
    """The candidates as stored (kind, normalised value); a malformed one names nobody."""
    wanted: list[tuple[str, str]] = []
    for kind, value in candidates:
        try:
            identifier = normalise(kind, value, region=region)
        except InvalidIdentifier:
            continue
        wanted.append((identifier.kind.value, identifier.value))
    return wanted


def _roots_of_profiles(session: Session, profile_ids: Iterable[str]) -> dict[str, str]:
    """The person (the root profile) each of the existing profiles ``profile_ids`` is part
    of."""
    wanted = list(profile_ids)
    if not wanted:
        return {}
    return {
        str(profile_id): str(root_id)
        for profile_id, root_id in session.execute(
            select(Profile.id, Profile.root_id).where(Profile.id.in_(wanted))
        )
    }


def _roots_named(session: Session, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The person (the root profile) each identifier of ``wanted`` names, in one statement:
    an identifier unknown, or shared by several people, names nobody."""
    if not wanted:
        return {}
    rows = session.execute(
        select(ProfileIdentifier.kind, ProfileIdentifier.value, Profile.root_id)
        .join(Profile, Profile.id == ProfileIdentifier.profile_id)
        .where(
            ProfileIdentifier.value.in_(sorted({value for _, value in wanted})),
            ProfileIdentifier.kind.in_(sorted({kind for kind, _ in wanted})),
            ProfileIdentifier.shared.is_(False),
        )
    ).all()
    return {(row.kind, row.value): str(row.root_id) for row in rows}


def _first_named(
    identifiers: list[tuple[str, str]], named: dict[tuple[str, str], str]
) -> str | None:
    return next((named[key] for key in identifiers if key in named), None)


def names_of_references(
    session: Session, *, customer_refs: Iterable[str], region: str
) -> dict[str, str]:
    """The name (:func:`display_name`) of the person each customer reference names, for the
    references that name someone with a name."""
    found: dict[str, str] = {}
    for reference in dict.fromkeys(customer_refs):
        profile_id = referenced_profile_id(session, customer_ref=reference, region=region)
        if profile_id is None:
            continue
        latest = {
            name: value
            for name, value in session.execute(
                select(ProfileTrait.name, ProfileTrait.value)
                .where(
                    ProfileTrait.profile_id == profile_id,
                    ProfileTrait.name.in_(("first_name", "last_name")),
                )
                .order_by(ProfileTrait.observed_at)
            )
        }
        name = " ".join(str(latest[key]) for key in ("first_name", "last_name") if latest.get(key))
        if name:
            found[reference] = name
    return found


def _cursor(at: datetime, event_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{event_id}".encode()).decode()


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, event_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return as_utc(datetime.fromisoformat(at)), event_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor(
            "starting_after must be the next_cursor of the previous page of this timeline.",
            field="starting_after",
        ) from None


def timeline(
    session: Session, *, profile_id: str, limit: int = 20, starting_after: str | None = None
) -> TimelinePage:
    """The profile's events, newest first (by when they happened), ``limit`` at a time;
    ``starting_after``: the previous page's ``next_cursor``. The platform's pagination reads
    by key; a timeline is read by the time of each event, so it keeps its own cursor."""
    root = profile_root(session, profile_id)
    query = select(ProfileEvent).where(ProfileEvent.profile_id == root.id)
    if starting_after:
        at, event_id = _read_cursor(starting_after)
        query = query.where(
            or_(
                ProfileEvent.occurred_at < at,
                and_(ProfileEvent.occurred_at == at, ProfileEvent.id < event_id),
            )
        )
    rows = list(
        session.scalars(
            query.order_by(ProfileEvent.occurred_at.desc(), ProfileEvent.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        TimelineEventOut(
            id=row.id,
            kind=row.kind,
            name=row.name,
            source=row.source,
            channel=row.channel,
            occurred_at=row.occurred_at,
            received_at=row.received_at,
            message_ref=row.message_ref,
            order_id=row.order_id,
            revenue_minor=row.revenue_minor,
            currency=row.currency,
            properties=_readable(row.properties or {}, hidden={"not_shown": TOO_DEEP}),
        )
        for row in rows
    ]
    next_cursor = _cursor(rows[-1].occurred_at, rows[-1].id) if more and rows else None
    return TimelinePage(items=items, has_more=more, next_cursor=next_cursor)


TOO_DEEP = "(not shown: nested over 32 levels)"


def _readable(value: Any, hidden: Any = TOO_DEEP) -> Any:
    """A stored value as the profile shows it: one nested deeper than any input may be now
    (stored before the bound existed) is replaced by ``hidden``, so the profile still reads."""
    if isinstance(value, dict | list) and json_depth(value) > MAX_JSON_DEPTH:
        return hidden
    return value


def computed(
    session: Session, *, profile_id: str, now: datetime | None = None
) -> ComputedTraitsOut:
    """Recency, frequency, monetary value and favourite categories from the order events."""
    facts = []
    for kind, name, at, properties in session.execute(
        select(
            ProfileEvent.kind,
            ProfileEvent.name,
            ProfileEvent.occurred_at,
            ProfileEvent.properties,
        ).where(ProfileEvent.profile_id == profile_id, ProfileEvent.order_id.is_not(None))
    ):
        fact = order_facts(name, properties or {}, domain=kind == "domain")
        if fact is not None:
            facts.append((at, fact))
    traits = computed_traits(facts, now=now or utcnow())
    return ComputedTraitsOut(**traits.__dict__)


def get_profile(session: Session, *, profile_id: str, timeline_limit: int = 20) -> ProfileOut:
    """The 360° view: identifiers, traits, household, channels, computed traits, returns
    and satisfaction, timeline."""
    root = profile_root(session, profile_id)
    members = sorted(
        session.scalars(select(Profile.id).where(Profile.root_id == root.id, Profile.id != root.id))
    )
    identifiers = [
        IdentifierOut(
            kind=row.kind,
            value=row.value,
            anchor=row.anchor,
            source=row.source,
            last_source=row.last_source,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            shared=row.shared,
            home_profile_id=row.home_profile_id,
        )
        for row in session.scalars(
            select(ProfileIdentifier)
            .where(ProfileIdentifier.profile_id == root.id)
            .order_by(ProfileIdentifier.kind, ProfileIdentifier.first_seen_at)
        )
    ]
    latest: dict[str, ProfileTrait] = {}
    for trait in session.scalars(
        select(ProfileTrait)
        .where(ProfileTrait.profile_id == root.id)
        .order_by(ProfileTrait.observed_at)
    ):
        latest[trait.name] = trait
    traits = [
        TraitOut(name=t.name, value=_readable(t.value), source=t.source, observed_at=t.observed_at)
        for t in sorted(latest.values(), key=lambda t: t.name)
    ]
    channels = [
        ChannelUse(channel=channel, events=count, first_seen_at=first, last_seen_at=last)
        for channel, count, first, last in session.execute(
            select(
                ProfileEvent.channel,
                func.count(),
                func.min(ProfileEvent.occurred_at),
                func.max(ProfileEvent.occurred_at),
            )
            .where(ProfileEvent.profile_id == root.id)
            .group_by(ProfileEvent.channel)
            .order_by(ProfileEvent.channel)
        )
    ]
    returns = returns_seen(session, profile_id=root.id)
    return ProfileOut(
        id=root.id,
        recognised=root.recognised,
        status="recognised" if root.recognised else "anonymous",
        created_at=root.created_at,
        first_seen_at=root.first_seen_at,
        last_seen_at=root.last_seen_at,
        merged_profile_ids=members,
        identifiers=identifiers,
        traits=traits,
        household=household_of(session, [root.id, *members]),
        channels=channels,
        computed=computed(session, profile_id=root.id),
        satisfaction=returns.satisfaction,
        last_return=returns.last_return,
        timeline=timeline(session, profile_id=root.id, limit=timeline_limit),
    )


def current_traits(session: Session, *, profile_id: str) -> dict[str, Any]:
    """The latest value of each trait of the person ``profile_id`` is part of (the traits of
    the 360° view, without the rest of it)."""
    root = profile_root(session, profile_id)
    latest: dict[str, Any] = {}
    for name, value in session.execute(
        select(ProfileTrait.name, ProfileTrait.value)
        .where(ProfileTrait.profile_id == root.id)
        .order_by(ProfileTrait.observed_at, ProfileTrait.id)
    ):
        latest[name] = _readable(value)
    return latest


def recognised_profile_ids(
    session: Session, *, after: str | None = None, limit: int = 500
) -> list[str]:
    """The recognised people (root profiles), by id, ``limit`` at a time after ``after``."""
    query = select(Profile.id).where(Profile.root_id == Profile.id, Profile.recognised.is_(True))
    if after is not None:
        query = query.where(Profile.id > after)
    return list(session.scalars(query.order_by(Profile.id).limit(max(1, min(limit, 5000)))))


def display_name(profile: ProfileOut) -> str:
    """The name pages show: the first_name and last_name traits ("" when neither is known)."""
    traits = {trait.name: trait.value for trait in profile.traits}
    return " ".join(str(traits[key]) for key in ("first_name", "last_name") if traits.get(key))


def household_of(session: Session, profile_ids: list[str]) -> HouseholdOut | None:
    """The household one of these profiles belongs to, with every member's current profile."""
    household_id = session.scalar(
        select(HouseholdMember.household_id)
        .where(HouseholdMember.profile_id.in_(profile_ids))
        .order_by(HouseholdMember.household_id)
        .limit(1)
    )
    if household_id is None:
        return None
    rows = session.execute(
        select(Profile.root_id, HouseholdMember.reason)
        .join(Profile, Profile.id == HouseholdMember.profile_id)
        .where(HouseholdMember.household_id == household_id)
        .order_by(Profile.root_id)
    ).all()
    members: dict[str, str] = {}
    for root_id, reason in rows:
        members.setdefault(root_id, reason)
    return HouseholdOut(
        id=household_id,
        members=[HouseholdMemberOut(profile_id=p, reason=r) for p, r in members.items()],
    )
