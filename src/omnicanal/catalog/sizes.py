"""Sizes in their order (pure): the size one up or one down from another among a product's.

A product's sizes are letters (XXS to XXXL, "2XL" read as "XXL"), numbers (clothing 34 to
46, shoes 36 to 45, halves allowed) or one size ("TU"). Letters and numbers are never
compared with each other; a size neither letters nor a number has no neighbour.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["LETTER_SIZES", "neighbour_size", "size_rank"]

LETTER_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL")
_ALIASES = {"2XS": "XXS", "2XL": "XXL", "3XL": "XXXL"}


def size_rank(size: str) -> tuple[int, float] | None:
    """Where ``size`` sorts: (0, position) for letters, (1, value) for numbers, else None."""
    text = size.strip().upper()
    text = _ALIASES.get(text, text)
    if text in LETTER_SIZES:
        return 0, float(LETTER_SIZES.index(text))
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return (1, value) if value > 0 else None


def neighbour_size(sizes: Iterable[str], size: str, *, step: int) -> str | None:
    """The size ``step`` places above (positive) or below (negative) ``size`` among
    ``sizes`` (as given, in any order); None past either end of the range, or for a size
    that has no order."""
    rank = size_rank(size)
    if rank is None or step == 0:
        return None
    ranked: dict[tuple[int, float], str] = {}
    for candidate in sizes:
        candidate_rank = size_rank(candidate)
        if candidate_rank is not None and candidate_rank[0] == rank[0]:
            ranked.setdefault(candidate_rank, candidate)
    ladder = sorted(ranked)
    if rank not in ranked:
        return None
    position = ladder.index(rank) + step
    return ranked[ladder[position]] if 0 <= position < len(ladder) else None
