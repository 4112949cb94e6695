"""The lists a connector keeps in sync from: the people (root profiles) and the identity
review queue, one page at a time, by change time when asked (ADR 0029)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from omnicanal.customers.errors import InvalidIdentifierValue
from omnicanal.customers.identifiers import IdentifierKind, InvalidIdentifier, normalise
from omnicanal.customers.models import IdentityReview, Profile, ProfileIdentifier, ProfileTrait
from omnicanal.customers.schemas import ProfileSummaryOut, ReviewOut
from omnicanal.customers.service.traits import FAMILY, GIVEN, person_fields
from omnicanal.platform.paging import DEFAULT_LIMIT, Page, page_of

__all__ = ["list_profiles", "review_page"]

SUMMARY_KINDS = (
    IdentifierKind.email,
    IdentifierKind.phone,
    IdentifierKind.loyalty_card,
    IdentifierKind.user_id,
)
"""The identifiers a profile's summary shows."""
NAME_TRAITS = (*GIVEN, *FAMILY, "name")


def _carrier(
    session: Session, identifiers: Mapping[IdentifierKind, str], *, region: str
) -> str | None:
    """The one root profile carrying every given identifier (typed in any usual form); None
    when nobody does, or a shared one designates nobody."""
    found: set[str] = set()
    for kind, value in identifiers.items():
        try:
            identifier = normalise(kind, value, region=region)
        except InvalidIdentifier as error:
            raise InvalidIdentifierValue(error.reason, field=kind.value) from None
        row = session.execute(
            select(ProfileIdentifier.profile_id, ProfileIdentifier.shared).where(
                ProfileIdentifier.kind == identifier.kind.value,
                ProfileIdentifier.value == identifier.value,
            )
        ).first()
        if row is None or row.shared:
            return None
        found.add(row.profile_id)
    if len(found) != 1:
        return None
    return session.scalar(select(Profile.root_id).where(Profile.id == found.pop()))


def _summaries(session: Session, rows: Sequence[Profile]) -> list[ProfileSummaryOut]:
    """The page's profiles with their latest identifiers and names, in three queries."""
    ids = [row.id for row in rows]
    shown: dict[str, dict[str, str]] = {profile_id: {} for profile_id in ids}
    for profile_id, kind, value in session.execute(
        select(ProfileIdentifier.profile_id, ProfileIdentifier.kind, ProfileIdentifier.value)
        .where(
            ProfileIdentifier.profile_id.in_(ids),
            ProfileIdentifier.kind.in_([kind.value for kind in SUMMARY_KINDS]),
            ProfileIdentifier.shared.is_(False),
        )
        .order_by(ProfileIdentifier.last_seen_at, ProfileIdentifier.id)
    ):
        shown[profile_id][kind] = value
    traits: dict[str, dict[str, Any]] = {profile_id: {} for profile_id in ids}
    for profile_id, name, value in session.execute(
        select(ProfileTrait.profile_id, ProfileTrait.name, ProfileTrait.value)
        .where(ProfileTrait.profile_id.in_(ids), ProfileTrait.name.in_(NAME_TRAITS))
        .order_by(ProfileTrait.observed_at, ProfileTrait.id)
    ):
        traits[profile_id][name] = value
    members: dict[str, list[str]] = {profile_id: [] for profile_id in ids}
    for member, root in session.execute(
        select(Profile.id, Profile.root_id)
        .where(Profile.root_id.in_(ids), Profile.id != Profile.root_id)
        .order_by(Profile.id)
    ):
        members[root].append(member)
    summaries = []
    for row in rows:
        names = person_fields(traits[row.id])
        summaries.append(
            ProfileSummaryOut(
                id=row.id,
                recognised=row.recognised,
                email=shown[row.id].get(IdentifierKind.email.value),
                phone=shown[row.id].get(IdentifierKind.phone.value),
                loyalty_card=shown[row.id].get(IdentifierKind.loyalty_card.value),
                user_id=shown[row.id].get(IdentifierKind.user_id.value),
                first_name=names["given_name"] or None,
                last_name=names["family_name"] or None,
                merged_profile_ids=members[row.id],
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
                updated_at=row.updated_at,
            )
        )
    return summaries


def list_profiles(
    session: Session,
    *,
    region: str,
    recognised: bool | None = None,
    identifiers: Mapping[IdentifierKind, str] | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[ProfileSummaryOut]:
    """The people (root profiles; a merged one is inside the profile it joined), newest
    first or by change time; ``identifiers``: only the person carrying all of them (none
    when an identifier is unknown or shared)."""
    query = select(Profile).where(Profile.root_id == Profile.id)
    if recognised is not None:
        query = query.where(Profile.recognised.is_(recognised))
    if identifiers:
        carrier = _carrier(session, identifiers, region=region)
        query = query.where(Profile.id == carrier if carrier is not None else false())
    paged = page_of(
        session,
        query,
        key=Profile.id,
        changed=Profile.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    return paged.page(_summaries(session, paged.rows))


def review_page(
    session: Session,
    *,
    status: str | None = "open",
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[ReviewOut]:
    """The identity review queue, newest first or by change time: a review changes once,
    when it is decided."""
    query = select(IdentityReview)
    if status is not None:
        query = query.where(IdentityReview.status == status)
    paged = page_of(
        session,
        query,
        key=IdentityReview.id,
        changed=func.coalesce(IdentityReview.decided_at, IdentityReview.created_at),
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
        changed_of=lambda row: row.updated_at,
    )
    return paged.page([ReviewOut.model_validate(row) for row in paged.rows])
