"""How comparisons of a pair of records are built: levels, roles, pairs, shared helpers.

A comparison turns a pair into one level index, or ``MISSING`` (-1) when either side lacks the
value: a missing value is neutral, it weighs nothing either way. Levels carry prior m, u and h
(household) probabilities, used before the model is fitted and as the EM prior, and an optional
role that the decision rules read:

* ``shared home``: the pair shares an address or a landline;
* ``identifier``: a personal identifier agrees (same mobile, same e-mail address);
* ``birth date agrees``: exactly, or but for a day/month swap or a year;
* ``given name differs`` and ``birth date differs``: a personal attribute clearly disagrees;
* ``mobile differs``: both records give a mobile, and not the same one (a personal identifier
  disagrees: it outvotes a weaker sign such as the same e-mail local part elsewhere).

Comparisons work on whole arrays of pairs at once: string similarities come from rapidfuzz's
``cpdist`` (Jaro-Winkler, Damerau-Levenshtein, Levenshtein ratio, token-set ratio), computed
only for the pairs a cheaper test has not already decided; the rest is numpy. The comparisons
themselves live in ``personal`` (names, birth date, phone, e-mail) and ``address``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from omnicanal.customers.matching.normalise import PreparedRecords
from omnicanal.customers.matching.records import PersonRecord

MISSING = -1
CLOSE_NAME = 0.92  # Jaro-Winkler at or above which two names are one typo apart
SIMILAR_NAME = 0.80

Role = Literal[
    "shared home",
    "identifier",
    "birth date agrees",
    "given name differs",
    "birth date differs",
    "mobile differs",
]
NamePart = Literal["given", "family"]


@dataclass(frozen=True)
class Level:
    """One outcome of a comparison, with prior m, h and u probabilities."""

    label: str  # what the reasons say: "one typo apart"
    m: float  # P(this level | same person)
    u: float  # P(this level | different people)
    household: float  # P(this level | two people of one household)
    role: Role | None = None


@dataclass(frozen=True)
class TermFrequency:
    """A value whose frequency refines the weight of the levels where both records share it:
    two "Martin" agree by chance far more often than two "Lefèvre-Dubois"."""

    name: str
    values: Callable[[PreparedRecords], np.ndarray]  # per record, "" when unknown
    levels: frozenset[int]  # the levels it refines, when both records have the same value


@dataclass(frozen=True)
class Comparison:
    """A named way of comparing two records, from arrays of pairs to level indices."""

    name: str
    levels: tuple[Level, ...]
    compute: Callable[[PairContext], np.ndarray]
    show: Callable[[PersonRecord], str]
    # For a name: what to show of the right record when its first and last names are swapped.
    show_swapped: Callable[[PersonRecord], str] | None = None
    term_frequencies: tuple[TermFrequency, ...] = ()
    # Personal (a given name, a birth date, a mailbox): the members of a household differ on
    # it, so its household probabilities stay near their prior while EM learns the others
    # (how often housemates share a family name, an address, a landline).
    personal: bool = True


def _workers(pairs: np.ndarray) -> int:
    """All cores for big batches (rapidfuzz releases the GIL), one for a few pairs."""
    return -1 if len(pairs) >= 20_000 else 1


def similarity(
    scorer: Callable[..., float], left: np.ndarray, right: np.ndarray, cutoff: float = 0
) -> np.ndarray:
    """``scorer`` of each pair (left[k], right[k]); 0 where it falls below ``cutoff``."""
    if not len(left):
        return np.zeros(0)
    result = process.cpdist(
        left, right, scorer=scorer, score_cutoff=cutoff, dtype=np.float32, workers=_workers(left)
    )
    return result.astype(np.float64)


def edits(left: np.ndarray, right: np.ndarray, most: int = 1) -> np.ndarray:
    """Damerau-Levenshtein distances, anything above ``most`` reported as ``most + 1``."""
    if not len(left):
        return np.zeros(0, dtype=np.int32)
    return process.cpdist(
        left,
        right,
        scorer=DamerauLevenshtein.distance,
        score_cutoff=most,
        dtype=np.int32,
        workers=_workers(left),
    )


def within_one_edit(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Pairs one insertion, deletion, substitution or transposition apart (or equal)."""
    return edits(left, right) <= 1


