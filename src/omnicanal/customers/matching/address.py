"""The address comparison: street (with number) and place (postcode, city) as one joint level.

Street, number, postcode and city are compared together, never summed: in French data a
postcode names its commune and a street lies in one postcode, so summing them would count one
move, or one household, several times. Each pair gets a street state and a place state; the
level is the pair of states, and EM learns how much each combination says.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from omnicanal.customers.matching.comparisons import (
    MISSING,
    Comparison,
    Level,
    PairContext,
    TermFrequency,
    edits,
    one_keystroke_apart,
    select_levels,
    similarity,
)
from omnicanal.customers.matching.normalise import PreparedRecords
from omnicanal.customers.matching.records import PersonRecord

SAME_STREET = 88.0  # best of Levenshtein ratio and token-set ratio, out of 100
SIMILAR_CITY = 0.90


def _postcode_one_apart(p: PreparedRecords, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Postcodes of equal length with one character changed or two neighbours swapped."""
    characters = p.postcode_characters
    # Such a slip leaves the first or the third character as it was: only the pairs where
    # one of them agrees are compared character by character.
    maybe = np.flatnonzero(
        (p.postcode_length[left] == p.postcode_length[right])
        & (
            (characters[left, 0] == characters[right, 0])
            | (characters[left, 2] == characters[right, 2])
        )
    )
    result = np.zeros(len(left), dtype=bool)
    result[maybe] = one_keystroke_apart(characters[left[maybe]], characters[right[maybe]])
    return result


STREET_STATES = (
    "same street and number",
    "same street, other number",
    "same number, other or unknown street",
    "other street",
    "street unknown",
)
PLACE_STATES = (
    "same postcode and city",
    "same postcode, city one typo apart",
    "same postcode, city differs or unknown",
    "same city, other or unknown postcode",
    "postcode or city one typo apart",
    "other place",
    "place unknown",
)
_UNKNOWN_STREET, _UNKNOWN_PLACE = len(STREET_STATES) - 1, len(PLACE_STATES) - 1


