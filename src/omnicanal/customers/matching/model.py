"""The Fellegi-Sunter model, with a household class, and its estimation.

Three kinds of candidate pairs: the same person (m), two people of one household (h: same
address or landline, often the same family name, other given names and birth dates), and
other people (u). Without the household class, EM takes couples for duplicates and learns
that a different given name or birth date says little; with it, m stays the m of one person.

* u (how often different people agree at a level) comes from the pairs themselves: every
  candidate pair is counted, and a random sample of the other pairs stands for the rest; each
  pair counts by its probability of being neither one person nor one household. Rare
  agreements (the same address) all sit among the candidates, so they are counted exactly.
* m, h and the priors (the probability that two random records are one person, or one
  household) come from expectation maximisation over the candidate pairs, u held fixed. Pairs
  that blocking did not produce are taken as other people; that is what lets the E-step use
  the priors over all pairs, the same posterior the matcher reports.
* Each m is pulled towards its comparison's prior by ``prior_strength`` pseudo-pairs (10), so
  a level that the data barely shows keeps a sensible value instead of 0 or 1; h, the
  parameters of a nuisance class, by 1,000 on personal comparisons and 100 on the others.
* Term frequencies: where a comparison names a value (a family name, a postcode, a house
  number), a level on which both records share the value v gains log2(F / f(v)), f(v) being
  v's share of the fitted records and F = Σ f² the chance that two random records share any
  value: two "Martin" agree by chance far more often than two "Lefèvre-Dubois".

A level's weight is log2(m/u); a pair's weight is the sum over its comparisons, missing values
counting 0; its probability is the posterior of "one person" among the three kinds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from omnicanal.customers.matching.comparisons import MISSING, Comparison

_FLOOR = 1e-9


@dataclass(frozen=True)
class TermTable:
    """How common each value is among the fitted records."""

    frequencies: Mapping[str, float]
    agreement: float  # Σ f², the chance two random records share a value
    rare: float  # f of a value the fitted records never had

    @classmethod
    def of(cls, values: Sequence[str]) -> TermTable:
        """The table of the non-empty values."""
        counts = Counter(value for value in values if value)
        total = sum(counts.values())
        if not total:
            return cls({}, 1.0, 1.0)
        frequencies = {value: count / total for value, count in counts.items()}
        agreement = float(sum(f * f for f in frequencies.values()))
        return cls(frequencies, agreement, 1 / max(len(values), 1))

    def rarity(self, values: Sequence[str] | np.ndarray) -> np.ndarray:
        """log2(F / f(v)) per value: above 0 for rarer than usual, below for common."""
        table, rare = self.frequencies, self.rare
        frequency = np.fromiter((table.get(v, rare) for v in values), np.float64, len(values))
        return np.log2(self.agreement / np.maximum(frequency, _FLOOR))


@dataclass(frozen=True)
class Posteriors:
    """Per pair, the probability of one person and of one household."""

    match: np.ndarray
    household: np.ndarray


@dataclass(frozen=True, eq=False)
class FellegiSunterModel:
    """m, h and u probabilities per comparison level, term frequencies, and the priors."""

    m: tuple[np.ndarray, ...]
    u: tuple[np.ndarray, ...]
    prior: float  # P(two records drawn at random are the same person)
    household: tuple[np.ndarray, ...] = ()  # h, per comparison level
    household_prior: float = 0.0  # P(two records drawn at random are one household)
    term_tables: tuple[tuple[TermTable, ...], ...] = ()  # per comparison, per TermFrequency

    @classmethod
    def from_comparisons(
        cls, comparisons: Sequence[Comparison], *, prior: float = 1e-4
    ) -> FellegiSunterModel:
        """The model the comparisons' prior m, h and u describe, before any fitting."""
        return cls(
            m=tuple(_normalised([level.m for level in c.levels]) for c in comparisons),
            u=tuple(_normalised([level.u for level in c.levels]) for c in comparisons),
            prior=prior,
            household=tuple(
                _normalised([level.household for level in c.levels]) for c in comparisons
            ),
            household_prior=prior,
        )

    def weights(self) -> tuple[np.ndarray, ...]:
        """log2(m/u) of every level of every comparison."""
        return _log2_ratios(self.m, self.u)

    def level_weights(
        self, levels: np.ndarray, adjustments: np.ndarray | None = None
    ) -> np.ndarray:
        """The weight each pair gets from each comparison (pairs x comparisons), 0 if missing,
        plus the term-frequency ``adjustments`` (same shape) where given."""
        result = _per_level(levels, self.weights())
        if adjustments is not None:
            result += adjustments
        return result

    def posteriors(self, levels: np.ndarray, adjustments: np.ndarray | None = None) -> Posteriors:
        """Per pair, the posterior probabilities of one person and of one household
        (``adjustments``: per pair and comparison, or already summed per pair)."""
        other = max(1.0 - self.prior - self.household_prior, _FLOOR)
        # A term-frequency adjustment corrects u (chance agreement on a rare value is rarer),
        # so it moves the household's ratio to u as much as the match's.
        adjusted = _total(adjustments)
        match = np.log2(max(self.prior, _FLOOR) / other) + self.level_weights(levels).sum(axis=1)
        match += adjusted
        if self.household:
            household = np.log2(max(self.household_prior, _FLOOR) / other) + _per_level(
                levels, _log2_ratios(self.household, self.u)
            ).sum(axis=1)
            household += adjusted
        else:
            household = np.full(len(levels), -np.inf)
        top = np.maximum(np.maximum(match, household), 0.0)
        match_part, household_part = np.exp2(match - top), np.exp2(household - top)
        total = np.exp2(-top) + match_part + household_part
        return Posteriors(match_part / total, household_part / total)


