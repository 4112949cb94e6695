"""The identity graph's counts behind the KPIs' match rates and time-to-unification, read from
the customers module's own tables over a window of time ``[start, end)``.

Each count, as the analytics measures divide them (ADR 0040):

- ``profiles``: the people seen in the window: root profiles (not merged into another; an
  erased person has no rows left) with a timeline entry that happened in it.
- ``recognised``: those holding an e-mail, a phone, a loyalty card, a login or a till
  customer number.
- ``members``: those holding a loyalty card; ``members_with_email``: and an e-mail too
  (e-mail ↔ card match rate).
- ``till_records``: the people seen at a till in the window (a timeline entry from the
  ``store`` channel); ``till_records_with_phone``: those whose profile holds a phone, so
  the till's record is linked through it (phone ↔ till match rate).
- ``cookies``: the anonymous ids first seen in the window on the web shop or in the app
  (browser cookies, app installs; not a till's session ids); ``cookies_with_login``: those
  now on a profile holding a login (cookie ↔ login match rate).
- ``unifications``: the merges of two profiles in the window, still standing; a merge is
  dated by the message that made it (``occurred_at``), a person's decision by its time;
  ``unification_seconds``: the sum over them of that time minus the absorbed profile's
  first sighting (never below 0), so their mean is the time-to-unification.

Times are those the messages gave (when things happened), not when rows were written, so a
history loaded or replayed later reads the same. With ``stores``, only what the data ties
to one of them counts: timeline entries and merges whose source is a key bound to the store
(``/channels/…/locations/<code>``). Cookies are the chain's: a cookie has no store.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.models import IdentityMerge, Profile, ProfileEvent, ProfileIdentifier
from omnicanal.platform.clock import as_utc

__all__ = [
    "RECOGNISING_KINDS",
    "TILL_CHANNEL",
    "IdentityCounts",
    "identity_counts",
    "identity_counts_by_window",
]

TILL_CHANNEL = "store"
"""The channel of a store's till: tracked messages of a store source, events of a store key."""
RECOGNISING_KINDS = (
    IdentifierKind.email,
    IdentifierKind.phone,
    IdentifierKind.loyalty_card,
    IdentifierKind.user_id,
    IdentifierKind.external_id,
)
"""What makes a profile someone we can name and reach again."""
COOKIE_CHANNELS = ("web", "app")
"""Where an anonymous id is a visitor's cookie or app install."""
RECEPTION_MARGIN = timedelta(hours=1)
"""How much earlier than its happening a timeline entry may have been received: none is (the
tracking API clamps a message's time to ten minutes after its reception); the bound lets the
window's read use the index on the reception time."""


@dataclass(frozen=True)
class IdentityCounts:
    """The counts of the module docstring, over one window."""

    profiles: int
    recognised: int
    members: int
    members_with_email: int
    till_records: int
    till_records_with_phone: int
    cookies: int
    cookies_with_login: int
    unifications: int
    unification_seconds: float


def _at_stores(source: QueryableAttribute[str], stores: Sequence[str]) -> ColumnElement[bool]:
    """The rows whose source is a key bound to one of ``stores``."""
    patterns = []
    for code in stores:
        escaped = code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        patterns.append(source.like(f"/channels/%/locations/{escaped}", escape="\\"))
    return or_(false(), *patterns)


def _from_channels(source: QueryableAttribute[str], channels: Sequence[str]) -> ColumnElement[bool]:
    """The rows whose source speaks for one of ``channels``: a tracking source is labelled
    ``<kind>/<name>``, a domain event's source is ``/channels/<kind>[/locations/<code>]``."""
    return or_(
        *(source.like(f"{channel}/%") for channel in channels),
        *(source == f"/channels/{channel}" for channel in channels),
        *(source.like(f"/channels/{channel}/%") for channel in channels),
    )


def identity_counts(
    session: Session, *, start: datetime, end: datetime, stores: Sequence[str] = ()
) -> IdentityCounts:
    """The identity counts of ``[start, end)`` (at ``stores`` only, where the data knows the
    store): see the module docstring for each one's definition."""
    return identity_counts_by_window(session, windows=[(start, end)], stores=stores)[0]


