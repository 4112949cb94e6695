"""Use cases of the catalog module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.catalog.errors import (
    InvalidGtin,
    ProductExists,
    SkuExists,
    UnknownProduct,
    UnknownSku,
)
from omnicanal.catalog.gtin import canonical_gtin, gtin_forms, is_valid_gtin
from omnicanal.catalog.models import Product, Variant
from omnicanal.catalog.schemas import ProductIn, ProductOut, VariantOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.events import record_event
from omnicanal.pricing import service as pricing

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
    session: Session, *, products: Sequence[ProductIn], actor: Actor, currency: str
) -> list[ProductOut]:
    """Create products and their variants (all or none), with their list prices."""
    validate_products(session, products)
    created: list[ProductOut] = []
    prices: dict[str, int] = {}
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
        for variant, given in zip(variants, data.variants, strict=True):
            if given.price_minor is not None:
                prices[variant.id] = given.price_minor
        out = _product_out(
            product,
            variants,
            {v.id: given.price_minor for v, given in zip(variants, data.variants, strict=True)},
            currency,
        )
        record_event(
            session,
            type="catalog.product_created",
            subject=f"products/{product.code}",
            data={"code": product.code, "skus": [v.sku for v in variants]},
            actor=actor,
        )
        created.append(out)
    if prices:
        pricing.set_list_prices(session, currency=currency, prices=prices)
    return created


def _product_out(
    product: Product, variants: Sequence[Variant], prices: dict[str, int | None], currency: str
) -> ProductOut:
    return ProductOut(
        id=product.id,
        code=product.code,
        name=product.name,
        category=product.category,
        brand=product.brand,
        description=product.description,
        created_at=product.created_at,
        variants=[
            VariantOut(
                sku=v.sku,
                gtin=v.gtin,
                size=v.size,
                colour=v.colour,
                active=v.active,
                price_minor=prices.get(v.id),
                currency=currency if prices.get(v.id) is not None else None,
            )
            for v in variants
        ],
    )


def get_product(session: Session, *, code: str, currency: str) -> ProductOut:
    """A product with its variants and their list prices."""
    product = session.scalar(select(Product).where(Product.code == code))
    if product is None:
        raise UnknownProduct(f"No product has the code {code!r}.", field="code")
    variants = list(
        session.scalars(
            select(Variant).where(Variant.product_id == product.id).order_by(Variant.sku)
        )
    )
    prices = pricing.list_prices(session, currency=currency, variant_ids=[v.id for v in variants])
    return _product_out(product, variants, {k: m.amount_minor for k, m in prices.items()}, currency)


def resolve_skus(session: Session, skus: Iterable[str]) -> dict[str, Variant]:
    """The variants for these SKUs; :class:`UnknownSku` names every unknown one."""
    wanted = sorted(set(skus))
    found: dict[str, Variant] = {}
    for chunk in _chunks(wanted):
        for variant in session.scalars(select(Variant).where(Variant.sku.in_(chunk))):
            found[variant.sku] = variant
    missing = [sku for sku in wanted if sku not in found]
    if missing:
        raise UnknownSku(
            f"Unknown SKU {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)." if len(missing) > 1 else "."),
            field="sku",
            unknown=missing,
        )
    return found


def get_variant(session: Session, sku: str) -> Variant:
    return resolve_skus(session, [sku])[sku]


def find_variant(session: Session, code: str) -> Variant:
    """The variant whose SKU or GTIN is ``code`` (what a scanner or a clerk types)."""
    gtins = sorted(gtin_forms(code)) if is_valid_gtin(code) else [code]
    variant = session.scalar(
        select(Variant).where((Variant.sku == code) | Variant.gtin.in_(gtins)).limit(1)
    )
    if variant is None:
        raise UnknownSku(f"No SKU or GTIN matches {code!r}.", field="sku")
    return variant


def get_product_by_id(session: Session, *, product_id: str) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise UnknownProduct(f"No product has the id {product_id!r}.", field="id")
    return product
