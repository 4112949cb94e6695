"""Loading the part of the identity graph a batch touches, and writing back what changed.

Resolution reads, decides in memory (``graph``) and writes in bulk, all in the caller's
transaction. Two transactions resolving at once could both decide on the same identifiers,
so resolution holds the part of the graph it touches: SQLite's writers already queue on the
database lock; on PostgreSQL transaction-scoped advisory locks do it per connected component
(:func:`hold_keys` for the identifiers, :func:`hold_profiles` for the profiles
they reach), so a till's identify never waits behind a large batch about other people. An
operation on the whole graph (a merge decided by hand, an unmerge, a matching run) takes
:func:`lock_graph`, which waits for those in progress and holds new ones back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from omnicanal.customers.identifiers import Identifier, IdentifierKind
from omnicanal.customers.identity.blocked import Blocklist
from omnicanal.customers.identity.graph import IdentityGraph
from omnicanal.customers.identity.person import (
    BIRTH_DATE_TRAITS,
    FAMILY_NAME_TRAITS,
    FIRST_NAME_TRAITS,
    PersonFacts,
)
from omnicanal.customers.identity.rules import HOUSEHOLD_MAX
from omnicanal.customers.identity.state import IdentifierState, ProfileState
from omnicanal.customers.models import (
    HouseholdMember,
    IdentityMerge,
    IdentityReview,
    Profile,
    ProfileEvent,
    ProfileIdentifier,
    ProfileReference,
    ProfileSeparation,
    ProfileTrait,
)
from omnicanal.platform.bulk import bulk_insert, bulk_update_by_id
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC
from omnicanal.platform.ids import new_id
from omnicanal.platform.locks import hold_names

CHUNK = 400
GRAPH_LOCK_KEY = 0x0C1D_6A9A
KEY_LOCKS = 0x0C1D_6A9B
"""Advisory lock space (first of two int4 keys) of identifiers and messages."""
PROFILE_LOCKS = 0x0C1D_6A9C
"""Advisory lock space of root profiles."""
MOVABLE = (ProfileIdentifier, ProfileTrait, ProfileEvent, ProfileReference)
"""Tables whose rows follow their profile into a merge and back home on an unmerge."""
TOUCHED = "customers.touched_profiles"
"""``session.info`` key: the transaction and the profiles whose change time it set."""


def bulk_update(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE rows of ``model``'s table by ``id`` (the rows share their keys)."""
    bulk_update_by_id(session, model.__table__, rows)


_HOLDS_SHARED = text(
    "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' "
    "AND objsubid = 1 AND objid = :key AND mode = 'ShareLock'"
)


def lock_graph(session: Session) -> None:
    """Serialise identity resolution with every other transaction doing it (PostgreSQL).

    Inside a resolution (which holds its component, :func:`hold_keys`) it does nothing: that
    transaction cannot wait for the others to finish while they may wait for it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if session.scalar(_HOLDS_SHARED, {"key": GRAPH_LOCK_KEY}):
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GRAPH_LOCK_KEY})


def hold_keys(session: Session, names: Iterable[str]) -> bool:
    """Hold the identifiers (``kind:value``) a resolution touches, after a shared hold on
    the whole graph (PostgreSQL; False elsewhere: the database serialises)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": GRAPH_LOCK_KEY})
    hold_names(session, KEY_LOCKS, names)
    return True


def hold_profiles(session: Session, profile_ids: Iterable[str]) -> None:
    """Hold these profiles (roots of a component) against other resolutions (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        hold_names(session, PROFILE_LOCKS, profile_ids)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _touched(session: Session) -> set[str]:
    """The profiles whose change time this transaction set already."""
    transaction = session.get_transaction()
    held = session.info.get(TOUCHED)
    if held is None or held[0] is not transaction:
        held = session.info[TOUCHED] = (transaction, set())
    return cast(set[str], held[1])


def touch_profiles(session: Session, profile_ids: Iterable[str]) -> None:
    """Move the change time (``updated_at``) of these profiles to now: what a connector
    syncing profiles by change time reads (traits, identifiers, merges, household). Once per
    profile and transaction; the writes themselves are raw or Core statements that the
    model's ``onupdate`` does not see."""
    done = _touched(session)
    ids = sorted(set(profile_ids) - done)
    if not ids:
        return
    now = utcnow()
    profiles = cast(Table, Profile.__table__)
    for chunk in _chunks(ids):
        session.execute(
            update(profiles).where(profiles.c.id.in_(chunk)).values(updated_at=now),
            execution_options=NO_SYNC,
        )
    done.update(ids)


