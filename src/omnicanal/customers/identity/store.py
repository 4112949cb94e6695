"""Loading the part of the identity graph a batch touches, and writing back what changed.

Resolution reads, decides in memory (``graph``) and writes in bulk, all in the caller's
transaction. Two transactions resolving at once could both decide on the same identifiers,
so resolution holds the part of the graph it touches, and nothing more (docs/adr/0036):
SQLite's writers already queue on the database lock; on PostgreSQL transaction-scoped
advisory locks do it per identifier (:func:`hold_keys`, in one statement with whatever else
the caller holds) and per connected component (:func:`hold_profiles` for the root profiles
the identifiers reach). A merge or an unmerge decided outside resolution (a reviewer, the
matcher) holds the components of the profiles it joins or splits (:func:`hold_roots`). No
lock covers the whole graph: a till's identify never waits behind a batch, a match or a
merge about other people.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Table, bindparam, literal, or_, select, text, union_all, update
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
from omnicanal.platform.bulk import bulk_copy, bulk_insert, bulk_update_by_id
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC
from omnicanal.platform.ids import new_id
from omnicanal.platform.locks import hold

CHUNK = 400
KEY_LOCKS = 0x0C1D_6A9B
"""Advisory lock space (:func:`omnicanal.platform.locks.hold`) of identifiers (``kind:value``)
and references."""
PROFILE_LOCKS = 0x0C1D_6A9C
"""Advisory lock space of root profiles: one lock per connected component."""
MOVABLE = (ProfileIdentifier, ProfileTrait, ProfileEvent, ProfileReference)
"""Tables whose rows follow their profile into a merge and back home on an unmerge."""
TOUCHED = "customers.touched_profiles"
"""``session.info`` key: the transaction and the profiles whose change time it set."""
DEFERRED = "customers.deferred_touches"
"""``session.info`` key: the profiles whose change time moves at the end of the block of
:func:`touches_at_the_end`."""


def bulk_update(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE rows of ``model``'s table by ``id`` (the rows share their keys)."""
    bulk_update_by_id(session, model.__table__, rows)


def hold_keys(
    session: Session, names: Iterable[str], *, also: Iterable[tuple[int, str]] = ()
) -> bool:
    """Hold the identifiers (``kind:value``) and references a resolution touches, with the
    caller's own locks ``also`` (space, name), in one statement (PostgreSQL; False
    elsewhere: the database serialises)."""
    return hold(session, [*((KEY_LOCKS, name) for name in names), *also])


def hold_profiles(session: Session, profile_ids: Iterable[str]) -> None:
    """Hold these profiles (roots of a component) against other resolutions (PostgreSQL)."""
    hold(session, ((PROFILE_LOCKS, profile_id) for profile_id in profile_ids))


def hold_roots(session: Session, profile_ids: Iterable[str]) -> None:
    """Hold the components these profiles are part of until the transaction ends: their
    roots are locked, then read again until no merge committed in between moved them
    (PostgreSQL). The profiles and roots read come back fresh into the session."""
    if session.get_bind().dialect.name != "postgresql":
        return
    wanted, held = set(profile_ids), set[str]()
    while True:
        roots = {
            profile.root_id
            for profile in session.scalars(
                select(Profile)
                .where(Profile.id.in_(sorted(wanted | held)))
                .execution_options(populate_existing=True)
            )
        }
        if roots <= held:
            return
        hold_profiles(session, roots - held)
        held |= roots


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
    profile and transaction, in one statement (at the end of the block of
    :func:`touches_at_the_end` when inside one); the writes themselves are raw or Core
    statements that the model's ``onupdate`` does not see."""
    deferred: set[str] | None = session.info.get(DEFERRED)
    if deferred is not None:
        deferred.update(profile_ids)
        return
    _touch(session, profile_ids)


