"""Imports that upsert: a products, stock or prices file read, planned line by line, then
applied through each module's own use cases (or, for a dry run, only planned).

Every import is all or nothing unless ``skip_bad``: when any line is wrong,
:class:`InvalidRows` names every bad line with its column and reason, and nothing is
written. A dry run reads the same way and says what each good line would change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicanal.catalog.errors import ProductExists, SkuExists
from omnicanal.catalog.importer import Action, LinePlan, RowError, parse_products
from omnicanal.catalog.upsert import apply_catalog, plan_catalog
from omnicanal.inventory import importer as stock_importer
from omnicanal.inventory import service as inventory
from omnicanal.platform.actors import Actor
from omnicanal.platform.errors import Conflict, InvalidInput
from omnicanal.platform.tabular import CsvRows
from omnicanal.pricing import importer as price_importer
from omnicanal.pricing.importer import PriceRow
from omnicanal.pricing.service import change_list_prices

__all__ = [
    "MAX_ERRORS_SHOWN",
    "ImportConflict",
    "ImportKind",
    "ImportReport",
    "InvalidRows",
    "Progress",
    "import_file",
    "import_prices",
    "import_products",
    "import_stock",
]

MAX_ERRORS_SHOWN = 1_000
"""The most line errors an API answer lists (the count says how many lines are wrong)."""

Progress = Callable[[str, int, int], None]
"""Called with a stage's label, the items just done and the stage's total."""


class ImportKind(StrEnum):
    """What a file holds."""

    products = "products"
    stock = "stock"
    prices = "prices"


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or would do (a dry run), line by line."""

    kind: ImportKind
    dry_run: bool
    applied: bool
    """Whether the changes were written (never for a dry run)."""
    read: int
    """The rows read, blank lines left out."""
    lines: list[LinePlan]
    """Each good line with what it changes (or would change)."""
    errors: list[RowError]

    def count(self, action: Action) -> int:
        return sum(line.action is action for line in self.lines)

    @property
    def created(self) -> int:
        return self.count(Action.create)

    @property
    def updated(self) -> int:
        return self.count(Action.update)

    @property
    def unchanged(self) -> int:
        return self.count(Action.unchanged)

    @property
    def changed(self) -> list[LinePlan]:
        """The lines that create or update something."""
        return [line for line in self.lines if line.action is not Action.unchanged]

    @property
    def bad_lines(self) -> list[int]:
        return sorted({error.line for error in self.errors})


class ImportConflict(Conflict):
    code = "import_conflict"
    title = "The data changed while the file was imported"


class InvalidRows(InvalidInput):
    """Lines of a file are wrong: nothing was imported. The problem lists them."""

    code = "invalid_rows"
    title = "Lines of the file are wrong"

    def __init__(self, report: ImportReport) -> None:
        bad = report.bad_lines
        shown = ", ".join(str(line) for line in bad[:10])
        more = f" and {len(bad) - 10:,} more" if len(bad) > 10 else ""
        super().__init__(
            f"{len(bad):,} line{'s' if len(bad) != 1 else ''} of the file "
            f"{'is' if len(bad) == 1 else 'are'} wrong (line{'s' if len(bad) != 1 else ''} "
            f"{shown}{more}): nothing was imported.",
            field="file",
            read=report.read,
            bad_lines=len(bad),
            rows=[
                {"line": error.line, "column": error.column, "reason": error.reason}
                for error in report.errors[:MAX_ERRORS_SHOWN]
            ],
        )
        self.report = report


def _advance(progress: Progress | None, label: str, total: int) -> Callable[[int], None]:
    def advance(done: int) -> None:
        if progress is not None:
            progress(label, done, total)

    return advance


def _refused(errors: Sequence[RowError], good: int, *, skip_bad: bool) -> bool:
    return bool(errors) and not (skip_bad and good)


def _merge(catalog_line: LinePlan, price_line: LinePlan | None) -> LinePlan:
    """One line of a products file: its catalogue change and its price change together."""
    if price_line is None or price_line.action is Action.unchanged:
        return catalog_line
    action = Action.create if catalog_line.action is Action.create else Action.update
    return LinePlan(
        catalog_line.line, catalog_line.key, action, (*catalog_line.changes, *price_line.changes)
    )