def _state(row: ProfileIdentifier) -> IdentifierState:
    return IdentifierState(
        id=row.id,
        identifier=Identifier(IdentifierKind(row.kind), row.value, anchor=row.anchor),
        profile_id=row.profile_id,
        home_profile_id=row.home_profile_id,
        source=row.source,
        last_source=row.last_source,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        seen_with=list(row.seen_with or []),
        shared=row.shared,
        shared_at=row.shared_at,
        first_event_ref=row.first_event_id,
        linked_by=row.linked_by,
    )


def load_graph(
    session: Session,
    keys: Iterable[tuple[str, str]],
    *,
    profile_ids: Iterable[str] = (),
    blocklist: Blocklist | None = None,
) -> IdentityGraph:
    """The profiles reached by these identifier keys (and ids), with what resolution needs:
    the people a shared identifier was seen with too, whom a message's name may pick out."""
    graph = IdentityGraph(blocklist=blocklist)
    wanted = sorted(set(keys))
    roots: set[str] = set()
    wanted_keys = set(wanted)
    values = sorted({value for _, value in wanted})
    for chunk in _chunks(values):
        # By value alone: it leads the (value, kind) unique index; a row-value IN would scan.
        for row in session.scalars(
            select(ProfileIdentifier).where(ProfileIdentifier.value.in_(chunk))
        ):
            if (row.kind, row.value) in wanted_keys:
                graph.add_identifier(_state(row))
                roots.add(row.profile_id)
    people = set(profile_ids)
    for state in graph.identifiers.values():
        if state.shared and len(state.seen_with) <= HOUSEHOLD_MAX:
            people.update(state.seen_with)
    named = sorted(people)
    for chunk in _chunks(named):
        for profile_id, root_id in session.execute(
            select(Profile.id, Profile.root_id).where(Profile.id.in_(chunk))
        ):
            graph.aliases[profile_id] = root_id
            roots.add(root_id)
    load_profiles(session, graph, roots)
    return graph


def load_profiles(session: Session, graph: IdentityGraph, roots: Iterable[str]) -> None:
    """Add these root profiles to ``graph`` with their anchors, members and separations."""
    ids = sorted(set(roots) - set(graph.profiles))
    members: dict[str, str] = {}
    for chunk in _chunks(ids):
        for profile in session.scalars(select(Profile).where(Profile.id.in_(chunk))):
            graph.add_profile(
                ProfileState(
                    id=profile.id,
                    created_at=profile.created_at,
                    first_seen_at=profile.first_seen_at,
                    last_seen_at=profile.last_seen_at,
                )
            )
        for kind, value, profile_id in session.execute(
            select(ProfileIdentifier.kind, ProfileIdentifier.value, ProfileIdentifier.profile_id)
            .where(ProfileIdentifier.profile_id.in_(chunk), ProfileIdentifier.anchor.is_(True))
            .order_by(ProfileIdentifier.id)
        ):
            graph.profiles[profile_id].anchors.setdefault(IdentifierKind(kind), set()).add(value)
        for profile_id, name, value in session.execute(
            select(ProfileTrait.profile_id, ProfileTrait.name, ProfileTrait.value).where(
                ProfileTrait.profile_id.in_(chunk),
                ProfileTrait.name.in_(FIRST_NAME_TRAITS + FAMILY_NAME_TRAITS + BIRTH_DATE_TRAITS),
            )
        ):
            text_value = [value] if isinstance(value, str) else []
            if name in FIRST_NAME_TRAITS:
                said = PersonFacts.of(first_names=text_value)
            elif name in FAMILY_NAME_TRAITS:
                said = PersonFacts.of(family_names=text_value)
            else:
                said = PersonFacts.of(birth_dates=[value])
            graph.profiles[profile_id].facts |= said
        for member, root in session.execute(
            select(Profile.id, Profile.root_id).where(
                Profile.root_id.in_(chunk), Profile.id != Profile.root_id
            )
        ):
            graph.profiles[root].members.add(member)
            members[member] = root
    for root in ids:
        members[root] = root
    everyone = sorted(members)
    for chunk in _chunks(everyone):
        for a, b in session.execute(
            select(ProfileSeparation.profile_a_id, ProfileSeparation.profile_b_id).where(
                or_(
                    ProfileSeparation.profile_a_id.in_(chunk),
                    ProfileSeparation.profile_b_id.in_(chunk),
                )
            )
        ):
            graph.keep_apart(a, b)
        for a, b in session.execute(
            select(IdentityReview.profile_a_id, IdentityReview.profile_b_id).where(
                IdentityReview.status == "open",
                or_(IdentityReview.profile_a_id.in_(chunk), IdentityReview.profile_b_id.in_(chunk)),
            )
        ):
            if a in members and b in members:
                graph.note_open_conflict(members[a], members[b])