@dataclass(frozen=True)
class EstimationResult:
    """What one expectation-maximisation run did."""

    model: FellegiSunterModel
    iterations: int
    converged: bool
    expected_matches: float  # sum of the candidate pairs' posteriors of one person
    expected_households: float


def _total(adjustments: np.ndarray | None) -> np.ndarray | float:
    if adjustments is None:
        return 0.0
    return adjustments if adjustments.ndim == 1 else adjustments.sum(axis=1)


@dataclass(frozen=True)
class Patterns:
    """Pairs grouped by their levels and summed term-frequency adjustment (to a thousandth
    of a bit): millions of pairs fall into a few thousand patterns, and EM works on those."""

    levels: np.ndarray  # patterns x comparisons
    adjustment: np.ndarray  # per pattern
    counts: np.ndarray  # pairs per pattern

    @classmethod
    def of(cls, levels: np.ndarray, adjustments: np.ndarray | None = None) -> Patterns:
        """The patterns of some pairs."""
        if not len(levels):
            return cls(levels, np.zeros(0), np.zeros(0))
        code = np.zeros(len(levels), dtype=np.int64)
        radix = 1
        for column in range(levels.shape[1]):
            observed = levels[:, column].astype(np.int64) + 1  # MISSING becomes 0
            code = code * (int(observed.max()) + 1) + observed
            radix *= int(observed.max()) + 1
        total = np.broadcast_to(np.asarray(_total(adjustments), dtype=np.float64), code.shape)
        thousandths = np.clip(np.round(total * 1000), -(2**23) + 1, 2**23 - 1).astype(np.int64)
        if radix < 2**39:  # one int64 key: level code, then the adjustment in 24 bits
            key = code * 2**24 + thousandths + 2**23
            _, first, counts = np.unique(key, return_index=True, return_counts=True)
        else:  # many comparisons with many levels: group the rows themselves
            rows = np.column_stack([levels.astype(np.int64), thousandths])
            _, first, counts = np.unique(rows, axis=0, return_index=True, return_counts=True)
        return cls(levels[first], total[first].copy(), counts.astype(np.float64))


def _log2_ratios(
    numerators: Sequence[np.ndarray], denominators: Sequence[np.ndarray]
) -> tuple[np.ndarray, ...]:
    return tuple(
        np.log2(np.maximum(top, _FLOOR) / np.maximum(bottom, _FLOOR))
        for top, bottom in zip(numerators, denominators, strict=True)
    )


def _per_level(levels: np.ndarray, weights: Sequence[np.ndarray]) -> np.ndarray:
    """Each pair's weight per comparison, 0 where the level is missing."""
    result = np.zeros(levels.shape, dtype=np.float64)
    for column, column_weights in enumerate(weights):
        padded = np.concatenate(([0.0], column_weights))  # MISSING (-1) reads index 0
        result[:, column] = padded[levels[:, column].astype(np.intp) + 1]
    return result


