"""Many merges decided at once (the matcher's), checked and made in bulk.

``merge_profiles`` makes one merge in some thirty statements: it reads both sides, checks the
deterministic rules, moves every row, recomputes the survivor, its search name, its change
time. A batch of matches decides tens of merges at once: :class:`MergePlan` reads the
profiles they involve once (their roots, members, separations and anchors, their components
held), checks each merge against the rules in memory, as ``blocked_reason`` would against
the database after the merges before it, and writes them all in one pass of bulk statements
(:meth:`MergePlan.write`): what one merge at a time would have left, in a few statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers.events import ProfileMerged
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.identity.rules import RULES, ReviewReason
from omnicanal.customers.identity.store import (
    bulk_update,
    hold_profiles,
    move_profiles,
    touch_profiles,
)
from omnicanal.customers.models import (
    IdentityMerge,
    Profile,
    ProfileEvent,
    ProfileIdentifier,
    ProfileSeparation,
)
from omnicanal.customers.service.search import refresh_search_names
from omnicanal.platform.actors import Actor
from omnicanal.platform.bulk import bulk_insert
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import record_event, source_of
from omnicanal.platform.ids import new_id

__all__ = ["MergePlan"]

CHUNK = 400


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass(frozen=True)
class _Merge:
    survivor_id: str
    absorbed_id: str
    rule: str
    detail: dict[str, Any]


@dataclass
class _Component:
    """A root profile as the plan sees it: the profiles inside it and its anchors."""

    created_at: Any
    members: set[str]
    anchors: dict[str, set[str]] = field(default_factory=dict)


class MergePlan:
    """The components of some profiles, loaded once and held, and the merges decided on
    them: checked in memory, written together."""

    def __init__(self) -> None:
        self._root: dict[str, str] = {}
        self._components: dict[str, _Component] = {}
        self._apart: dict[str, set[str]] = {}
        self._pending: list[_Merge] = []

    @classmethod
    def load(cls, session: Session, profile_ids: Iterable[str]) -> MergePlan:
        """The plan over the components of these profiles, held until the transaction ends
        (PostgreSQL): their roots are locked, then read again until stable."""
        plan = cls()
        wanted, held = sorted(set(profile_ids)), set[str]()
        while True:
            roots: dict[str, str] = {}
            for chunk in _chunks(wanted):
                roots.update(
                    session.execute(
                        select(Profile.id, Profile.root_id).where(Profile.id.in_(chunk))
                    ).all()
                )
            fresh = set(roots.values()) - held
            if not fresh or session.get_bind().dialect.name != "postgresql":
                break
            hold_profiles(session, fresh)
            held |= fresh
        plan._root = dict(roots)
        ids = sorted(set(roots.values()))
        for chunk in _chunks(ids):
            for profile_id, root_id, created_at in session.execute(
                select(Profile.id, Profile.root_id, Profile.created_at).where(
                    or_(Profile.id.in_(chunk), Profile.root_id.in_(chunk))
                )
            ):
                if profile_id == root_id:
                    component = plan._components.setdefault(root_id, _Component(None, set()))
                    component.created_at = created_at
                plan._components.setdefault(root_id, _Component(None, set())).members.add(
                    profile_id
                )
            for profile_id, kind, value in session.execute(
                select(
                    ProfileIdentifier.profile_id, ProfileIdentifier.kind, ProfileIdentifier.value
                ).where(ProfileIdentifier.profile_id.in_(chunk), ProfileIdentifier.anchor.is_(True))
            ):
                plan._components[profile_id].anchors.setdefault(kind, set()).add(value)
        everyone = sorted({m for c in plan._components.values() for m in c.members})
        for chunk in _chunks(everyone):
            for a, b in session.execute(
                select(ProfileSeparation.profile_a_id, ProfileSeparation.profile_b_id).where(
                    or_(
                        ProfileSeparation.profile_a_id.in_(chunk),
                        ProfileSeparation.profile_b_id.in_(chunk),
                    )
                )
            ):
                plan._apart.setdefault(a, set()).add(b)
                plan._apart.setdefault(b, set()).add(a)
        return plan

    def root(self, profile_id: str) -> str:
        """The root of a loaded profile, the merges planned so far included."""
        root = self._root[profile_id]
        while self._root.get(root, root) != root:
            root = self._root[root]
        return root

    def blocked_reason(self, a: str, b: str) -> str | None:
        """Why the deterministic rules forbid making ``a`` and ``b`` one profile, as
        ``merging.blocked_reason`` says it, the merges planned so far included."""
        first, second = self._components[self.root(a)], self._components[self.root(b)]
        if first is second:
            return None
        if any(self._apart.get(member, set()) & second.members for member in first.members):
            return "kept_apart"
        for kind in IdentifierKind:
            ours = first.anchors.get(kind.value, set())
            theirs = second.anchors.get(kind.value, set())
            if len(ours | theirs) > max(RULES[kind].per_profile, len(ours), len(theirs)):
                return ReviewReason.conflict(kind)
        return None

    def merge(self, a: str, b: str, *, rule: str, detail: dict[str, Any]) -> bool:
        """Plan making ``a`` and ``b`` one profile, the older surviving, whatever the rules
        (``merge_profiles``); False when they are one already."""
        first, second = self.root(a), self.root(b)
        if first == second:
            return False
        survivor, absorbed = sorted(
            (first, second), key=lambda p: (self._components[p].created_at, p)
        )
        kept, gone = self._components[survivor], self._components.pop(absorbed)
        kept.members |= gone.members
        for kind, values in gone.anchors.items():
            kept.anchors.setdefault(kind, set()).update(values)
        self._components[absorbed] = kept
        self._root[absorbed] = survivor
        self._pending.append(_Merge(survivor, absorbed, rule, detail))
        return True

    def write(self, session: Session, *, actor: Actor) -> int:
        """Write the merges planned since the last write, in bulk; how many."""
        merges, self._pending = self._pending, []
        if not merges:
            return 0
        now = utcnow()
        finals = {m.absorbed_id: self.root(m.absorbed_id) for m in merges}
        move_profiles(session, finals)
        bulk_update(
            session,
            Profile,
            [
                {
                    "id": m.absorbed_id,
                    "merged_into_id": m.survivor_id,
                    "root_id": finals[m.absorbed_id],
                }
                for m in merges
            ],
        )
        bulk_insert(
            session,
            IdentityMerge.__table__,
            [
                {
                    "id": new_id(),
                    "survivor_id": m.survivor_id,
                    "absorbed_id": m.absorbed_id,
                    "rule": m.rule,
                    "identifier_kind": None,
                    "identifier_value": None,
                    "event_id": None,
                    "source": source_of(actor),
                    "merged_at": now,
                    "detail": m.detail,
                }
                for m in merges
            ],
        )
        survivors = sorted(set(finals.values()))
        _refresh(session, survivors)
        changed = set(survivors) | set(finals)
        touch_profiles(session, changed)
        refresh_search_names(session, profile_ids=changed)
        session.expire_all()
        for m in merges:
            record_event(
                session,
                ProfileMerged(
                    profile_id=m.survivor_id, merged_profile_id=m.absorbed_id, rule=m.rule
                ),
                actor=actor,
            )
        return len(merges)


def _refresh(session: Session, roots: Sequence[str]) -> None:
    """Recompute recognised and first/last seen of these root profiles from their rows, as
    ``merging._refresh`` does one by one."""
    recognised: set[str] = set()
    times: dict[str, list[Any]] = {root: [] for root in roots}
    for chunk in _chunks(roots):
        recognised.update(
            session.scalars(
                select(ProfileIdentifier.profile_id)
                .where(ProfileIdentifier.profile_id.in_(chunk), ProfileIdentifier.anchor.is_(True))
                .distinct()
            )
        )
        for profile_id, first, last in session.execute(
            select(
                ProfileEvent.profile_id,
                func.min(ProfileEvent.occurred_at),
                func.max(ProfileEvent.occurred_at),
            )
            .where(ProfileEvent.profile_id.in_(chunk))
            .group_by(ProfileEvent.profile_id)
        ):
            if profile_id is not None:
                times[profile_id] += [first, last]
        for profile_id, first, last in session.execute(
            select(
                ProfileIdentifier.profile_id,
                func.min(ProfileIdentifier.first_seen_at),
                func.max(ProfileIdentifier.last_seen_at),
            )
            .where(ProfileIdentifier.profile_id.in_(chunk))
            .group_by(ProfileIdentifier.profile_id)
        ):
            times[profile_id] += [first, last]
    seen = {root: [t for t in found if t is not None] for root, found in times.items()}
    with_times = [
        {
            "id": root,
            "recognised": root in recognised,
            "first_seen_at": min(t),
            "last_seen_at": max(t),
        }
        for root, t in seen.items()
        if t
    ]
    without = [{"id": root, "recognised": root in recognised} for root, t in seen.items() if not t]
    for rows in (with_times, without):
        bulk_update(session, Profile, rows)
