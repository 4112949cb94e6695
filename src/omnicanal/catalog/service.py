"""Use cases of the catalog module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

# Changing a product that exists (an import's upsert), re-exported here.
from omnicanal.catalog.editing import ProductChange as ProductChange
from omnicanal.catalog.editing import change_product as change_product
from omnicanal.catalog.errors import (
    InvalidGtin,
    ProductExists,
    SkuExists,
    UnknownProduct,
)
from omnicanal.catalog.events import ProductCreated
from omnicanal.catalog.gtin import canonical_gtin, gtin_forms, is_valid_gtin

# The catalogue's lists (products, variants) and the variant of a scanned code, re-exported here.
from omnicanal.catalog.listing import find_variant_item as find_variant_item
from omnicanal.catalog.listing import product_out
from omnicanal.catalog.listing import product_page as product_page
from omnicanal.catalog.listing import variant_page as variant_page

# What other modules read of the catalog (frozen refs, batch lookups), re-exported here.
from omnicanal.catalog.lookups import ProductRef as ProductRef
from omnicanal.catalog.lookups import VariantRef as VariantRef
from omnicanal.catalog.lookups import find_variant as find_variant
from omnicanal.catalog.lookups import get_product_by_id as get_product_by_id
from omnicanal.catalog.lookups import get_variant as get_variant
from omnicanal.catalog.lookups import known_skus as known_skus
from omnicanal.catalog.lookups import list_categories as list_categories
from omnicanal.catalog.lookups import products_by_code as products_by_code
from omnicanal.catalog.lookups import resolve_skus
from omnicanal.catalog.lookups import variants_by_id as variants_by_id
from omnicanal.catalog.lookups import variants_of_products as variants_of_products
from omnicanal.catalog.models import Product, Variant
from omnicanal.catalog.schemas import ProductIn, ProductOut
from omnicanal.catalog.search import ProductMatch as ProductMatch
from omnicanal.catalog.search import find_products_by_name as find_products_by_name
from omnicanal.platform.actors import Actor
from omnicanal.platform.events import record_event

CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def validate_products(session: Session, products: Sequence[ProductIn]) -> None:
    """Check GTINs and that no code, SKU or GTIN is taken; raises on the first problem."""
    for product in products:
        for variant in product.variants:
            if variant.gtin is not None and not is_valid_gtin(variant.gtin):
                raise InvalidGtin(
                    f"GTIN {variant.gtin!r} of SKU {variant.sku} is not a valid GTIN "
                    "(8, 12, 13 or 14 digits with a correct check digit).",
                    field="gtin",
                )
    codes = [p.code for p in products]
    skus = [v.sku for p in products for v in p.variants]
    gtins = [canonical_gtin(v.gtin) for p in products for v in p.variants if v.gtin]
    for values, label, error in (
        (codes, "product code", ProductExists),
        (skus, "SKU", SkuExists),
        (gtins, "GTIN", SkuExists),
    ):
        duplicates = sorted(value for value, seen in Counter(values).items() if seen > 1)
        if duplicates:
            raise error(f"The {label} {duplicates[0]} appears twice.", field=label.lower())
    for chunk in _chunks(codes):
        taken = session.scalar(select(Product.code).where(Product.code.in_(chunk)).limit(1))
        if taken:
            raise ProductExists(f"A product with code {taken} already exists.", field="code")
    for chunk in _chunks(skus):
        taken = session.scalar(select(Variant.sku).where(Variant.sku.in_(chunk)).limit(1))
        if taken:
            raise SkuExists(f"SKU {taken} already exists.", field="sku")
    for chunk in _chunks(gtins):
        # Any stored form of the same GTIN counts (8, 12, 13 or 14 digits).
        forms = sorted({form for gtin in chunk for form in gtin_forms(gtin)})
        taken = session.scalar(select(Variant.gtin).where(Variant.gtin.in_(forms)).limit(1))
        if taken:
            raise SkuExists(f"GTIN {taken} is already used by another SKU.", field="gtin")


def create_products(
    session: Session, *, products: Sequence[ProductIn], actor: Actor
) -> list[ProductOut]:
    """Create products and their variants (all or none), without prices.

    The ``price_minor`` of each variant is pricing's to set:
    :func:`omnicanal.pricing.products.create_priced_products` creates a product with its
    list prices.
    """
    validate_products(session, products)
    try:
        with session.begin_nested():
            return _insert_products(session, products, actor=actor)
    except IntegrityError:
        # Another request created one of these codes, SKUs or GTINs between the checks and
        # the inserts (its unique key made these wait for it): say which, as the checks do.
        validate_products(session, products)
        raise ProductExists(
            "A product, SKU or GTIN of this request was created at the same moment by "
            "another request; read the catalogue and send what is still missing.",
            field="code",
        ) from None


def _insert_products(
    session: Session, products: Sequence[ProductIn], *, actor: Actor
) -> list[ProductOut]:
    created: list[ProductOut] = []
    for data in products:
        product = Product(
            code=data.code,
            name=data.name,
            category=data.category,
            brand=data.brand,
            description=data.description,
        )
        session.add(product)
        session.flush()
        variants = [
            Variant(
                sku=v.sku,
                gtin=canonical_gtin(v.gtin) if v.gtin else None,
                product_id=product.id,
                size=v.size,
                colour=v.colour,
            )
            for v in data.variants
        ]
        session.add_all(variants)
        session.flush()
        out = product_out(product, variants)
        record_event(
            session,
            ProductCreated(code=product.code, skus=[v.sku for v in variants]),
            actor=actor,
        )
        created.append(out)
    return created


def get_product(session: Session, *, code: str) -> ProductOut:
    """A product with its variants (without prices: see ``pricing.products``)."""
    product = session.scalar(select(Product).where(Product.code == code))
    if product is None:
        raise UnknownProduct(f"No product has the code {code!r}.", field="code")
    variants = list(
        session.scalars(
            select(Variant).where(Variant.product_id == product.id).order_by(Variant.sku)
        )
    )
    return product_out(product, variants)


def product_names(session: Session, skus: Iterable[str]) -> dict[str, str]:
    """SKU → "Product size colour", as pages name a line (one query per batch of SKUs);
    :class:`UnknownSku` names every unknown SKU."""
    return {
        sku: " ".join(part for part in (variant.name, variant.size, variant.colour) if part)
        for sku, variant in resolve_skus(session, skus).items()
    }
