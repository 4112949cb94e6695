"""Stock counts from a CSV file: ``sku,location,quantity[,safety_stock]``.

``quantity`` is the counted on-hand quantity, not a delta: importing the same file twice
changes nothing the second time. Reading is pure (:func:`parse_stock`);
:func:`check_references` rejects rows naming an unknown SKU or location; the good rows go to
:func:`service.count_stock`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownSku
from omnicanal.catalog.importer import RowError, by_line, check_header, row_values
from omnicanal.inventory.service import StockCount
from omnicanal.network import service as network
from omnicanal.platform.bounds import MAX_QUANTITY, check_text

__all__ = [
    "OPTIONAL_COLUMNS",
    "STOCK_COLUMNS",
    "StockImport",
    "StockRow",
    "check_references",
    "parse_stock",
]

STOCK_COLUMNS = ("sku", "location", "quantity")
OPTIONAL_COLUMNS = ("safety_stock",)


@dataclass(frozen=True)
class StockRow:
    """One good CSV line."""

    line: int
    count: StockCount


@dataclass
class StockImport:
    """The rows of a stock file, sorted into good rows and errors."""

    rows: list[StockRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    read: int = 0

    @property
    def bad_lines(self) -> list[int]:
        """The distinct lines with at least one error, in file order."""
        return sorted({error.line for error in self.errors})

    def counts(self) -> list[StockCount]:
        return [row.count for row in self.rows]

    def reject(self, errors: Iterable[RowError]) -> None:
        """Move the rows these errors name from the good rows to the errors."""
        new = list(errors)
        lines = {error.line for error in new}
        self.rows = [row for row in self.rows if row.line not in lines]
        self.errors = sorted([*self.errors, *new], key=by_line)


def _whole_number(line: int, column: str, text: str) -> int | RowError:
    if not text:
        return RowError(line, "missing", column)
    if not (text.isascii() and text.isdigit()):
        return RowError(line, f"'{text[:40]}' is not a whole number of 0 or more", column)
    if len(text) > 9 or int(text) > MAX_QUANTITY:
        return RowError(line, f"{text[:40]} is over the limit of {MAX_QUANTITY:,} units", column)
    return int(text)


def _readable(line: int, values: dict[str, str]) -> list[RowError]:
    """Errors for values holding a NUL or a lone surrogate (no database stores them)."""
    errors = []
    for column, value in values.items():
        try:
            check_text(value)
        except ValueError as error:
            errors.append(RowError(line, str(error), column))
    return errors


def parse_stock(
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    progress: Callable[[int], None] | None = None,
) -> StockImport:
    """Sort (line number, values) rows into stock counts and errors; no database involved."""
    result = StockImport()
    header_errors = check_header(header, STOCK_COLUMNS, OPTIONAL_COLUMNS)
    if header_errors:
        result.errors = header_errors
        return result
    line_of: dict[tuple[str, str], int] = {}
    for line, raw in rows:
        result.read += 1
        if progress is not None:
            progress(1)
        values, errors = row_values(line, header, raw, STOCK_COLUMNS)
        errors = errors or _readable(line, values)
        if errors:
            result.errors.extend(errors)
            continue
        sku, location = values["sku"], values["location"]
        if not sku:
            errors.append(RowError(line, "missing", "sku"))
        if not location:
            errors.append(RowError(line, "missing", "location"))
        quantity = _whole_number(line, "quantity", values["quantity"])
        safety: int | RowError | None = None
        if values.get("safety_stock"):
            safety = _whole_number(line, "safety_stock", values["safety_stock"])
        errors.extend(value for value in (quantity, safety) if isinstance(value, RowError))
        key = (sku, location)
        if not errors and key in line_of:
            errors.append(
                RowError(line, f"{sku} at {location} already counted on line {line_of[key]}", "sku")
            )
        if errors:
            result.errors.extend(errors)
            continue
        assert isinstance(quantity, int) and not isinstance(safety, RowError)
        line_of[key] = line
        result.rows.append(StockRow(line, StockCount(sku, location, quantity, safety)))
    result.errors.sort(key=by_line)
    return result


def check_references(session: Session, parsed: StockImport) -> None:
    """Reject the rows whose SKU or location the database does not know."""
    skus = {row.count.sku for row in parsed.rows}
    try:
        catalog.resolve_skus(session, skus)
        unknown_skus: set[str] = set()
    except UnknownSku as error:
        unknown_skus = set(error.extra.get("unknown", ()))
    locations = {location.code for location in network.list_locations(session)}
    errors = []
    for row in parsed.rows:
        if row.count.sku in unknown_skus:
            errors.append(RowError(row.line, f"unknown SKU {row.count.sku}", "sku"))
        if row.count.location not in locations:
            errors.append(RowError(row.line, f"unknown location {row.count.location}", "location"))
    parsed.reject(errors)