@contextmanager
def touches_at_the_end(session: Session) -> Iterator[None]:
    """Within the block, :func:`touch_profiles` notes the profiles; when it ends, one UPDATE
    moves the change time of them all (a batch of messages: one statement, not one per
    step). Nothing is written if the block raises."""
    if DEFERRED in session.info:
        yield
        return
    session.info[DEFERRED] = set()
    try:
        yield
    finally:
        deferred: set[str] = session.info.pop(DEFERRED)
    _touch(session, deferred)


def _touch(session: Session, profile_ids: Iterable[str]) -> None:
    done = _touched(session)
    ids = sorted(set(profile_ids) - done)
    if not ids:
        return
    now = utcnow()
    profiles = cast(Table, Profile.__table__)
    for chunk in _chunks(ids, 5_000):
        session.execute(
            update(profiles).where(profiles.c.id.in_(chunk)).values(updated_at=now),
            execution_options=NO_SYNC,
        )
    done.update(ids)


_IDENTIFIER_COLUMNS = (
    ProfileIdentifier.id,
    ProfileIdentifier.kind,
    ProfileIdentifier.value,
    ProfileIdentifier.anchor,
    ProfileIdentifier.profile_id,
    ProfileIdentifier.home_profile_id,
    ProfileIdentifier.source,
    ProfileIdentifier.last_source,
    ProfileIdentifier.first_seen_at,
    ProfileIdentifier.last_seen_at,
    ProfileIdentifier.shared,
    ProfileIdentifier.shared_at,
    ProfileIdentifier.seen_with,
    ProfileIdentifier.first_event_id,
    ProfileIdentifier.linked_by,
)


def _state(row: Any) -> IdentifierState:
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


def _identifier_rows(session: Session, keys: Iterable[tuple[str, str]]) -> list[Any]:
    """The stored identifiers with these (kind, value) keys, as rows."""
    wanted = set(keys)
    found: list[Any] = []
    for chunk in _chunks(sorted({value for _, value in wanted})):
        # By value alone: it leads the (value, kind) unique index; a row-value IN would scan.
        found += [
            row
            for row in session.execute(
                select(*_IDENTIFIER_COLUMNS).where(ProfileIdentifier.value.in_(chunk))
            )
            if (row.kind, row.value) in wanted
        ]
    return found


def _aliases(session: Session, rows: Sequence[Any], profile_ids: Iterable[str]) -> dict[str, str]:
    """The root of each profile a resolution may pick out besides the identifiers' own: the
    given ones, and the people a shared identifier was seen with."""
    people = set(profile_ids)
    for row in rows:
        if row.shared and len(row.seen_with or ()) <= HOUSEHOLD_MAX:
            people.update(row.seen_with)
    aliases: dict[str, str] = {}
    for chunk in _chunks(sorted(people)):
        aliases.update(
            session.execute(select(Profile.id, Profile.root_id).where(Profile.id.in_(chunk))).all()
        )
    return aliases


def component_roots(
    session: Session, keys: Iterable[tuple[str, str]], *, profile_ids: Iterable[str] = ()
) -> set[str]:
    """The root profiles that the identifiers with these keys, and these profiles, are part
    of now: the components a resolution holds (:func:`hold_profiles`) before it loads them."""
    rows = _identifier_rows(session, keys)
    return {row.profile_id for row in rows} | set(_aliases(session, rows, profile_ids).values())


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
    rows = _identifier_rows(session, keys)
    for row in rows:
        graph.add_identifier(_state(row))
    graph.aliases.update(_aliases(session, rows, profile_ids))
    load_profiles(session, graph, {row.profile_id for row in rows} | set(graph.aliases.values()))
    return graph


