"""``omnicanal events catalogue``: the event catalogue, generated from the event classes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from omnicanal.events_catalogue import catalogue_markdown, load_events

app = typer.Typer(help="The domain events other systems can subscribe to.", no_args_is_help=True)
console = Console()


@app.command("catalogue")
def catalogue(
    output: Annotated[
        Path | None, typer.Option(help="Write the Markdown here (default: print it)")
    ] = None,
) -> None:
    """Every declared event: its type, version, meaning, payload schema and an example."""
    page = catalogue_markdown()
    if output is None:
        typer.echo(page, nl=False)
        return
    output.write_text(page, encoding="utf-8")
    console.print(f"{len(load_events())} events written to [bold]{output}[/bold]")
