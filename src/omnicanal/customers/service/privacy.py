"""A person's rights over their data, on the customers module's side: what it holds about
them (export) and forgetting it (erasure, retention).

A person is a root profile and every profile merged into it (merged-away profiles included).
The values that identify them (identifiers, names, addresses...) are handed to the privacy
use case so the other modules and the event log can forget them too; this module deletes its
own rows only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers.identity.store import touch_profiles
from omnicanal.customers.models import (
    HouseholdMember,
    IdentityMerge,
    IdentityReview,
    PersonKey,
    Profile,
    ProfileEvent,
    ProfileIdentifier,
    ProfileReference,
    ProfileSearchName,
    ProfileSeparation,
    ProfileTrait,
)
from omnicanal.customers.service.profiles import (
    REFERENCE_KINDS,
    computed,
    household_of,
    profile_root,
)
from omnicanal.platform.db import rowcount

__all__ = [
    "Person",
    "erase_profiles",
    "export_profiles",
    "person_of",
    "purge_behaviour_events",
    "stale_profiles",
]

# Identifiers that name one person only: a value of these kinds found anywhere (an order's
# customer_ref, an event's data) is theirs. Names and addresses are searched for only
# inside rows already known to be about the person.
STRONG_KINDS = ("email", "phone", "loyalty_card", "user_id", "external_id", "anonymous_id")
_PERSONAL_TRAIT_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "name",
        "firstName",
        "lastName",
        "email",
        "phone",
        "street",
        "address",
        "line1",
        "line2",
        "customer_number",
        "birthday",
        "username",
    }
)


@dataclass(frozen=True)
class Person:
    """One person as the customers module knows them, and the values that identify them."""

    root_id: str
    profile_ids: tuple[str, ...]
    identifiers: tuple[str, ...]
    """Identifier values of their own (not shared with others): found anywhere, they are theirs."""
    personal_values: tuple[str, ...]
    """Names, addresses and other trait values: theirs inside rows about them."""
    customer_refs: tuple[str, ...]
    """The references carts and orders may be filed under for them."""
    timeline_ids: tuple[str, ...]
    """Timeline entry ids (a tracked message keeps the id of the entry it became)."""
    order_ids: tuple[str, ...]
    """Orders and carts their timeline or references name."""


def _strings(value: Any, *, key: str | None = None) -> Iterable[str]:
    if isinstance(value, str):
        if key is None or key in _PERSONAL_TRAIT_KEYS or key.endswith(("_name", "name")):
            yield value
    elif isinstance(value, dict):
        for inner_key, inner in value.items():
            yield from _strings(inner, key=str(inner_key))
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, key=key)


def person_of(session: Session, *, profile_id: str) -> Person:
    """The person ``profile_id`` is part of: their profiles, identifying values and references."""
    root = profile_root(session, profile_id)
    ids = sorted(session.scalars(select(Profile.id).where(Profile.root_id == root.id)))
    identifiers = session.execute(
        select(ProfileIdentifier.kind, ProfileIdentifier.value, ProfileIdentifier.shared).where(
            ProfileIdentifier.profile_id.in_(ids)
        )
    ).all()
    own = sorted({value for kind, value, shared in identifiers if not shared and kind})
    values: set[str] = set()
    for name, value in session.execute(
        select(ProfileTrait.name, ProfileTrait.value).where(
            or_(ProfileTrait.profile_id.in_(ids), ProfileTrait.home_profile_id.in_(ids))
        )
    ):
        values.update(_strings(value, key=name))
    refs = [value for kind, value, shared in identifiers if kind in REFERENCE_KINDS and not shared]
    refs += [f"{kind}:{value}" for kind, value, shared in identifiers if not shared]
    refs += [*ids, *(f"profile:{id_}" for id_ in ids)]
    timeline = session.execute(
        select(ProfileEvent.id, ProfileEvent.order_id).where(
            or_(ProfileEvent.profile_id.in_(ids), ProfileEvent.home_profile_id.in_(ids))
        )
    ).all()
    references = session.scalars(
        select(ProfileReference.reference).where(
            or_(ProfileReference.profile_id.in_(ids), ProfileReference.home_profile_id.in_(ids))
        )
    ).all()
    orders = {order_id for _, order_id in timeline if order_id} | set(references)
    return Person(
        root_id=root.id,
        profile_ids=tuple(ids),
        identifiers=tuple(own),
        personal_values=tuple(sorted(v for v in values - set(own) if len(v.strip()) >= 2)),
        customer_refs=tuple(dict.fromkeys(refs)),
        timeline_ids=tuple(sorted(event_id for event_id, _ in timeline)),
        order_ids=tuple(sorted(orders)),
    )


def _rows(session: Session, model: Any, *conditions: Any) -> list[dict[str, Any]]:
    table = model.__table__
    query = select(table).where(or_(*conditions)).order_by(*table.primary_key)
    return [dict(row._mapping) for row in session.execute(query)]


def export_profiles(session: Session, *, person: Person) -> dict[str, list[dict[str, Any]]]:
    """Every row the customers module holds about ``person``, one list per kind."""
    ids = person.profile_ids
    return {
        "profiles": _rows(session, Profile, Profile.id.in_(ids)),
        "identifiers": _rows(session, ProfileIdentifier, ProfileIdentifier.profile_id.in_(ids)),
        "traits": _rows(session, ProfileTrait, ProfileTrait.profile_id.in_(ids)),
        "computed_traits": [computed(session, profile_id=person.root_id).model_dump()],
        "timeline": _rows(
            session,
            ProfileEvent,
            ProfileEvent.profile_id.in_(ids),
            ProfileEvent.home_profile_id.in_(ids),
        ),
        "merges": _rows(
            session,
            IdentityMerge,
            IdentityMerge.survivor_id.in_(ids),
            IdentityMerge.absorbed_id.in_(ids),
        ),
        "identity_reviews": _rows(
            session,
            IdentityReview,
            IdentityReview.profile_a_id.in_(ids),
            IdentityReview.profile_b_id.in_(ids),
        ),
        "household": [
            household.model_dump()
            for household in [household_of(session, list(ids))]
            if household is not None
        ],
    }


def erase_profiles(session: Session, *, person: Person) -> int:
    """Delete every row of the customers module about ``person``; returns how many. The
    people left beside them (their household, those sharing an identifier with them) change
    too."""
    ids = person.profile_ids
    neighbours = set(
        session.scalars(
            select(Profile.root_id)
            .join(HouseholdMember, HouseholdMember.profile_id == Profile.id)
            .where(
                HouseholdMember.household_id.in_(
                    select(HouseholdMember.household_id).where(HouseholdMember.profile_id.in_(ids))
                )
            )
        )
    )
    deleted = 0
    for statement in (
        delete(ProfileIdentifier).where(
            or_(ProfileIdentifier.profile_id.in_(ids), ProfileIdentifier.home_profile_id.in_(ids))
        ),
        delete(ProfileTrait).where(
            or_(ProfileTrait.profile_id.in_(ids), ProfileTrait.home_profile_id.in_(ids))
        ),
        delete(ProfileEvent).where(
            or_(ProfileEvent.profile_id.in_(ids), ProfileEvent.home_profile_id.in_(ids))
        ),
        delete(ProfileReference).where(
            or_(ProfileReference.profile_id.in_(ids), ProfileReference.home_profile_id.in_(ids))
        ),
        delete(ProfileSearchName).where(ProfileSearchName.profile_id.in_(ids)),
        delete(IdentityMerge).where(
            or_(IdentityMerge.survivor_id.in_(ids), IdentityMerge.absorbed_id.in_(ids))
        ),
        delete(IdentityReview).where(
            or_(IdentityReview.profile_a_id.in_(ids), IdentityReview.profile_b_id.in_(ids))
        ),
        delete(ProfileSeparation).where(
            or_(ProfileSeparation.profile_a_id.in_(ids), ProfileSeparation.profile_b_id.in_(ids))
        ),
        delete(HouseholdMember).where(HouseholdMember.profile_id.in_(ids)),
        delete(PersonKey).where(PersonKey.profile_id.in_(ids)),
        delete(Profile).where(Profile.id.in_(ids)),
    ):
        deleted += rowcount(session.execute(statement.execution_options(synchronize_session=False)))
    # Others' shared identifiers remember who they were seen with: forget this person there.
    gone = set(ids)
    for row in session.scalars(select(ProfileIdentifier).where(ProfileIdentifier.shared)):
        if gone & set(row.seen_with or []):
            row.seen_with = [p for p in row.seen_with if p not in gone]
            neighbours.add(row.profile_id)
    touch_profiles(session, neighbours - gone)
    return deleted


def stale_profiles(
    session: Session,
    *,
    anonymous_before: datetime,
    recognised_before: datetime,
    limit: int = 500,
) -> tuple[list[str], list[str]]:
    """Root profiles last seen before their retention limit: (anonymous ones, recognised ones)."""
    last_seen = func.coalesce(Profile.last_seen_at, Profile.created_at)
    roots = select(Profile.id).where(Profile.root_id == Profile.id)
    anonymous = session.scalars(
        roots.where(Profile.recognised.is_(False), last_seen < anonymous_before)
        .order_by(last_seen)
        .limit(limit)
    ).all()
    recognised = session.scalars(
        roots.where(Profile.recognised.is_(True), last_seen < recognised_before)
        .order_by(last_seen)
        .limit(limit)
    ).all()
    return list(anonymous), list(recognised)


def purge_behaviour_events(
    session: Session, *, before: datetime, limit: int = 5000
) -> Sequence[str]:
    """Delete browsing entries (not orders) of the timeline older than ``before``; their ids."""
    ids = session.scalars(
        select(ProfileEvent.id)
        .where(ProfileEvent.occurred_at < before, ProfileEvent.order_id.is_(None))
        .limit(limit)
    ).all()
    if ids:
        session.execute(
            delete(ProfileEvent)
            .where(ProfileEvent.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    return ids