def load_profiles(session: Session, graph: IdentityGraph, roots: Iterable[str]) -> None:
    """Add these root profiles to ``graph`` with their anchors, members and separations."""
    ids = sorted(set(roots) - set(graph.profiles))
    members: dict[str, str] = {}
    for chunk in _chunks(ids):
        # The roots and the profiles merged into them, in one read.
        rows = session.execute(
            select(
                Profile.id,
                Profile.root_id,
                Profile.created_at,
                Profile.first_seen_at,
                Profile.last_seen_at,
                Profile.facts,
            ).where(or_(Profile.id.in_(chunk), Profile.root_id.in_(chunk)))
        ).all()
        wanted = set(chunk)
        for profile_id, _, created_at, first_seen_at, last_seen_at, stored in rows:
            if profile_id in wanted:
                kept = PersonFacts.from_json(stored)
                graph.add_profile(
                    ProfileState(
                        id=profile_id,
                        created_at=created_at,
                        first_seen_at=first_seen_at,
                        last_seen_at=last_seen_at,
                        facts=kept,
                        kept=kept,
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
        for member, root, *_, stored in rows:
            if root in wanted and member != root:
                graph.profiles[root].members.add(member)
                graph.aliases.setdefault(member, root)
                graph.profiles[root].facts |= PersonFacts.from_json(stored)
                members[member] = root
    for root in ids:
        members[root] = root
    everyone = sorted(members)
    for chunk in _chunks(everyone):
        # Who must stay apart and who waits for a reviewer, in one read (both are rare).
        for a, b, apart in session.execute(
            union_all(
                select(
                    ProfileSeparation.profile_a_id, ProfileSeparation.profile_b_id, literal(True)
                ).where(
                    or_(
                        ProfileSeparation.profile_a_id.in_(chunk),
                        ProfileSeparation.profile_b_id.in_(chunk),
                    )
                ),
                select(
                    IdentityReview.profile_a_id, IdentityReview.profile_b_id, literal(False)
                ).where(
                    IdentityReview.status == "open",
                    or_(
                        IdentityReview.profile_a_id.in_(chunk),
                        IdentityReview.profile_b_id.in_(chunk),
                    ),
                ),
            )
        ):
            if apart:
                graph.keep_apart(a, b)
            elif a in members and b in members:
                graph.note_open_conflict(members[a], members[b])


def apply_merge_moves(session: Session, absorbed: str, survivor: str) -> None:
    """Move every row of ``absorbed`` (and the profiles inside it) to ``survivor``."""
    move_profiles(session, {absorbed: survivor})


_MOVE_ALL = text(
    "WITH moves(absorbed, root) AS ("
    " SELECT * FROM unnest(CAST(:absorbed AS varchar[]), CAST(:root AS varchar[]))),"
    + ",".join(
        f" moved_{table} AS (UPDATE {table} AS t SET profile_id = m.root FROM moves m"
        " WHERE t.profile_id = m.absorbed)"
        for table in (cast(Table, model.__table__).name for model in MOVABLE)
    )
    + " UPDATE profiles AS p SET root_id = m.root FROM moves m WHERE p.root_id = m.absorbed"
)
"""The moves of :func:`move_profiles` in one statement on PostgreSQL (each table of
``MOVABLE``, then the profiles' roots, in data-modifying CTEs)."""


def move_profiles(session: Session, moves: dict[str, str]) -> None:
    """Move the rows of each absorbed profile to the profile it is now part of
    (``moves``: absorbed id → root id, roots final): one statement on PostgreSQL, one
    executemany per table elsewhere."""
    if not moves:
        return
    ordered = sorted(moves.items())
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            _MOVE_ALL,
            {"absorbed": [a for a, _ in ordered], "root": [r for _, r in ordered]},
            execution_options=NO_SYNC,
        )
        return
    params = [{"absorbed": absorbed, "root": root} for absorbed, root in ordered]
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
        bulk_copy(
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
                    "facts": p.kept.to_json() if p.kept else None,
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
                    "facts": p.kept.to_json() if p.kept else None,
                }
                for p in changed
            ],
        )
    _flush_identifiers(session, graph)
    touch_profiles(session, _changed_views(graph))
    if graph.merges:
        bulk_copy(
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
    bulk_copy(session, ProfileIdentifier.__table__, new_rows)
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
