"""Finding a product by its name at the counter: "robe lin", "Robe en lin Élise", "rbe lin".

The catalogue of a fashion retailer holds a few thousand products (styles), so the names are
read in one narrow query (id, code, name of the active products) and ranked in memory:
no search table to keep in step. The words of each name are folded (no accents, lower
case); rapidfuzz scores each typed word against the catalogue's words at once (a typo or a
prefix counts), and a product scores the mean of its typed words' best counterparts among
its own words. Words of one letter ("l'", "à") are not looked for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.catalog.models import Product, Variant

__all__ = ["ProductMatch", "find_products_by_name", "fold", "rank_products"]

MIN_SCORE = 75.0
PREFIX_SCORE = 90.0
MIN_PREFIX = 3
MAX_QUERY = 200

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o"})
_SEPARATORS = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class ProductMatch:
    """A product whose name looks like the one typed, with how alike (0 to 100)."""

    product_id: str
    code: str
    name: str
    score: float


def fold(text: str) -> str:
    """Lower-case words without accents or punctuation: "Robe en LIN (Élise)" → "robe en lin
    elise"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_SEPARATORS.sub(" ", stripped.casefold()).split())


def _typed(query: str) -> list[str]:
    """The folded words of a query worth looking for (two letters or more)."""
    return [word for word in fold(query[:MAX_QUERY]).split() if len(word) > 1]


def _word_scores(word: str, vocabulary: list[str]) -> dict[str, float]:
    """How well each catalogue word matches one typed word (a typo or a prefix counts)."""
    scores = {
        candidate: score
        for candidate, score, _ in process.extract(
            word, vocabulary, scorer=fuzz.ratio, score_cutoff=MIN_SCORE, limit=None
        )
    }
    if len(word) >= MIN_PREFIX:
        for candidate in vocabulary:
            if candidate.startswith(word):
                scores[candidate] = max(scores.get(candidate, 0.0), PREFIX_SCORE)
    return scores


def rank_products(
    query: str, names: Mapping[str, tuple[str, str]], *, limit: int = 10
) -> list[ProductMatch]:
    """The ``limit`` products closest to ``query``, best first; ``names`` maps a product id
    to its (code, name). Pure: no database."""
    typed = _typed(query)
    if not typed:
        return []
    words = {product_id: fold(name).split() for product_id, (_code, name) in names.items()}
    vocabulary = sorted({word for tokens in words.values() for word in tokens})
    per_word = [_word_scores(word, vocabulary) for word in typed]
    wanted = set().union(*per_word)
    ranked: list[tuple[float, float, str]] = []
    for product_id, tokens in words.items():
        if wanted.isdisjoint(tokens):
            continue
        score = sum(max(scores.get(t, 0.0) for t in tokens) for scores in per_word) / len(typed)
        if score >= MIN_SCORE:
            whole = fuzz.token_sort_ratio(" ".join(typed), " ".join(tokens))
            ranked.append((score, whole, product_id))
    ranked.sort(key=lambda match: (-match[0], -match[1], names[match[2]][1], match[2]))
    return [
        ProductMatch(
            product_id=product_id,
            code=names[product_id][0],
            name=names[product_id][1],
            score=round(score, 1),
        )
        for score, _, product_id in ranked[:limit]
    ]


def find_products_by_name(session: Session, *, query: str, limit: int = 10) -> list[ProductMatch]:
    """The products with a variant on sale whose name is closest to the typed one, ranked,
    accents and case ignored, typos forgiven (one query)."""
    if not _typed(query):
        return []
    on_sale = select(Variant.product_id).where(Variant.active.is_(True))
    rows = session.execute(
        select(Product.id, Product.code, Product.name).where(Product.id.in_(on_sale))
    )
    names = {product_id: (code, name) for product_id, code, name in rows}
    return rank_products(query, names, limit=limit)
