"""Exports: what each one holds, who may ask for it, and its rows read page by page.

Each module pages through its own rows (``pricing.exports``, ``inventory.exports``,
``orders.exports``, ``customers.exports``); :func:`open_export` checks the caller and
returns an :class:`Export` whose :meth:`Export.pages` opens a short read session per page,
so a long export holds no transaction and no connection between pages.

Who may export what (the scopes are checked first, by the edge or here for the CLI):

- products (``catalog:read``) and stock levels (``inventory:read``): every key that reads
  them, as every channel shows stock everywhere;
- the ledger (``inventory:read``): a store key its own store's movements only;
- orders (``orders:read``): a first-party key every order, a marketplace key its own;
- customers: personal data in bulk, so ``profiles:read`` and ``profiles:export`` (in no
  channel's default set) and a first-party key; each export is in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from omnicanal.customers.exports import CUSTOMER_EXPORT_COLUMNS, count_customers, customers_page
from omnicanal.inventory.access import ledger_location
from omnicanal.inventory.exports import (
    MOVEMENT_EXPORT_COLUMNS,
    STOCK_EXPORT_COLUMNS,
    count_movements,
    count_stock_levels,
    movements_page,
    stock_page,
)
from omnicanal.orders.exports import ORDER_EXPORT_COLUMNS, count_order_lines, order_lines_page
from omnicanal.platform import audit
from omnicanal.platform.access import is_first_party
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import require_scope
from omnicanal.platform.db import Database
from omnicanal.platform.errors import Forbidden
from omnicanal.platform.tabular import Column, Page
from omnicanal.pricing.exports import PRODUCT_EXPORT_COLUMNS, count_products, products_page

__all__ = [
    "EXPORT_SCOPES",
    "PAGE_SIZE",
    "Export",
    "ExportForbidden",
    "ExportKind",
    "open_export",
]

PAGE_SIZE = 2_000
"""Rows read per page (one short read session each; one Parquet row group each)."""


class ExportKind(StrEnum):
    """What an export holds."""

    products = "products"
    stock = "stock"
    orders = "orders"
    customers = "customers"
    movements = "movements"


EXPORT_SCOPES: dict[ExportKind, tuple[str, ...]] = {
    ExportKind.products: ("catalog:read",),
    ExportKind.stock: ("inventory:read",),
    ExportKind.movements: ("inventory:read",),
    ExportKind.orders: ("orders:read",),
    ExportKind.customers: ("profiles:read", "profiles:export"),
}
"""The scopes a key needs for each export."""


class ExportForbidden(Forbidden):
    code = "export_forbidden"
    title = "This key may not export this"


PageReader = Callable[[Session, str | None, int], Page]


@dataclass(frozen=True)
class Export:
    """One export, its caller checked: its columns, its rows page by page, its size."""

    kind: ExportKind
    columns: tuple[Column, ...]
    read_page: PageReader
    count_rows: Callable[[Session], int]

    def pages(self, db: Database, *, page_size: int = PAGE_SIZE) -> Iterator[Page]:
        """Every page of rows, each read in its own short session."""
        after: str | None = None
        while True:
            with db.reading() as session:
                page = self.read_page(session, after, page_size)
            yield page
            if page.after is None:
                return
            after = page.after

    def count(self, db: Database) -> int:
        """How many rows the export holds now (for a progress bar)."""
        with db.reading() as session:
            return self.count_rows(session)


def _check(actor: Actor, kind: ExportKind) -> None:
    for scope in EXPORT_SCOPES[kind]:
        require_scope(actor, scope)
    if kind is ExportKind.customers and not is_first_party(actor) and "*" not in actor.scopes:
        raise ExportForbidden(
            f"A {actor.channel} key cannot export the retailer's customers.", field="what"
        )


def open_export(
    db: Database,
    kind: ExportKind,
    *,
    actor: Actor,
    currency: str,
    since: datetime | None = None,
) -> Export:
    """The export of ``kind`` for ``actor`` (:class:`~omnicanal.platform.errors.Forbidden`
    when its key may not have it); a customers export is written to the audit log now."""
    _check(actor, kind)
    if kind is ExportKind.products:
        return Export(
            kind,
            PRODUCT_EXPORT_COLUMNS,
            lambda session, after, limit: products_page(
                session, after=after, limit=limit, currency=currency, since=since
            ),
            lambda session: count_products(session, currency=currency, since=since),
        )
    if kind is ExportKind.stock:
        return Export(
            kind,
            STOCK_EXPORT_COLUMNS,
            lambda session, after, limit: stock_page(
                session, after=after, limit=limit, since=since
            ),
            lambda session: count_stock_levels(session, since=since),
        )
    if kind is ExportKind.movements:
        location = ledger_location(actor, None)
        return Export(
            kind,
            MOVEMENT_EXPORT_COLUMNS,
            lambda session, after, limit: movements_page(
                session, after=after, limit=limit, since=since, location_code=location
            ),
            lambda session: count_movements(session, since=since, location_code=location),
        )
    if kind is ExportKind.orders:
        return Export(
            kind,
            ORDER_EXPORT_COLUMNS,
            lambda session, after, limit: order_lines_page(
                session, actor=actor, after=after, limit=limit, since=since
            ),
            lambda session: count_order_lines(session, actor=actor, since=since),
        )
    with db.transaction() as session:
        audit.record(session, actor=actor, operation="export_customers")
    return Export(
        kind,
        CUSTOMER_EXPORT_COLUMNS,
        lambda session, after, limit: customers_page(
            session, after=after, limit=limit, since=since
        ),
        lambda session: count_customers(session, since=since),
    )
