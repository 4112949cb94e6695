"""Products from a CSV file: one row per variant, rows of one product grouped by its code.

Columns: ``product_code,name,category,brand,sku,gtin,size,colour,price`` (and optionally
``description``). Reading is pure: every row becomes a :class:`ProductRow` or one or more
:class:`RowError` with its line number, so an operator sees every problem at once.
``catalog.upsert`` then compares the good rows with the catalogue (a :class:`LinePlan` per
line) and :func:`create_in_batches` hands new products, a batch at a time, to the catalog's
use case. The helpers here (headers, values, line errors, changes) serve the stock and
prices files too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import ValidationError

from omnicanal.catalog.gtin import gtin_key, is_valid_gtin
from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.platform.bounds import check_text

__all__ = [
    "OPTIONAL_COLUMNS",
    "PRODUCT_COLUMNS",
    "Action",
    "FieldChange",
    "LinePlan",
    "ProductImport",
    "ProductRow",
    "RowError",
    "by_line",
    "check_header",
    "create_in_batches",
    "format_price",
    "parse_price",
    "parse_products",
    "row_values",
    "unreadable_values",
]

PRODUCT_COLUMNS = (
    "product_code",
    "name",
    "category",
    "brand",
    "sku",
    "gtin",
    "size",
    "colour",
    "price",
)
OPTIONAL_COLUMNS = ("description",)
HEADER_LINE = 1
MAX_VARIANTS = 500
BATCH_VARIANTS = 1000

# Input fields of the schemas -> the CSV column an operator has to fix.
_COLUMN_OF_FIELD = {
    "code": "product_code",
    "name": "name",
    "category": "category",
    "brand": "brand",
    "description": "description",
    "sku": "sku",
    "gtin": "gtin",
    "size": "size",
    "colour": "colour",
    "price_minor": "price",
}
_PRICE = re.compile(r"^(\d+)(?:[.,](\d{1,2}))?$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")


@dataclass(frozen=True)
class RowError:
    """Why one CSV line cannot be imported; line 1 is the header."""

    line: int
    reason: str
    column: str = ""


class Action(StrEnum):
    """What an upsert does with one line: create its thing, update it, or leave it."""

    create = "create"
    update = "update"
    unchanged = "unchanged"


@dataclass(frozen=True)
class FieldChange:
    """One value a line changes, in the file's own terms (a price as '49.90')."""

    column: str
    before: str | int | None
    after: str | int | None


@dataclass(frozen=True)
class LinePlan:
    """What one good line of a file does: the thing it names (a SKU, a SKU at a location),
    the action and the values it changes."""

    line: int
    key: str
    action: Action
    changes: tuple[FieldChange, ...] = ()


def by_line(error: RowError) -> int:
    """Sort key: errors in file order, those of one line in the order they were found."""
    return error.line


@dataclass(frozen=True)
class ProductRow:
    """One good CSV line: its product fields with the one variant it describes."""

    line: int
    product: ProductIn

    @property
    def variant(self) -> VariantIn:
        return self.product.variants[0]