def select_levels(
    conditions: Sequence[tuple[np.ndarray, int]], default: int, size: int
) -> np.ndarray:
    """The first level whose condition holds, else ``default``."""
    levels = np.full(size, default, dtype=np.int8)
    decided = np.zeros(size, dtype=bool)
    for mask, level in conditions:
        take = mask & ~decided
        levels[take] = level
        decided |= take
    return levels


class PairContext:
    """Pairs (left[k], right[k]) of prepared records, with the features comparisons share."""

    def __init__(self, prepared: PreparedRecords, left: np.ndarray, right: np.ndarray) -> None:
        self.prepared = prepared
        self.left = np.asarray(left, dtype=np.int64)
        self.right = np.asarray(right, dtype=np.int64)
        self._aligned: dict[tuple[str, str], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.left)

    @cached_property
    def swapped(self) -> np.ndarray:
        """Pairs whose names agree better crossed than straight, so the right side is read
        swapped: both names crossed ("Lefèvre Hélène"), or one name found in the other field
        while neither field agrees straight ("DUPONT" typed as the given name)."""
        p, left, right = self.prepared, self.left, self.right
        given_a, family_a = p.given_code[left], p.family_code[left]
        given_b, family_b = p.given_code[right], p.family_code[right]
        complete = (given_a > 0) & (family_a > 0) & (given_b > 0) & (family_b > 0)
        straight = (given_a == given_b) | (family_a == family_b)
        maybe = np.flatnonzero(complete & ~straight)
        jw = JaroWinkler.normalized_similarity
        a, b = left[maybe], right[maybe]
        first = similarity(jw, p.given_compact[a], p.family_compact[b], CLOSE_NAME)
        second = similarity(jw, p.family_compact[a], p.given_compact[b], CLOSE_NAME)
        crossing = (first > 0) | (second > 0)
        maybe, a, b = maybe[crossing], a[crossing], b[crossing]
        first, second = first[crossing], second[crossing]
        direct_given = similarity(jw, p.given_compact[a], p.given_compact[b])
        direct_family = similarity(jw, p.family_compact[a], p.family_compact[b])
        both_crossed = np.minimum(first, second) > np.minimum(direct_given, direct_family)
        one_crossed = np.maximum(direct_given, direct_family) < SIMILAR_NAME
        swapped = np.zeros(len(left), dtype=bool)
        swapped[maybe] = ((first > 0) & (second > 0) & both_crossed) | one_crossed
        return swapped

    def aligned(self, part: NamePart, column: str) -> np.ndarray:
        """The right side's ``part`` name ``column`` ("code", "compact", ...), swaps undone."""
        if (part, column) in self._aligned:
            return self._aligned[part, column]
        p, right, swapped = self.prepared, self.right, self.swapped
        other: NamePart = "family" if part == "given" else "given"
        aligned = getattr(p, f"{part}_{column}" if column != "spaced" else part)[right]
        if swapped.any():  # read the other field only where names are swapped
            crossed = getattr(p, f"{other}_{column}" if column != "spaced" else other)
            aligned[swapped] = crossed[right[swapped]]
        self._aligned[part, column] = aligned
        return aligned


def one_keystroke_apart(chars_a: np.ndarray, chars_b: np.ndarray) -> np.ndarray:
    """Rows of code points that differ by one character, or by two neighbours swapped."""
    differ = chars_a != chars_b
    changed = differ.sum(axis=1)
    crossed = (chars_a[:, :-1] == chars_b[:, 1:]) & (chars_a[:, 1:] == chars_b[:, :-1])
    transposed = (changed == 2) & (differ[:, :-1] & differ[:, 1:] & crossed).any(axis=1)
    return (changed == 1) | transposed


def compare(
    comparisons: Sequence[Comparison],
    prepared: PreparedRecords,
    left: np.ndarray,
    right: np.ndarray,
) -> tuple[np.ndarray, PairContext]:
    """The level matrix (pairs x comparisons, int8, ``MISSING`` = -1) of the given pairs."""
    context = PairContext(prepared, left, right)
    levels = np.empty((len(context), len(comparisons)), dtype=np.int8)
    for column, comparison in enumerate(comparisons):
        levels[:, column] = comparison.compute(context)
    return levels, context
