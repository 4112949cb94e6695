"""The matcher: fit a Fellegi-Sunter model on a customer base, then score, decide and explain."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import cast, get_args

import numpy as np

from omnicanal.customers.matching.address import ADDRESS
from omnicanal.customers.matching.blocking import (
    DEFAULT_MAX_BLOCK_SIZE,
    DEFAULT_RULES,
    BlockingRule,
    candidate_pair_arrays,
    record_keys,
)
from omnicanal.customers.matching.comparisons import (
    MISSING,
    Comparison,
    Role,
    compare,
)
from omnicanal.customers.matching.model import (
    FellegiSunterModel,
    Patterns,
    Stratum,
    TermTable,
    estimate_u,
    expectation_maximisation,
)
from omnicanal.customers.matching.normalise import PreparedRecords, Vocabulary, prepare
from omnicanal.customers.matching.personal import (
    BIRTH_DATE,
    EMAIL,
    EMAIL_YEAR,
    FAMILY_NAME,
    GIVEN_NAME,
    PHONE,
)
from omnicanal.customers.matching.records import (
    Decision,
    MatchScore,
    PersonRecord,
    Thresholds,
)

DEFAULT_COMPARISONS: tuple[Comparison, ...] = (
    GIVEN_NAME,
    FAMILY_NAME,
    BIRTH_DATE,
    ADDRESS,
    PHONE,
    EMAIL,
    EMAIL_YEAR,
)
CHUNK_PAIRS = 200_000  # pairs compared at once: bounds memory, paces the progress callback
# The random pairs that stand for the non-candidate pairs when u is counted: they only need
# to measure the common levels (the rare agreements are all among the candidates), which a
# sample of some tens of pairs per record does as well as a million on a small base. How
# well a sample measures a common level depends on its size, not on the base's: past 5,000
# records, 150,000 pairs give the F1 of 30 per record on FEBRL 4 (10,000 records) over four
# seeds, in 16 % less time; 100,000 lose a pair on FEBRL 2 for some seeds.
RANDOM_PAIRS_PER_RECORD = 30
MAX_RANDOM_PAIRS = 150_000
Progress = Callable[[int, int], None]  # (pairs done, pairs in all)


@dataclass(frozen=True)
class FitReport:
    """What ``Matcher.fit`` saw and how the estimation went."""

    records: int
    candidate_pairs: int
    random_pairs: int
    iterations: int
    converged: bool
    prior: float
    household_prior: float
    expected_matches: float
    expected_households: float


@dataclass(frozen=True)
class _Compared:
    levels: np.ndarray  # pairs x comparisons
    left: np.ndarray
    right: np.ndarray
    swapped: np.ndarray  # the right side's first and last names were read swapped

    def __getitem__(self, part: slice) -> _Compared:
        return _Compared(self.levels[part], self.left[part], self.right[part], self.swapped[part])


@dataclass(frozen=True)
class _Fitted:
    """What ``fit`` worked out on its records, for a ``match`` of the same records."""

    records: Sequence[PersonRecord]
    prepared: PreparedRecords
    candidates: _Compared

    def of(self, records: Sequence[PersonRecord]) -> bool:
        """Whether these are the fitted records: the same (frozen) objects in the same order."""
        return len(records) == len(self.records) and all(
            a is b for a, b in zip(records, self.records, strict=True)
        )


@dataclass(frozen=True)
class _Signs:
    identifier: np.ndarray  # a personal identifier agrees (same mobile, same e-mail)
    different_person: np.ndarray  # what makes a pair sharing a home a household
    conflict: np.ndarray  # what keeps a pair from merging


@dataclass(frozen=True)
class _Scored:
    levels: np.ndarray
    weights: np.ndarray  # pairs x comparisons
    totals: np.ndarray
    probabilities: np.ndarray
    decisions: np.ndarray  # of Decision strings
    swapped: np.ndarray


class Matcher:
    """Probabilistic matching of person records: blocking, Fellegi-Sunter weights, decisions."""

    def __init__(
        self,
        thresholds: Thresholds | None = None,
        comparisons: Sequence[Comparison] = DEFAULT_COMPARISONS,
        *,
        blocking: Sequence[BlockingRule] = DEFAULT_RULES,
        max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
        model: FellegiSunterModel | None = None,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self.comparisons = tuple(comparisons)
        self.blocking = tuple(blocking)
        self.max_block_size = max_block_size
        if model is not None and not _fits(model, self.comparisons):
            model = None  # weights saved for other comparisons (an older version): the priors
        self.model = model or FellegiSunterModel.from_comparisons(self.comparisons)
        self.fit_report: FitReport | None = None
        self._fitted: _Fitted | None = None
        self._role_bits = {role: 1 << bit for bit, role in enumerate(get_args(Role))}
        # Per comparison, the role bits of each level, index 0 standing for MISSING.
        self._level_roles = [
            np.array(
                [0, *(self._role_bits[lv.role] if lv.role else 0 for lv in c.levels)],
                dtype=np.int64,
            )
            for c in self.comparisons
        ]

    # -- estimation ---------------------------------------------------------------------------

    def fit(
        self,
        records: Sequence[PersonRecord],
        *,
        max_iterations: int = 25,
        random_pairs: int | None = None,
        rounds: int = 3,
        prior_strength: float = 10.0,
        tolerance: float = 1e-4,
        seed: int = 0,
    ) -> Matcher:
        """Estimate u, then m, h and the priors by EM over the candidate pairs (see ``model``).

        u counts every candidate pair and a sample of ``random_pairs`` of the others (by
        default ``RANDOM_PAIRS_PER_RECORD`` per record, at most ``MAX_RANDOM_PAIRS``); each of
        the ``rounds`` runs EM, then counts u again with each pair weighted by its probability
        of being neither one person nor one household, so that the true matches among the
        pairs do not pass for chance agreements. A :meth:`match` of the same records then
        scores the candidate pairs compared here.
        """
        prepared = prepare(records)
        size = len(prepared)
        total_pairs = size * (size - 1) // 2
        if total_pairs == 0:
            raise ValueError("fitting needs at least two records")
        left, right = candidate_pair_arrays(
            prepared, self.blocking, max_block_size=self.max_block_size
        )
        candidates = self._compare_all(prepared, left, right)
        self._fitted = _Fitted(tuple(records), prepared, candidates)
        # u counts every candidate pair, and stands in for the other pairs by a random sample
        # of them: the rare agreements, all among the candidates, are counted exactly.
        if random_pairs is None:
            random_pairs = min(MAX_RANDOM_PAIRS, RANDOM_PAIRS_PER_RECORD * size)
        random_left, random_right = _random_pairs(size, random_pairs, np.random.default_rng(seed))
        outside = ~_contains(left * size + right, random_left * size + random_right)
        random_left, random_right = random_left[outside], random_right[outside]
        random = self._compare_all(prepared, random_left, random_right)
        scale = (total_pairs - len(left)) / max(len(random_left), 1)
        model = replace(
            self.model,
            # A start: one duplicate, and one housemate, for every ten records.
            prior=min(0.25, size / (10 * total_pairs)),
            household_prior=min(0.25, size / (10 * total_pairs)),
            term_tables=self._term_tables(prepared),
        )
        rarities = self._rarities(model, prepared)
        strata = [
            (Patterns.of(pairs.levels, self._adjustments(rarities, pairs)), pair_scale)
            for pairs, pair_scale in ((candidates, 1.0), (random, scale))
        ]
        model = replace(
            model,
            u=estimate_u(
                [Stratum(p.levels, p.counts, scale) for p, scale in strata], self.comparisons
            ),
        )
        iterations = 0
        for round_number in range(1, rounds + 1):
            result = expectation_maximisation(
                strata[0][0],
                model,
                self.comparisons,
                total_pairs=total_pairs,
                max_iterations=max_iterations,
                tolerance=tolerance,
                prior_strength=prior_strength,
            )
            model, iterations = result.model, iterations + result.iterations
            if round_number < rounds:
                weighted = []
                for patterns, pattern_scale in strata:
                    posteriors = model.posteriors(patterns.levels, patterns.adjustment)
                    other = (1.0 - posteriors.match - posteriors.household) * patterns.counts
                    weighted.append(Stratum(patterns.levels, other, pattern_scale))
                model = replace(model, u=estimate_u(weighted, self.comparisons))
        self.model = model
        self.fit_report = FitReport(
            records=size,
            candidate_pairs=len(left),
            random_pairs=len(random_left),
            iterations=iterations,
            converged=result.converged,
            prior=model.prior,
            household_prior=model.household_prior,
            expected_matches=result.expected_matches,
            expected_households=result.expected_households,
        )
        return self

    def counting_terms(self, records: Sequence[PersonRecord]) -> Matcher:
        """A matcher with these weights whose term frequencies (how common each family name,
        given name, postcode is) are counted on ``records``: what the real-time matcher uses
        before any fit, so that two "Lefèvre-Dubois" weigh more than two "Martin" from the
        start. Nothing else is estimated."""
        counted = Matcher(
            self.thresholds,
            self.comparisons,
            blocking=self.blocking,
            max_block_size=self.max_block_size,
            model=self.model,
        )
        if records:
            counted.model = replace(self.model, term_tables=self._term_tables(prepare(records)))
        return counted

    def _term_tables(self, prepared: PreparedRecords) -> tuple[tuple[TermTable, ...], ...]:
        return tuple(
            tuple(TermTable.of(list(term.values(prepared))) for term in c.term_frequencies)
            for c in self.comparisons
        )

    # -- blocking -----------------------------------------------------------------------------

    def blocking_keys(self, record: PersonRecord) -> frozenset[str]:
        """The keys under which to look up a record's candidates ("postcode:75011", ...)."""
        return frozenset(record_keys(prepare([record]), self.blocking)[0])

    def candidate_pairs(self, records: Sequence[PersonRecord]) -> Iterator[tuple[int, int]]:
        """Index pairs (i < j) of records sharing a blocking key, each pair once."""
        left, right = candidate_pair_arrays(
            prepare(records), self.blocking, max_block_size=self.max_block_size
        )
        yield from zip(left.tolist(), right.tolist(), strict=True)

    # -- scoring ------------------------------------------------------------------------------

    def score(self, a: PersonRecord, b: PersonRecord) -> MatchScore:
        """How strongly two records look like one person, the decision and its reasons."""
        scored = self._score(prepare([a, b]), np.array([0]), np.array([1]))
        return self._match_score(scored, 0, a, b)

    def match(
        self, records: Sequence[PersonRecord], *, progress: Progress | None = None
    ) -> list[tuple[PersonRecord, PersonRecord, MatchScore]]:
        """Every candidate pair that is not "distinct", strongest first (right after a
        :meth:`fit` of the same records, the pairs it compared are scored, not compared again)."""
        fitted, self._fitted = self._fitted, None
        compared = None
        if fitted is not None and fitted.of(records):
            prepared, compared = fitted.prepared, fitted.candidates
            left, right = compared.left, compared.right
        else:
            prepared = prepare(records)
            left, right = candidate_pair_arrays(
                prepared, self.blocking, max_block_size=self.max_block_size
            )
        found: list[tuple[PersonRecord, PersonRecord, MatchScore]] = []
        rarities = self._rarities(self.model, prepared)
        for start in range(0, len(left), CHUNK_PAIRS):
            chunk_left = left[start : start + CHUNK_PAIRS]
            chunk_right = right[start : start + CHUNK_PAIRS]
            scored = (
                self._decide(compared[start : start + CHUNK_PAIRS], rarities)
                if compared is not None
                else self._score(prepared, chunk_left, chunk_right, rarities)
            )
            for k in np.flatnonzero(scored.decisions != "distinct").tolist():
                a, b = records[int(chunk_left[k])], records[int(chunk_right[k])]
                found.append((a, b, self._match_score(scored, k, a, b)))
            if progress is not None:
                progress(min(start + CHUNK_PAIRS, len(left)), len(left))
        if progress is not None and not len(left):
            progress(0, 0)
        found.sort(key=lambda item: -item[2].weight)
        return found

    def match_one(
        self, record: PersonRecord, candidates: Sequence[PersonRecord]
    ) -> list[tuple[PersonRecord, MatchScore]]:
        """Score one new record against its block of candidates: those not "distinct"."""
        if not candidates:
            return []
        prepared = prepare([record, *candidates])
        others = np.arange(1, len(candidates) + 1)
        scored = self._score(prepared, np.zeros(len(candidates), dtype=np.int64), others)
        found = [
            (candidates[k], self._match_score(scored, k, record, candidates[k]))
            for k in np.flatnonzero(scored.decisions != "distinct").tolist()
        ]
        found.sort(key=lambda item: -item[1].weight)
        return found

    def match_pairs(
        self, records: Sequence[PersonRecord], left: np.ndarray, right: np.ndarray
    ) -> list[tuple[int, int, MatchScore]]:
        """Score chosen pairs of ``records`` (by position: ``left[k]`` with ``right[k]``) in
        one pass, as :meth:`match_one` would one record at a time: those not "distinct"."""
        if not len(left):
            return []
        prepared = prepare(list(records))
        scored = self._score(prepared, left, right)
        return [
            (
                int(left[k]),
                int(right[k]),
                self._match_score(scored, k, records[left[k]], records[right[k]]),
            )
            for k in np.flatnonzero(scored.decisions != "distinct").tolist()
        ]

    # -- internals ----------------------------------------------------------------------------

    def _compare_all(
        self, prepared: PreparedRecords, left: np.ndarray, right: np.ndarray
    ) -> _Compared:
        """Levels of many pairs, compared a chunk at a time to bound memory."""
        levels, swapped = [], []
        for start in range(0, len(left), CHUNK_PAIRS):
            chunk_levels, context = compare(
                self.comparisons,
                prepared,
                left[start : start + CHUNK_PAIRS],
                right[start : start + CHUNK_PAIRS],
            )
            levels.append(chunk_levels)
            swapped.append(context.swapped)
        if not levels:
            empty = np.zeros((0, len(self.comparisons)), np.int8)
            return _Compared(empty, left, right, np.zeros(0, dtype=bool))
        return _Compared(np.concatenate(levels), left, right, np.concatenate(swapped))

    def _roles(self, levels: np.ndarray) -> np.ndarray:
        """Per pair, the bits of the roles its levels play (see ``comparisons``)."""
        bits = np.zeros(len(levels), dtype=np.int64)
        for column, table in enumerate(self._level_roles):
            bits |= table[levels[:, column].astype(np.intp) + 1]
        return bits

    def _has_role(self, bits: np.ndarray, role: Role) -> np.ndarray:
        return (bits & self._role_bits[role]) != 0

    def _rarities(
        self, model: FellegiSunterModel, prepared: PreparedRecords
    ) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        """Per comparison and term, each record's value as an integer code (0 when empty, so
        that pairs compare numbers, not strings) and its rarity log2(F / f(v))."""
        rarities = []
        for column, comparison in enumerate(self.comparisons):
            tables = model.term_tables[column] if column < len(model.term_tables) else ()
            rarities.append(
                [
                    (Vocabulary().encode(values := term.values(prepared)), table.rarity(values))
                    for term, table in zip(comparison.term_frequencies, tables, strict=False)
                ]
            )
        return rarities

    def _adjustments(
        self,
        rarities: list[list[tuple[np.ndarray, np.ndarray]]],
        pairs: _Compared,
    ) -> np.ndarray:
        """Term-frequency adjustments (pairs x comparisons) where both records share a value."""
        result = np.zeros(pairs.levels.shape, dtype=np.float64)
        for column, comparison in enumerate(self.comparisons):
            for term, (codes, rarity) in zip(
                comparison.term_frequencies, rarities[column], strict=False
            ):
                apply = np.flatnonzero(np.isin(pairs.levels[:, column], list(term.levels)))
                first, second = pairs.left[apply], pairs.right[apply]
                shared = (codes[first] == codes[second]) & (codes[first] != 0)
                result[apply[shared], column] += rarity[first[shared]]
        return result

    def _score(
        self,
        prepared: PreparedRecords,
        left: np.ndarray,
        right: np.ndarray,
        rarities: list[list[tuple[np.ndarray, np.ndarray]]] | None = None,
    ) -> _Scored:
        levels, context = compare(self.comparisons, prepared, left, right)
        pairs = _Compared(levels, context.left, context.right, context.swapped)
        rarities = rarities if rarities is not None else self._rarities(self.model, prepared)
        return self._decide(pairs, rarities)

    def _decide(
        self, pairs: _Compared, rarities: list[list[tuple[np.ndarray, np.ndarray]]]
    ) -> _Scored:
        """Weights, probabilities and decisions of compared pairs."""
        levels = pairs.levels
        pairs_adjustments = self._adjustments(rarities, pairs)
        weights = self.model.level_weights(levels, pairs_adjustments)
        totals = weights.sum(axis=1)
        probabilities = self.model.posteriors(levels, pairs_adjustments).match
        roles = self._roles(levels)
        signs = self._signs(roles)
        decisions = decide(
            probabilities,
            shared_home=self._has_role(roles, "shared home") & ~signs.identifier,
            different_person=signs.different_person,
            conflict=signs.conflict,
            thresholds=self.thresholds,
        )
        return _Scored(levels, weights, totals, probabilities, decisions, pairs.swapped)

    def _signs(self, roles: np.ndarray) -> _Signs:
        identifier = self._has_role(roles, "identifier")
        birth_agrees = self._has_role(roles, "birth date agrees")
        birth_differs = self._has_role(roles, "birth date differs")
        # Two mobiles that differ outvote softer signs (the same e-mail local part elsewhere,
        # a shared home) unless a birth date or another personal identifier agrees.
        mobile_conflict = self._has_role(roles, "mobile differs") & ~birth_agrees & ~identifier
        given_differs = self._has_role(roles, "given name differs")
        return _Signs(
            identifier=identifier,
            different_person=(given_differs & ~birth_agrees) | mobile_conflict,
            conflict=given_differs | birth_differs | mobile_conflict,
        )

    def conflicts(self, first: Sequence[PersonRecord], second: Sequence[PersonRecord]) -> bool:
        """Whether a record of ``first`` and one of ``second`` say they are two people: given
        names or birth dates that clearly disagree, or two mobiles without an agreeing birth
        date (what keeps a single pair from merging, see ``decide``)."""
        if not first or not second:
            return False
        prepared = prepare([*first, *second])
        left = np.repeat(np.arange(len(first), dtype=np.int64), len(second))
        right = np.tile(np.arange(len(first), len(first) + len(second), dtype=np.int64), len(first))
        levels, _ = compare(self.comparisons, prepared, left, right)
        return bool(self._signs(self._roles(levels)).conflict.any())

    def _match_score(self, scored: _Scored, k: int, a: PersonRecord, b: PersonRecord) -> MatchScore:
        swapped = bool(scored.swapped[k])
        reasons = [
            _reason(
                comparison, int(scored.levels[k, column]), scored.weights[k, column], a, b, swapped
            )
            for column, comparison in enumerate(self.comparisons)
        ]
        return MatchScore(
            weight=float(scored.totals[k]),
            probability=float(scored.probabilities[k]),
            decision=cast(Decision, scored.decisions[k]),
            reasons=reasons,
        )


