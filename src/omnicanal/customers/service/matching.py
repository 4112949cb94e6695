"""Probabilistic matching, wired to profiles: person records in, merges, reviews and
household links out.

The matcher itself (``omnicanal.customers.matching``: blocking, Fellegi-Sunter weights
estimated by EM) is pure and knows nothing of profiles. Here profiles become
``PersonRecord`` s (:func:`person_records`), and each pair it does not call distinct
becomes a decision: ``merge`` merges the two profiles (rule ``probabilistic_match``),
``review`` opens a review, ``household`` links them as one household.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers.identity.rules import MergeRule, ReviewReason
from omnicanal.customers.identity.store import link_household
from omnicanal.customers.models import (
    HouseholdMember,
    IdentityReview,
    MatcherModel,
    PersonKey,
    Profile,
    ProfileIdentifier,
    ProfileSearchName,
    ProfileTrait,
)
from omnicanal.customers.service.merge_plan import MergePlan
from omnicanal.customers.service.traits import FAMILY, GIVEN, TRAIT_NAMES, person_fields
from omnicanal.platform.actors import Actor
from omnicanal.platform.bulk import bulk_insert
from omnicanal.platform.events import source_of

if TYPE_CHECKING:
    from omnicanal.customers.matching import PersonRecord
    from omnicanal.customers.matching.clusters import Conflicts

__all__ = [
    "MIN_RECORDS_TO_FIT",
    "MatchRun",
    "apply_matches",
    "candidates_of",
    "index_people",
    "latest_model_id",
    "latest_model_records",
    "load_model",
    "named_people",
    "person_fields",
    "person_records",
    "person_records_as_recorded",
    "recent_person_records",
    "save_model",
]


def person_records(
    session: Session, *, profile_ids: Sequence[str] | None = None
) -> list[PersonRecord]:
    """One ``PersonRecord`` per person among the root profiles (or the given profiles), from
    its traits and identifiers; ``record_id`` is the profile id.

    A person is a recognised profile (it carries an anchor) or a named one with something to
    find it by: a till record with only names, an address and the home landline is matched
    like any other (``PersonRecord.is_person``); a bare cookie is not."""
    named = select(ProfileSearchName.profile_id)
    roots = select(Profile.id, Profile.recognised).where(
        Profile.root_id == Profile.id,
        or_(Profile.recognised.is_(True), Profile.id.in_(named)),
    )
    if profile_ids is not None:
        wanted_roots = select(Profile.root_id).where(Profile.id.in_(list(profile_ids)))
        roots = select(Profile.id, Profile.recognised).where(Profile.id.in_(wanted_roots))
    recognised: dict[str, bool] = {root: known for root, known in session.execute(roots)}
    return _records_of(session, recognised, as_recorded=False)


def person_records_as_recorded(session: Session, *, limit: int) -> list[PersonRecord]:
    """The ``limit`` newest people as the messages recorded them, before any merge: one
    record per profile a message created with a name, from the traits and e-mails and phones
    that profile brought (``home_profile_id``), wherever they are now.

    What the matcher's weights are estimated on as the base grows: on today's root profiles
    the duplicates already merged are gone, so each estimate would find one person's records
    rarer than the last and merge less."""
    newest = session.scalars(
        select(ProfileTrait.home_profile_id)
        .where(ProfileTrait.name.in_(GIVEN + FAMILY))
        .distinct()
        .order_by(ProfileTrait.home_profile_id.desc())
        .limit(limit)
    ).all()
    recognised: dict[str, bool] = {}
    for start in range(0, len(newest), 500):
        chunk = newest[start : start + 500]
        recognised.update(
            session.execute(select(Profile.id, Profile.recognised).where(Profile.id.in_(chunk)))
            .tuples()
            .all()
        )
    return _records_of(session, recognised, as_recorded=True)


def _records_of(
    session: Session, recognised: dict[str, bool], *, as_recorded: bool
) -> list[PersonRecord]:
    """The person records of these profiles (id → recognised): root profiles, with what
    their members brought and the shared values they were seen with, or (``as_recorded``)
    each profile with only what it brought itself."""
    from omnicanal.customers.matching import PersonRecord

    trait_owner = ProfileTrait.home_profile_id if as_recorded else ProfileTrait.profile_id
    contact_owner = (
        ProfileIdentifier.home_profile_id if as_recorded else ProfileIdentifier.profile_id
    )
    wanted = sorted(recognised)
    traits: dict[str, dict[str, Any]] = {p: {} for p in wanted}
    contacts: dict[str, dict[str, str]] = {p: {} for p in wanted}
    landline: dict[str, bool] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for profile_id, name, value in session.execute(
            select(trait_owner, ProfileTrait.name, ProfileTrait.value)
            .where(trait_owner.in_(chunk), ProfileTrait.name.in_(TRAIT_NAMES))
            .order_by(ProfileTrait.observed_at)
        ):
            traits[profile_id][name] = value
        for profile_id, kind, value, anchor in session.execute(
            select(
                contact_owner,
                ProfileIdentifier.kind,
                ProfileIdentifier.value,
                ProfileIdentifier.anchor,
            )
            .where(contact_owner.in_(chunk), ProfileIdentifier.kind.in_(("email", "phone")))
            .order_by(ProfileIdentifier.first_seen_at, ProfileIdentifier.id)
        ):
            if kind not in contacts[profile_id]:
                contacts[profile_id][kind] = value
                if kind == "phone":
                    landline[profile_id] = not anchor
    lacking = set() if as_recorded else {p for p in wanted if len(contacts[p]) < 2}
    for profile_id, kind, value, anchor in _seen_with_contacts(session, lacking):
        # Evidence only: a shared value the identity graph refused to link this person by.
        if kind not in contacts[profile_id]:
            contacts[profile_id][kind] = value
            if kind == "phone":
                landline[profile_id] = not anchor
    records = (
        PersonRecord(
            record_id=profile_id,
            **person_fields(traits[profile_id]),
            phone=contacts[profile_id].get("phone"),
            email=contacts[profile_id].get("email"),
            phone_is_landline=landline.get(profile_id, False),
        )
        for profile_id in wanted
    )
    return [record for record in records if recognised[record.record_id] or record.is_person]


_NARROWED = 50
"""Up to this many people, the shared values are searched by the ids they list."""


def _seen_with_contacts(session: Session, roots: set[str]) -> list[tuple[str, str, str, bool]]:
    """(root profile, kind, value, anchor) of the shared e-mails and phones each of these root
    profiles was seen with without holding them (a family e-mail, a household's landline)."""
    if not roots:
        return []
    query = (
        select(
            ProfileIdentifier.kind,
            ProfileIdentifier.value,
            ProfileIdentifier.anchor,
            ProfileIdentifier.seen_with,
            ProfileIdentifier.profile_id,
        )
        .where(ProfileIdentifier.shared.is_(True), ProfileIdentifier.kind.in_(("email", "phone")))
        .order_by(ProfileIdentifier.first_seen_at, ProfileIdentifier.id)
    )
    if len(roots) <= _NARROWED:
        # The real-time matcher asks for a few people: read only the shared values whose
        # seen-with list names one of their profiles (merged-away ones included), not all.
        members = set(session.scalars(select(Profile.id).where(Profile.root_id.in_(roots))))
        listed = cast(ProfileIdentifier.seen_with, String)
        query = query.where(or_(*(listed.like(f'%"{member}"%') for member in members | roots)))
    rows = session.execute(query).all()
    mentioned = sorted({p for *_, seen_with, _ in rows for p in seen_with or []})
    root_of: dict[str, str] = {}
    for start in range(0, len(mentioned), 500):
        chunk = mentioned[start : start + 500]
        for profile_id, root_id in session.execute(
            select(Profile.id, Profile.root_id).where(Profile.id.in_(chunk))
        ):
            root_of[profile_id] = root_id
    found: list[tuple[str, str, str, bool]] = []
    for kind, value, anchor, seen_with, holder in rows:
        owner = root_of.get(holder, holder)
        for person in {root_of.get(p, p) for p in seen_with or []} & roots:
            if person != owner:
                found.append((person, kind, value, anchor))
    return found


@dataclass
class MatchRun:
    """What a matching run decided."""

    records: int = 0
    pairs: int = 0
    merged: int = 0
    reviews: int = 0
    households: int = 0
    skipped: int = 0


def apply_matches(
    session: Session,
    *,
    matches: Iterable[tuple[Any, Any, Any]],
    actor: Actor,
    progress: Callable[[int], None] | None = None,
    conflicts: Conflicts | None = None,
) -> MatchRun:
    """Turn the matcher's decisions into merges, reviews and household links.

    ``matches`` come strongest first; with ``conflicts`` (``Matcher.conflicts``), a merge that
    would put two records saying they are two people in one profile, through the merges
    before it, is queued for review instead (see ``omnicanal.customers.matching.clusters``)."""
    from omnicanal.customers.matching.clusters import plan_merges

    run = MatchRun()
    matches = list(matches)
    # The components that may merge, held at once and in one order (docs/adr/0036), read
    # once, and the merges made together (merge_plan.py) rather than one by one.
    plan = MergePlan.load(
        session,
        {
            p.record_id
            for left, right, score in matches
            if score.decision == "merge"
            for p in (left, right)
        },
    )
    refused: set[frozenset[str]] = set()
    if conflicts is not None:
        merges = [(left, right) for left, right, score in matches if score.decision == "merge"]
        refused = {
            frozenset((left.record_id, right.record_id))
            for (left, right), made in zip(merges, plan_merges(merges, conflicts), strict=True)
            if not made
        }
    named = sorted(
        {
            p.record_id
            for left, right, score in matches
            if score.decision != "distinct"
            for p in (left, right)
        }
    )
    open_pairs: set[frozenset[str]] = set()
    households: list[tuple[str, str]] = []
    for start in range(0, len(named), 400):
        chunk = named[start : start + 400]
        open_pairs.update(
            frozenset((a, b))
            for a, b in session.execute(
                select(IdentityReview.profile_a_id, IdentityReview.profile_b_id).where(
                    IdentityReview.kind == "match",
                    or_(
                        IdentityReview.profile_a_id.in_(chunk),
                        IdentityReview.profile_b_id.in_(chunk),
                    ),
                )
            )
        )
    for left, right, score in matches:
        run.pairs += 1
        a, b = left.record_id, right.record_id
        decision = score.decision
        blocked = plan.blocked_reason(a, b) if decision == "merge" else None
        if blocked == "kept_apart":
            run.skipped += 1
            decision = "distinct"
        elif blocked is not None:
            decision = "review"
        if decision == "merge" and frozenset((a, b)) in refused:
            blocked, decision = ReviewReason.person_conflict, "review"
        if decision == "merge":
            merged = plan.merge(
                a,
                b,
                rule=MergeRule.probabilistic_match,
                detail={
                    "weight": score.weight,
                    "probability": score.probability,
                    "reasons": list(score.reasons),
                },
            )
            run.merged += merged
            run.skipped += not merged
        elif decision == "review":
            if frozenset((a, b)) in open_pairs:
                run.skipped += 1
            else:
                open_pairs.add(frozenset((a, b)))
                session.add(
                    IdentityReview(
                        kind="match",
                        reason=blocked or ReviewReason.probable_match,
                        profile_a_id=a,
                        profile_b_id=b,
                        identifiers=[],
                        weight=float(score.weight),
                        probability=float(score.probability),
                        reasons=list(score.reasons),
                        source=source_of(actor),
                    )
                )
                run.reviews += 1
        elif decision == "household":
            households.append((a, b))
        if progress is not None:
            progress(1)
    plan.write(session, actor=actor)
    session.flush()
    # The households read the profiles as the merges left them: one link per group of
    # housemates, not one per pair (a record is a household pair with each of them).
    run.households += _link_households(session, households)
    return run


def _link_households(session: Session, pairs: Sequence[tuple[str, str]]) -> int:
    """Link each group of profiles these pairs join (through one another) as one household;
    how many pairs are between two people."""
    if not pairs:
        return 0
    ids = sorted({p for pair in pairs for p in pair})
    root: dict[str, str] = {}
    for start in range(0, len(ids), 400):
        root.update(
            session.execute(
                select(Profile.id, Profile.root_id).where(Profile.id.in_(ids[start : start + 400]))
            )
            .tuples()
            .all()
        )
    group = {person: person for person in root.values()}

    def find(person: str) -> str:
        while group[person] != person:
            group[person] = group[group[person]]
            person = group[person]
        return person

    linked = 0
    for a, b in pairs:
        if a not in root or b not in root:
            continue  # erased meanwhile
        first, second = find(root[a]), find(root[b])
        if root[a] != root[b]:
            linked += 1
        if first != second:
            group[max(first, second)] = min(first, second)
    members: dict[str, list[str]] = {}
    for person in group:
        members.setdefault(find(person), []).append(person)
    people = sorted(group)
    household: dict[str, str] = {}
    for start in range(0, len(people), 400):
        household.update(
            session.execute(
                select(HouseholdMember.profile_id, HouseholdMember.household_id).where(
                    HouseholdMember.profile_id.in_(people[start : start + 400])
                )
            )
            .tuples()
            .all()
        )
    for together in members.values():
        homes = {household.get(person) for person in together}
        if len(together) < 2 or (len(homes) == 1 and None not in homes):
            continue  # housemates linked already (most of them): nothing to write
        link_household(session, together, reason="probabilistic_match")
    return linked


# -- the blocking index and the fitted weights, for real-time matching ---------------------


def index_people(
    session: Session, *, records: Sequence[PersonRecord], matcher: Any, replace: bool = False
) -> int:
    """Write the blocking keys of these records (``replace``: the whole index anew)."""
    from omnicanal.customers.matching.blocking import record_keys
    from omnicanal.customers.matching.normalise import prepare

    if replace:
        session.execute(delete(PersonKey))
    if not records:
        return 0
    keys = record_keys(prepare(list(records)), matcher.blocking)
    rows = [
        {"key": key[:160], "profile_id": record.record_id}
        for record, found in zip(records, keys, strict=True)
        for key in sorted(found)
    ]
    for start in range(0, len(rows), 5000):
        bulk_insert(
            session,
            PersonKey.__table__,
            rows[start : start + 5000],
            suffix="ON CONFLICT DO NOTHING",
        )
    return len(rows)


def candidates_of(
    session: Session, *, keys: Iterable[str], max_block_size: int, exclude: str
) -> list[str]:
    """Profiles sharing a blocking key with a record, skipping keys too many records share."""
    wanted = sorted({key[:160] for key in keys})
    if not wanted:
        return []
    usable = [
        key
        for key, members in session.execute(
            select(PersonKey.key, func.count())
            .where(PersonKey.key.in_(wanted))
            .group_by(PersonKey.key)
        )
        if members <= max_block_size
    ]
    if not usable:
        return []
    found = session.scalars(
        select(PersonKey.profile_id).where(PersonKey.key.in_(usable)).distinct()
    )
    return sorted(set(found) - {exclude})


MIN_RECORDS_TO_FIT = 1000
"""Fewer records than this, and the weights are not estimated: the matcher's defaults."""


def save_model(session: Session, *, matcher: Any, records: int) -> str:
    """Keep the weights a batch run (or the real-time matcher) estimated on a base of
    ``records`` people, for the real-time matcher to use."""
    report = matcher.fit_report
    model = MatcherModel(
        records=records,
        report=asdict(report) if report is not None else {},
        model=pickle.dumps(matcher.model),
    )
    session.add(model)
    session.flush()
    return model.id


def named_people(session: Session) -> int:
    """How many root profiles have a name: the people matching may compare."""
    return session.scalar(select(func.count()).select_from(ProfileSearchName)) or 0


def recent_person_records(session: Session, *, limit: int) -> list[PersonRecord]:
    """The person records of the ``limit`` newest root profiles that have a name (ids are
    ULIDs, in the order profiles were created): a sample of the base to count how common
    each name is."""
    newest = session.scalars(
        select(ProfileSearchName.profile_id)
        .order_by(ProfileSearchName.profile_id.desc())
        .limit(limit)
    ).all()
    return person_records(session, profile_ids=newest) if newest else []


def latest_model_id(session: Session) -> str | None:
    """The id of the weights the last batch run estimated, if any."""
    return session.scalar(select(func.max(MatcherModel.id)))


def latest_model_records(session: Session) -> int | None:
    """How many people the base had when the latest weights were estimated; None before
    any estimate."""
    return session.scalar(select(MatcherModel.records).order_by(MatcherModel.id.desc()).limit(1))


def load_model(session: Session, model_id: str) -> Any:
    """The fitted ``FellegiSunterModel`` saved under ``model_id``."""
    blob = session.scalar(select(MatcherModel.model).where(MatcherModel.id == model_id))
    return pickle.loads(blob) if blob is not None else None