@dataclass
class ProductImport:
    """The rows of a products file, sorted into good rows and errors."""

    rows: list[ProductRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    read: int = 0
    columns: frozenset[str] = frozenset()
    """The header's columns: an optional column the file lacks is left as it is."""

    @property
    def bad_lines(self) -> list[int]:
        """The distinct lines with at least one error, in file order."""
        return sorted({error.line for error in self.errors})

    def products(self) -> list[ProductIn]:
        """The good rows grouped into products, in the order their codes first appear."""
        grouped: dict[str, ProductIn] = {}
        variants: dict[str, list[VariantIn]] = {}
        for row in self.rows:
            grouped.setdefault(row.product.code, row.product)
            variants.setdefault(row.product.code, []).append(row.variant)
        return [
            product.model_copy(update={"variants": variants[code]})
            for code, product in grouped.items()
        ]

    def reject(self, errors: Iterable[RowError]) -> None:
        """Move the rows these errors name from the good rows to the errors."""
        new = list(errors)
        lines = {error.line for error in new}
        self.rows = [row for row in self.rows if row.line not in lines]
        self.errors = sorted([*self.errors, *new], key=by_line)


def check_header(
    header: Sequence[str], required: Sequence[str], optional: Sequence[str] = ()
) -> list[RowError]:
    """Errors for a header that lacks a required column, repeats one or has an unknown one."""
    names = [name.strip().lower() for name in header]
    errors = [
        RowError(HEADER_LINE, f"the column '{name}' is missing", name)
        for name in required
        if name not in names
    ]
    known = set(required) | set(optional)
    for name in dict.fromkeys(names):
        if names.count(name) > 1:
            errors.append(RowError(HEADER_LINE, f"the column '{name}' appears twice", name))
        elif name not in known:
            errors.append(
                RowError(
                    HEADER_LINE,
                    f"unknown column '{name}' (expected {', '.join((*required, *optional))})",
                    name,
                )
            )
    return errors


def row_values(
    line: int, header: Sequence[str], values: Sequence[str], required: Sequence[str]
) -> tuple[dict[str, str], list[RowError]]:
    """A row's values by column name, with errors for missing or surplus values."""
    names = [name.strip().lower() for name in header]
    if len(values) > len(names):
        return {}, [RowError(line, f"{len(values)} values for {len(names)} columns")]
    by_name = {name: value.strip() for name, value in zip(names, values, strict=False)}
    missing = [name for name in required if name not in by_name]
    if missing:
        return {}, [
            RowError(
                line,
                f"{len(values)} values for {len(names)} columns: no {', '.join(missing)}",
                missing[0],
            )
        ]
    return by_name, []


def unreadable_values(line: int, values: dict[str, str]) -> list[RowError]:
    """Errors for values no database stores: a NUL, a lone surrogate, or bytes the file's
    encoding could not read (``platform/tabular.py`` keeps them as lone surrogates)."""
    errors = []
    for column, value in values.items():
        try:
            check_text(value)
        except ValueError as error:
            undecoded = any("\udc80" <= char <= "\udcff" for char in value)
            reason = (
                "bytes that are not text in the file's encoding (save the file as UTF-8)"
                if undecoded
                else str(error)
            )
            errors.append(RowError(line, reason, column))
    return errors


def parse_price(text: str) -> int:
    """Euros as written in a spreadsheet ('49.90', '49,9', '1 249,00 €') -> cents."""
    cleaned = _SPACES.sub("", text).removesuffix("€").removesuffix("EUR")
    match = _PRICE.match(cleaned)
    if match is None:
        raise ValueError(f"'{text}' is not a price in euros (like 49.90 or 49,90)")
    whole, fraction = match.group(1), (match.group(2) or "0").ljust(2, "0")
    return int(whole) * 100 + int(fraction)


def format_price(cents: int) -> str:
    """Cents as an import reads them back: 4990 → '49.90'."""
    return f"{cents // 100}.{cents % 100:02d}"


def _validation_errors(line: int, error: ValidationError) -> list[RowError]:
    errors = []
    for problem in error.errors():
        names = [part for part in problem["loc"] if isinstance(part, str) and part != "variants"]
        column = _COLUMN_OF_FIELD.get(names[-1], names[-1]) if names else ""
        if problem["type"] == "string_too_short" and not problem["input"]:
            message = "missing"
        elif problem["type"] == "less_than_equal" and column == "price":
            message = f"the price is over the limit of {problem['ctx']['le'] / 100:,.2f} euros"
        elif problem["type"] == "string_pattern_mismatch":
            message = (
                f"'{problem['input']}' is not a valid code (letters, digits and . _ - / only, "
                "starting with a letter or a digit)"
            )
        else:
            message = str(problem["msg"]).removeprefix("Value error, ")
        errors.append(RowError(line, message, column))
    return errors


def _parse_row(line: int, values: dict[str, str]) -> ProductRow | list[RowError]:
    errors: list[RowError] = []
    price: int | None = None
    if not values["price"]:
        errors.append(RowError(line, "missing", "price"))
    else:
        try:
            price = parse_price(values["price"])
        except ValueError as error:
            errors.append(RowError(line, str(error), "price"))
    gtin = values["gtin"] or None
    if gtin is not None and not is_valid_gtin(gtin):
        errors.append(
            RowError(
                line,
                f"'{gtin}' is not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit)",
                "gtin",
            )
        )
    try:
        # One validation of the whole row, so every field's problem is reported at once.
        product = ProductIn.model_validate(
            {
                "code": values["product_code"],
                "name": values["name"],
                "category": values["category"],
                "brand": values["brand"],
                "description": values.get("description", ""),
                "variants": [
                    {
                        "sku": values["sku"],
                        "gtin": gtin,
                        "size": values["size"],
                        "colour": values["colour"],
                        "price_minor": price,
                    }
                ],
            }
        )
    except ValidationError as error:
        errors.extend(_validation_errors(line, error))
    if errors:
        return errors
    return ProductRow(line=line, product=product)


def _conflicts(row: ProductRow, first: ProductRow) -> list[RowError]:
    """Product fields of a later row of a product that differ from its first row."""
    errors = []
    for name in ("name", "category", "brand", "description"):
        mine, theirs = getattr(row.product, name), getattr(first.product, name)
        if mine != theirs:
            column = _COLUMN_OF_FIELD[name]
            errors.append(
                RowError(
                    row.line,
                    f"{column} '{mine}' differs from line {first.line} ('{theirs}') "
                    f"for product {row.product.code}",
                    column,
                )
            )
    return errors


def parse_products(
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    progress: Callable[[int], None] | None = None,
) -> ProductImport:
    """Sort (line number, values) rows into products and errors; no database involved."""
    result = ProductImport(columns=frozenset(name.strip().lower() for name in header))
    header_errors = check_header(header, PRODUCT_COLUMNS, OPTIONAL_COLUMNS)
    if header_errors:
        result.errors = header_errors
        return result
    first_of_product: dict[str, ProductRow] = {}
    variants_of_product: dict[str, int] = {}
    line_of_sku: dict[str, int] = {}
    line_of_gtin: dict[str, int] = {}
    for line, raw in rows:
        result.read += 1
        if progress is not None:
            progress(1)
        values, errors = row_values(line, header, raw, PRODUCT_COLUMNS)
        parsed = errors or unreadable_values(line, values) or _parse_row(line, values)
        if isinstance(parsed, list):
            result.errors.extend(parsed)
            continue
        variant = parsed.variant
        code = parsed.product.code
        errors = []
        if variant.sku in line_of_sku:
            errors.append(
                RowError(
                    line, f"SKU {variant.sku} already on line {line_of_sku[variant.sku]}", "sku"
                )
            )
        # 4006381333931 and 04006381333931 are one GTIN written twice.
        gtin = gtin_key(variant.gtin) if variant.gtin is not None else None
        if gtin is not None and gtin in line_of_gtin:
            errors.append(
                RowError(line, f"GTIN {variant.gtin} already on line {line_of_gtin[gtin]}", "gtin")
            )
        if code in first_of_product:
            errors.extend(_conflicts(parsed, first_of_product[code]))
            if variants_of_product[code] >= MAX_VARIANTS:
                errors.append(
                    RowError(
                        line,
                        f"product {code} has more than {MAX_VARIANTS} variants",
                        "product_code",
                    )
                )
        if errors:
            result.errors.extend(errors)
            continue
        first_of_product.setdefault(code, parsed)
        variants_of_product[code] = variants_of_product.get(code, 0) + 1
        line_of_sku[variant.sku] = line
        if gtin is not None:
            line_of_gtin[gtin] = line
        result.rows.append(parsed)
    result.errors.sort(key=by_line)
    return result


def create_in_batches(
    *,
    products: Sequence[ProductIn],
    create: Callable[[Sequence[ProductIn]], object],
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Create products with ``create``, a batch at a time; (products, variants).

    Batches keep each call's checks and statements small; ``create`` writes them in the
    caller's transaction, so the import stays all or nothing.
    """
    created_products = created_variants = 0
    batch: list[ProductIn] = []

    def flush() -> None:
        nonlocal created_products, created_variants
        if not batch:
            return
        create(batch)
        variants = sum(len(product.variants) for product in batch)
        created_products += len(batch)
        created_variants += variants
        if progress is not None:
            progress(variants)
        batch.clear()

    size = 0
    for product in products:
        if size + len(product.variants) > BATCH_VARIANTS:
            flush()
            size = 0
        batch.append(product)
        size += len(product.variants)
    flush()
    return created_products, created_variants
