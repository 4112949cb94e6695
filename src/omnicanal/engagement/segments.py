"""Segments: who a trigger is for, as rules on what the platform knows of a person, evaluated
when a message is planned and again when it is sent (never a list kept up to date).

The rules and how they read a person are pure (``segment_rules.py``); here a person's facts
are read through the modules' public functions (their traits and computed traits, their
loyalty card, their timeline's events), and segments are saved and counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement import access
from omnicanal.engagement.errors import UnknownSegment
from omnicanal.engagement.models import Segment
from omnicanal.engagement.segment_rules import (
    COMPUTED_FIELDS,
    LOYALTY_FIELDS,
    MAX_DAYS,
    MAX_RULES,
    OPERATORS,
    InvalidSegment,
    PersonFacts,
    check_rules,
    evaluate,
)
from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.errors import UnknownMember
from omnicanal.platform.actors import OPERATOR, Actor
from omnicanal.platform.bounds import check_text
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.db import dialect_insert
from omnicanal.platform.ids import new_id

__all__ = [
    "COMPUTED_FIELDS",
    "LOYALTY_FIELDS",
    "MAX_RULES",
    "MAX_SCANNED",
    "OPERATORS",
    "InvalidSegment",
    "PersonFacts",
    "SegmentView",
    "check_rules",
    "evaluate",
    "get_segment",
    "is_member",
    "list_segments",
    "members_count",
    "person_facts",
    "save_segment",
]

MAX_SCANNED = 2_000
"""The most people :func:`members_count` looks at (the first, by profile id)."""
MAX_EVENTS_SCANNED = 5_000
"""The most timeline events read for a person's event rules (the newest first)."""
SEGMENT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_]{0,49}$")
TRAIT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
_EVENTS_PAGE = 200


@dataclass(frozen=True)
class SegmentView:
    """A segment as the back office and the API show it."""

    code: str
    name: str
    rules: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


# --- reading a person -------------------------------------------------------------------------


