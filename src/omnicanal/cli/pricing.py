"""``omnicanal pricing``: a channel's own price for a SKU (set, list, end), and the price
consistency audit across channels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from omnicanal.bootstrap import build_platform
from omnicanal.platform import audit as audit_log
from omnicanal.platform import migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError
from omnicanal.platform.money import MINOR_UNITS, Money
from omnicanal.pricing import costs, overrides
from omnicanal.pricing.schemas import OverrideIn, OverrideOut, PurchaseCostOut
from omnicanal.pricing.service import checked_currency

app = typer.Typer(
    help="Prices: channel overrides, purchase costs and the consistency audit.",
    no_args_is_help=True,
)
console = Console()
T = TypeVar("T")

Currency = Annotated[
    str | None, typer.Option(help="Price book currency (default: the configured one)")
]


def _run(work: Callable[[Session, str], T], *, write: bool = False) -> T:
    """``work(session, currency)`` in one transaction (a write) or one read; a domain error
    is printed with its code and ends the command with status 2."""
    platform = build_platform()
    try:
        migrate.prepare(platform.db)
        scope = platform.db.transaction() if write else platform.db.reading()
        with scope as session:
            return work(session, platform.settings.default_currency)
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
        raise typer.Exit(code=2) from error
    finally:
        platform.db.dispose()


def minor_units(price: str, currency: str) -> int:
    """'39.90' or '39,90' in ``currency`` as minor units (3990); ``BadParameter`` for text
    that is not an amount or has more decimals than the currency."""
    digits = MINOR_UNITS.get(currency, 2)
    try:
        amount = Decimal(price.strip().replace(",", "."))
    except InvalidOperation:
        raise typer.BadParameter(f"{price!r} is not an amount, e.g. 39.90") from None
    minor = amount.scaleb(digits) if amount.is_finite() else None
    if minor is None or amount < 0 or minor != minor.to_integral_value():
        raise typer.BadParameter(
            f"{price!r} is not an amount in {currency} ({digits} decimals at most, not negative)"
        )
    return int(minor)


def _overrides_table(items: list[OverrideOut], title: str) -> Table:
    table = Table(title=title)
    for column in ("id", "SKU", "channel", "price", "list price", "from", "until", "why", "by"):
        table.add_column(column)
    for item in items:
        until = item.valid_until
        table.add_row(
            item.id,
            item.sku,
            item.channel,
            Money(item.price_minor, item.currency).format(),
            Money(item.list_price_minor, item.currency).format()
            if item.list_price_minor is not None
            else "-",
            f"{item.valid_from:%Y-%m-%d %H:%M}",
            f"{until:%Y-%m-%d %H:%M}" if until else "-",
            item.reason,
            item.created_by,
        )
    return table


@app.command("overrides")
def list_overrides(
    sku: Annotated[str | None, typer.Option(help="Only this SKU's")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel's")] = None,
    active: Annotated[bool, typer.Option("--active", help="Only those in force now")] = False,
    currency: Currency = None,
) -> None:
    """List the channel price overrides, newest first."""
    items = _run(
        lambda session, default: overrides.list_overrides(
            session,
            currency=checked_currency(currency or default),
            sku=sku,
            channel=channel,
            active_at=utcnow() if active else None,
        )
    )
    console.print(_overrides_table(items, "Channel price overrides (times UTC)"))
    console.print(f"{len(items)} override(s).")


@app.command("override")
def set_override(
    sku: Annotated[str, typer.Argument(help="The SKU to price")],
    channel: Annotated[str, typer.Option(help="The channel that charges this price, e.g. app")],
    price: Annotated[str, typer.Option(help="The channel's price, e.g. 39.90")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log and the event)")],
    valid_from: Annotated[
        datetime | None,
        typer.Option(
            "--from", metavar="WHEN", help="Start: YYYY-MM-DD[THH:MM:SS] UTC; default now"
        ),
    ] = None,
    valid_until: Annotated[
        datetime | None,
        typer.Option("--until", metavar="WHEN", help="End, exclusive (UTC); default: none"),
    ] = None,
    currency: Currency = None,
) -> None:
    """Give a channel its own price for a SKU, now or over a period (audited)."""

    def override(session: Session, default: str) -> OverrideOut:
        book = checked_currency(currency or default)
        try:
            data = OverrideIn(
                sku=sku,
                channel=channel,
                currency=book,
                price_minor=minor_units(price, book),
                valid_from=valid_from,
                valid_until=valid_until,
                reason=reason,
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in error.errors()
            )
            raise typer.BadParameter(problems) from None
        out = overrides.set_override(session, data=data, currency=book, actor=OPERATOR)
        audit_log.record(
            session, actor=OPERATOR, operation="set_price_override", resource_id=out.id
        )
        return out

    created = _run(override, write=True)
    console.print(_overrides_table([created], "Override set"))


@app.command("end-override")
def end_override(
    override_id: Annotated[str, typer.Argument(help="The override's id (see 'pricing overrides')")],
    reason: Annotated[str, typer.Option(help="Why it ends")] = "",
) -> None:
    """End (remove) an override now: the channel charges the list price again."""

    def end(session: Session, _default: str) -> OverrideOut:
        out = overrides.end_override(
            session, override_id=override_id, reason=reason, actor=OPERATOR
        )
        audit_log.record(session, actor=OPERATOR, operation=f"end_price_override:{override_id}")
        return out

    ended = _run(end, write=True)
    console.print(
        f"override [bold]{ended.id}[/bold] ended: {ended.channel} charges the list price for "
        f"{ended.sku} again."
    )


@app.command("cost")
def purchase_cost(
    sku: Annotated[str, typer.Argument(help="The SKU whose unit cost to set or show")],
    cost: Annotated[
        str | None,
        typer.Option(help="What one unit costs the retailer, e.g. 31.20; omitted: show it"),
    ] = None,
    currency: Currency = None,
) -> None:
    """Set (or show) a SKU's purchase cost: the contribution margin subtracts it."""

    def work(session: Session, default: str) -> PurchaseCostOut:
        book = checked_currency(currency or default)
        if cost is None:
            return costs.get_purchase_cost(session, sku=sku, currency=book)
        out = costs.set_purchase_cost(
            session, sku=sku, currency=book, cost_minor=minor_units(cost, book), actor=OPERATOR
        )
        audit_log.record(
            session,
            actor=OPERATOR,
            operation=f"set_purchase_cost:{sku}",
            body={"cost_minor": out.cost_minor, "currency": out.currency},
        )
        return out

    shown = _run(work, write=cost is not None)
    console.print(
        f"{shown.sku}: purchase cost [bold]{Money(shown.cost_minor, shown.currency).format()}"
        f"[/bold] (set by {shown.updated_by} on {shown.updated_at:%Y-%m-%d %H:%M} UTC)"
    )


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
