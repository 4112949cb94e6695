"""Finding a person by name at the counter: "Zoé Martin", "martin", "martn" (a typo).

The database hands over only the name traits (first name, last name, full name) of every
profile; rapidfuzz then ranks them, accent- and case-insensitively, token by token, so a
surname alone, a first name alone, a prefix or a typo still finds the person. On the demo's
20,000 profiles a search takes under a second, most of it reading the name traits; the
ranking is tens of milliseconds (docs/adr/0009 says what comes next).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.customers.matching.normalise import fold
from omnicanal.customers.models import ProfileTrait
from omnicanal.customers.service.matching import FAMILY, GIVEN, person_fields

__all__ = ["NameMatch", "find_profiles_by_name"]

NAME_TRAITS = (*GIVEN, *FAMILY, "name")
MIN_SCORE = 75.0
PREFIX_SCORE = 90.0
MIN_PREFIX = 3


@dataclass(frozen=True)
class NameMatch:
    """A profile whose name looks like the one typed, with how alike (0 to 100)."""

    profile_id: str
    name: str
    score: float


def _names(session: Session) -> dict[str, str]:
    """Every profile's current full name, from its latest name traits."""
    traits: dict[str, dict[str, tuple[datetime, Any]]] = {}
    rows = session.execute(
        select(
            ProfileTrait.profile_id,
            ProfileTrait.name,
            ProfileTrait.value,
            ProfileTrait.observed_at,
        ).where(ProfileTrait.name.in_(NAME_TRAITS))
    )
    for profile_id, name, value, observed_at in rows:
        held = traits.setdefault(profile_id, {})
        if name not in held or held[name][0] <= observed_at:
            held[name] = (observed_at, value)
    names = {}
    for profile_id, held in traits.items():
        fields = person_fields({name: value for name, (_, value) in held.items()})
        full = " ".join(part for part in (fields["given_name"], fields["family_name"]) if part)
        if full:
            names[profile_id] = full
    return names


def _token_scores(token: str, vocabulary: list[str]) -> dict[str, float]:
    """How well each known name token matches one typed token: a typo or a prefix counts."""
    scores: dict[str, float] = {}
    for candidate, score, _ in process.extract(
        token, vocabulary, scorer=fuzz.ratio, score_cutoff=MIN_SCORE, limit=None
    ):
        scores[candidate] = score
    if len(token) >= MIN_PREFIX:
        for candidate in vocabulary:
            if candidate.startswith(token):
                scores[candidate] = max(scores.get(candidate, 0.0), PREFIX_SCORE)
    return scores


def rank_names(query: str, names: Mapping[str, str], *, limit: int = 5) -> list[NameMatch]:
    """The ``limit`` names closest to ``query``, best first (pure: no database)."""
    typed = fold(query).split()
    if not typed or sum(len(token) for token in typed) < 2:
        return []
    folded = {profile_id: fold(name).split() for profile_id, name in names.items()}
    vocabulary = sorted({token for tokens in folded.values() for token in tokens})
    per_token = [_token_scores(token, vocabulary) for token in typed]
    wanted = set().union(*per_token)
    matches = []
    for profile_id, tokens in folded.items():
        if wanted.isdisjoint(tokens):
            continue
        # Every typed word must find its best counterpart among the person's names.
        score = sum(max(scores.get(t, 0.0) for t in tokens) for scores in per_token) / len(typed)
        if score >= MIN_SCORE:
            whole = fuzz.ratio(" ".join(typed), " ".join(tokens))
            matches.append((score, whole, profile_id))
    matches.sort(key=lambda match: (-match[0], -match[1], names[match[2]], match[2]))
    return [
        NameMatch(profile_id=profile_id, name=names[profile_id], score=round(score, 1))
        for score, _, profile_id in matches[:limit]
    ]


def find_profiles_by_name(session: Session, *, query: str, limit: int = 5) -> list[NameMatch]:
    """The few profiles whose name is closest to the typed one, ranked, accents and case
    ignored, typos forgiven."""
    return rank_names(query, _names(session), limit=limit)
