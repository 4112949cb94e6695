"""Recording sightings of people: resolve their identity, then write their timeline.

A *sighting* is one tracked message (identify, track, page...) or one domain event (an
order, a cart) that says something about a person. :func:`record_sightings` resolves a
batch of them through the identity graph in memory and writes everything in bulk, in the
caller's transaction: identifiers, merges, conflicts, traits, timeline entries, references.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.customers.commerce import OrderFacts
from omnicanal.customers.events import (
    CustomerIdentified,
    IdentityConflictFound,
    PersonRecorded,
    ProfileMerged,
    SharedIdentifierFound,
)
from omnicanal.customers.identifiers import Identifier, IdentifierKind
from omnicanal.customers.identity.blocked import Blocklist
from omnicanal.customers.identity.graph import IdentityGraph, Observation
from omnicanal.customers.identity.ids import fast_id
from omnicanal.customers.identity.person import PersonFacts
from omnicanal.customers.identity.store import (
    component_roots,
    flush_graph,
    hold_keys,
    hold_profiles,
    load_graph,
    touch_profiles,
    touches_at_the_end,
)
from omnicanal.customers.models import ProfileEvent, ProfileReference, ProfileTrait
from omnicanal.customers.service.merging import reexamine_matched_merges, reexamine_merges
from omnicanal.customers.service.search import NAME_TRAITS as SEARCH_NAME_TRAITS
from omnicanal.customers.service.search import refresh_search_names
from omnicanal.customers.service.traits import BIRTH, CITY, POSTCODE, STREET
from omnicanal.platform.actors import Actor
from omnicanal.platform.bulk import bulk_copy, bulk_insert
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import record_event

__all__ = ["NAME_TRAITS", "Resolved", "Sighting", "hold_sightings", "record_sightings"]

NAME_TRAITS = frozenset(
    {"first_name", "firstName", "last_name", "lastName", "given_name", "family_name", "name"}
)
"""Traits that make a profile a person record worth matching."""
FOUND_BY_TRAITS = frozenset({*BIRTH, *STREET, *POSTCODE, *CITY, "address"})
"""Traits that give a person record more to be found by (an address, a birth date): a known
profile that receives them is matched again."""


UNIFICATION_MS_MAX = 2**31 - 1
"""The longest time to unification a timeline entry records (about 24.8 days, the column's
32-bit range): an event heard that late (a relay stopped for weeks, a replayed history) is
recorded as that, not refused."""


@dataclass(frozen=True)
class Sighting:
    """Something a person did or said, from one source, with the identifiers it carried."""

    identifiers: tuple[Identifier, ...]
    kind: str
    name: str
    occurred_at: datetime
    received_at: datetime
    source: str
    channel: str
    message_ref: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    traits: Mapping[str, Any] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    profile_hint: str | None = None
    order: OrderFacts | None = None
    trusted: bool = True
    """Its source may merge two known people (see ``identity.rules``)."""


@dataclass(frozen=True)
class Resolved:
    """Where a sighting went: its timeline entry and the profile it joined (None: nobody,
    only shared identifiers)."""

    event_id: str
    profile_id: str | None
    created: bool
    merged: int


def _references(session: Session, references: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    ordered = sorted(references)
    for start in range(0, len(ordered), 400):
        chunk = ordered[start : start + 400]
        found.update(
            session.execute(
                select(ProfileReference.reference, ProfileReference.profile_id).where(
                    ProfileReference.reference.in_(chunk)
                )
            ).all()
        )
    return found


def _hinted(
    graph: IdentityGraph, sighting: Sighting, refs: dict[str, str], new_refs: dict[str, str]
) -> str | None:
    """The profile a sighting without usable identifiers names directly, if it exists
    (``new_refs``: the references an earlier sighting of the batch gave)."""
    named = [sighting.profile_hint] if sighting.profile_hint else []
    named += [refs.get(r) or new_refs[r] for r in sighting.references if r in refs or r in new_refs]
    for profile_id in named:
        root = graph.aliases.get(profile_id, profile_id)
        if root in graph.profiles:
            return graph.root(root)
    return None


def hold_sightings(
    session: Session, *, sightings: Sequence[Sighting], also: Iterable[tuple[int, str]] = ()
) -> bool:
    """Hold the identifiers and references these sightings carry, with the caller's own locks
    ``also`` (space, name), in one statement (PostgreSQL; False elsewhere): what
    :func:`record_sightings` takes first, for a caller that must hold them before it decides
    which sightings to record (``held=True``)."""
    return hold_keys(
        session,
        [f"{kind}:{value}" for kind, value in {i.key for s in sightings for i in s.identifiers}]
        + [f"reference:{r}" for s in sightings for r in s.references],
        also=also,
    )


def record_sightings(
    session: Session,
    *,
    sightings: Sequence[Sighting],
    actor: Actor,
    skip_unresolved: bool = False,
    announce: bool = True,
    blocklist: Blocklist | None = None,
    held: bool = False,
) -> list[Resolved]:
    """Resolve and record a batch of sightings in order, as if they came one by one.

    ``skip_unresolved``: a sighting that reaches no profile leaves no timeline entry (for
    domain events that name nobody known); otherwise it is kept, attributed to nobody.
    ``announce``: write the merges, identifications, flags and conflicts to the outbox
    (a bulk load may skip it and leave the bus quiet). ``held``: the caller holds the
    sightings' identifiers already (:func:`hold_sightings`).
    """
    if not sightings:
        return []
    with touches_at_the_end(session):
        return _record(
            session,
            sightings=sightings,
            actor=actor,
            skip_unresolved=skip_unresolved,
            announce=announce,
            blocklist=blocklist,
            held=held,
        )


def _record(
    session: Session,
    *,
    sightings: Sequence[Sighting],
    actor: Actor,
    skip_unresolved: bool,
    announce: bool,
    blocklist: Blocklist | None,
    held: bool,
) -> list[Resolved]:
    keys = {i.key for s in sightings for i in s.identifiers}
    locking = held or hold_sightings(session, sightings=sightings)
    locking = locking and session.get_bind().dialect.name == "postgresql"
    refs = _references(session, {r for s in sightings for r in s.references})
    hints = {s.profile_hint for s in sightings if s.profile_hint} | set(refs.values())
    held_profiles: set[str] = set()
    if locking:
        # The components are held before they are read: one read of the identifiers' roots
        # to know which, then the whole component, read once.
        held_profiles = component_roots(session, keys, profile_ids=hints)
        hold_profiles(session, held_profiles)
    graph = load_graph(session, keys, profile_ids=hints, blocklist=blocklist)
    while locking and set(graph.profiles) - held_profiles:
        # A merge committed between the two reads (by a resolution that held the profiles)
        # moved an identifier to a profile not held yet: hold it, then read again.
        fresh = set(graph.profiles) - held_profiles
        hold_profiles(session, fresh)
        held_profiles |= fresh
        graph = load_graph(session, keys, profile_ids=hints, blocklist=blocklist)
    results: list[Resolved] = []
    events: list[dict[str, Any]] = []
    traits: dict[tuple[str, str], dict[str, Any]] = {}
    new_refs: dict[str, str] = {}
    flagged: list[tuple[Identifier, list[str]]] = []
    new_people: list[str] = []
    # The profiles messages came through with a birth date that agrees with none their
    # person had.
    contradicted: set[str] = set()
    for sighting in sightings:
        event_id = fast_id()
        outcome = graph.observe(
            Observation(
                identifiers=sighting.identifiers,
                at=sighting.occurred_at,
                source=sighting.source,
                event_ref=event_id,
                received_at=sighting.received_at,
                person=PersonFacts.from_traits(sighting.traits),
                trusted=sighting.trusted,
            )
        )
        profile_id = outcome.profile_id or _hinted(graph, sighting, refs, new_refs)
        # What the message says belongs to the profile it came through (a merged member's
        # login: that member's), so that an unmerge gives it back with it.
        home = outcome.home if outcome.profile_id is not None else profile_id
        if outcome.contradicted and home is not None:
            contradicted.add(home)
        results.append(Resolved(event_id, profile_id, outcome.created, len(outcome.merges)))
        given = set(sighting.traits)
        if profile_id is not None and (
            (
                (outcome.created or outcome.identified or not graph.is_recognised(profile_id))
                and NAME_TRAITS & given
            )
            or FOUND_BY_TRAITS & given
        ):
            new_people.append(profile_id)
        for identifier in outcome.flagged:
            flagged.append((identifier, graph.identifiers[identifier.key].seen_with))
        if home is not None:
            for reference in sighting.references:
                if reference not in refs and reference not in new_refs:
                    new_refs[reference] = home
            for name, value in sighting.traits.items():
                key = (home, name[:100])
                if key not in traits or traits[key]["observed_at"] <= sighting.occurred_at:
                    traits[key] = {
                        "value": value,
                        "source": sighting.source,
                        "observed_at": sighting.occurred_at,
                        "event_id": event_id,
                    }
        if profile_id is None and skip_unresolved:
            continue
        order = sighting.order
        events.append(
            {
                "id": event_id,
                "home_profile_id": home,
                "kind": sighting.kind,
                "name": sighting.name[:200],
                "source": sighting.source[:120],
                "channel": sighting.channel[:30],
                "message_ref": sighting.message_ref[:120],
                "occurred_at": sighting.occurred_at,
                "received_at": sighting.received_at,
                "recognised": profile_id is not None and graph.is_recognised(profile_id),
                "order_id": order.order_id if order else None,
                "revenue_minor": order.amount_minor if order else None,
                "currency": order.currency if order else None,
                "properties": dict(sighting.properties),
            }
        )
    unified_at = utcnow()
    flush_graph(session, graph)
    for row in events:
        home = row["home_profile_id"]
        row["profile_id"] = graph.root(home) if home is not None else None
        row["unified_at"] = unified_at
        row["unification_ms"] = min(
            max(0, round((unified_at - row["received_at"]).total_seconds() * 1000)),
            UNIFICATION_MS_MAX,
        )
    bulk_copy(session, ProfileEvent.__table__, events)
    _upsert_traits(session, graph, traits)
    touch_profiles(session, {graph.root(home) for home, _ in traits})
    _refresh_names(session, graph, traits)
    if new_refs:
        bulk_insert(
            session,
            ProfileReference.__table__,
            [
                {
                    "reference": reference[:120],
                    "profile_id": graph.root(home),
                    "home_profile_id": home,
                    "created_at": unified_at,
                }
                for reference, home in new_refs.items()
            ],
            suffix="ON CONFLICT DO NOTHING",
        )
    if flagged:
        # Evidence of a second person (or a value now blocked): the merges made through it
        # are undone when the people clearly differ, queued for review otherwise.
        reexamine_merges(session, identifiers=[i for i, _ in flagged], actor=actor)
    # A birth date against the person's, through a profile the matcher merged into it: that
    # merge is undone if the two sides' birth dates differ, and both are matched again.
    split = reexamine_matched_merges(session, profile_ids=contradicted, actor=actor)
    if announce:
        _announce(session, graph, flagged, actor)
        # Anonymous records too: a name with an address or a landline is a person to match.
        for profile_id in dict.fromkeys([*(graph.root(p) for p in new_people), *split]):
            record_event(session, PersonRecorded(profile_id=profile_id), actor=actor)
    return results


def _upsert_traits(
    session: Session, graph: IdentityGraph, traits: dict[tuple[str, str], dict[str, Any]]
) -> None:
    if not traits:
        return
    upsert = (
        "ON CONFLICT (home_profile_id, name) DO UPDATE SET value = excluded.value, "
        "source = excluded.source, observed_at = excluded.observed_at, "
        "event_id = excluded.event_id, profile_id = excluded.profile_id "
        "WHERE profile_traits.observed_at <= excluded.observed_at"
    )
    rows = [
        {
            "id": fast_id(),
            "profile_id": graph.root(home),
            "home_profile_id": home,
            "name": name,
            **values,
        }
        for (home, name), values in traits.items()
    ]
    bulk_insert(session, ProfileTrait.__table__, rows, suffix=upsert)


def _refresh_names(
    session: Session, graph: IdentityGraph, traits: dict[tuple[str, str], dict[str, Any]]
) -> None:
    """Rewrite the search names of the profiles whose name traits or merges changed."""
    named = {graph.root(home) for home, name in traits if name in SEARCH_NAME_TRAITS}
    for merge in graph.merges:
        named |= {merge.absorbed_id, graph.root(merge.absorbed_id)}
    if named:
        refresh_search_names(session, profile_ids=named)


def _announce(
    session: Session,
    graph: IdentityGraph,
    flagged: list[tuple[Identifier, list[str]]],
    actor: Actor,
) -> None:
    """Tell the rest of omnicanal (outbox) about merges, identifications, flags, conflicts."""
    for merge in graph.merges:
        record_event(
            session,
            ProfileMerged(
                profile_id=merge.survivor_id,
                merged_profile_id=merge.absorbed_id,
                rule=merge.rule,
                identifier_kind=merge.identifier.kind.value if merge.identifier else None,
                timeline_event_id=merge.event_ref,
            ),
            actor=actor,
        )
    for profile_id, anonymous_ids in graph.identified:
        record_event(
            session,
            CustomerIdentified(profile_id=graph.root(profile_id), anonymous_ids=anonymous_ids),
            actor=actor,
        )
    for identifier, people in flagged:
        record_event(
            session,
            SharedIdentifierFound(
                kind=identifier.kind.value,
                profile_ids=[graph.root(p) for p in people if p in graph.profiles],
                household=identifier.kind is IdentifierKind.phone,
            ),
            actor=actor,
        )
    for conflict in graph.conflicts:
        record_event(
            session,
            IdentityConflictFound(
                profile_ids=[conflict.profile_a, conflict.profile_b],
                reason=conflict.reason,
                timeline_event_id=conflict.event_ref,
            ),
            actor=actor,
        )
