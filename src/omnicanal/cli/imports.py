"""``omnicanal import``: products and stock from CSV files."""

from __future__ import annotations

import typer

app = typer.Typer(help="Import products and stock from CSV files.", no_args_is_help=True)
