"""Merging on a decision, unmerging, and the review queue.

An unmerge moves every row (identifiers, traits, timeline entries, references) whose home
is the restored profile, or a profile merged into it, back to it, and records that the two
must stay apart: the next message carrying both their identifiers does not merge them again.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from omnicanal.customers.errors import (
    NothingToUnmerge,
    ReviewAlreadyDecided,
    UnknownMerge,
    UnknownReview,
)
from omnicanal.customers.events import (
    IdentityConflictFound,
    IdentityReviewDecided,
    ProfileMerged,
    ProfileUnmerged,
)
from omnicanal.customers.identifiers import Identifier, IdentifierKind
from omnicanal.customers.identity.person import (
    BIRTH_DATE_TRAITS,
    FAMILY_NAME_TRAITS,
    FIRST_NAME_TRAITS,
    PersonFacts,
    births_differ,
    clearly_different,
)
from omnicanal.customers.identity.rules import RULES, MergeRule, ReviewReason
from omnicanal.customers.identity.store import (
    MOVABLE,
    apply_merge_moves,
    hold_roots,
    touch_profiles,
)
from omnicanal.customers.models import (
    IdentityMerge,
    IdentityReview,
    Profile,
    ProfileEvent,
    ProfileIdentifier,
    ProfileSeparation,
    ProfileTrait,
)
from omnicanal.customers.schemas import MergeOut, ReviewDecision, ReviewOut, UnmergeOut
from omnicanal.customers.service.profiles import profile_root
from omnicanal.customers.service.search import refresh_search_names
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC
from omnicanal.platform.events import record_event, source_of

__all__ = [
    "blocked_reason",
    "decide_review",
    "keep_apart",
    "list_merges",
    "list_reviews",
    "merge_profiles",
    "reexamine_matched_merges",
    "reexamine_merges",
    "unmerge",
]

DETERMINISTIC_RULES = (MergeRule.shared_identifier, MergeRule.anonymous_activity)
"""Merges the identity rules made on their own; a person's or the matcher's are not redone."""


def _refresh(session: Session, profile_ids: Iterable[str]) -> None:
    """Recompute recognised and first/last seen of these (root) profiles from their rows."""
    for profile_id in sorted(set(profile_ids)):
        profile = session.get(Profile, profile_id)
        assert profile is not None
        profile.recognised = bool(
            session.scalar(
                select(
                    exists().where(
                        ProfileIdentifier.profile_id == profile_id,
                        ProfileIdentifier.anchor.is_(True),
                    )
                )
            )
        )
        first, last = session.execute(
            select(func.min(ProfileEvent.occurred_at), func.max(ProfileEvent.occurred_at)).where(
                ProfileEvent.profile_id == profile_id
            )
        ).one()
        seen_first, seen_last = session.execute(
            select(
                func.min(ProfileIdentifier.first_seen_at), func.max(ProfileIdentifier.last_seen_at)
            ).where(ProfileIdentifier.profile_id == profile_id)
        ).one()
        times = [t for t in (first, last, seen_first, seen_last) if t is not None]
        if times:
            profile.first_seen_at = min(times)
            profile.last_seen_at = max(times)


def blocked_reason(session: Session, a: str, b: str) -> str | None:
    """Why the deterministic rules forbid making ``a`` and ``b`` one profile, if they do:
    a reviewer kept them apart, or one profile would hold two logins, two loyalty cards,
    too many emails..."""
    first, second = profile_root(session, a), profile_root(session, b)
    if first.id == second.id:
        return None
    members = {
        root: set(session.scalars(select(Profile.id).where(Profile.root_id == root)))
        for root in (first.id, second.id)
    }
    separated = session.scalar(
        select(func.count())
        .select_from(ProfileSeparation)
        .where(
            or_(
                and_(
                    ProfileSeparation.profile_a_id.in_(members[first.id]),
                    ProfileSeparation.profile_b_id.in_(members[second.id]),
                ),
                and_(
                    ProfileSeparation.profile_a_id.in_(members[second.id]),
                    ProfileSeparation.profile_b_id.in_(members[first.id]),
                ),
            )
        )
    )
    if separated:
        return "kept_apart"
    anchors: dict[str, dict[str, set[str]]] = {first.id: {}, second.id: {}}
    for profile_id, kind, value in session.execute(
        select(ProfileIdentifier.profile_id, ProfileIdentifier.kind, ProfileIdentifier.value).where(
            ProfileIdentifier.profile_id.in_([first.id, second.id]),
            ProfileIdentifier.anchor.is_(True),
        )
    ):
        anchors[profile_id].setdefault(kind, set()).add(value)
    for kind in IdentifierKind:
        ours = anchors[first.id].get(kind.value, set())
        theirs = anchors[second.id].get(kind.value, set())
        if len(ours | theirs) > max(RULES[kind].per_profile, len(ours), len(theirs)):
            return ReviewReason.conflict(kind)
    return None


def merge_profiles(
    session: Session,
    *,
    profile_ids: tuple[str, str],
    rule: str,
    actor: Actor,
    detail: dict[str, object] | None = None,
    identifier: Identifier | None = None,
) -> IdentityMerge | None:
    """Make two profiles one on a decision (a reviewer's, the matcher's, an import's), whatever
    the limits; ``identifier``: the one they were found to share.

    The older profile survives. Returns None when they are one already.
    """
    hold_roots(session, profile_ids)
    first, second = (profile_root(session, p) for p in profile_ids)
    if first.id == second.id:
        return None
    survivor, absorbed = sorted((first, second), key=lambda p: (p.created_at, p.id))
    apply_merge_moves(session, absorbed.id, survivor.id)
    session.execute(
        update(Profile)
        .where(Profile.id == absorbed.id)
        .values(merged_into_id=survivor.id, root_id=survivor.id),
        execution_options=NO_SYNC,
    )
    session.expire_all()
    merge = IdentityMerge(
        survivor_id=survivor.id,
        absorbed_id=absorbed.id,
        rule=rule,
        identifier_kind=identifier.kind.value if identifier else None,
        identifier_value=identifier.value if identifier else None,
        source=source_of(actor),
        detail=detail or {},
    )
    session.add(merge)
    session.flush()
    _refresh(session, [survivor.id])
    touch_profiles(session, [survivor.id, absorbed.id])
    refresh_search_names(session, profile_ids=[survivor.id, absorbed.id])
    record_event(
        session,
        ProfileMerged(profile_id=survivor.id, merged_profile_id=absorbed.id, rule=rule),
        actor=actor,
    )
    return merge


def _subtree(session: Session, root_id: str, top: str) -> set[str]:
    """``top`` and every profile merged (directly or not) into it, inside ``root_id``."""
    parent = dict(
        session.execute(
            select(Profile.id, Profile.merged_into_id).where(Profile.root_id == root_id)
        ).all()
    )
    found = {top}
    changed = True
    while changed:
        changed = False
        for child, up in parent.items():
            if child not in found and up in found:
                found.add(child)
                changed = True
    return found


def _undo(session: Session, merge: IdentityMerge, root_id: str, actor: Actor) -> None:
    restored = _subtree(session, root_id, merge.absorbed_id)
    ids = sorted(restored)
    for table in MOVABLE:
        session.execute(
            update(table)
            .where(table.home_profile_id.in_(ids), table.profile_id == root_id)
            .values(profile_id=merge.absorbed_id),
            execution_options=NO_SYNC,
        )
    session.execute(
        update(Profile).where(Profile.id.in_(ids)).values(root_id=merge.absorbed_id),
        execution_options=NO_SYNC,
    )
    session.execute(
        update(Profile).where(Profile.id == merge.absorbed_id).values(merged_into_id=None),
        execution_options=NO_SYNC,
    )
    merge.unmerged_at = utcnow()
    merge.unmerged_by = actor.label
    keep_apart(session, merge.absorbed_id, merge.survivor_id, reason="unmerged", actor=actor)


def unmerge(
    session: Session, *, profile_id: str, merge_id: str | None = None, actor: Actor
) -> UnmergeOut:
    """Split a profile back into the profiles it was made of (or undo one merge)."""
    hold_roots(session, [profile_id])
    root = profile_root(session, profile_id)
    members = set(session.scalars(select(Profile.id).where(Profile.root_id == root.id)))
    query = select(IdentityMerge).where(
        IdentityMerge.unmerged_at.is_(None), IdentityMerge.absorbed_id.in_(sorted(members))
    )
    if merge_id is not None:
        query = query.where(IdentityMerge.id == merge_id)
    merges = list(
        session.scalars(query.order_by(IdentityMerge.merged_at.desc(), IdentityMerge.id.desc()))
    )
    if merge_id is not None and not merges:
        raise UnknownMerge(
            f"Profile {root.id} holds no active merge {merge_id!r}.", field="merge_id"
        )
    if not merges:
        raise NothingToUnmerge(f"Profile {root.id} was never merged with another.", field="id")
    for merge in merges:
        current_root = session.scalar(
            select(Profile.root_id).where(Profile.id == merge.absorbed_id)
        )
        assert current_root is not None
        _undo(session, merge, current_root, actor)
    session.flush()
    session.expire_all()
    restored = sorted({m.absorbed_id for m in merges})
    _refresh(session, [root.id, *restored])
    touch_profiles(session, [root.id, *restored])
    refresh_search_names(session, profile_ids=[root.id, *restored])
    for merge in merges:
        record_event(
            session,
            ProfileUnmerged(profile_id=merge.survivor_id, restored_profile_id=merge.absorbed_id),
            actor=actor,
        )
    return UnmergeOut(
        profile_id=root.id,
        restored_profile_ids=restored,
        undone_merge_ids=[m.id for m in merges],
    )


def keep_apart(session: Session, a: str, b: str, *, reason: str, actor: Actor) -> None:
    """Record that two profiles are different people: they are never merged again."""
    first, second = sorted((a, b))
    if session.get(ProfileSeparation, (first, second)) is None:
        session.add(
            ProfileSeparation(
                profile_a_id=first, profile_b_id=second, reason=reason, created_by=actor.label
            )
        )
        session.flush()
        touch_profiles(
            session, session.scalars(select(Profile.root_id).where(Profile.id.in_([a, b])))
        )


def list_merges(session: Session, *, profile_id: str) -> list[MergeOut]:
    """The merges that made the profile what it is (undone ones too), newest first."""
    root = profile_root(session, profile_id)
    members = sorted(
        {root.id, *session.scalars(select(Profile.id).where(Profile.root_id == root.id))}
    )
    query = select(IdentityMerge).where(
        or_(IdentityMerge.absorbed_id.in_(members), IdentityMerge.survivor_id.in_(members))
    )
    return [
        MergeOut.model_validate(merge)
        for merge in session.scalars(
            query.order_by(IdentityMerge.merged_at.desc(), IdentityMerge.id.desc())
        )
    ]


def list_reviews(
    session: Session, *, status: str | None = "open", limit: int = 100
) -> list[ReviewOut]:
    """The identity review queue, oldest first."""
    query = select(IdentityReview).order_by(IdentityReview.created_at, IdentityReview.id)
    if status is not None:
        query = query.where(IdentityReview.status == status)
    return [ReviewOut.model_validate(row) for row in session.scalars(query.limit(limit))]


def decide_review(
    session: Session, *, review_id: str, decision: ReviewDecision, actor: Actor
) -> ReviewOut:
    """Merge the two profiles of a review, or keep them apart for good."""
    review = session.get(IdentityReview, review_id)
    if review is None:
        raise UnknownReview(f"No identity review has the id {review_id!r}.", field="id")
    if review.status != "open":
        raise ReviewAlreadyDecided(
            f"This review was decided already ({review.status}).", field="decision"
        )
    if review.reason == ReviewReason.shared_identifier_merge:
        _decide_merged_pair(session, review, decision, actor)
    elif decision is ReviewDecision.merge:
        merge_profiles(
            session,
            profile_ids=(review.profile_a_id, review.profile_b_id),
            rule=MergeRule.review,
            actor=actor,
            detail={"review_id": review.id, "reason": review.reason},
        )
        review.status = "merged"
    else:
        keep_apart(
            session, review.profile_a_id, review.profile_b_id, reason=review.reason, actor=actor
        )
        review.status = "kept_apart"
    review.decided_at = utcnow()
    review.decided_by = actor.label
    session.flush()
    record_event(
        session,
        IdentityReviewDecided(review_id=review.id, decision=decision.value, reason=review.reason),
        actor=actor,
    )
    return ReviewOut.model_validate(review)


def _decide_merged_pair(
    session: Session, review: IdentityReview, decision: ReviewDecision, actor: Actor
) -> None:
    """A merge under review: kept (the pair is one person) or undone and kept apart."""
    if decision is ReviewDecision.merge:
        review.status = "merged"
        return
    merge = session.scalar(
        select(IdentityMerge).where(
            IdentityMerge.unmerged_at.is_(None),
            IdentityMerge.survivor_id == review.profile_a_id,
            IdentityMerge.absorbed_id == review.profile_b_id,
        )
    )
    if merge is not None:
        root = session.scalar(select(Profile.root_id).where(Profile.id == merge.absorbed_id))
        assert root is not None
        unmerge(session, profile_id=root, merge_id=merge.id, actor=actor)
    keep_apart(session, review.profile_a_id, review.profile_b_id, reason=review.reason, actor=actor)
    review.status = "kept_apart"


def _facts_of(session: Session, home_profile_ids: Iterable[str]) -> PersonFacts:
    """The given names, family names and birth dates that these profiles' own messages
    stated."""
    names: list[str] = []
    families: list[str] = []
    births: list[object] = []
    for name, value in session.execute(
        select(ProfileTrait.name, ProfileTrait.value).where(
            ProfileTrait.home_profile_id.in_(sorted(set(home_profile_ids))),
            ProfileTrait.name.in_(FIRST_NAME_TRAITS + FAMILY_NAME_TRAITS + BIRTH_DATE_TRAITS),
        )
    ):
        if name in FIRST_NAME_TRAITS:
            names += [value] if isinstance(value, str) else []
        elif name in FAMILY_NAME_TRAITS:
            families += [value] if isinstance(value, str) else []
        else:
            births.append(value)
    return PersonFacts.of(names, births, families)


def _sides(session: Session, merge: IdentityMerge) -> tuple[str, PersonFacts, PersonFacts]:
    """The profile a merge is now part of, and what the messages of each of its two sides
    stated: the side it absorbed, and the rest."""
    root = session.scalar(select(Profile.root_id).where(Profile.id == merge.absorbed_id))
    assert root is not None
    side = _subtree(session, root, merge.absorbed_id)
    rest = set(session.scalars(select(Profile.id).where(Profile.root_id == root))) - side
    return root, _facts_of(session, side), _facts_of(session, rest)


def _through(merge: IdentityMerge) -> set[str]:
    keys = {str(k) for k in (merge.detail or {}).get("through", [])}
    if merge.identifier_kind and merge.identifier_value:
        keys.add(f"{merge.identifier_kind}:{merge.identifier_value}")
    return keys


def reexamine_merges(
    session: Session, *, identifiers: Iterable[Identifier], actor: Actor
) -> list[str]:
    """Look again at the merges the identity rules made through identifiers now known to be
    shared or blocked: undo those whose two sides clearly are different people (given names
    and birth dates both differ), queue the others for review. Returns the merges undone."""
    keys = {f"{i.kind.value}:{i.value}" for i in identifiers}
    if not keys:
        return []
    owners = set(
        session.scalars(
            select(Profile.root_id)
            .join(ProfileIdentifier, ProfileIdentifier.profile_id == Profile.id)
            .where(
                ProfileIdentifier.value.in_(sorted({k.split(":", 1)[1] for k in keys})),
            )
        )
    )
    if not owners:
        return []
    members = set(session.scalars(select(Profile.id).where(Profile.root_id.in_(sorted(owners)))))
    merges = [
        merge
        for merge in session.scalars(
            select(IdentityMerge)
            .where(
                IdentityMerge.unmerged_at.is_(None),
                IdentityMerge.rule.in_(DETERMINISTIC_RULES),
                IdentityMerge.absorbed_id.in_(sorted(members)),
            )
            .order_by(IdentityMerge.merged_at.desc(), IdentityMerge.id.desc())
        )
        if _through(merge) & keys
    ]
    undone: list[str] = []
    for merge in merges:
        if merge.unmerged_at is not None:
            continue
        root, side, rest = _sides(session, merge)
        if clearly_different(side, rest):
            unmerge(session, profile_id=root, merge_id=merge.id, actor=actor)
            undone.append(merge.id)
            continue
        _queue_merged_pair(session, merge, sorted(_through(merge) & keys), actor)
    return undone


def reexamine_matched_merges(
    session: Session, *, profile_ids: Iterable[str], actor: Actor
) -> list[str]:
    """Look again at the matcher's merges in the people of these profiles, a message through
    each having given a birth date that agrees with none its person had: a merge whose two
    sides now give birth dates that differ is undone. The
    matcher joined them on their names and where they live before it knew; the identity
    rules never follow an e-mail or phone between such two. Returns the profiles split off
    (to be matched again)."""
    restored: list[str] = []
    wanted = sorted(set(profile_ids))
    if not wanted:
        return restored
    roots = set(session.scalars(select(Profile.root_id).where(Profile.id.in_(wanted))))
    for person in sorted(roots):
        everyone = set(session.scalars(select(Profile.id).where(Profile.root_id == person)))
        merges = session.scalars(
            select(IdentityMerge)
            .where(
                IdentityMerge.unmerged_at.is_(None),
                IdentityMerge.rule == MergeRule.probabilistic_match,
                IdentityMerge.absorbed_id.in_(sorted(everyone)),
            )
            .order_by(IdentityMerge.merged_at.desc(), IdentityMerge.id.desc())
        ).all()
        for merge in merges:
            root, side, rest = _sides(session, merge)
            if births_differ(side, rest):
                unmerge(session, profile_id=root, merge_id=merge.id, actor=actor)
                restored += [merge.absorbed_id, root]
    return restored


def _queue_merged_pair(
    session: Session, merge: IdentityMerge, identifiers: list[str], actor: Actor
) -> None:
    pair = (merge.survivor_id, merge.absorbed_id)
    already = session.scalar(
        select(func.count())
        .select_from(IdentityReview)
        .where(
            IdentityReview.status == "open",
            IdentityReview.profile_a_id == pair[0],
            IdentityReview.profile_b_id == pair[1],
        )
    )
    if already:
        return
    session.add(
        IdentityReview(
            kind="conflict",
            reason=ReviewReason.shared_identifier_merge,
            profile_a_id=pair[0],
            profile_b_id=pair[1],
            identifiers=identifiers,
            reasons=[f"merge {merge.id}"],
            event_id=merge.event_id,
            source=source_of(actor),
            status="open",
        )
    )
    session.flush()
    record_event(
        session,
        IdentityConflictFound(profile_ids=list(pair), reason=ReviewReason.shared_identifier_merge),
        actor=actor,
    )