def _place_states(p: PreparedRecords, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """An index into ``PLACE_STATES``: postcode and city jointly, as they go together in
    some data (a French postcode names its commune) and not in other."""
    postcode_a, postcode_b = p.postcode_code[left], p.postcode_code[right]
    city_a, city_b = p.city_code[left], p.city_code[right]
    both_postcodes = (postcode_a > 0) & (postcode_b > 0)
    both_cities = (city_a > 0) & (city_b > 0)
    same_city = both_cities & (city_a == city_b)
    same_postcode = both_postcodes & (postcode_a == postcode_b)
    near_postcode = both_postcodes & ~same_postcode & _postcode_one_apart(p, left, right)
    # Cities one typo apart: only worth computing between names that start alike.
    near_city = np.zeros(len(left), dtype=bool)
    fuzzy = np.flatnonzero(
        both_cities & ~same_city & (p.city_initial[left] == p.city_initial[right])
    )
    near_city[fuzzy] = (
        similarity(
            JaroWinkler.normalized_similarity, p.city[left[fuzzy]], p.city[right[fuzzy]], 0.9
        )
        >= SIMILAR_CITY
    )
    states = select_levels(
        [
            (same_postcode & same_city, 0),
            (same_postcode & near_city, 1),
            (same_postcode, 2),
            (same_city, 3),
            (near_postcode | near_city, 4),
        ],
        5,
        len(left),
    )
    states[~both_postcodes & ~both_cities] = _UNKNOWN_PLACE
    return states


def _street_states(p: PreparedRecords, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """An index into ``STREET_STATES``."""
    known = (p.street_compact[left] != "") & (p.street_compact[right] != "")
    streets = np.flatnonzero(known)
    a, b = left[streets], right[streets]
    compact_a, compact_b = p.street_compact[a], p.street_compact[b]
    ratio = similarity(fuzz.ratio, compact_a, compact_b)
    maybe = ratio >= 50  # a word more or less, or words reordered: "rue X" ~ "rue X rés. Y"
    ratio[maybe] = np.maximum(
        ratio[maybe],
        similarity(fuzz.token_set_ratio, p.street_name[a[maybe]], p.street_name[b[maybe]]),
    )
    same = ratio >= SAME_STREET
    # Typos: one in a short name ("allunga" ~ "allunfa"), two in a long one.
    typo = np.flatnonzero(~same & (ratio >= 75))
    allowed = np.where(
        np.minimum(
            [len(value) for value in compact_a[typo]], [len(value) for value in compact_b[typo]]
        )
        >= 10,
        2,
        1,
    )
    same[typo] = edits(compact_a[typo], compact_b[typo], most=2) <= allowed
    same_street = np.zeros(len(left), dtype=bool)
    same_street[streets] = same
    number_a, number_b = p.street_number[left], p.street_number[right]
    both_numbers = (number_a > 0) & (number_b > 0)
    equal_number = both_numbers & (number_a == number_b)
    same_number = equal_number | ~both_numbers
    states = select_levels(
        [(same_street & same_number, 0), (same_street, 1), (equal_number, 2), (known, 3)],
        _UNKNOWN_STREET,
        len(left),
    )
    return states


def address_levels(context: PairContext) -> np.ndarray:
    """Street (with number) x place (postcode, city): one joint level, never counted twice."""
    p, left, right = context.prepared, context.left, context.right
    street = _street_states(p, left, right)
    place = _place_states(p, left, right)
    levels = (street * len(PLACE_STATES) + place).astype(np.int8)
    levels[(street == _UNKNOWN_STREET) & (place == _UNKNOWN_PLACE)] = MISSING
    return levels


def _show_address(record: PersonRecord) -> str:
    place = " ".join(part for part in (record.postcode, record.city) if part)
    return ", ".join(part for part in (record.street, place) if part)


# Prior m, u and h of the street and place states, multiplied into the joint address levels.
_STREET_PRIOR = (
    (0.80, 0.001, 0.85),
    (0.03, 0.002, 0.01),
    (0.02, 0.02, 0.01),
    (0.05, 0.877, 0.05),
    (0.10, 0.10, 0.08),
)
_PLACE_PRIOR = (
    (0.80, 0.008, 0.85),
    (0.02, 0.0001, 0.02),
    (0.03, 0.002, 0.03),
    (0.03, 0.01, 0.02),
    (0.03, 0.02, 0.02),
    (0.04, 0.91, 0.02),
    (0.05, 0.05, 0.04),
)


def _address_level(street: int, place: int) -> Level:
    (street_m, street_u, street_h) = _STREET_PRIOR[street]
    (place_m, place_u, place_h) = _PLACE_PRIOR[place]
    m, u, h = street_m * place_m, street_u * place_u, street_h * place_h
    if street == 0 and place == 0:
        return Level("same address", m, u, h, role="shared home")
    return Level(f"{STREET_STATES[street]}, {PLACE_STATES[place]}", m, u, h)


def _address_levels_where(
    streets: Sequence[int] = range(len(STREET_STATES)),
    places: Sequence[int] = range(len(PLACE_STATES)),
) -> frozenset[int]:
    return frozenset(street * len(PLACE_STATES) + place for street in streets for place in places)


ADDRESS = Comparison(
    name="address",
    # Level index = street state x number of place states + place state; the one combination
    # left out (street and place both unknown) is the last, so the indices still line up.
    levels=tuple(
        _address_level(street, place)
        for street in range(len(STREET_STATES))
        for place in range(len(PLACE_STATES))
        if (street, place) != (_UNKNOWN_STREET, _UNKNOWN_PLACE)
    ),
    compute=address_levels,
    show=_show_address,
    personal=False,
    term_frequencies=(
        TermFrequency(
            "house number",
            lambda prepared: prepared.street_number_text,
            _address_levels_where(streets=(0, 2)),
        ),
        TermFrequency(
            "postcode", lambda prepared: prepared.postcode, _address_levels_where(places=(0, 1, 2))
        ),
    ),
)
