"""Scores of a clustering of the messy French set against its truth: pairwise precision,
recall and F1 over records of one person, and the household pairs it merged."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from tests.customers.generator import MessySet, Record, fold, pairs_within

__all__ = ["Scores", "household_merges", "score", "shared_by", "told_apart"]


@dataclass(frozen=True)
class Scores:
    """Pairwise precision, recall and F1 of a clustering, and the household pairs it merged."""

    predicted_pairs: int
    true_pairs: int
    precision: float
    recall: float
    f1: float
    household_pairs_merged: int  # pairs of records
    household_people_merged: int  # pairs of people: two members of one household, one profile
    household_people_merged_told_apart: int
    """Of those, the pairs of people with two merged records that say they are two people
    (see :func:`told_apart`): the ones no merge should have made."""


def score(truth: MessySet, clusters: Mapping[str, str]) -> Scores:
    """Score ``clusters`` (record id → the profile it ended in) against the truth; a record
    missing from it (refused, never stored) is a cluster of its own."""
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for record_id, cluster in clusters.items():
        by_cluster[cluster].append(record_id)
    predicted = pairs_within(by_cluster.values())
    merged = predicted & truth.household_pairs
    person = {record.record_id: record.person_id for record in truth.records}
    by_id = {record.record_id: record for record in truth.records}
    hits = len(predicted & truth.true_pairs)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth.true_pairs) if truth.true_pairs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        predicted_pairs=len(predicted),
        true_pairs=len(truth.true_pairs),
        precision=precision,
        recall=recall,
        f1=f1,
        household_pairs_merged=len(merged),
        household_people_merged=len({frozenset(person[i] for i in pair) for pair in merged}),
        household_people_merged_told_apart=len(
            {
                frozenset(person[i] for i in pair)
                for pair in merged
                if told_apart(*(by_id[i] for i in pair))
            }
        ),
    )


def _digits(phone: str) -> str:
    digits = "".join(c for c in phone.replace("(0)", "") if c.isdigit())
    return "0" + digits[2:] if digits.startswith("33") else digits


def shared_by(a: Record, b: Record) -> str:
    """What two records have in common that could link them: "e-mail", "phone", "card",
    "device" (the shared tablet, say), or "nothing" (a score or a chain linked them)."""
    ta, tb = a.message["traits"], b.message["traits"]
    if ta.get("email") and str(ta["email"]).lower() == str(tb.get("email", "")).lower():
        return "e-mail"
    if ta.get("phone") and tb.get("phone") and _digits(ta["phone"]) == _digits(tb["phone"]):
        return "phone"
    if ta.get("loyalty_card") and ta["loyalty_card"] == tb.get("loyalty_card"):
        return "card"
    if a.message["anonymousId"] == b.message["anonymousId"]:
        return "device"
    return "nothing"


def household_merges(truth: MessySet, clusters: Mapping[str, str]) -> Counter[str]:
    """The household pairs a clustering merged, counted by what the two records share."""
    by_id = {record.record_id: record for record in truth.records}
    counts: Counter[str] = Counter()
    for pair in truth.household_pairs:
        a, b = (by_id[i] for i in sorted(pair))
        if a.record_id in clusters and clusters[a.record_id] == clusters.get(b.record_id):
            counts[shared_by(a, b)] += 1
    return counts


def _close(a: str, b: str) -> bool:
    """Equal, or one slip apart (a letter changed, dropped, added, or two swapped)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) == 1 or (swapped and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def told_apart(a: Record, b: Record) -> bool:
    """Whether two records say they are two people: given or family names more than a slip
    apart, or two different birth dates. Two namesakes sharing a family e-mail with nothing
    else are not told apart: no system can keep them apart."""
    ta, tb = a.message["traits"], b.message["traits"]
    for name in ("first_name", "last_name"):
        x, y = fold(str(ta.get(name, ""))), fold(str(tb.get(name, "")))
        if x and y and not _close(x, y):
            return True
    born = ta.get("birthday"), tb.get("birthday")
    return all(born) and born[0] != born[1]
