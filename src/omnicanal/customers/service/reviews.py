"""The identity review queue as head office reads it: each pair with both people's cards.

A card is what a person needs to decide (the name, since when, the identifiers), read for
the whole page in a few batch queries. The full 360° view (:func:`get_profile`: timeline,
computed traits, household, channels) costs eight queries a profile; called twice per
review it made the queue page issue some 1,600 statements for 100 reviews.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.customers.models import Profile, ProfileIdentifier, ProfileTrait
from omnicanal.customers.schemas import ReviewOut, SatisfactionOut
from omnicanal.customers.service.merging import list_reviews
from omnicanal.customers.service.returns_seen import satisfactions

__all__ = ["IdentifierCard", "ProfileCard", "ReviewPair", "profile_cards", "review_pairs"]

CHUNK = 500
NAME_TRAITS = ("first_name", "last_name")


@dataclass(frozen=True, slots=True)
class IdentifierCard:
    """One identifier on a card: its kind, its normalised value, where it was first seen."""

    kind: str
    value: str
    source: str


@dataclass(frozen=True, slots=True)
class ProfileCard:
    """A profile as a reviewer compares it: its current id, name, age and identifiers."""

    id: str
    name: str
    created_at: datetime
    identifiers: tuple[IdentifierCard, ...]
    satisfaction: SatisfactionOut | None = None
    """The score the person gave at their last return, and their average."""


@dataclass(frozen=True, slots=True)
class ReviewPair:
    """A review and the cards of its two profiles (None: the profile no longer exists)."""

    review: ReviewOut
    sides: tuple[ProfileCard | None, ProfileCard | None]


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def profile_cards(session: Session, profile_ids: Iterable[str]) -> dict[str, ProfileCard]:
    """The card of each profile id, by the id asked (a merged profile shows the profile it
    is part of now); ids of no profile are left out. Four queries per 500 ids."""
    wanted = sorted(set(profile_ids))
    root_of: dict[str, str] = {}
    for chunk in _chunks(wanted):
        root_of.update(
            (profile_id, root_id)
            for profile_id, root_id in session.execute(
                select(Profile.id, Profile.root_id).where(Profile.id.in_(chunk))
            )
        )
    roots = sorted(set(root_of.values()))
    created: dict[str, datetime] = {}
    identifiers: dict[str, list[IdentifierCard]] = {root: [] for root in roots}
    names: dict[str, dict[str, object]] = {root: {} for root in roots}
    for chunk in _chunks(roots):
        created.update(
            (profile_id, created_at)
            for profile_id, created_at in session.execute(
                select(Profile.id, Profile.created_at).where(Profile.id.in_(chunk))
            )
        )
        for profile_id, kind, value, source in session.execute(
            select(
                ProfileIdentifier.profile_id,
                ProfileIdentifier.kind,
                ProfileIdentifier.value,
                ProfileIdentifier.source,
            )
            .where(ProfileIdentifier.profile_id.in_(chunk))
            .order_by(ProfileIdentifier.kind, ProfileIdentifier.first_seen_at)
        ):
            identifiers[profile_id].append(IdentifierCard(kind=kind, value=value, source=source))
        # Oldest first: the latest observation of each name wins, as on the 360° view.
        for profile_id, name, value in session.execute(
            select(ProfileTrait.profile_id, ProfileTrait.name, ProfileTrait.value)
            .where(ProfileTrait.profile_id.in_(chunk), ProfileTrait.name.in_(NAME_TRAITS))
            .order_by(ProfileTrait.observed_at, ProfileTrait.id)
        ):
            names[profile_id][name] = value
    scores = satisfactions(session, profile_ids=roots)
    cards = {}
    for asked, root in root_of.items():
        if root not in created:
            continue
        cards[asked] = ProfileCard(
            id=root,
            name=" ".join(str(names[root][key]) for key in NAME_TRAITS if names[root].get(key)),
            created_at=created[root],
            identifiers=tuple(identifiers[root]),
            satisfaction=scores.get(root),
        )
    return cards


def review_pairs(session: Session, *, limit: int = 100) -> list[ReviewPair]:
    """The open reviews, oldest first, each with its two profiles' cards."""
    reviews = list_reviews(session, limit=limit)
    cards = profile_cards(
        session, [pid for r in reviews for pid in (r.profile_a_id, r.profile_b_id)]
    )
    return [
        ReviewPair(review=r, sides=(cards.get(r.profile_a_id), cards.get(r.profile_b_id)))
        for r in reviews
    ]