def import_products(
    session: Session,
    data: CsvRows,
    *,
    actor: Actor,
    currency: str,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert a products file (``product_code,name,category,brand,sku,gtin,size,colour,
    price[,description]``): the catalog's changes, then the list prices'."""
    rows = len(data.rows)
    parsed = parse_products(
        data.header, data.rows, progress=_advance(progress, "Reading rows", rows)
    )
    plan = plan_catalog(
        session, parsed, progress=_advance(progress, "Comparing with the catalogue", rows)
    )
    prices = {
        row.line: PriceRow(row.line, row.variant.sku, row.variant.price_minor)
        for row in parsed.rows
        if row.variant.price_minor is not None
    }
    price_plans = price_importer.plan_prices(session, list(prices.values()), currency=currency)
    lines = [_merge(line, price_plans.get(line.line)) for line in plan.lines]
    report = ImportReport(
        ImportKind.products, dry_run, False, parsed.read, sorted(lines, key=_line), parsed.errors
    )
    if _refused(parsed.errors, len(lines), skip_bad=skip_bad):
        raise InvalidRows(report)
    if dry_run:
        return report
    repriced = {
        prices[line].sku: prices[line].amount_minor
        for line, price in price_plans.items()
        if price.action is not Action.unchanged
    }
    with _unique(ImportKind.products):
        apply_catalog(
            session,
            plan,
            actor=actor,
            progress=_advance(progress, "Writing the catalogue", len(report.changed)),
        )
        if repriced:
            change_list_prices(session, currency=currency, prices=repriced, actor=actor)
    return _applied(report)


def import_stock(
    session: Session,
    data: CsvRows,
    *,
    actor: Actor,
    reason: str,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Set on-hand stock to the counted quantities of a stock file
    (``sku,location,quantity[,safety_stock]``), through the ledger's count."""
    rows = len(data.rows)
    parsed = stock_importer.parse_stock(
        data.header, data.rows, progress=_advance(progress, "Reading rows", rows)
    )
    stock_importer.check_references(session, parsed)
    lines = stock_importer.plan_stock(session, parsed, actor=actor)
    report = ImportReport(ImportKind.stock, dry_run, False, parsed.read, lines, parsed.errors)
    if _refused(parsed.errors, len(lines), skip_bad=skip_bad):
        raise InvalidRows(report)
    if dry_run:
        return report
    if not report.changed:
        # A count that changes nothing writes nothing, not even its summary event.
        return _applied(report)
    inventory.count_stock(
        session,
        lines=parsed.counts(),
        actor=actor,
        reason=reason,
        progress=_advance(progress, "Applying counts", len(parsed.rows)),
    )
    return _applied(report)


def import_prices(
    session: Session,
    data: CsvRows,
    *,
    actor: Actor,
    currency: str,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Set the list prices of a prices file (``sku,price``) in ``currency``'s price book."""
    rows = len(data.rows)
    parsed = price_importer.parse_prices(
        data.header, data.rows, progress=_advance(progress, "Reading rows", rows)
    )
    price_importer.check_skus(session, parsed)
    plans = price_importer.plan_prices(session, parsed.rows, currency=currency)
    lines = sorted(plans.values(), key=_line)
    report = ImportReport(ImportKind.prices, dry_run, False, parsed.read, lines, parsed.errors)
    if _refused(parsed.errors, len(lines), skip_bad=skip_bad):
        raise InvalidRows(report)
    if dry_run:
        return report
    repriced = {
        row.sku: row.amount_minor
        for row in parsed.rows
        if plans[row.line].action is not Action.unchanged
    }
    if repriced:
        with _unique(ImportKind.prices):
            change_list_prices(session, currency=currency, prices=repriced, actor=actor)
    return _applied(report)


def import_file(
    session: Session,
    kind: ImportKind,
    data: CsvRows,
    *,
    actor: Actor,
    currency: str,
    reason: str,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a file of ``kind``; ``currency`` is for products and prices, ``reason`` goes
    to the ledger lines of a stock file."""
    if kind is ImportKind.stock:
        return import_stock(
            session,
            data,
            actor=actor,
            reason=reason,
            dry_run=dry_run,
            skip_bad=skip_bad,
            progress=progress,
        )
    run = import_prices if kind is ImportKind.prices else import_products
    return run(
        session,
        data,
        actor=actor,
        currency=currency,
        dry_run=dry_run,
        skip_bad=skip_bad,
        progress=progress,
    )


@contextmanager
def _unique(kind: ImportKind) -> Iterator[None]:
    """A concurrent writer took a code, SKU, GTIN or price first (the catalog's own checks
    saw it, or the database's unique keys did): one conflict to retry, never a server error;
    the transaction rolls back whole."""
    try:
        yield
    except (IntegrityError, ProductExists, SkuExists) as error:
        raise ImportConflict(
            f"The {kind.value} changed while the file was imported (another import or a "
            "user created the same SKU, GTIN or price): nothing was imported; import the "
            "file again.",
            field="file",
        ) from error


def _line(plan: LinePlan) -> int:
    return plan.line


def _applied(report: ImportReport) -> ImportReport:
    return ImportReport(report.kind, report.dry_run, True, report.read, report.lines, report.errors)