def _normalised(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    return array / array.sum()


def level_counts(
    levels: np.ndarray, sizes: Sequence[int], weights: np.ndarray | None = None
) -> list[np.ndarray]:
    """Per comparison, the (weighted) number of pairs at each level, missing values left out."""
    counts = []
    for column, size in enumerate(sizes):
        observed = levels[:, column]
        known = observed != MISSING
        counts.append(
            np.bincount(
                observed[known].astype(np.int64),
                weights=None if weights is None else weights[known],
                minlength=size,
            ).astype(np.float64)
        )
    return counts


@dataclass(frozen=True)
class Stratum:
    """Pairs that stand for ``scale`` times as many pairs, each counted with its weight."""

    levels: np.ndarray
    weights: np.ndarray | None = None
    scale: float = 1.0


def estimate_u(
    strata: Sequence[Stratum], comparisons: Sequence[Comparison]
) -> tuple[np.ndarray, ...]:
    """u per level from strata of pairs, each pair weighted by its probability of being two
    different people, plus half a pair; a level seen in no stratum gets half a pair of the
    sparsest stratum instead; a comparison never observed keeps its prior u."""
    sizes = [len(c.levels) for c in comparisons]
    counts = [np.zeros(size) for size in sizes]
    for stratum in strata:
        for total, count in zip(
            counts, level_counts(stratum.levels, sizes, weights=stratum.weights), strict=True
        ):
            total += stratum.scale * count
    unseen = 0.5 * max((stratum.scale for stratum in strata), default=1.0)
    return tuple(
        _normalised(np.where(count > 0, count + 0.5, unseen))
        if count.sum()
        else _normalised([level.u for level in c.levels])
        for count, c in zip(counts, comparisons, strict=True)
    )


def expectation_maximisation(
    candidates: Patterns,
    model: FellegiSunterModel,
    comparisons: Sequence[Comparison],
    *,
    total_pairs: int,
    max_iterations: int = 25,
    tolerance: float = 1e-4,
    prior_strength: float = 10.0,
    household_prior_strength: float = 1000.0,
    shared_prior_strength: float = 100.0,
) -> EstimationResult:
    """Estimate m, h and the priors from the candidate pairs' patterns, u held fixed.

    On personal comparisons h keeps close to its prior (``household_prior_strength``
    pseudo-pairs): left free, the household class would become a second kind of duplicate
    (the ones with typos) on data without households, instead of people who share a home and
    nothing personal. On the others (family name, address, phone) h is learned, but only a
    base with some hundred household pairs reshapes it (``shared_prior_strength``): a handful
    of odd duplicates must not make a household class of their own."""
    sizes = [len(c.levels) for c in comparisons]
    prior_m = [_normalised([level.m for level in c.levels]) for c in comparisons]
    prior_h = [_normalised([level.household for level in c.levels]) for c in comparisons]
    household_strengths = [
        household_prior_strength if c.personal else shared_prior_strength for c in comparisons
    ]
    levels, counts = candidates.levels, candidates.counts
    current = model
    matches = households = 0.0
    for iteration in range(1, max_iterations + 1):
        posteriors = current.posteriors(levels, candidates.adjustment)
        match, household = posteriors.match * counts, posteriors.household * counts
        matches, households = float(match.sum()), float(household.sum())
        m = _m_step(levels, sizes, match, prior_m, prior_strength)
        h = _m_step(levels, sizes, household, prior_h, household_strengths)
        prior = min(max(matches / max(total_pairs, 1), _FLOOR), 0.5)
        household_prior = min(max(households / max(total_pairs, 1), _FLOOR), 0.5)
        change = max(
            float(np.max(np.abs(new - old)))
            for new, old in zip((*m, *h), (*current.m, *current.household), strict=True)
        )
        # The priors converge more slowly than m; a relative change ten times looser suffices.
        prior_change = abs(prior - current.prior) / current.prior / 10
        current = replace(current, m=m, household=h, prior=prior, household_prior=household_prior)
        if max(change, prior_change) < tolerance:
            return EstimationResult(current, iteration, True, matches, households)
    return EstimationResult(current, max_iterations, False, matches, households)


def _m_step(
    levels: np.ndarray,
    sizes: Sequence[int],
    weights: np.ndarray,
    priors: Sequence[np.ndarray],
    strength: float | Sequence[float],
) -> tuple[np.ndarray, ...]:
    counts = level_counts(levels, sizes, weights=weights)
    strengths = [strength] * len(sizes) if isinstance(strength, int | float) else strength
    return tuple(
        _normalised(count + pseudo * prior)
        for count, prior, pseudo in zip(counts, priors, strengths, strict=True)
    )
