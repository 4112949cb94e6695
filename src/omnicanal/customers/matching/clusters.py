"""Merges planned together, so that no profile ends up holding two people.

Each merge the matcher decides is judged on one pair of records; applied together, merges
chain: a web record with only a name and an address matches both the father and the son who
share that name and that home, and would join them into one profile through itself. So the
merges of a run are planned together (:func:`plan_merges`):

1. strongest first, each merge is refused when a record on one side and a record on the other
   say they are two people (``Matcher.conflicts``: given names or birth dates that clearly
   disagree, or two mobiles without an agreeing birth date);
2. a record that a refused merge was reaching for, and that agrees with both sides, could be
   either person: it is ambiguous, and none of its merges is made;
3. the plan is made again without the ambiguous records' merges, until none is found.

The merges left out go to review: a person decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from omnicanal.customers.matching.records import PersonRecord

Conflicts = Callable[[Sequence[PersonRecord], Sequence[PersonRecord]], bool]

__all__ = ["Clusters", "Conflicts", "plan_merges"]

MAX_ROUNDS = 5  # each round removes ambiguous records; two are usually enough


class Clusters:
    """Records joined into clusters, a join refused when the two clusters conflict."""

    def __init__(self, conflicts: Conflicts) -> None:
        self._conflicts = conflicts
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[PersonRecord]] = {}

    def _root(self, record: PersonRecord) -> str:
        key = record.record_id
        if key not in self._parent:
            self._parent[key] = key
            self._members[key] = [record]
        while self._parent[key] != key:
            self._parent[key] = self._parent[self._parent[key]]  # path halving
            key = self._parent[key]
        return key

    def members(self, record: PersonRecord) -> list[PersonRecord]:
        """The records in ``record``'s cluster (itself alone if never joined)."""
        return list(self._members[self._root(record)])

    def join(self, a: PersonRecord, b: PersonRecord) -> bool:
        """Put ``a`` and ``b`` in one cluster unless theirs conflict; whether they are one."""
        first, second = self._root(a), self._root(b)
        if first == second:
            return True
        if self._conflicts(self._members[first], self._members[second]):
            return False
        big, small = sorted((first, second), key=lambda root: -len(self._members[root]))
        self._parent[small] = big
        self._members[big].extend(self._members.pop(small))
        return True


def plan_merges(
    pairs: Sequence[tuple[PersonRecord, PersonRecord]], conflicts: Conflicts
) -> list[bool]:
    """Which of these merges (strongest first) to make, by the rules of the module docstring."""
    ambiguous: set[str] = set()
    for _ in range(MAX_ROUNDS):
        clusters = Clusters(conflicts)
        plan = []
        found: set[str] = set()
        for a, b in pairs:
            if a.record_id in ambiguous or b.record_id in ambiguous:
                plan.append(False)
                continue
            joined = clusters.join(a, b)
            plan.append(joined)
            if not joined:
                for record, other in ((a, b), (b, a)):
                    if not conflicts([record], clusters.members(other)):
                        found.add(record.record_id)
        if not found:
            return plan
        ambiguous |= found
    return plan
