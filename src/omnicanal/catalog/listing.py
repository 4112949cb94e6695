"""The catalogue as the lists a connector syncs from: products and variants, page by page.

Both follow the one pagination (``platform/paging.py``). A product's ``updated_at`` moves
when its own fields or one of its variants change (``catalog/editing.py``), so a sync of
products meets a new size or a changed GTIN; a variant's moves with its own fields only.
Prices are pricing's: they are served with a product by ``pricing.products`` and synced
through ``GET /v1/prices``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from omnicanal.catalog.lookups import find_variant
from omnicanal.catalog.models import Product, Variant
from omnicanal.catalog.schemas import ProductOut, VariantItemOut, VariantOut
from omnicanal.platform.paging import DEFAULT_LIMIT, Page, page_of

__all__ = ["find_variant_item", "product_out", "product_page", "variant_page"]


def product_out(product: Product, variants: Sequence[Variant]) -> ProductOut:
    """A product row and its variant rows as the API shows them (without prices)."""
    return ProductOut(
        id=product.id,
        code=product.code,
        name=product.name,
        category=product.category,
        brand=product.brand,
        description=product.description,
        created_at=product.created_at,
        updated_at=product.updated_at,
        variants=[
            VariantOut(
                sku=v.sku,
                gtin=v.gtin,
                size=v.size,
                colour=v.colour,
                active=v.active,
            )
            for v in variants
        ],
    )


def product_page(
    session: Session,
    *,
    q: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[ProductOut]:
    """One page of products with their variants (without prices); ``q``: the code or the
    name contains it, in any case."""
    query = select(Product)
    if q:
        query = query.where(
            or_(
                Product.code.icontains(q, autoescape=True),
                Product.name.icontains(q, autoescape=True),
            )
        )
    paged = page_of(
        session,
        query,
        key=Product.id,
        changed=Product.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    variants: dict[str, list[Variant]] = {product.id: [] for product in paged.rows}
    if variants:
        for variant in session.scalars(
            select(Variant).where(Variant.product_id.in_(list(variants))).order_by(Variant.sku)
        ):
            variants[variant.product_id].append(variant)
    return paged.page([product_out(product, variants[product.id]) for product in paged.rows])


def _items(session: Session, variants: Sequence[Variant]) -> list[VariantItemOut]:
    products = {
        product_id: (code, name)
        for product_id, code, name in session.execute(
            select(Product.id, Product.code, Product.name).where(
                Product.id.in_(sorted({variant.product_id for variant in variants}))
            )
        )
    }
    return [
        VariantItemOut(
            id=variant.id,
            sku=variant.sku,
            gtin=variant.gtin,
            product_code=products[variant.product_id][0],
            product_name=products[variant.product_id][1],
            size=variant.size,
            colour=variant.colour,
            active=variant.active,
            created_at=variant.created_at,
            updated_at=variant.updated_at,
        )
        for variant in variants
    ]


def variant_page(
    session: Session,
    *,
    product: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[VariantItemOut]:
    """One page of variants, every product's or those of the product coded ``product``."""
    query = select(Variant)
    if product is not None:
        query = query.where(
            Variant.product_id.in_(select(Product.id).where(Product.code == product))
        )
    paged = page_of(
        session,
        query,
        key=Variant.id,
        changed=Variant.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    return paged.page(_items(session, paged.rows))


def find_variant_item(session: Session, code: str) -> VariantItemOut:
    """The variant whose SKU or GTIN is ``code``, or :class:`UnknownSku`."""
    found = find_variant(session, code)
    variant = session.get(Variant, found.id)
    assert variant is not None  # just found by the same session
    return _items(session, [variant])[0]
