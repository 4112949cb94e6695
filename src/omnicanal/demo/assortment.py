"""The demo's catalogue and opening stock, planned from a seeded random generator (pure).

The same generator state gives the same products, SKUs, GTINs, prices and quantities;
nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random

from omnicanal.catalog.gtin import make_gtin13
from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.demo.retailer import (
    BRAND,
    COLOURS,
    FAMILIES,
    FINISHES,
    GTIN_COMPANY_PREFIX,
    STYLE_NAMES,
    TIER_DEPTH,
    TIER_RANGE,
    Family,
    Site,
)
from omnicanal.inventory.service import StockCount

SECOND_COLOUR = 0.25
STORE_SOLD_OUT = 0.15
WAREHOUSE_SOLD_OUT = 0.02
LAST_UNIT_PROTECTED = 0.3


def price_points(low_euros: int, high_euros: int) -> list[int]:
    """Retail-looking prices in cents between two amounts: 49,99 / 49,90 / 45,00 / 129,00."""
    points = []
    for euros in range(low_euros, high_euros + 1):
        if euros % 10 == 9:
            points += [euros * 100 + 99, euros * 100 + 90] if euros < 100 else [euros * 100]
        elif euros % 10 == 5:
            points.append(euros * 100)
    return points


def size_curve(sizes: Sequence[str]) -> dict[str, float]:
    """How much of each size a site holds relative to the middle sizes (which sell most)."""
    if len(sizes) == 1:
        return {sizes[0]: 1.0}
    centre = (len(sizes) - 1) / 2
    return {
        size: max(0.3, 1.0 - 0.7 * (abs(index - centre) / (centre + 0.5)) ** 1.5)
        for index, size in enumerate(sizes)
    }


def _style_name(rng: Random, kind: str, taken: set[str]) -> str:
    for name in rng.sample(STYLE_NAMES, len(STYLE_NAMES)):
        candidate = f"{kind} {name}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    raise ValueError(f"not enough style names for {kind}")  # pragma: no cover


def _family_products(
    rng: Random, family: Family, next_gtin: list[int], names: set[str]
) -> list[ProductIn]:
    numbers = sorted(rng.sample(range(100, 1000), family.styles))
    prices = price_points(*family.price_euros)
    products = []
    for number in numbers:
        kind, sizes = family.type_sizes(rng.choice(family.types))
        name = _style_name(rng, kind, names)
        material = rng.choice(family.materials)
        colours = rng.sample(family.colours, 2 if rng.random() < SECOND_COLOUR else 1)
        price = rng.choice(prices)
        code = f"{family.prefix}-{number}"
        variants = []
        for colour in colours:
            for size in sizes:
                variants.append(
                    VariantIn(
                        sku=f"{code}-{COLOURS[colour]}-{size}",
                        gtin=make_gtin13(f"{GTIN_COMPANY_PREFIX}{next_gtin[0]:05d}"),
                        size=size,
                        colour=colour,
                        price_minor=price,
                    )
                )
                next_gtin[0] += 1
        products.append(
            ProductIn(
                code=code,
                name=name,
                category=family.category,
                brand=BRAND,
                description=f"{name} en {material}. {rng.choice(FINISHES)}",
                variants=variants,
            )
        )
    return products


def plan_catalogue(rng: Random) -> list[ProductIn]:
    """About 300 styles in 12 categories, 1,400 to 1,700 SKUs, with GTIN-13s and prices."""
    next_gtin = [rng.randrange(10_000, 40_000)]
    names: set[str] = set()
    products: list[ProductIn] = []
    for family in FAMILIES:
        products += _family_products(rng, family, next_gtin, names)
    return products


def plan_stock(
    rng: Random, products: Sequence[ProductIn], sites: Sequence[Site]
) -> list[StockCount]:
    """Opening counts: every SKU in the warehouses, each store its share of the styles.

    Middle sizes are deeper than the extremes; some sizes are sold out in some stores; stores
    that serve web orders keep their last unit of some SKUs back (safety stock 1).
    """
    depth = {family.category: family.depth for family in FAMILIES}
    curves: dict[tuple[str, ...], dict[str, float]] = {}
    counts: list[StockCount] = []
    for site in sites:
        for product in products:
            if rng.random() >= TIER_RANGE[site.tier]:
                continue
            sizes = tuple(dict.fromkeys(variant.size for variant in product.variants))
            curve = curves.setdefault(sizes, size_curve(sizes))
            for variant in product.variants:
                mean = TIER_DEPTH[site.tier] * depth[product.category] * curve[variant.size]
                quantity = round(mean * rng.uniform(0.4, 1.6))
                sold_out = WAREHOUSE_SOLD_OUT if site.is_warehouse else STORE_SOLD_OUT
                if rng.random() < sold_out:
                    quantity = 0
                safety = None
                if site.serves_web and not site.is_warehouse and quantity >= 1:
                    safety = 1 if rng.random() < LAST_UNIT_PROTECTED else None
                counts.append(StockCount(variant.sku, site.code, quantity, safety))
    return counts
