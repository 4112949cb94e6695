"""Finding a person by name at the counter: "Zoé Martin", "martin", "martn" (a typo).

Every root profile with a name has one row in ``profile_search_names``: its current full
name and the same name folded (no accents, lower case), rewritten wherever name traits are
written or profiles merged and unmerged (:func:`refresh_search_names`). A search first asks
the database for the names with a word starting with the first three letters of a typed
word, or holding its next three (so a typo in the first letter is caught too), then
rapidfuzz ranks those, token by token, so a surname alone, a first name alone, a prefix or a
typo still finds the person. When a typed word finds no counterpart among them and fewer
than ``limit`` people matched (typos in its first letters), every folded name is ranked
instead: one narrow query, no trait to read or fold.

On the demo's 20,000 people (23,974 named profiles, ~49,000 name traits, a shared 2-core
machine), reading and folding every name trait made a search take 540 to 630 ms (p50); it
now takes 6 to 17 ms, a typo in the first letter included, and 100 to 150 ms when it falls
back to ranking every name (docs/adr/0009, ``python -m bench.names``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers.matching.normalise import fold
from omnicanal.customers.models import Profile, ProfileSearchName, ProfileTrait
from omnicanal.customers.service.traits import FAMILY, GIVEN, person_fields
from omnicanal.platform.bulk import bulk_insert
from omnicanal.platform.db import NO_SYNC

__all__ = [
    "NAME_TRAITS",
    "NameMatch",
    "find_profiles_by_name",
    "rank_names",
    "rebuild_search_names",
    "refresh_search_names",
    "search_name",
]

NAME_TRAITS = (*GIVEN, *FAMILY, "name")
"""The traits a profile's search name is made of."""
MIN_SCORE = 75.0
PREFIX_SCORE = 90.0
MIN_PREFIX = 3
KEY_LETTERS = 3
"""A stored word is ranked when it starts with the first three letters of a typed word, or
holds its next three anywhere."""
MAX_NAME = 300
CHUNK = 400


@dataclass(frozen=True)
class NameMatch:
    """A profile whose name looks like the one typed, with how alike (0 to 100)."""

    profile_id: str
    name: str
    score: float


# -- keeping the search names ----------------------------------------------------------------


def search_name(traits: Mapping[str, Any]) -> str:
    """A profile's full name from its name traits ("" when it has none)."""
    fields = person_fields(traits)
    return " ".join(part for part in (fields["given_name"], fields["family_name"]) if part)


