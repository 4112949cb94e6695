"""The catalogue read page by page for an export: one row per variant with its product.

Pages follow (product code, SKU), so a product's variants come together and a cursor is the
last row's pair; a change made while an export runs never repeats or skips a row before it.
``since`` keeps the variants whose product or own fields changed from that moment (a product
changes with any of its variants, so a new size brings its siblings), and those the caller
names (pricing adds the SKUs whose price changed).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, tuple_
from sqlalchemy.orm import Session

from omnicanal.catalog.models import Product, Variant

__all__ = ["CatalogueRow", "catalogue_page", "count_catalogue"]


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    """A variant with its product's fields, as a products file writes it."""

    variant_id: str
    product_code: str
    name: str
    category: str
    brand: str
    description: str
    sku: str
    gtin: str | None
    size: str
    colour: str


def _changed(since: datetime | None, variant_ids: Collection[str]) -> list[ColumnElement[bool]]:
    if since is None:
        return []
    changed = [Product.updated_at >= since, Variant.updated_at >= since]
    if variant_ids:
        changed.append(Variant.id.in_(sorted(variant_ids)))
    return [or_(*changed)]


def _query(since: datetime | None, variant_ids: Collection[str]) -> Select[*tuple[Any, ...]]:
    return (
        select(
            Variant.id,
            Product.code,
            Product.name,
            Product.category,
            Product.brand,
            Product.description,
            Variant.sku,
            Variant.gtin,
            Variant.size,
            Variant.colour,
        )
        .join(Product, Product.id == Variant.product_id)
        .where(*_changed(since, variant_ids))
    )


def catalogue_page(
    session: Session,
    *,
    after: str | None,
    limit: int,
    since: datetime | None = None,
    variant_ids: Collection[str] = (),
) -> tuple[list[CatalogueRow], str | None]:
    """Up to ``limit`` variants after the cursor ``after``; the cursor after them, or None
    after the last page."""
    query = _query(since, variant_ids)
    if after is not None:
        code, sku = json.loads(after)
        query = query.where(tuple_(Product.code, Variant.sku) > tuple_(code, sku))
    rows = [
        CatalogueRow(*row)
        for row in session.execute(query.order_by(Product.code, Variant.sku).limit(limit + 1))
    ]
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, json.dumps([rows[-1].product_code, rows[-1].sku])


def count_catalogue(
    session: Session, *, since: datetime | None = None, variant_ids: Collection[str] = ()
) -> int:
    """How many variants :func:`catalogue_page` would give, for a progress bar."""
    query = _query(since, variant_ids).with_only_columns(func.count(Variant.id))
    return int(session.scalar(query) or 0)