def identity_counts_by_window(
    session: Session, *, windows: Sequence[tuple[datetime, datetime]], stores: Sequence[str] = ()
) -> list[IdentityCounts]:
    """:func:`identity_counts` of each ``[start, end)`` window (the days of a series, which do
    not overlap), read in one pass over their whole span: the same few queries for 90 days as
    for one."""
    spans = sorted((as_utc(start), as_utc(end)) for start, end in windows)
    if not spans:
        return []
    if any(spans[n][1] > spans[n + 1][0] for n in range(len(spans) - 1)):
        raise ValueError("The windows of identity counts do not overlap.")
    first, last = spans[0][0], spans[-1][1]
    starts = [start for start, _ in spans]

    def buckets(at: datetime) -> list[int]:
        n = bisect_right(starts, as_utc(at)) - 1
        return [n] if n >= 0 and as_utc(at) < spans[n][1] else []

    # One window: each person and channel once; several: each sighting's time, to bucket it.
    several = len(spans) > 1
    columns = (ProfileEvent.profile_id, ProfileEvent.channel)
    seen = (
        select(*columns, ProfileEvent.occurred_at, ProfileEvent.received_at)
        if several
        else select(*columns)
    )
    seen = seen.where(
        ProfileEvent.profile_id.is_not(None),
        ProfileEvent.occurred_at >= first,
        ProfileEvent.occurred_at < last,
        ProfileEvent.received_at >= first - RECEPTION_MARGIN,
    ).distinct()
    if stores:
        seen = seen.where(_at_stores(ProfileEvent.source, stores))
    people: list[set[str]] = [set() for _ in spans]
    at_till: list[set[str]] = [set() for _ in spans]
    for row in session.execute(seen):
        profile_id, channel = row[0], row[1]
        for n in buckets(row[2]) if several else [0]:
            if several and as_utc(row[3]) < spans[n][0] - RECEPTION_MARGIN:
                continue
            people[n].add(str(profile_id))
            if channel == TILL_CHANNEL:
                at_till[n].add(str(profile_id))
    holders: dict[str, set[str]] = {kind.value: set() for kind in RECOGNISING_KINDS}
    if any(people):
        window = seen.with_only_columns(ProfileEvent.profile_id).distinct().subquery()
        for profile_id, kind in session.execute(
            select(ProfileIdentifier.profile_id, ProfileIdentifier.kind)
            .where(
                ProfileIdentifier.kind.in_(list(holders)),
                ProfileIdentifier.profile_id.in_(select(window.c.profile_id)),
            )
            .distinct()
        ):
            holders[kind].add(profile_id)
    recognised = set().union(*holders.values())
    cookies = [(0, 0)] * len(spans)
    for first_seen_at, logged_in in _cookies(session, first, last):
        for n in buckets(first_seen_at):
            cookies[n] = (cookies[n][0] + 1, cookies[n][1] + (1 if logged_in else 0))
    unifications = [(0, 0.0)] * len(spans)
    for at, seconds in _unifications(session, first, last, stores):
        for n in buckets(at):
            unifications[n] = (unifications[n][0] + 1, unifications[n][1] + seconds)
    answer = []
    for n in range(len(spans)):
        members = people[n] & holders[IdentifierKind.loyalty_card.value]
        answer.append(
            IdentityCounts(
                profiles=len(people[n]),
                recognised=len(people[n] & recognised),
                members=len(members),
                members_with_email=len(members & holders[IdentifierKind.email.value]),
                till_records=len(at_till[n]),
                till_records_with_phone=len(at_till[n] & holders[IdentifierKind.phone.value]),
                cookies=cookies[n][0],
                cookies_with_login=cookies[n][1],
                unifications=unifications[n][0],
                unification_seconds=unifications[n][1],
            )
        )
    order = sorted(range(len(windows)), key=lambda n: as_utc(windows[n][0]))
    result: list[IdentityCounts] = [answer[0]] * len(windows)
    for rank, n in enumerate(order):
        result[n] = answer[rank]
    return result


def _cookies(session: Session, start: datetime, end: datetime) -> list[tuple[datetime, bool]]:
    """The web and app anonymous ids first seen in the window: when, and whether they are on a
    profile with a login."""
    login = aliased(ProfileIdentifier)
    has_login = exists().where(
        login.profile_id == ProfileIdentifier.profile_id,
        login.kind == IdentifierKind.user_id.value,
    )
    rows = session.execute(
        select(ProfileIdentifier.first_seen_at, has_login).where(
            ProfileIdentifier.kind == IdentifierKind.anonymous_id.value,
            _from_channels(ProfileIdentifier.source, COOKIE_CHANNELS),
            ProfileIdentifier.first_seen_at >= start,
            ProfileIdentifier.first_seen_at < end,
        )
    ).all()
    return [(first_seen_at, bool(logged_in)) for first_seen_at, logged_in in rows]


def _unifications(
    session: Session, start: datetime, end: datetime, stores: Sequence[str]
) -> list[tuple[datetime, float]]:
    """The standing merges dated in the window: when, and their seconds from the absorbed
    profile's first sighting."""
    query = (
        select(IdentityMerge.merged_at, ProfileEvent.occurred_at, Profile.first_seen_at)
        .join(Profile, Profile.id == IdentityMerge.absorbed_id)
        .outerjoin(ProfileEvent, ProfileEvent.id == IdentityMerge.event_id)
        .where(
            IdentityMerge.unmerged_at.is_(None),
            or_(
                and_(ProfileEvent.occurred_at >= start, ProfileEvent.occurred_at < end),
                and_(
                    ProfileEvent.id.is_(None),
                    IdentityMerge.merged_at >= start,
                    IdentityMerge.merged_at < end,
                ),
            ),
        )
    )
    if stores:
        query = query.where(_at_stores(IdentityMerge.source, stores))
    merges = []
    for merged_at, occurred_at, first_seen_at in session.execute(query):
        if first_seen_at is None:
            # The column allows a profile never seen; it would have no delay to give.
            continue
        at = occurred_at if occurred_at is not None else merged_at
        merges.append((at, max(0.0, (as_utc(at) - as_utc(first_seen_at)).total_seconds())))
    return merges