def _fits(model: FellegiSunterModel, comparisons: Sequence[Comparison]) -> bool:
    """Whether a model has one weight per level of each of these comparisons."""
    return len(model.m) == len(comparisons) and all(
        len(m) == len(c.levels) for m, c in zip(model.m, comparisons, strict=True)
    )


def decide(
    probabilities: np.ndarray,
    *,
    shared_home: np.ndarray,
    different_person: np.ndarray,
    conflict: np.ndarray,
    thresholds: Thresholds,
) -> np.ndarray:
    """Each pair's decision, by the rules of the package docstring."""
    decisions = np.full(len(probabilities), "distinct", dtype=object)
    decisions[probabilities >= thresholds.review] = "review"
    decisions[(probabilities >= thresholds.merge) & ~conflict] = "merge"
    household = shared_home & ((probabilities < thresholds.review) | different_person)
    decisions[household] = "household"
    return decisions


def _reason(
    comparison: Comparison,
    level: int,
    weight: float,
    a: PersonRecord,
    b: PersonRecord,
    swapped: bool,
) -> str:
    """One sentence: "family name Dupont ~ DUPONT: exact after accent and case folding, +8.1"."""
    shown_a = comparison.show(a)
    use_swap = swapped and comparison.show_swapped is not None
    shown_b = comparison.show_swapped(b) if use_swap else comparison.show(b)  # type: ignore[misc]
    if level == MISSING:
        phrase = "missing, neutral"
    else:
        phrase = comparison.levels[level].label
        if level == 0 and phrase == "exact" and shown_a.strip() != shown_b.strip():
            phrase = "exact after accent and case folding"
        if use_swap:
            phrase += " (first and last names swapped)"
    return f"{comparison.name} {shown_a or '—'} ~ {shown_b or '—'}: {phrase}, {weight:+.1f}"


def _contains(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each value is in ``ordered`` (sorted): a binary search, not a hash set."""
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return ordered[at] == values


def _random_pairs(
    size: int, wanted: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """All pairs when there are at most ``wanted``, else about ``wanted`` random distinct pairs;
    in order (first, then second), which keeps the look-ups of their records close in memory."""
    total = size * (size - 1) // 2
    if total <= wanted:
        first, second = np.triu_indices(size, k=1)
        return first.astype(np.int64), second.astype(np.int64)
    first = rng.integers(0, size, size=wanted, dtype=np.int64)
    second = rng.integers(0, size, size=wanted, dtype=np.int64)
    distinct = first != second
    first, second = first[distinct], second[distinct]
    codes = np.minimum(first, second) * size + np.maximum(first, second)
    codes.sort()
    return codes // size, codes % size