def _latest_names(rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    """Each profile's full name from its latest name traits; rows are (profile id, trait
    name, value, observed at)."""
    traits: dict[str, dict[str, tuple[datetime, Any]]] = {}
    for profile_id, name, value, observed_at in rows:
        held = traits.setdefault(profile_id, {})
        if name not in held or held[name][0] <= observed_at:
            held[name] = (observed_at, value)
    names = {}
    for profile_id, held in traits.items():
        full = search_name({name: value for name, (_, value) in held.items()})
        if full:
            names[profile_id] = full
    return names


def _write(session: Session, names: Mapping[str, str]) -> None:
    bulk_insert(
        session,
        ProfileSearchName.__table__,
        [
            {"profile_id": profile_id, "name": name[:MAX_NAME], "folded": fold(name)[:MAX_NAME]}
            for profile_id, name in sorted(names.items())
        ],
    )


# A name trait as _latest_names reads it: whose, which, what, when.
NAME_TRAIT_COLUMNS = (
    ProfileTrait.profile_id,
    ProfileTrait.name,
    ProfileTrait.value,
    ProfileTrait.observed_at,
)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def refresh_search_names(session: Session, *, profile_ids: Iterable[str]) -> None:
    """Rewrite the search names of these profiles from their name traits: a root profile gets
    its current name, a profile merged into another (or without a name) gets none."""
    for chunk in _chunks(sorted(set(profile_ids))):
        roots = list(
            session.scalars(
                select(Profile.id).where(Profile.id.in_(chunk), Profile.root_id == Profile.id)
            )
        )
        rows = session.execute(
            select(*NAME_TRAIT_COLUMNS).where(
                ProfileTrait.profile_id.in_(roots), ProfileTrait.name.in_(NAME_TRAITS)
            )
        )
        names = _latest_names(rows)
        session.execute(
            delete(ProfileSearchName).where(ProfileSearchName.profile_id.in_(chunk)),
            execution_options=NO_SYNC,
        )
        _write(session, names)


def rebuild_search_names(session: Session) -> int:
    """Rewrite every profile's search name from the name traits (the migration's backfill);
    returns how many profiles have one."""
    rows = session.execute(
        select(*NAME_TRAIT_COLUMNS)
        .join(Profile, Profile.id == ProfileTrait.profile_id)
        .where(Profile.root_id == Profile.id, ProfileTrait.name.in_(NAME_TRAITS))
    )
    names = _latest_names(rows)
    session.execute(delete(ProfileSearchName), execution_options=NO_SYNC)
    _write(session, names)
    return len(names)


# -- ranking ----------------------------------------------------------------------------------


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


def _typed(query: str) -> list[str]:
    """The folded words of a query, or none when it is too short to search for."""
    typed = fold(query).split()
    return typed if sum(len(token) for token in typed) >= 2 else []


def _rank(
    typed: list[str], folded: Mapping[str, str], names: Mapping[str, str], limit: int
) -> tuple[list[NameMatch], bool]:
    """The ``limit`` best matches among ``folded`` names, and whether every typed word (of
    two letters or more) found a counterpart among them."""
    words = {profile_id: text.split() for profile_id, text in folded.items()}
    vocabulary = sorted({token for tokens in words.values() for token in tokens})
    per_token = [_token_scores(token, vocabulary) for token in typed]
    answered = all(scores for token, scores in zip(typed, per_token, strict=True) if len(token) > 1)
    wanted = set().union(*per_token)
    matches = []
    for profile_id, tokens in words.items():
        if wanted.isdisjoint(tokens):
            continue
        # Every typed word must find its best counterpart among the person's names.
        score = sum(max(scores.get(t, 0.0) for t in tokens) for scores in per_token) / len(typed)
        if score >= MIN_SCORE:
            whole = fuzz.ratio(" ".join(typed), " ".join(tokens))
            matches.append((score, whole, profile_id))
    matches.sort(key=lambda match: (-match[0], -match[1], names[match[2]], match[2]))
    found = [
        NameMatch(profile_id=profile_id, name=names[profile_id], score=round(score, 1))
        for score, _, profile_id in matches[:limit]
    ]
    return found, answered


def rank_names(query: str, names: Mapping[str, str], *, limit: int = 5) -> list[NameMatch]:
    """The ``limit`` names closest to ``query``, best first (pure: no database)."""
    typed = _typed(query)
    if not typed:
        return []
    folded = {profile_id: fold(name) for profile_id, name in names.items()}
    return _rank(typed, folded, names, limit)[0]


def _search_names(
    session: Session, starts: Sequence[str] = (), inside: Sequence[str] = ()
) -> tuple[dict[str, str], dict[str, str]]:
    """(names, folded names) of the profiles with a word starting with one of ``starts`` or
    containing one of ``inside``, or of every profile when no key is given."""
    query = select(ProfileSearchName.profile_id, ProfileSearchName.name, ProfileSearchName.folded)
    if starts or inside:
        folded = ProfileSearchName.folded
        query = query.where(
            or_(
                *(folded.startswith(key, autoescape=True) for key in starts),
                *(folded.contains(f" {key}", autoescape=True) for key in starts),
                *(folded.contains(key, autoescape=True) for key in inside),
            )
        )
    names: dict[str, str] = {}
    folded_names: dict[str, str] = {}
    for profile_id, name, folded_name in session.execute(query):
        names[profile_id] = name
        folded_names[profile_id] = folded_name
    return names, folded_names


def find_profiles_by_name(session: Session, *, query: str, limit: int = 5) -> list[NameMatch]:
    """The few profiles whose name is closest to the typed one, ranked, accents and case
    ignored, typos forgiven."""
    typed = _typed(query)
    if not typed:
        return []
    starts = sorted({token[:KEY_LETTERS] for token in typed if len(token) > 1})
    # The letters after the first: a typo in the first letter still finds the word.
    inside = sorted({token[1 : KEY_LETTERS + 1] for token in typed if len(token) > KEY_LETTERS})
    if starts:
        names, folded = _search_names(session, starts, inside)
        matches, answered = _rank(typed, folded, names, limit)
        if answered or len(matches) >= limit:
            return matches
    # Some typed word found nobody (typos in its first letters): rank every name.
    names, folded = _search_names(session)
    return _rank(typed, folded, names, limit)[0]
