"""Stock counts from a CSV file: ``sku,location,quantity[,safety_stock]``.

``quantity`` is the counted on-hand quantity, not a delta: importing the same file twice
changes nothing the second time. Reading is pure (:func:`parse_stock`);
:func:`check_references` rejects rows naming an unknown SKU or location (location codes
match whatever their case: ``lyon-01`` is ``LYON-01``); :func:`plan_stock` says what each
line would change; the good rows go to :func:`service.count_stock`, which writes a ledger
line for each change. The stock export's own columns (``reserved``, ``available``,
``updated_at``) are read and left aside, so an export imports back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownSku
from omnicanal.catalog.importer import (
    Action,
    FieldChange,
    LinePlan,
    RowError,
    by_line,
    check_header,
    row_values,
    unreadable_values,
)
from omnicanal.inventory.counting import current_levels
from omnicanal.inventory.service import StockCount
from omnicanal.network import service as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import require_location
from omnicanal.platform.bounds import MAX_QUANTITY

__all__ = [
    "EXPORTED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "STOCK_COLUMNS",
    "StockImport",
    "StockRow",
    "check_references",
    "parse_stock",
    "plan_stock",
]

STOCK_COLUMNS = ("sku", "location", "quantity")
OPTIONAL_COLUMNS = ("safety_stock",)
EXPORTED_COLUMNS = ("reserved", "available", "updated_at")
"""Columns of the stock export that an import reads past: the database keeps them."""


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


def parse_stock(
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    progress: Callable[[int], None] | None = None,
) -> StockImport:
    """Sort (line number, values) rows into stock counts and errors; no database involved."""
    result = StockImport()
    header_errors = check_header(header, STOCK_COLUMNS, (*OPTIONAL_COLUMNS, *EXPORTED_COLUMNS))
    if header_errors:
        result.errors = header_errors
        return result
    line_of: dict[tuple[str, str], int] = {}
    for line, raw in rows:
        result.read += 1
        if progress is not None:
            progress(1)
        values, errors = row_values(line, header, raw, STOCK_COLUMNS)
        errors = errors or unreadable_values(line, values)
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
        key = (sku, location.casefold())
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
    """Reject the rows whose SKU or location the database does not know; name each
    location by its code as the network writes it."""
    skus = {row.count.sku for row in parsed.rows}
    try:
        catalog.resolve_skus(session, skus)
        unknown_skus: set[str] = set()
    except UnknownSku as error:
        unknown_skus = set(error.extra.get("unknown", ()))
    codes = {
        location.code.casefold(): location.code for location in network.list_locations(session)
    }
    errors = []
    rows = []
    for row in parsed.rows:
        code = codes.get(row.count.location.casefold())
        if row.count.sku in unknown_skus:
            errors.append(RowError(row.line, f"unknown SKU {row.count.sku}", "sku"))
        if code is None:
            errors.append(RowError(row.line, f"unknown location {row.count.location}", "location"))
        else:
            rows.append(StockRow(row.line, row.count._replace(location=code)))
    parsed.rows = rows
    parsed.reject(errors)


def plan_stock(session: Session, parsed: StockImport, *, actor: Actor) -> list[LinePlan]:
    """What each good line would change: on-hand and safety stock, before and after.

    A store key counts its own store only: a line for another location refuses the whole
    file (:class:`~omnicanal.platform.auth.LocationForbidden`), dry run or not.
    """
    if not parsed.rows:
        return []
    variants = catalog.resolve_skus(session, {row.count.sku for row in parsed.rows})
    locations = network.locations_by_code(session, {row.count.location for row in parsed.rows})
    for location in sorted(locations.values(), key=lambda place: place.code):
        require_location(actor, location.id, location.code)
    levels = current_levels(
        session,
        [(variants[row.count.sku].id, locations[row.count.location].id) for row in parsed.rows],
    )
    plans = []
    for row in parsed.rows:
        count = row.count
        key = f"{count.sku}@{count.location}"
        level = levels.get((variants[count.sku].id, locations[count.location].id))
        if level is None:
            changes = [FieldChange("quantity", None, count.quantity)]
            if count.safety_stock:
                changes.append(FieldChange("safety_stock", None, count.safety_stock))
            plans.append(LinePlan(row.line, key, Action.create, tuple(changes)))
            continue
        on_hand, safety = level
        changes = []
        if on_hand != count.quantity:
            changes.append(FieldChange("quantity", on_hand, count.quantity))
        if count.safety_stock is not None and count.safety_stock != safety:
            changes.append(FieldChange("safety_stock", safety, count.safety_stock))
        action = Action.update if changes else Action.unchanged
        plans.append(LinePlan(row.line, key, action, tuple(changes)))
    return plans