def _wanted_events(rules: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for rule in rules:
        if isinstance(rule, Mapping) and isinstance(rule.get("event"), str):
            days = rule.get("within_days")
            looked: int = MAX_DAYS
            if isinstance(days, int) and not isinstance(days, bool) and 0 < days <= MAX_DAYS:
                looked = days
            wanted[rule["event"]] = max(wanted.get(rule["event"], 0), looked)
    return wanted


def _groups(rules: Iterable[Mapping[str, Any]]) -> set[str]:
    return {
        str(rule.get("field", "")).partition(".")[0]
        for rule in rules
        if isinstance(rule, Mapping) and "field" in rule
    }


def _events(
    session: Session, profile_id: str, wanted: Mapping[str, int], now: datetime
) -> dict[str, tuple[datetime, ...]]:
    """The moments of the wanted events, newest first, as far back as the longest rule looks
    (and no further than :data:`MAX_EVENTS_SCANNED` events)."""
    oldest = as_utc(now) - timedelta(days=max(wanted.values()))
    found: dict[str, list[datetime]] = {name: [] for name in wanted}
    cursor, scanned = None, 0
    while scanned < MAX_EVENTS_SCANNED:
        page = customers.timeline(
            session, profile_id=profile_id, limit=_EVENTS_PAGE, starting_after=cursor
        )
        for item in page.items:
            if as_utc(item.occurred_at) < oldest:
                return {name: tuple(moments) for name, moments in found.items()}
            if item.name in found:
                found[item.name].append(as_utc(item.occurred_at))
        scanned += len(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return {name: tuple(moments) for name, moments in found.items()}


def _loyalty(session: Session, profile_id: str) -> dict[str, Any]:
    try:
        member = loyalty.find_member(session, actor=OPERATOR, profile_id=profile_id)
    except UnknownMember:
        return {}
    return {
        "tier": member.tier.code if member.tier else None,
        "points": member.balance.available,
        "programme": member.programme,
    }


def person_facts(
    session: Session,
    profile_id: str,
    *,
    now: datetime,
    rules: Sequence[Mapping[str, Any]] | None = None,
) -> PersonFacts:
    """What the platform knows of the person now, through the modules' public functions;
    with ``rules``, only what they read (the loyalty card, the timeline's events)."""
    root = customers.profile_root(session, profile_id).id
    groups = _groups(rules) if rules is not None else {"traits", "computed", "loyalty"}
    wanted = _wanted_events(rules or ())
    traits = customers.current_traits(session, profile_id=root) if "traits" in groups else {}
    computed = (
        customers.computed(session, profile_id=root, now=now).model_dump()
        if "computed" in groups
        else {}
    )
    return PersonFacts(
        profile_id=root,
        now=as_utc(now),
        traits=MappingProxyType(traits),
        computed=MappingProxyType(computed),
        loyalty=MappingProxyType(_loyalty(session, root) if "loyalty" in groups else {}),
        events=MappingProxyType(_events(session, root, wanted, now) if wanted else {}),
    )


# --- segments ---------------------------------------------------------------------------------


def _view(row: Segment) -> SegmentView:
    return SegmentView(
        code=row.code,
        name=row.name,
        rules=[dict(rule) for rule in row.rules],
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def _row(session: Session, code: str) -> Segment:
    row = session.scalar(select(Segment).where(Segment.code == code))
    if row is None:
        raise UnknownSegment(f"No segment has the code {code[:50]!r}.", field="segment_code")
    return row


def get_segment(session: Session, *, code: str, actor: Actor) -> SegmentView:
    """One segment and its rules (``engagement:read``)."""
    access.check_reader(actor)
    return _view(_row(session, code))


def list_segments(session: Session, *, actor: Actor) -> list[SegmentView]:
    """Every segment, by code (``engagement:read``)."""
    access.check_reader(actor)
    return [_view(row) for row in session.scalars(select(Segment).order_by(Segment.code))]


def save_segment(
    session: Session, *, code: str, name: str, rules: Any, actor: Actor
) -> SegmentView:
    """Create or replace a segment (head office: ``engagement:admin``); refused
    (:class:`InvalidSegment`, nothing changed) with a code, a name or a rule it cannot read.
    The edge that calls it audits the change as ``message_segment:<code>``."""
    access.check_admin(actor, doing="change segments")
    if not isinstance(code, str) or not SEGMENT_CODE.match(code):
        raise InvalidSegment(
            "A segment's code is 1 to 50 capitals, digits or underscores (LYON_REGULARS).",
            field="code",
            detail_fr="Le code d'un segment s'écrit en majuscules, chiffres et « _ » (50 au plus).",
        )
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidSegment(
            "A segment's name is 1 to 200 characters.",
            field="name",
            detail_fr="Le nom d'un segment fait de 1 à 200 caractères.",
        )
    try:
        check_text(name)
    except ValueError as error:
        raise InvalidSegment(
            f"{error}.", field="name", detail_fr="Le nom contient un caractère illisible."
        ) from None
    checked = check_rules(rules)
    now = utcnow()
    values = {"name": name.strip(), "rules": checked, "updated_at": now}
    insert = dialect_insert(session)
    session.execute(
        insert(Segment)
        .values(id=new_id(), code=code, created_at=now, **values)
        .on_conflict_do_update(index_elements=["code"], set_=values)
    )
    row = _row(session, code)
    session.refresh(row)
    return _view(row)


def is_member(session: Session, segment_code: str, profile_id: str, *, now: datetime) -> bool:
    """Whether the person is in the segment now (:class:`UnknownSegment` for a segment that
    does not exist; an unknown person is in none)."""
    rules = _row(session, segment_code).rules
    try:
        person = person_facts(session, profile_id, now=now, rules=rules)
    except UnknownProfile:
        return False
    return evaluate(rules, person)


def members_count(
    session: Session, segment_code: str, *, now: datetime, limit: int = MAX_SCANNED
) -> int:
    """How many recognised people are in the segment now, among the first ``limit`` (by
    profile id, at most :data:`MAX_SCANNED`): a size for the back office, not a list."""
    rules = _row(session, segment_code).rules
    budget = max(0, min(limit, MAX_SCANNED))
    count, after = 0, None
    while budget > 0:
        batch = customers.recognised_profile_ids(session, after=after, limit=min(budget, 500))
        if not batch:
            break
        for profile_id in batch:
            if evaluate(rules, person_facts(session, profile_id, now=now, rules=rules)):
                count += 1
        budget -= len(batch)
        after = batch[-1]
    return count