def apply_merge_moves(session: Session, absorbed: str, survivor: str) -> None:
    """Move every row of ``absorbed`` (and the profiles inside it) to ``survivor``."""
    move_profiles(session, {absorbed: survivor})


def move_profiles(session: Session, moves: dict[str, str]) -> None:
    """Move the rows of each absorbed profile to the profile it is now part of, in one
    executemany per table (``moves``: absorbed id → root id, roots final)."""
    params = [{"absorbed": absorbed, "root": root} for absorbed, root in sorted(moves.items())]
    for table in [cast(Table, model.__table__) for model in MOVABLE]:
        session.execute(
            update(table)
            .where(table.c.profile_id == bindparam("absorbed"))
            .values(profile_id=bindparam("root")),
            params,
        )
    profiles = cast(Table, Profile.__table__)
    session.execute(
        update(profiles)
        .where(profiles.c.root_id == bindparam("absorbed"))
        .values(root_id=bindparam("root")),
        params,
    )


def flush_graph(session: Session, graph: IdentityGraph) -> None:
    """Write the profiles, identifiers, merges and reviews that ``graph`` changed, and move
    the change time of the profiles whose view changed (not of those only seen again)."""
    now = utcnow()
    new_profiles = [p for p in graph.profiles.values() if p.is_new]
    if new_profiles:
        _touched(session).update(p.id for p in new_profiles)
        bulk_insert(
            session,
            Profile.__table__,
            [
                {
                    "id": p.id,
                    "root_id": graph.root(p.id),
                    "merged_into_id": p.merged_into,
                    "recognised": p.recognised,
                    "created_at": p.created_at,
                    "first_seen_at": p.first_seen_at,
                    "last_seen_at": p.last_seen_at,
                    "updated_at": now,
                }
                for p in new_profiles
            ],
        )
    if graph.merges:
        move_profiles(session, {m.absorbed_id: graph.root(m.absorbed_id) for m in graph.merges})
    changed = [p for p in graph.profiles.values() if p.changed and not p.is_new]
    if changed:
        bulk_update(
            session,
            Profile,
            [
                {
                    "id": p.id,
                    "root_id": graph.root(p.id),
                    "merged_into_id": p.merged_into,
                    "recognised": p.recognised,
                    "first_seen_at": p.first_seen_at,
                    "last_seen_at": p.last_seen_at,
                }
                for p in changed
            ],
        )
    _flush_identifiers(session, graph)
    touch_profiles(session, _changed_views(graph))
    if graph.merges:
        bulk_insert(
            session,
            IdentityMerge.__table__,
            [
                {
                    "id": merge.id,
                    "survivor_id": merge.survivor_id,
                    "absorbed_id": merge.absorbed_id,
                    "rule": merge.rule,
                    "identifier_kind": merge.identifier.kind.value if merge.identifier else None,
                    "identifier_value": merge.identifier.value if merge.identifier else None,
                    "event_id": merge.event_ref,
                    "source": merge.source,
                    "merged_at": merge.at,
                    "detail": {"through": [f"{i.kind.value}:{i.value}" for i in merge.through]}
                    if merge.through
                    else {},
                }
                for merge in graph.merges
            ],
        )
    if graph.conflicts:
        bulk_insert(
            session,
            IdentityReview.__table__,
            [
                {
                    "id": new_id(),
                    "kind": "conflict",
                    "reason": conflict.reason,
                    "profile_a_id": conflict.profile_a,
                    "profile_b_id": conflict.profile_b,
                    "identifiers": [f"{i.kind.value}:{i.value}" for i in conflict.identifiers],
                    "reasons": [],
                    "event_id": conflict.event_ref,
                    "source": conflict.source,
                    "status": "open",
                    "created_at": conflict.at,
                }
                for conflict in graph.conflicts
            ],
        )
    for link in graph.households:
        link_household(session, list(link.profile_ids), reason=link.reason)


