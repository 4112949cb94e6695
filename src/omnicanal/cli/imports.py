"""``omnicanal import``: products and stock from CSV files."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from omnicanal.bootstrap import build_platform
from omnicanal.catalog import importer as products_importer
from omnicanal.catalog.importer import RowError
from omnicanal.inventory import importer as stock_importer
from omnicanal.inventory import service as inventory
from omnicanal.platform import migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.errors import DomainError
from omnicanal.pricing import products as priced

app = typer.Typer(help="Import products and stock from CSV files.", no_args_is_help=True)

BAD_INPUT = 2

CsvPath = Annotated[
    Path,
    typer.Argument(
        exists=True,
        dir_okay=False,
        readable=True,
        help="A CSV file (UTF-8 or Windows-1252; ',' or ';' between columns)",
    ),
]
SkipBad = Annotated[
    bool,
    typer.Option(
        "--skip-bad",
        help="Import the good rows and list the bad ones (default: all or nothing)",
    ),
]


@dataclass(frozen=True)
class CsvRows:
    """A CSV file's header and its non-blank rows with their line numbers."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str


def read_csv(path: Path) -> CsvRows:
    """Read a CSV as spreadsheets write it: BOM or not, ',' or ';', UTF-8 or Windows-1252."""
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252", errors="replace"), "windows-1252"
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if header is None:
            header = values
        else:
            rows.append((reader.line_num, values))
    return CsvRows(header=header or [], rows=rows, encoding=encoding)


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _print_errors(console: Console, errors: Sequence[RowError], title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("line", justify="right", style="bold")
    table.add_column("column")
    table.add_column("problem", overflow="fold")
    for error in errors:
        table.add_row(str(error.line), escape(error.column), escape(error.reason))
    console.print(table)


def _report_bad_rows(
    console: Console,
    path: Path,
    errors: Sequence[RowError],
    bad_lines: Sequence[int],
    *,
    skip_bad: bool,
    importable: int,
) -> None:
    """Print the bad rows; exit unless --skip-bad leaves something to import."""
    if not errors:
        return
    if skip_bad and importable:
        _print_errors(console, errors, f"Skipped rows of {path.name}")
        return
    _print_errors(console, errors, f"Bad rows in {path.name}")
    if skip_bad:
        console.print(f"[red]No row of {escape(path.name)} can be imported.[/red]")
    else:
        console.print(
            f"[red]{_plural(len(bad_lines), 'bad row')} in {escape(path.name)}: "
            "nothing was imported.[/red] Fix them, or import the other rows with --skip-bad."
        )
    raise typer.Exit(code=BAD_INPUT)


def _skipped_note(console: Console, bad_lines: Sequence[int]) -> None:
    if bad_lines:
        shown = ", ".join(str(line) for line in bad_lines[:20])
        more = f" and {len(bad_lines) - 20} more" if len(bad_lines) > 20 else ""
        label = "line" if len(bad_lines) == 1 else "lines"
        console.print(f"Skipped {_plural(len(bad_lines), 'row')} ({label} {shown}{more}).")


@app.command("products")
def import_products(file: CsvPath, skip_bad: SkipBad = False) -> None:
    """Create products and variants: product_code,name,category,brand,sku,gtin,size,colour,price.

    One row per variant; rows with the same product_code make one product. price is in
    euros ('49.90' or '49,90'). All or nothing unless --skip-bad.
    """
    console = Console()
    data = read_csv(file)
    platform = build_platform()
    migrate.prepare(platform.db)
    currency = platform.settings.default_currency
    try:
        with platform.db.transaction() as session, _progress(console) as progress:
            reading = progress.add_task("Reading rows", total=len(data.rows))
            parsed = products_importer.parse_products(
                data.header, data.rows, progress=lambda n: progress.advance(reading, n)
            )
            checking = progress.add_task("Checking the catalog", total=1)
            products_importer.check_catalog(session, parsed)
            progress.advance(checking)
            products = parsed.products()
            if parsed.errors and not (skip_bad and products):
                created = None
            else:
                variants = sum(len(product.variants) for product in products)
                creating = progress.add_task("Creating variants", total=variants)
                created = products_importer.create_in_batches(
                    products=products,
                    create=lambda batch: priced.create_priced_products(
                        session, products=batch, actor=OPERATOR, currency=currency
                    ),
                    progress=lambda n: progress.advance(creating, n),
                )
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {escape(error.detail)}")
        raise typer.Exit(code=BAD_INPUT) from error
    finally:
        platform.db.dispose()
    _report_bad_rows(
        console,
        file,
        parsed.errors,
        parsed.bad_lines,
        skip_bad=skip_bad,
        importable=len(parsed.rows),
    )
    assert created is not None
    console.print(
        f"[green]Imported[/green] {_plural(created[0], 'product')} "
        f"({_plural(created[1], 'variant')}) from {escape(file.name)}."
    )
    _skipped_note(console, parsed.bad_lines)


@app.command("stock")
def import_stock(
    file: CsvPath,
    skip_bad: SkipBad = False,
    reason: Annotated[str, typer.Option(help="Why, for the ledger")] = "",
) -> None:
    """Set on-hand stock to counted quantities: sku,location,quantity[,safety_stock].

    quantity is what is on the shelf (not a delta); each change is a ledger line. An empty
    safety_stock leaves it as it is. All or nothing unless --skip-bad.
    """
    console = Console()
    data = read_csv(file)
    platform = build_platform()
    migrate.prepare(platform.db)
    try:
        with platform.db.transaction() as session, _progress(console) as progress:
            reading = progress.add_task("Reading rows", total=len(data.rows))
            parsed = stock_importer.parse_stock(
                data.header, data.rows, progress=lambda n: progress.advance(reading, n)
            )
            checking = progress.add_task("Checking SKUs and locations", total=1)
            stock_importer.check_references(session, parsed)
            progress.advance(checking)
            if parsed.errors and not (skip_bad and parsed.rows):
                applied = None
            else:
                applying = progress.add_task("Applying counts", total=len(parsed.rows))
                applied = inventory.count_stock(
                    session,
                    lines=parsed.counts(),
                    actor=OPERATOR,
                    reason=reason or f"stock import {file.name}",
                    progress=lambda n: progress.advance(applying, n),
                )
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {escape(error.detail)}")
        raise typer.Exit(code=BAD_INPUT) from error
    finally:
        platform.db.dispose()
    _report_bad_rows(
        console,
        file,
        parsed.errors,
        parsed.bad_lines,
        skip_bad=skip_bad,
        importable=len(parsed.rows),
    )
    assert applied is not None
    unchanged = len(parsed.rows) - applied
    console.print(
        f"[green]Applied[/green] {_plural(applied, 'stock line')} from {escape(file.name)}"
        f" ({_plural(unchanged, 'line')} already at the counted quantity)."
    )
    _skipped_note(console, parsed.bad_lines)
