"""Products with their list prices: creating a product priced, reading it back priced.

The catalog knows products and variants and nothing of prices; these use cases put the
two together in the caller's transaction, so that the catalog never depends on pricing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.schemas import ProductIn, ProductOut
from omnicanal.platform.actors import Actor
from omnicanal.pricing.service import list_prices, set_list_prices

__all__ = ["create_priced_products", "get_priced_product", "with_prices"]


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


def get_priced_product(session: Session, *, code: str, currency: str) -> ProductOut:
    """A product with its variants and their list prices in ``currency``."""
    product = catalog.get_product(session, code=code)
    variants = catalog.resolve_skus(session, [variant.sku for variant in product.variants])
    listed = list_prices(
        session, currency=currency, variant_ids=[variant.id for variant in variants.values()]
    )
    prices = {
        sku: listed[variant.id].amount_minor
        for sku, variant in variants.items()
        if variant.id in listed
    }
    return with_prices(product, prices, currency)


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