def _changed_views(graph: IdentityGraph) -> set[str]:
    """The profiles a resolution changed more than the times they were seen: an identifier
    added or found shared, a merge (both sides)."""
    changed = {
        graph.root(state.profile_id)
        for state in graph.identifiers.values()
        if state.is_new or state.flagged
    }
    for merge in graph.merges:
        changed |= {merge.absorbed_id, graph.root(merge.absorbed_id)}
    return changed


def _flush_identifiers(session: Session, graph: IdentityGraph) -> None:
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    flagged_rows: list[dict[str, Any]] = []
    for state in graph.identifiers.values():
        if state.is_new:
            new_rows.append(
                {
                    "id": state.id,
                    "kind": state.identifier.kind.value,
                    "value": state.identifier.value,
                    "anchor": state.identifier.anchor,
                    "profile_id": graph.root(state.profile_id),
                    "home_profile_id": state.home_profile_id,
                    "source": state.source,
                    "last_source": state.last_source,
                    "first_seen_at": state.first_seen_at,
                    "last_seen_at": state.last_seen_at,
                    "shared": state.shared,
                    "shared_at": state.shared_at,
                    "seen_with": state.seen_with,
                    "first_event_id": state.first_event_ref,
                    "linked_by": state.linked_by,
                }
            )
        elif state.flagged:
            flagged_rows.append(
                {
                    "id": state.id,
                    "last_source": state.last_source,
                    "first_seen_at": state.first_seen_at,
                    "last_seen_at": state.last_seen_at,
                    "shared": state.shared,
                    "shared_at": state.shared_at,
                    "seen_with": state.seen_with,
                }
            )
        elif state.changed:
            changed_rows.append(
                {
                    "id": state.id,
                    "last_source": state.last_source,
                    "first_seen_at": state.first_seen_at,
                    "last_seen_at": state.last_seen_at,
                }
            )
    if new_rows:
        bulk_insert(session, ProfileIdentifier.__table__, new_rows)
    bulk_update(session, ProfileIdentifier, changed_rows)
    bulk_update(session, ProfileIdentifier, flagged_rows)


def link_household(session: Session, profile_ids: Sequence[str], *, reason: str) -> str | None:
    """Put these profiles (or the profiles they are now part of) in one household, joining
    the households they are already in."""
    people = sorted(
        set(
            session.scalars(select(Profile.root_id).where(Profile.id.in_(sorted(set(profile_ids)))))
        )
    )
    if len(people) < 2:
        return None
    from omnicanal.customers.models import Household

    existing = dict(
        session.execute(
            select(HouseholdMember.profile_id, HouseholdMember.household_id).where(
                HouseholdMember.profile_id.in_(people)
            )
        ).all()
    )
    households = sorted(set(existing.values()))
    if households:
        household_id = households[0]
        if len(households) > 1:
            session.execute(
                update(HouseholdMember)
                .where(HouseholdMember.household_id.in_(households[1:]))
                .values(household_id=household_id),
                execution_options=NO_SYNC,
            )
    else:
        household_id = new_id()
        session.add(Household(id=household_id))
        session.flush()
    joining = [person for person in people if person not in existing]
    for person in joining:
        session.add(HouseholdMember(profile_id=person, household_id=household_id, reason=reason))
    session.flush()
    if not joining and len(households) < 2:
        return household_id
    moved = set(
        session.scalars(
            select(Profile.root_id)
            .join(HouseholdMember, HouseholdMember.profile_id == Profile.id)
            .where(HouseholdMember.household_id == household_id)
        )
    )
    touch_profiles(session, moved)
    return household_id
