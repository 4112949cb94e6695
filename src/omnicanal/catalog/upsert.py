"""A products file upserted into the catalogue, by SKU: what each line would change, then the
changes made through the catalog's own use cases.

A line names a variant by its SKU. A SKU the catalogue lacks is created, with its product
when the product code is new too, or added to the product it names (a new size or colour).
A SKU the catalogue holds updates its variant (GTIN, size, colour) and its product's own
fields (name, category, brand, and description when the file has that column). An empty
GTIN leaves the variant's GTIN as it is: an import changes a GTIN, never removes one.

:func:`plan_catalog` reads the catalogue and turns the good rows of a
:class:`~omnicanal.catalog.importer.ProductImport` into one :class:`LinePlan` per line, and
the rows that cannot apply into line errors (a SKU of another product, a GTIN another SKU
holds, a product past its variants' bound). :func:`apply_catalog` then makes the planned
changes with :func:`~omnicanal.catalog.service.create_products` and
:func:`~omnicanal.catalog.editing.change_product`, nothing else. Prices are pricing's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.catalog.editing import MAX_VARIANTS, PRODUCT_FIELDS, change_product
from omnicanal.catalog.gtin import canonical_gtin, gtin_forms, gtin_key
from omnicanal.catalog.importer import (
    Action,
    FieldChange,
    LinePlan,
    ProductImport,
    ProductRow,
    RowError,
    create_in_batches,
)
from omnicanal.catalog.models import Product, Variant
from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.catalog.service import create_products
from omnicanal.platform.actors import Actor

__all__ = ["CatalogPlan", "ProductEdit", "apply_catalog", "plan_catalog"]

CHUNK = 500


@dataclass
class ProductEdit:
    """The changes planned for one product the catalogue holds."""

    fields: dict[str, str] = field(default_factory=dict)
    add: list[VariantIn] = field(default_factory=list)
    variants: dict[str, dict[str, str | None]] = field(default_factory=dict)


@dataclass
class CatalogPlan:
    """What a products file would do to the catalogue, line by line."""

    lines: list[LinePlan] = field(default_factory=list)
    new_products: list[ProductIn] = field(default_factory=list)
    edits: dict[str, ProductEdit] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        """How many lines create or update something."""
        return sum(line.action is not Action.unchanged for line in self.lines)


@dataclass(frozen=True)
class _Stored:
    product_code: str
    gtin: str | None
    size: str
    colour: str


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _products(session: Session, codes: Sequence[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for chunk in _chunks(codes):
        for product in session.scalars(select(Product).where(Product.code.in_(chunk))):
            found[product.code] = {name: getattr(product, name) for name in PRODUCT_FIELDS}
    return found


def _variants(session: Session, skus: Sequence[str]) -> dict[str, _Stored]:
    found: dict[str, _Stored] = {}
    for chunk in _chunks(skus):
        rows = session.execute(
            select(Variant.sku, Product.code, Variant.gtin, Variant.size, Variant.colour)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.sku.in_(chunk))
        )
        for sku, code, gtin, size, colour in rows:
            found[sku] = _Stored(code, gtin, size, colour)
    return found


def _gtin_holders(session: Session, gtins: Iterable[str]) -> dict[str, str]:
    """GTIN key (14 digits) → the SKU holding it, for these GTINs as written in a file."""
    forms = sorted({form for gtin in gtins for form in gtin_forms(gtin)})
    found: dict[str, str] = {}
    for chunk in _chunks(forms):
        for sku, gtin in session.execute(
            select(Variant.sku, Variant.gtin).where(Variant.gtin.in_(chunk))
        ):
            if gtin is not None:
                found[gtin_key(gtin)] = sku
    return found


def _variant_counts(session: Session, codes: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(codes):
        rows = session.execute(
            select(Product.code, func.count(Variant.id))
            .join(Variant, Variant.product_id == Product.id)
            .where(Product.code.in_(chunk))
            .group_by(Product.code)
        )
        found.update({code: int(count) for code, count in rows})
    return found


def _refusals(
    rows: Sequence[ProductRow],
    variants: dict[str, _Stored],
    holders: dict[str, str],
    counts: dict[str, int],
) -> list[RowError]:
    """Line errors for rows the catalogue cannot take as they are."""
    errors: list[RowError] = []
    adding: dict[str, int] = {}
    for row in rows:
        code, variant = row.product.code, row.variant
        stored = variants.get(variant.sku)
        if stored is not None and stored.product_code != code:
            errors.append(
                RowError(
                    row.line,
                    f"SKU {variant.sku} is a variant of product {stored.product_code}, not {code}",
                    "product_code",
                )
            )
            continue
        if variant.gtin:
            holder = holders.get(gtin_key(variant.gtin))
            if holder is not None and holder != variant.sku:
                errors.append(
                    RowError(
                        row.line, f"GTIN {variant.gtin} is already used by SKU {holder}", "gtin"
                    )
                )
                continue
        if stored is None and code in counts:
            adding[code] = adding.get(code, 0) + 1
            if counts[code] + adding[code] > MAX_VARIANTS:
                errors.append(
                    RowError(
                        row.line,
                        f"product {code} would have more than {MAX_VARIANTS} variants",
                        "sku",
                    )
                )
    return errors


def plan_catalog(
    session: Session,
    parsed: ProductImport,
    *,
    progress: Callable[[int], None] | None = None,
) -> CatalogPlan:
    """What the good rows of ``parsed`` would change; rows that cannot apply move to its
    errors with their line. Reads the catalogue, writes nothing."""
    codes = sorted({row.product.code for row in parsed.rows})
    skus = sorted({row.variant.sku for row in parsed.rows})
    products = _products(session, codes)
    variants = _variants(session, skus)
    holders = _gtin_holders(session, {row.variant.gtin for row in parsed.rows if row.variant.gtin})
    counts = _variant_counts(session, sorted(code for code in codes if code in products))
    parsed.reject(_refusals(parsed.rows, variants, holders, counts))

    plan = CatalogPlan()
    wanted_fields = [
        name for name in PRODUCT_FIELDS if name != "description" or "description" in parsed.columns
    ]
    new_rows: list[ProductRow] = []
    seen_products: set[str] = set()
    for row in parsed.rows:
        if progress is not None:
            progress(1)
        code, variant = row.product.code, row.variant
        if code not in products:
            new_rows.append(row)
            plan.lines.append(LinePlan(row.line, variant.sku, Action.create))
            continue
        edit = plan.edits.setdefault(code, ProductEdit())
        changes: list[FieldChange] = []
        if code not in seen_products:
            seen_products.add(code)
            for name in wanted_fields:
                before, after = products[code][name], getattr(row.product, name)
                if before != after:
                    edit.fields[name] = after
                    changes.append(FieldChange(name, before, after))
        stored = variants.get(variant.sku)
        if stored is None:
            edit.add.append(variant.model_copy(update={"price_minor": None}))
            plan.lines.append(LinePlan(row.line, variant.sku, Action.create, tuple(changes)))
            continue
        wanted: dict[str, str | None] = {"size": variant.size, "colour": variant.colour}
        if variant.gtin:
            wanted["gtin"] = canonical_gtin(variant.gtin)
        for name, after in wanted.items():
            before = getattr(stored, name)
            if before != after:
                edit.variants.setdefault(variant.sku, {})[name] = after
                changes.append(FieldChange(name, before, after))
        action = Action.update if changes else Action.unchanged
        plan.lines.append(LinePlan(row.line, variant.sku, action, tuple(changes)))
    grouped = ProductImport(rows=new_rows)
    plan.new_products = [
        product.model_copy(
            update={
                "variants": [v.model_copy(update={"price_minor": None}) for v in product.variants]
            }
        )
        for product in grouped.products()
    ]
    plan.edits = {
        code: edit for code, edit in plan.edits.items() if edit.fields or edit.add or edit.variants
    }
    return plan


def apply_catalog(
    session: Session,
    plan: CatalogPlan,
    *,
    actor: Actor,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Make the planned changes in the caller's transaction; (products created, products
    changed). ``progress`` is called with the number of variants handled."""
    created, _ = create_in_batches(
        products=plan.new_products,
        create=lambda batch: create_products(session, products=batch, actor=actor),
        progress=progress,
    )
    for code, edit in plan.edits.items():
        change_product(
            session,
            code=code,
            fields=edit.fields,
            add=edit.add,
            variants=edit.variants,
            actor=actor,
        )
        if progress is not None:
            progress(len(edit.add) + len(edit.variants))
    return created, len(plan.edits)
