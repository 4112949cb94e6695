"""Changing a product that exists: its own fields, new sizes or colours, its variants' fields.

Creating products is :func:`omnicanal.catalog.service.create_products`; this is the other
half of an upsert. One call changes one product, checks what the catalog must hold true
whoever calls it (a valid GTIN used by one SKU only, a SKU that is new, at most
``MAX_VARIANTS`` variants), and records one ``catalog.product_updated`` event naming what
changed. Nothing is ever removed: a variant that a file does not mention stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.catalog.errors import InvalidGtin, SkuExists, TooManyVariants, UnknownProduct
from omnicanal.catalog.events import ProductUpdated
from omnicanal.catalog.gtin import canonical_gtin, gtin_forms, is_valid_gtin
from omnicanal.catalog.lookups import VARIANTS_BY_SKU
from omnicanal.catalog.models import Product, Variant
from omnicanal.catalog.schemas import VariantIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import InvalidInput
from omnicanal.platform.events import record_event

__all__ = [
    "MAX_VARIANTS",
    "PRODUCT_FIELDS",
    "VARIANT_FIELDS",
    "ProductChange",
    "change_product",
]

MAX_VARIANTS = 500
"""The most variants one product holds (the same bound as a product created at once)."""
PRODUCT_FIELDS = ("name", "category", "brand", "description")
"""A product's own fields an import may change (its code is its key)."""
VARIANT_FIELDS = ("gtin", "size", "colour")
"""A variant's fields an import may change (its SKU is its key)."""


@dataclass(frozen=True)
class ProductChange:
    """What one call changed: the product's fields, the SKUs added and the SKUs updated."""

    code: str
    fields: tuple[str, ...]
    added_skus: tuple[str, ...]
    updated_skus: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.fields or self.added_skus or self.updated_skus)


def _check_gtins(session: Session, wanted: Mapping[str, str]) -> None:
    """Refuse an invalid GTIN, or one that another SKU holds (SKU → GTIN as written)."""
    for sku, gtin in wanted.items():
        if not is_valid_gtin(gtin):
            raise InvalidGtin(
                f"GTIN {gtin!r} of SKU {sku} is not a valid GTIN "
                "(8, 12, 13 or 14 digits with a correct check digit).",
                field="gtin",
            )
    by_key = {canonical_gtin(gtin): sku for sku, gtin in wanted.items()}
    if len(by_key) < len(wanted):
        raise SkuExists("One GTIN is given to two SKUs.", field="gtin")
    forms = sorted({form for gtin in by_key for form in gtin_forms(gtin)})
    for held_sku, held_gtin in session.execute(
        select(Variant.sku, Variant.gtin).where(Variant.gtin.in_(forms))
    ):
        owner = by_key.get(canonical_gtin(held_gtin or ""))
        if owner is not None and owner != held_sku:
            raise SkuExists(
                f"GTIN {held_gtin} is already used by SKU {held_sku}.", field="gtin", sku=owner
            )


def change_product(
    session: Session,
    *,
    code: str,
    fields: Mapping[str, str],
    add: Sequence[VariantIn] = (),
    variants: Mapping[str, Mapping[str, str | None]] | None = None,
    actor: Actor,
) -> ProductChange:
    """Change product ``code``: its own ``fields``, the variants to ``add`` (without prices:
    those are pricing's), and ``variants`` (SKU → field → value) of its existing SKUs.

    A value equal to the stored one is no change; a call that changes nothing writes nothing
    and records no event.
    """
    variants = variants or {}
    unknown = sorted(set(fields) - set(PRODUCT_FIELDS)) + sorted(
        {name for changes in variants.values() for name in changes} - set(VARIANT_FIELDS)
    )
    if unknown:
        raise InvalidInput(f"The field {unknown[0]!r} cannot be changed here.", field=unknown[0])
    product = session.scalar(select(Product).where(Product.code == code).with_for_update())
    if product is None:
        raise UnknownProduct(f"No product has the code {code!r}.", field="code")
    now = utcnow()
    changed_fields = tuple(
        name for name in PRODUCT_FIELDS if name in fields and getattr(product, name) != fields[name]
    )
    for name in changed_fields:
        setattr(product, name, fields[name])

    rows = {
        row.sku: row
        for row in session.scalars(
            select(Variant).where(Variant.product_id == product.id, Variant.sku.in_(list(variants)))
        )
    }
    strangers = sorted(set(variants) - set(rows))
    if strangers:
        raise SkuExists(
            f"SKU {strangers[0]} is not a variant of product {code}.", field="sku", sku=strangers[0]
        )
    new_gtins: dict[str, str] = {}
    updates: dict[str, dict[str, str | None]] = {}
    for sku, changes in variants.items():
        row = rows[sku]
        wanted = dict(changes)
        if wanted.get("gtin"):
            gtin = str(wanted["gtin"])
            wanted["gtin"] = canonical_gtin(gtin) if is_valid_gtin(gtin) else gtin
        differing = {name: value for name, value in wanted.items() if getattr(row, name) != value}
        if differing.get("gtin"):
            new_gtins[sku] = str(differing["gtin"])
        if differing:
            updates[sku] = differing
    added = list(add)
    if added:
        skus = [variant.sku for variant in added]
        taken = session.scalar(select(Variant.sku).where(Variant.sku.in_(skus)).limit(1))
        if taken is not None or len(set(skus)) < len(skus):
            taken = taken or next(sku for sku in skus if skus.count(sku) > 1)
            raise SkuExists(f"SKU {taken} already exists.", field="sku", sku=taken)
        held = session.scalar(
            select(func.count()).select_from(Variant).where(Variant.product_id == product.id)
        )
        if (held or 0) + len(added) > MAX_VARIANTS:
            raise TooManyVariants(
                f"Product {code} would have more than {MAX_VARIANTS} variants.",
                field="sku",
                limit=MAX_VARIANTS,
            )
        new_gtins.update({variant.sku: variant.gtin for variant in added if variant.gtin})
    _check_gtins(session, new_gtins)

    if changed_fields or updates or added:
        # A variant's change moves its product too: a sync of products meets a new size.
        product.updated_at = now
    for sku, differing in sorted(updates.items()):
        for name, value in differing.items():
            setattr(rows[sku], name, value)
        rows[sku].updated_at = now
    session.flush()
    session.add_all(
        Variant(
            sku=variant.sku,
            gtin=canonical_gtin(variant.gtin) if variant.gtin else None,
            product_id=product.id,
            size=variant.size,
            colour=variant.colour,
            created_at=now,
            updated_at=now,
        )
        for variant in added
    )
    session.flush()
    change = ProductChange(
        code=code,
        fields=changed_fields,
        added_skus=tuple(variant.sku for variant in added),
        updated_skus=tuple(sorted(updates)),
    )
    if change.changed:
        VARIANTS_BY_SKU.changed(session)
        record_event(
            session,
            ProductUpdated(
                code=code,
                fields=list(change.fields),
                added_skus=list(change.added_skus),
                updated_skus=list(change.updated_skus),
            ),
            actor=actor,
        )
    return change
