"""Customers read page by page for an export: one row per recognised person.

A person is a root profile (merged profiles are part of it) that some identifier names; an
anonymous visitor is no customer to export. Each row holds the person's name and their
identifiers of each kind, the most recently seen first, joined with ``; ``. This is personal
data in bulk: the edge lets only keys with the ``profiles:export`` scope ask for it and
records each export in the audit log. An erased person has no profile left, so no row.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers.models import Profile, ProfileIdentifier, ProfileSearchName
from omnicanal.platform.tabular import Column, ColumnKind, Page

__all__ = ["CUSTOMER_EXPORT_COLUMNS", "count_customers", "customers_page"]

EXPORTED_KINDS = ("email", "phone", "loyalty_card", "user_id", "external_id")
_MOMENT = ColumnKind.moment
CUSTOMER_EXPORT_COLUMNS = (
    Column("profile_id"),
    Column("created_at", _MOMENT),
    Column("first_seen_at", _MOMENT),
    Column("last_seen_at", _MOMENT),
    Column("name"),
    *(Column(kind) for kind in EXPORTED_KINDS),
)
SEPARATOR = "; "


def _where(since: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Profile.root_id == Profile.id,
        Profile.recognised.is_(True),
    ]
    if since is not None:
        conditions.append(or_(Profile.created_at >= since, Profile.last_seen_at >= since))
    return conditions


def customers_page(
    session: Session, *, after: str | None, limit: int, since: datetime | None = None
) -> Page:
    """Up to ``limit`` recognised people after the cursor ``after`` (a profile id), those
    created or seen from ``since`` when given."""
    query = select(Profile).where(*_where(since))
    if after is not None:
        query = query.where(Profile.id > after)
    profiles = list(session.scalars(query.order_by(Profile.id).limit(limit + 1)))
    cursor = None
    if len(profiles) > limit:
        profiles = profiles[:limit]
        cursor = profiles[-1].id
    ids = [profile.id for profile in profiles]
    names = {
        profile_id: name
        for profile_id, name in session.execute(
            select(ProfileSearchName.profile_id, ProfileSearchName.name).where(
                ProfileSearchName.profile_id.in_(ids)
            )
        )
    }
    identifiers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for profile_id, kind, value in session.execute(
        select(ProfileIdentifier.profile_id, ProfileIdentifier.kind, ProfileIdentifier.value)
        .where(ProfileIdentifier.profile_id.in_(ids), ProfileIdentifier.kind.in_(EXPORTED_KINDS))
        .order_by(ProfileIdentifier.last_seen_at.desc(), ProfileIdentifier.value)
    ):
        identifiers[(profile_id, kind)].append(value)
    rows: list[tuple[Any, ...]] = [
        (
            profile.id,
            profile.created_at,
            profile.first_seen_at,
            profile.last_seen_at,
            names.get(profile.id, ""),
            *(SEPARATOR.join(identifiers[(profile.id, kind)]) for kind in EXPORTED_KINDS),
        )
        for profile in profiles
    ]
    return Page(rows=rows, after=cursor)


def count_customers(session: Session, *, since: datetime | None = None) -> int:
    """How many rows :func:`customers_page` would give in all."""
    query = select(func.count()).select_from(Profile).where(*_where(since))
    return int(session.scalar(query) or 0)
