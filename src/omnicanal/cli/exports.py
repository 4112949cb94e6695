"""``omnicanal export``: products, stock, orders, customers and the ledger to CSV or Parquet."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
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

from omnicanal.bootstrap import build_platform
from omnicanal.interchange.exports import ExportKind, open_export
from omnicanal.interchange.formats import ExportFormat, write_chunks
from omnicanal.platform import migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.bounds import check_moment
from omnicanal.platform.errors import DomainError
from omnicanal.platform.tabular import Page

BAD_INPUT = 2
STDOUT = "-"


def _since(text: str | None) -> datetime | None:
    """An ISO 8601 moment (UTC when it has no offset), or exit 2 saying why."""
    if text is None:
        return None
    try:
        return check_moment(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError as error:
        Console(stderr=True).print(
            f"[red]error[/red] --updated-since: {escape(text)!r} is not a moment "
            f"(like 2026-12-01 or 2026-12-01T08:00:00+01:00): {escape(str(error))}"
        )
        raise typer.Exit(code=BAD_INPUT) from error


def export(
    what: Annotated[ExportKind, typer.Argument(help="What to export")],
    format: Annotated[ExportFormat, typer.Option("--format", help="csv or parquet")] = (
        ExportFormat.csv
    ),
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="The file to write (default: WHAT-DATE.csv|parquet here; '-': standard output)",
        ),
    ] = None,
    updated_since: Annotated[
        str | None,
        typer.Option(
            "--updated-since", help="Only what changed from this moment (ISO 8601; UTC if bare)"
        ),
    ] = None,
) -> None:
    """Export products (re-importable), stock levels, order lines, customers or the stock
    ledger, streamed page by page with a progress bar."""
    console = Console(stderr=True)
    since = _since(updated_since)
    platform = build_platform()
    migrate.prepare(platform.db)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    target = output or f"{what.value}-{stamp}.{format.value}"
    if target == STDOUT and format is ExportFormat.parquet and sys.stdout.isatty():
        console.print("[red]error[/red] Parquet is binary: give --output FILE.")
        raise typer.Exit(code=BAD_INPUT)
    partial = Path(f"{target}.part")
    try:
        chosen = open_export(
            platform.db,
            what,
            actor=OPERATOR,
            currency=platform.settings.default_currency,
            since=since,
        )
        total = chosen.count(platform.db)
        rows = 0
        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        with progress:
            task = progress.add_task(f"Exporting {what.value}", total=total)

            def counted() -> Iterator[Page]:
                nonlocal rows
                for page in chosen.pages(platform.db):
                    rows += len(page.rows)
                    progress.update(task, completed=rows, total=max(total, rows))
                    yield page

            chunks = write_chunks(format, chosen.columns, counted())
            if target == STDOUT:
                for chunk in chunks:
                    sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
            else:
                with partial.open("wb") as file:
                    for chunk in chunks:
                        file.write(chunk)
                # Only a whole file takes the name: an export cut short leaves none behind.
                partial.replace(target)
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {escape(error.detail)}")
        raise typer.Exit(code=BAD_INPUT) from error
    finally:
        partial.unlink(missing_ok=True)
        platform.db.dispose()
    where = "standard output" if target == STDOUT else escape(target)
    console.print(f"[green]Exported[/green] {rows:,} rows of {what.value} to {where}.")
