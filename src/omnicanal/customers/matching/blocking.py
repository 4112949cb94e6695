"""Blocking: only records that share at least one key are compared.

Each rule gives every record at most one key; two records are a candidate pair when any rule
gives them the same key (the union of the rules, each pair once). The default rules:

* ``postcode``: the folded postcode;
* ``address``: postcode and the start of the street name (finds households in big postcodes);
* ``family sound``: a French-aware phonetic key of the family name;
* ``names sound``: both names' phonetic keys, sorted, so swapped first/last names meet;
* ``born``: birth year and the given name's initial;
* ``birth date``: the full birth date;
* ``phone`` and ``email``: the E.164 number and the folded address.

A key shared by more than ``max_block_size`` records (a postcode of 5,000 customers, a
family-computer e-mail) is skipped: its pairs would swamp the rest, and the records still meet
through their other keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from omnicanal.customers.matching.normalise import PreparedRecords, phonetic_key

DEFAULT_MAX_BLOCK_SIZE = 500


@dataclass(frozen=True)
class BlockingRule:
    """A named key per record; records with equal non-empty keys become candidate pairs."""

    name: str
    keys: Callable[[PreparedRecords], list[str]]


def _postcode(p: PreparedRecords) -> list[str]:
    return list(p.postcode)


def _address(p: PreparedRecords) -> list[str]:
    return [
        f"{postcode}:{street[:6]}" if postcode and street else ""
        for postcode, street in zip(p.postcode, p.street_compact, strict=True)
    ]


def _family_sound(p: PreparedRecords) -> list[str]:
    return [phonetic_key(family) for family in p.family]


def _names_sound(p: PreparedRecords) -> list[str]:
    keys = []
    for given, family in zip(p.given, p.family, strict=True):
        sounds = sorted((phonetic_key(given), phonetic_key(family)))
        keys.append("|".join(sounds) if all(sounds) else "")
    return keys


def _born(p: PreparedRecords) -> list[str]:
    return [
        f"{year}{chr(initial)}" if year and initial else ""
        for year, initial in zip(p.birth_year.tolist(), p.given_initial.tolist(), strict=True)
    ]


def _birth_date(p: PreparedRecords) -> list[str]:
    return [
        f"{year}-{month}-{day}" if year else ""
        for year, month, day in zip(
            p.birth_year.tolist(), p.birth_month.tolist(), p.birth_day.tolist(), strict=True
        )
    ]


def _codes(attribute: str) -> Callable[[PreparedRecords], list[str]]:
    def keys(p: PreparedRecords) -> list[str]:
        return [str(code) if code else "" for code in getattr(p, attribute).tolist()]

    return keys


DEFAULT_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("postcode", _postcode),
    BlockingRule("address", _address),
    BlockingRule("family sound", _family_sound),
    BlockingRule("names sound", _names_sound),
    BlockingRule("born", _born),
    BlockingRule("birth date", _birth_date),
    BlockingRule("phone", _codes("phone_code")),
    BlockingRule("email", _codes("email_code")),
)


def record_keys(prepared: PreparedRecords, rules: Sequence[BlockingRule]) -> list[set[str]]:
    """Every record's keys, each prefixed by its rule's name ("postcode:75011")."""
    keys: list[set[str]] = [set() for _ in range(len(prepared))]
    for rule in rules:
        for index, key in enumerate(rule.keys(prepared)):
            if key:
                keys[index].add(f"{rule.name}:{key}")
    return keys


@cache
def _upper_triangle(size: int) -> tuple[np.ndarray, np.ndarray]:
    first, second = np.triu_indices(size, k=1)
    return first.astype(np.int64), second.astype(np.int64)


def candidate_pair_arrays(
    prepared: PreparedRecords,
    rules: Sequence[BlockingRule],
    *,
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs (left < right), each once, as two index arrays in order."""
    size = len(prepared)
    encoded: list[np.ndarray] = []
    for rule in rules:
        # Records grouped by key (code 0: no key), each block's members in record order.
        codes: dict[str, int] = {"": 0}
        keys = np.fromiter(
            (codes.setdefault(key, len(codes)) for key in rule.keys(prepared)), np.int64, size
        )
        order = np.argsort(keys, kind="stable")
        starts = np.flatnonzero(np.diff(keys[order], prepend=-1))
        lengths = np.diff(starts, append=size)
        keyed = keys[order[starts]] != 0
        # The blocks of one length at once: a (blocks x length) matrix of their members.
        for length in np.unique(lengths[keyed & (lengths >= 2) & (lengths <= max_block_size)]):
            first_member = starts[keyed & (lengths == length)]
            members = order[first_member[:, None] + np.arange(length)]
            first, second = _upper_triangle(int(length))
            encoded.append((members[:, first] * size + members[:, second]).ravel())
    if not encoded:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    pairs = np.concatenate(encoded)
    pairs.sort()  # faster than np.unique on millions of codes
    unique = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    return unique // size, unique % size
