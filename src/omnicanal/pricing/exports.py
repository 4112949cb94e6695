"""The products export: the catalogue with its list prices, in the products import's columns.

Its columns are exactly those :mod:`omnicanal.catalog.importer` reads
(``product_code,name,category,brand,sku,gtin,size,colour,price,description``), so a file
exported here imports back changing nothing. A variant without a list price in the currency
has an empty price (which an import would refuse: give it one first).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.catalog.exports import catalogue_page, count_catalogue
from omnicanal.catalog.importer import OPTIONAL_COLUMNS, PRODUCT_COLUMNS
from omnicanal.platform.tabular import Column, ColumnKind, Page
from omnicanal.pricing.models import ListPrice, PriceBook
from omnicanal.pricing.service import list_prices

__all__ = ["PRODUCT_EXPORT_COLUMNS", "count_products", "products_page"]

PRODUCT_EXPORT_COLUMNS = tuple(
    Column(name, ColumnKind.money if name == "price" else ColumnKind.text)
    for name in (*PRODUCT_COLUMNS, *OPTIONAL_COLUMNS)
)


def _repriced(session: Session, currency: str, since: datetime | None) -> set[str]:
    """The variants whose list price in ``currency`` was set or changed from ``since``."""
    if since is None:
        return set()
    return set(
        session.scalars(
            select(ListPrice.variant_id)
            .join(PriceBook, PriceBook.id == ListPrice.price_book_id)
            .where(PriceBook.currency == currency, ListPrice.updated_at >= since)
        )
    )


def products_page(
    session: Session,
    *,
    after: str | None,
    limit: int,
    currency: str,
    since: datetime | None = None,
) -> Page:
    """Up to ``limit`` variants with their product and list price, after the cursor
    ``after``; with ``since``, those whose product, variant or price changed from then."""
    rows, cursor = catalogue_page(
        session,
        after=after,
        limit=limit,
        since=since,
        variant_ids=_repriced(session, currency, since),
    )
    prices = list_prices(session, currency=currency, variant_ids=[row.variant_id for row in rows])
    return Page(
        rows=[
            (
                row.product_code,
                row.name,
                row.category,
                row.brand,
                row.sku,
                row.gtin or "",
                row.size,
                row.colour,
                prices[row.variant_id].amount_minor if row.variant_id in prices else None,
                row.description,
            )
            for row in rows
        ],
        after=cursor,
    )


def count_products(session: Session, *, currency: str, since: datetime | None = None) -> int:
    """How many rows :func:`products_page` would give in all."""
    return count_catalogue(session, since=since, variant_ids=_repriced(session, currency, since))
