"""What other modules read of the catalog: frozen read models and batch lookups.

Other modules never see the catalog's tables or ORM rows. They look SKUs up here (one query
for a whole batch), keep the ids to query their own tables, and map ids back to SKUs with
the same refs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from omnicanal.catalog.errors import UnknownProduct, UnknownSku
from omnicanal.catalog.gtin import gtin_forms, is_valid_gtin
from omnicanal.catalog.models import Product, Variant
from omnicanal.platform.cache import Cached

__all__ = [
    "ProductRef",
    "VariantRef",
    "find_variant",
    "get_product_by_id",
    "get_variant",
    "known_skus",
    "list_categories",
    "products_by_code",
    "resolve_skus",
    "variants_by_id",
    "variants_of_products",
]

CHUNK = 500


@dataclass(frozen=True, slots=True)
class VariantRef:
    """A sellable item (SKU) with what other modules read of its product."""

    id: str
    sku: str
    gtin: str | None
    product_id: str
    product_code: str
    name: str
    """The product's name ('Trench coton Alma')."""
    category: str
    size: str
    colour: str
    active: bool


@dataclass(frozen=True, slots=True)
class ProductRef:
    """A product (a style) as other modules read it."""

    id: str
    code: str
    name: str
    category: str
    brand: str


VARIANTS_BY_SKU: Cached[str, VariantRef] = Cached("catalog.variants_by_sku", ttl_seconds=10)
"""The variants found by SKU, kept in the process (platform/cache.py): a reservation or a
cart reads its SKU without a round trip. A product changed in this process
(``catalog.product_updated``: editing.py says so) shows at once; elsewhere, within the TTL."""


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _variants() -> Select[*tuple[Any, ...]]:
    return select(
        Variant.id,
        Variant.sku,
        Variant.gtin,
        Variant.product_id,
        Product.code,
        Product.name,
        Product.category,
        Variant.size,
        Variant.colour,
        Variant.active,
    ).join(Product, Product.id == Variant.product_id)


@cache
def _variants_where(column: str) -> Select[*tuple[Any, ...]]:
    """The variants whose ``column`` ("sku", "id") is one of ``values``: built once."""
    return _variants().where(getattr(Variant, column).in_(bindparam("values", expanding=True)))


def _variants_by(session: Session, column: str, values: Sequence[str]) -> list[VariantRef]:
    """The variants whose ``column`` is one of ``values``, as one Core statement per chunk
    (what the session holds unflushed is flushed first, as the ORM's autoflush would)."""
    if session.autoflush:
        session.flush()
    connection, statement = session.connection(), _variants_where(column)
    return [
        VariantRef(*row)
        for chunk in _chunks(values)
        for row in connection.execute(statement, {"values": chunk}).all()
    ]


def known_skus(session: Session, skus: Iterable[str]) -> dict[str, VariantRef]:
    """The variants for those of these SKUs the catalogue holds (unknown ones left out)."""
    return VARIANTS_BY_SKU.get_many(
        session, sorted(set(skus)), lambda missing: _load_skus(session, missing)
    )


def _load_skus(session: Session, skus: Sequence[str]) -> dict[str, VariantRef]:
    return {variant.sku: variant for variant in _variants_by(session, "sku", skus)}


def resolve_skus(session: Session, skus: Iterable[str]) -> dict[str, VariantRef]:
    """The variants for these SKUs; :class:`UnknownSku` names every unknown one."""
    wanted = sorted(set(skus))
    found = known_skus(session, wanted)
    missing = [sku for sku in wanted if sku not in found]
    if missing:
        raise UnknownSku(
            f"Unknown SKU {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)." if len(missing) > 1 else "."),
            field="sku",
            unknown=missing,
        )
    return found


def get_variant(session: Session, sku: str) -> VariantRef:
    """The variant of one SKU, or :class:`UnknownSku`."""
    return resolve_skus(session, [sku])[sku]


def variants_by_id(session: Session, variant_ids: Iterable[str]) -> dict[str, VariantRef]:
    """The variants with these ids (ids held by other modules' rows), by id."""
    wanted = sorted(set(variant_ids))
    return {variant.id: variant for variant in _variants_by(session, "id", wanted)}


def variants_of_products(
    session: Session, product_ids: Iterable[str], *, active_only: bool = True
) -> dict[str, list[VariantRef]]:
    """Each product's variants (its sizes and colours), by product id, in SKU order."""
    wanted = sorted(set(product_ids))
    found: dict[str, list[VariantRef]] = {product_id: [] for product_id in wanted}
    for chunk in _chunks(wanted):
        query = _variants().where(Variant.product_id.in_(chunk))
        if active_only:
            query = query.where(Variant.active.is_(True))
        for row in session.execute(query.order_by(Variant.sku)):
            variant = VariantRef(*row)
            found[variant.product_id].append(variant)
    return found


def find_variant(session: Session, code: str) -> VariantRef:
    """The variant whose SKU or GTIN is ``code`` (what a scanner or a clerk types)."""
    gtins = sorted(gtin_forms(code)) if is_valid_gtin(code) else [code]
    row = session.execute(
        _variants().where((Variant.sku == code) | Variant.gtin.in_(gtins)).limit(1)
    ).first()
    if row is None:
        raise UnknownSku(f"No SKU or GTIN matches {code!r}.", field="sku")
    return VariantRef(*row)


def list_categories(session: Session) -> list[str]:
    """Every product category in use, in alphabetical order."""
    return list(session.scalars(select(Product.category).distinct().order_by(Product.category)))


def products_by_code(session: Session, codes: Iterable[str]) -> dict[str, ProductRef]:
    """The products with these codes, by code (unknown codes are left out)."""
    wanted = sorted(set(codes))
    found: dict[str, ProductRef] = {}
    for chunk in _chunks(wanted):
        for row in session.execute(
            select(Product.id, Product.code, Product.name, Product.category, Product.brand).where(
                Product.code.in_(chunk)
            )
        ):
            product = ProductRef(*row)
            found[product.code] = product
    return found


def get_product_by_id(session: Session, *, product_id: str) -> ProductRef:
    """The product with this id, or :class:`UnknownProduct`."""
    row = session.execute(
        select(Product.id, Product.code, Product.name, Product.category, Product.brand).where(
            Product.id == product_id
        )
    ).first()
    if row is None:
        raise UnknownProduct(f"No product has the id {product_id!r}.", field="id")
    return ProductRef(*row)
