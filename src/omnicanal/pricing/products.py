"""Products with their list prices: creating a product priced, reading it back priced, the
products list, the variant of a scanned code, and the list prices a connector syncs.

The catalog knows products and variants and nothing of prices; these use cases put the
two together in the caller's transaction, so that the catalog never depends on pricing.
A price change does not move its product's ``updated_at`` (the catalog's): a connector
syncs products with :func:`priced_product_page` and prices with :func:`list_price_page`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.schemas import ProductIn, ProductOut, SkuOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.paging import DEFAULT_LIMIT, Page, page_of
from omnicanal.pricing.models import ListPrice, PriceBook
from omnicanal.pricing.schemas import ListPriceOut
from omnicanal.pricing.service import list_prices, set_list_prices

__all__ = [
    "create_priced_products",
    "get_priced_product",
    "list_price_page",
    "priced_product_page",
    "priced_sku",
    "with_prices",
]


def create_priced_products(
    session: Session, *, products: Sequence[ProductIn], actor: Actor, currency: str
) -> list[ProductOut]:
    """Create products and their variants (all or none), with their list prices."""
    created = catalog.create_products(session, products=products, actor=actor)
    given = {
        variant.sku: variant.price_minor
        for product in products
        for variant in product.variants
        if variant.price_minor is not None
    }
    if given:
        variants = catalog.resolve_skus(session, given)
        set_list_prices(
            session,
            currency=currency,
            prices={variants[sku].id: amount for sku, amount in given.items()},
        )
    return [with_prices(product, given, currency) for product in created]


def _prices_of(session: Session, skus: Iterable[str], currency: str) -> dict[str, int]:
    """SKU → list price in ``currency`` (minor units) of those of these SKUs that have one."""
    variants = catalog.resolve_skus(session, skus)
    listed = list_prices(
        session, currency=currency, variant_ids=[variant.id for variant in variants.values()]
    )
    return {
        sku: listed[variant.id].amount_minor
        for sku, variant in variants.items()
        if variant.id in listed
    }


def get_priced_product(session: Session, *, code: str, currency: str) -> ProductOut:
    """A product with its variants and their list prices in ``currency``."""
    product = catalog.get_product(session, code=code)
    prices = _prices_of(session, [variant.sku for variant in product.variants], currency)
    return with_prices(product, prices, currency)


def priced_product_page(
    session: Session,
    *,
    currency: str,
    q: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[ProductOut]:
    """One page of products with their variants and list prices in ``currency``;
    ``updated_since`` reads the products' own change time (prices: :func:`list_price_page`)."""
    page = catalog.product_page(
        session, q=q, limit=limit, starting_after=starting_after, updated_since=updated_since
    )
    skus = [variant.sku for product in page.items for variant in product.variants]
    prices = _prices_of(session, skus, currency) if skus else {}
    return page.model_copy(
        update={"items": [with_prices(product, prices, currency) for product in page.items]}
    )


def priced_sku(session: Session, *, code: str, currency: str) -> SkuOut:
    """The variant whose SKU or GTIN is ``code``, with its list price in ``currency``."""
    variant = catalog.find_variant_item(session, code)
    price = list_prices(session, currency=currency, variant_ids=[variant.id]).get(variant.id)
    return SkuOut(
        **variant.model_dump(),
        price_minor=price.amount_minor if price is not None else None,
        currency=currency if price is not None else None,
    )


def list_price_page(
    session: Session,
    *,
    currency: str,
    sku: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[ListPriceOut]:
    """One page of the list prices in ``currency`` (of one SKU with ``sku``); with
    ``updated_since``, those set or changed from then."""
    query = (
        select(ListPrice)
        .join(PriceBook, PriceBook.id == ListPrice.price_book_id)
        .where(PriceBook.currency == currency)
    )
    if sku is not None:
        known = catalog.known_skus(session, [sku])
        query = query.where(ListPrice.variant_id.in_([variant.id for variant in known.values()]))
    paged = page_of(
        session,
        query,
        key=ListPrice.variant_id,
        changed=ListPrice.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    variants = catalog.variants_by_id(session, [row.variant_id for row in paged.rows])
    return paged.page(
        [
            ListPriceOut(
                sku=variants[row.variant_id].sku,
                currency=currency,
                price_minor=row.amount_minor,
                updated_at=row.updated_at,
            )
            for row in paged.rows
        ]
    )


def with_prices(product: ProductOut, prices: Mapping[str, int], currency: str) -> ProductOut:
    """``product`` with the list price (SKU → minor units) of each variant that has one."""
    return product.model_copy(
        update={
            "variants": [
                variant.model_copy(
                    update={
                        "price_minor": prices.get(variant.sku),
                        "currency": currency if variant.sku in prices else None,
                    }
                )
                for variant in product.variants
            ]
        }
    )
