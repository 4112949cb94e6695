"""``omnicanal pricing``: the price consistency audit across channels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from omnicanal.bootstrap import build_platform
from omnicanal.platform import migrate
from omnicanal.platform.errors import DomainError
from omnicanal.platform.money import Money
from omnicanal.pricing import overrides
from omnicanal.pricing.service import checked_currency

app = typer.Typer(help="Prices: channel overrides and the consistency audit.", no_args_is_help=True)
console = Console()


@app.command()
def audit(
    at: Annotated[
        datetime | None, typer.Option(help="The moment to audit (UTC; default: now)")
    ] = None,
    currency: Annotated[str | None, typer.Option(help="Price book currency")] = None,
) -> None:
    """List every SKU whose price differs between channels, each channel's price and why."""
    platform = build_platform()
    try:
        migrate.prepare(platform.db)
        with platform.db.reading() as session:
            report = overrides.consistency(
                session,
                currency=checked_currency(currency or platform.settings.default_currency),
                at=at,
            )
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
        raise typer.Exit(code=2) from error
    finally:
        platform.db.dispose()
    table = Table(title=f"Prices that differ between channels at {report.at:%Y-%m-%d %H:%M} UTC")
    for column in ("SKU", "channel", "price", "list price", "why"):
        table.add_column(column)
    for item in report.items:
        for index, price in enumerate(item.prices):
            why = (
                f"override {price.override_id}: {price.reason}"
                + (f" (until {price.valid_until:%Y-%m-%d %H:%M})" if price.valid_until else "")
                if price.source == "override"
                else "list price"
            )
            table.add_row(
                item.sku if index == 0 else "",
                price.channel,
                Money(price.price_minor, report.currency).format(),
                Money(item.list_price_minor, report.currency).format() if index == 0 else "",
                why,
                end_section=index == len(item.prices) - 1,
            )
    console.print(table)
    console.print(
        f"{len(report.items)} SKU(s) priced differently across {len(report.channels)} channel(s)."
    )
    for promotion in report.channel_scoped_promotions:
        console.print(
            f"Promotion {promotion.code} ({promotion.name}) runs on "
            f"{', '.join(promotion.channels)} only."
        )
