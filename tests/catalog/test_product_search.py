"""Finding a product by its name as a clerk types it: accents, case and typos forgiven."""

from __future__ import annotations

from sqlalchemy import event

from omnicanal.catalog import service as catalog
from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.catalog.search import fold, rank_products
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform

NAMES = {
    "p1": ("ROBE-LIN", "Robe en lin Élise"),
    "p2": ("ROBE-SOIE", "Robe en soie Margaux"),
    "p3": ("CHEM-LIN", "Chemise en lin"),
    "p4": ("TRENCH", "Trench coton Alma"),
}


def test_folding_drops_accents_case_and_punctuation():
    assert fold("Robe en LIN (Élise), cœur") == "robe en lin elise coeur"


def test_a_name_typed_without_its_accents_finds_the_product_first():
    found = rank_products("robe lin elise", NAMES)

    assert [match.code for match in found] == ["ROBE-LIN"]
    assert found[0].score == 100.0


def test_a_typo_or_a_prefix_still_finds_the_product():
    assert rank_products("robbe lin", NAMES)[0].code == "ROBE-LIN"
    assert rank_products("robe lin elyse", NAMES)[0].code == "ROBE-LIN"
    assert rank_products("trenc", NAMES)[0].code == "TRENCH"


def test_every_product_sharing_the_words_is_found_best_first():
    found = rank_products("lin", NAMES)

    assert [match.code for match in found] == ["CHEM-LIN", "ROBE-LIN"]


def test_a_query_of_nothing_to_look_for_finds_nothing():
    assert rank_products("", NAMES) == []
    assert rank_products("a ' -", NAMES) == []
    assert rank_products("xyzzy", NAMES) == []


def _products(count: int) -> list[ProductIn]:
    words = ["Robe", "Chemise", "Pull", "Veste", "Jupe", "Manteau", "Short", "Gilet"]
    fabrics = ["lin", "soie", "coton", "laine", "cachemire", "jean", "velours"]
    return [
        ProductIn(
            code=f"P{number:05d}",
            name=f"{words[number % 8]} en {fabrics[number % 7]} modèle {number}",
            category="Mode",
            variants=[VariantIn(sku=f"P{number:05d}-{size}", size=size) for size in ("S", "M")],
        )
        for number in range(count)
    ]


def test_a_search_among_1500_products_reads_the_catalogue_once_per_search(platform: Platform):
    """The whole ranking runs on one narrow read, however big the catalogue."""
    with platform.db.transaction() as session:
        catalog.create_products(session, products=_products(1500), actor=OPERATOR)
        catalog.create_products(
            session,
            products=[
                ProductIn(
                    code="ROBE-LIN",
                    name="Robe en lin Élise",
                    category="Robes",
                    variants=[VariantIn(sku="ROBE-LIN-M", size="M")],
                )
            ],
            actor=OPERATOR,
        )
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = platform.db.read_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        with platform.db.reading() as session:
            found = catalog.find_products_by_name(session, query="robe lin elise", limit=5)
            several = catalog.find_products_by_name(session, query="robe lin", limit=5)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert [match.code for match in found] == ["ROBE-LIN"]
    assert len(several) == 5
    assert all(fold(match.name).startswith("robe en lin") for match in several)
    assert sum("FROM products" in statement for statement in statements) == 2
