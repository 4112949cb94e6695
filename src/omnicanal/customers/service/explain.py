"""Why these identifiers are one profile: the chain of events and rules, in sentences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from omnicanal.customers.identity.rules import MergeRule
from omnicanal.customers.models import (
    IdentityMerge,
    IdentityReview,
    Profile,
    ProfileEvent,
    ProfileIdentifier,
)
from omnicanal.customers.schemas import (
    ExplainedIdentifier,
    ExplainedMerge,
    ExplainOut,
    ReviewOut,
)
from omnicanal.customers.service.profiles import profile_root

__all__ = ["explain"]

RULE_SENTENCES = {
    MergeRule.shared_identifier: "both carry {identifier}, which names one person",
    MergeRule.anonymous_activity: (
        "the anonymous activity of {identifier} belongs to the person it was seen with"
    ),
    MergeRule.review: "a reviewer decided they are one person",
    MergeRule.probabilistic_match: "the probabilistic matcher scored them as one person",
}


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _event_label(event: ProfileEvent | None) -> str:
    if event is None:
        return "a decision"
    what = f"{event.kind} '{event.name}'" if event.name else event.kind
    return f"{what} from {event.source} (event {event.id})"


def explain(session: Session, *, profile_id: str) -> ExplainOut:
    """The story of a profile: which event brought each identifier, each merge and its rule."""
    root = profile_root(session, profile_id)
    members = sorted(session.scalars(select(Profile.id).where(Profile.root_id == root.id)))
    identifiers = list(
        session.scalars(
            select(ProfileIdentifier)
            .where(ProfileIdentifier.profile_id == root.id)
            .order_by(ProfileIdentifier.first_seen_at, ProfileIdentifier.id)
        )
    )
    merges = list(
        session.scalars(
            select(IdentityMerge)
            .where(
                or_(
                    IdentityMerge.survivor_id.in_(members),
                    IdentityMerge.absorbed_id.in_(members),
                )
            )
            .order_by(IdentityMerge.merged_at, IdentityMerge.id)
        )
    )
    event_ids = {i.first_event_id for i in identifiers if i.first_event_id}
    event_ids |= {m.event_id for m in merges if m.event_id}
    events = {
        e.id: e
        for e in session.scalars(select(ProfileEvent).where(ProfileEvent.id.in_(sorted(event_ids))))
    }
    story: list[tuple[datetime, str]] = []
    explained = []
    for row in identifiers:
        event = events.get(row.first_event_id or "")
        label = f"{row.kind} {row.value if row.kind != 'device_id' else row.value[:12] + '…'}"
        if row.linked_by:
            why = f"{label} came in the same message as {row.linked_by}: {_event_label(event)}"
        else:
            why = (
                f"{label} first seen in {_event_label(event)}; "
                f"it started profile {row.home_profile_id}"
            )
        if row.shared:
            why += (
                f"; seen with {len(row.seen_with or [])} different people, it is shared "
                "and links nobody since " + _when(row.shared_at or row.last_seen_at)
            )
        explained.append(
            ExplainedIdentifier(
                kind=row.kind,
                value=row.value,
                source=row.source,
                first_seen_at=row.first_seen_at,
                home_profile_id=row.home_profile_id,
                shared=row.shared,
                why=why,
            )
        )
        story.append((row.first_seen_at, why))
        if row.shared and row.shared_at is not None:
            story.append((row.shared_at, f"{label} flagged as shared by several people"))
    merged = []
    for merge in merges:
        identifier = (
            f"{merge.identifier_kind} {merge.identifier_value}" if merge.identifier_kind else None
        )
        reason = RULE_SENTENCES.get(merge.rule, merge.rule).format(identifier=identifier)
        why = (
            f"profile {merge.absorbed_id} joined {merge.survivor_id}: {reason} "
            f"(rule {merge.rule}, {_event_label(events.get(merge.event_id or ''))})"
        )
        if merge.unmerged_at is not None:
            why += f"; undone on {_when(merge.unmerged_at)} by {merge.unmerged_by}"
        merged.append(
            ExplainedMerge(
                id=merge.id,
                merged_at=merge.merged_at,
                rule=merge.rule,
                survivor_id=merge.survivor_id,
                absorbed_id=merge.absorbed_id,
                identifier=identifier,
                event_id=merge.event_id,
                source=merge.source,
                unmerged_at=merge.unmerged_at,
                why=why,
            )
        )
        story.append((merge.merged_at, why))
        if merge.unmerged_at is not None:
            story.append(
                (merge.unmerged_at, f"profile {merge.absorbed_id} split from {merge.survivor_id}")
            )
    reviews = [
        ReviewOut.model_validate(review)
        for review in session.scalars(
            select(IdentityReview)
            .where(
                or_(
                    IdentityReview.profile_a_id.in_(members),
                    IdentityReview.profile_b_id.in_(members),
                )
            )
            .order_by(IdentityReview.created_at)
        )
    ]
    for review in reviews:
        other = review.profile_b_id if review.profile_a_id in members else review.profile_a_id
        story.append(
            (
                review.created_at,
                f"not merged with {other}: {review.reason.replace('_', ' ')} "
                f"({', '.join(review.identifiers)}); review {review.id} is {review.status}",
            )
        )
    story.sort(key=lambda item: item[0])
    return ExplainOut(
        profile_id=root.id,
        profiles=members,
        identifiers=explained,
        merges=merged,
        reviews=reviews,
        story=[f"{_when(at)} — {sentence}" for at, sentence in story],
    )
