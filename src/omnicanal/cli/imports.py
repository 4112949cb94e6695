"""``omnicanal import``: products, stock and prices from CSV files, upserted.

A file is compared with the database line by line: each good line creates, updates or
leaves alone what it names. ``--dry-run`` prints what would change and writes nothing; a
bad line refuses the whole file (every bad line listed) unless ``--skip-bad``.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from omnicanal.bootstrap import build_platform
from omnicanal.catalog.importer import Action, FieldChange, LinePlan, RowError
from omnicanal.interchange.imports import ImportKind, ImportReport, InvalidRows, import_file
from omnicanal.platform import audit, migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.errors import DomainError
from omnicanal.platform.tabular import CsvRows
from omnicanal.platform.tabular import read_csv as read_csv_bytes

app = typer.Typer(
    help="Import products, stock and prices from CSV files: each line creates, updates or "
    "leaves alone what it names.",
    no_args_is_help=True,
)

BAD_INPUT = 2
LINES_SHOWN = 1_000
MAX_REASON = 200
"""The longest ledger reason (as the API's)."""
"""The most lines the changes table prints (the summary counts them all)."""

CsvPath = Annotated[
    Path,
    typer.Argument(
        exists=True,
        dir_okay=False,
        readable=True,
        help="A CSV file (UTF-8, UTF-16 or Windows-1252; ',' or ';' between columns)",
    ),
]
SkipBad = Annotated[
    bool,
    typer.Option(
        "--skip-bad",
        help="Import the good rows and list the bad ones (default: all or nothing)",
    ),
]
DryRun = Annotated[
    bool,
    typer.Option("--dry-run", help="Print what each line would change; change nothing"),
]
AllLines = Annotated[
    bool,
    typer.Option("--all-lines", help="List the unchanged lines too"),
]


def read_csv(path: Path) -> CsvRows:
    """Read a CSV file as spreadsheets write it (see ``platform/tabular.py``)."""
    return read_csv_bytes(path.read_bytes())


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
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


def _shown(value: str | int | None) -> str:
    return "∅" if value is None or value == "" else escape(str(value))


def _change(change: FieldChange) -> str:
    if change.before is None:
        return f"{escape(change.column)}: {_shown(change.after)}"
    return f"{escape(change.column)}: {_shown(change.before)} → {_shown(change.after)}"


_STYLE = {Action.create: "green", Action.update: "yellow", Action.unchanged: "dim"}


def _print_lines(console: Console, lines: Sequence[LinePlan], title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("line", justify="right", style="bold")
    table.add_column("key")
    table.add_column("action")
    table.add_column("changes", overflow="fold")
    for line in lines[:LINES_SHOWN]:
        style = _STYLE[line.action]
        table.add_row(
            str(line.line),
            escape(line.key),
            f"[{style}]{line.action.value}[/{style}]",
            "; ".join(_change(change) for change in line.changes),
        )
    console.print(table)
    if len(lines) > LINES_SHOWN:
        console.print(f"… and {_plural(len(lines) - LINES_SHOWN, 'more line')}.")


def _summary(report: ImportReport) -> str:
    changes = report.created + report.updated
    return (
        f"{_plural(changes, 'change')} ({report.created:,} to create, "
        f"{report.updated:,} to update, {report.unchanged:,} unchanged)"
        if report.dry_run
        else f"{report.created:,} created, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged"
    )


def _skipped_note(console: Console, bad_lines: Sequence[int]) -> None:
    if bad_lines:
        shown = ", ".join(str(line) for line in bad_lines[:20])
        more = f" and {len(bad_lines) - 20} more" if len(bad_lines) > 20 else ""
        label = "line" if len(bad_lines) == 1 else "lines"
        console.print(f"Skipped {_plural(len(bad_lines), 'row')} ({label} {shown}{more}).")


def _run(
    kind: ImportKind,
    file: Path,
    *,
    dry_run: bool,
    skip_bad: bool,
    all_lines: bool,
    reason: str = "",
) -> None:
    console = Console()
    platform = build_platform()
    migrate.prepare(platform.db)
    tasks: dict[str, TaskID] = {}
    try:
        data = read_csv(file)
        with _progress(console) as progress:

            def advance(label: str, done: int, total: int) -> None:
                if label not in tasks:
                    tasks[label] = progress.add_task(label, total=total)
                progress.advance(tasks[label], done)

            scope = platform.db.reading() if dry_run else platform.db.transaction()
            with scope as session:
                report = import_file(
                    session,
                    kind,
                    data,
                    actor=OPERATOR,
                    currency=platform.settings.default_currency,
                    reason=reason or f"stock import {file.name}",
                    dry_run=dry_run,
                    skip_bad=skip_bad,
                    progress=advance,
                )
                if report.applied and (report.created or report.updated):
                    audit.record(
                        session,
                        actor=OPERATOR,
                        operation=f"import_{kind.value}",
                        resource_id=file.name,
                    )
    except InvalidRows as refused:
        bad = refused.report.bad_lines
        _print_errors(console, refused.report.errors, f"Bad rows in {file.name}")
        if skip_bad:
            console.print(f"[red]No row of {escape(file.name)} can be imported.[/red]")
        else:
            console.print(
                f"[red]{_plural(len(bad), 'bad row')} in {escape(file.name)}: "
                "nothing was imported.[/red] Fix them, or import the other rows with --skip-bad."
            )
        raise typer.Exit(code=BAD_INPUT) from refused
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {escape(error.detail)}")
        raise typer.Exit(code=BAD_INPUT) from error
    finally:
        platform.db.dispose()
    if report.errors:
        _print_errors(console, report.errors, f"Skipped rows of {file.name}")
    shown = report.lines if all_lines else report.changed
    if shown:
        verb = "would change" if dry_run else "changed"
        _print_lines(console, shown, f"What {file.name} {verb}")
    if dry_run:
        console.print(
            f"[bold]Dry run[/bold] of {escape(file.name)}: {_summary(report)}. Nothing was written."
        )
    else:
        console.print(f"[green]Imported[/green] {escape(file.name)}: {_summary(report)}.")
    _skipped_note(console, report.bad_lines)


@app.command("products")
def import_products(
    file: CsvPath, dry_run: DryRun = False, skip_bad: SkipBad = False, all_lines: AllLines = False
) -> None:
    """Upsert products by SKU: product_code,name,category,brand,sku,gtin,size,colour,price
    [,description].

    One row per variant; rows with the same product_code make one product. A new SKU is
    created (a new size of an existing product included), a known one updated (name,
    category, brand, description, GTIN, size, colour, price). An empty gtin keeps the
    variant's GTIN. price is in euros ('49.90' or '49,90'). All or nothing unless --skip-bad.
    """
    _run(ImportKind.products, file, dry_run=dry_run, skip_bad=skip_bad, all_lines=all_lines)


@app.command("stock")
def import_stock(
    file: CsvPath,
    dry_run: DryRun = False,
    skip_bad: SkipBad = False,
    all_lines: AllLines = False,
    reason: Annotated[str, typer.Option(help="Why, for the ledger")] = "",
) -> None:
    """Set on-hand stock to counted quantities: sku,location,quantity[,safety_stock].

    quantity is what is on the shelf (not a delta); each change is a ledger line. Location
    codes match in any case. An empty safety_stock leaves it as it is. The stock export's
    other columns are read past. All or nothing unless --skip-bad.
    """
    if len(reason) > MAX_REASON:
        Console().print(f"[red]error[/red] --reason is at most {MAX_REASON} characters.")
        raise typer.Exit(code=BAD_INPUT)
    _run(
        ImportKind.stock,
        file,
        dry_run=dry_run,
        skip_bad=skip_bad,
        all_lines=all_lines,
        reason=reason,
    )


@app.command("prices")
def import_prices(
    file: CsvPath, dry_run: DryRun = False, skip_bad: SkipBad = False, all_lines: AllLines = False
) -> None:
    """Set list prices by SKU: sku,price (in euros, '49.90' or '49,90').

    All or nothing unless --skip-bad.
    """
    _run(ImportKind.prices, file, dry_run=dry_run, skip_bad=skip_bad, all_lines=all_lines)
