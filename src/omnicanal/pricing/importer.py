"""List prices from a file: ``sku,price``, and the price column of a products file.

Reading is pure (:func:`parse_prices`): every row becomes a :class:`PriceRow` or line errors.
:func:`check_skus` refuses the rows naming a SKU the catalogue lacks; :func:`plan_prices`
says, line by line, which list price would change and from what; the changes are made by
:func:`~omnicanal.pricing.service.change_list_prices`, one event per changed SKU.
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
    format_price,
    parse_price,
    row_values,
    unreadable_values,
)
from omnicanal.platform.bounds import MAX_AMOUNT_MINOR
from omnicanal.pricing.service import list_prices

__all__ = [
    "PRICE_COLUMNS",
    "PriceImport",
    "PriceRow",
    "check_skus",
    "parse_prices",
    "plan_prices",
]

PRICE_COLUMNS = ("sku", "price")


@dataclass(frozen=True)
class PriceRow:
    """One good line: a SKU's list price in minor units."""

    line: int
    sku: str
    amount_minor: int


@dataclass
class PriceImport:
    """The rows of a prices file, sorted into good rows and errors."""

    rows: list[PriceRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    read: int = 0

    @property
    def bad_lines(self) -> list[int]:
        """The distinct lines with at least one error, in file order."""
        return sorted({error.line for error in self.errors})

    def reject(self, errors: Iterable[RowError]) -> None:
        """Move the rows these errors name from the good rows to the errors."""
        new = list(errors)
        lines = {error.line for error in new}
        self.rows = [row for row in self.rows if row.line not in lines]
        self.errors = sorted([*self.errors, *new], key=by_line)


def _price(line: int, text: str) -> int | RowError:
    if not text:
        return RowError(line, "missing", "price")
    try:
        amount = parse_price(text[:40])
    except ValueError as error:
        return RowError(line, str(error), "price")
    if len(text) > 40 or amount > MAX_AMOUNT_MINOR:
        return RowError(
            line, f"the price is over the limit of {MAX_AMOUNT_MINOR / 100:,.2f} euros", "price"
        )
    return amount


def parse_prices(
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    progress: Callable[[int], None] | None = None,
) -> PriceImport:
    """Sort (line number, values) rows into prices and errors; no database involved."""
    result = PriceImport()
    header_errors = check_header(header, PRICE_COLUMNS)
    if header_errors:
        result.errors = header_errors
        return result
    line_of: dict[str, int] = {}
    for line, raw in rows:
        result.read += 1
        if progress is not None:
            progress(1)
        values, errors = row_values(line, header, raw, PRICE_COLUMNS)
        errors = errors or unreadable_values(line, values)
        if errors:
            result.errors.extend(errors)
            continue
        sku = values["sku"]
        if not sku:
            errors.append(RowError(line, "missing", "sku"))
        elif len(sku) > 60:
            errors.append(RowError(line, "a SKU is at most 60 characters", "sku"))
        elif sku in line_of:
            errors.append(RowError(line, f"SKU {sku} already on line {line_of[sku]}", "sku"))
        amount = _price(line, values["price"])
        if isinstance(amount, RowError):
            errors.append(amount)
        if errors:
            result.errors.extend(errors)
            continue
        assert isinstance(amount, int)
        line_of[sku] = line
        result.rows.append(PriceRow(line, sku, amount))
    result.errors.sort(key=by_line)
    return result


def check_skus(session: Session, parsed: PriceImport) -> None:
    """Refuse the rows whose SKU the catalogue does not know."""
    try:
        catalog.resolve_skus(session, {row.sku for row in parsed.rows})
        return
    except UnknownSku as error:
        unknown = set(error.extra.get("unknown", ()))
    parsed.reject(
        RowError(row.line, f"unknown SKU {row.sku}", "sku")
        for row in parsed.rows
        if row.sku in unknown
    )


def plan_prices(
    session: Session, rows: Sequence[PriceRow], *, currency: str
) -> dict[int, LinePlan]:
    """Line → what its price would do: set a first price (create), change it (update) or
    leave it. A SKU the catalogue does not hold yet (a products file's new size) has none."""
    known = catalog.known_skus(session, [row.sku for row in rows])
    current = list_prices(
        session, currency=currency, variant_ids=[variant.id for variant in known.values()]
    )
    plans: dict[int, LinePlan] = {}
    for row in rows:
        variant = known.get(row.sku)
        before = current.get(variant.id) if variant is not None else None
        after = format_price(row.amount_minor)
        if before is None:
            change = FieldChange("price", None, after)
            plans[row.line] = LinePlan(row.line, row.sku, Action.create, (change,))
        elif before.amount_minor != row.amount_minor:
            change = FieldChange("price", format_price(before.amount_minor), after)
            plans[row.line] = LinePlan(row.line, row.sku, Action.update, (change,))
        else:
            plans[row.line] = LinePlan(row.line, row.sku, Action.unchanged)
    return plans
