"""``omnicanal orders``: an order as every channel sees it, recent orders, pickup waits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from sqlalchemy.orm import Session

from omnicanal.bootstrap import build_platform
from omnicanal.fulfilment import queries
from omnicanal.orders import service
from omnicanal.orders.schemas import OrderOut
from omnicanal.platform import migrate
from omnicanal.platform.errors import DomainError
from omnicanal.platform.money import Money

app = typer.Typer(help="Orders: show one, list recent ones, pickup waits.", no_args_is_help=True)
console = Console()
T = TypeVar("T")

STATUS_STYLE = {
    "completed": "green",
    "fulfilled": "green",
    "collected": "green",
    "delivered": "green",
    "bought": "green",
    "cancelled": "red",
    "expired": "red",
    "released": "yellow",
    "rejected": "yellow",
}


def _read(work: Callable[[Session], T]) -> T:
    platform = build_platform()
    try:
        migrate.prepare(platform.db)
        with platform.db.reading() as session:
            return work(session)
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
        raise typer.Exit(code=2) from error
    finally:
        platform.db.dispose()


def _status(value: str) -> str:
    style = STATUS_STYLE.get(value, "cyan")
    return f"[{style}]{value}[/{style}]"


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


def render(order: OrderOut) -> Group:
    """The order as rich renderables: summary, lines, fulfilments, history."""
    money = lambda minor: Money(minor, order.currency).format()  # noqa: E731
    summary = Table.grid(padding=(0, 2))
    summary.add_row("status", _status(order.status))
    summary.add_row("channel", order.channel + (f" at {order.location}" if order.location else ""))
    summary.add_row("customer", order.customer_ref or "anonymous")
    summary.add_row("placed", f"{_when(order.placed_at)} UTC by {order.placed_by}")
    summary.add_row(
        "total",
        f"{money(order.total_minor)}  (subtotal {money(order.subtotal_minor)}, "
        f"discount {money(order.discount_minor)}, shipping "
        f"{money(order.shipping_minor - order.shipping_discount_minor)})",
    )
    summary.add_row(
        "payment",
        f"{order.payment.provider} {order.payment.reference} · {order.payment.status}",
    )
    if order.coupons:
        summary.add_row("coupons", ", ".join(order.coupons))

    lines = Table(title="Lines", title_justify="left")
    for column in ("#", "SKU", "qty", "method", "store", "unit", "discount", "total"):
        lines.add_column(column)
    for line in order.lines:
        quantity = str(line.quantity)
        if line.cancelled_quantity:
            quantity += f" ([red]{line.cancelled_quantity} cancelled[/red])"
        lines.add_row(
            str(line.position),
            line.sku,
            quantity,
            line.method,
            line.location or "-",
            money(line.unit_price_minor),
            money(line.discount_minor),
            money(line.total_minor),
        )

    fulfilments = Table(title="Fulfilments", title_justify="left")
    for column in ("id", "method", "location", "status", "items", "next", "pickup wait"):
        fulfilments.add_column(column)
    for fulfilment in order.fulfilments:
        wait = fulfilment.pickup_wait_seconds
        fulfilments.add_row(
            fulfilment.id,
            fulfilment.method,
            fulfilment.location,
            _status(fulfilment.status),
            ", ".join(f"{item.quantity} x {item.sku}" for item in fulfilment.lines),
            " ".join(fulfilment.allowed_actions) or "-",
            f"{wait / 60:.1f} min" if wait is not None else "-",
        )

    history = Table(title="History", title_justify="left")
    for column in ("when (UTC)", "what", "from", "to", "who", "channel", "why"):
        history.add_column(column)
    for entry in order.history:
        subject = "order" if entry.subject == "order" else f"fulfilment {entry.fulfilment_id}"
        history.add_row(
            _when(entry.at),
            subject,
            entry.from_status or "-",
            _status(entry.to_status),
            entry.actor,
            entry.channel,
            entry.reason or "",
        )
    parts: list = [Panel(summary, title=f"Order {order.id}", title_align="left"), lines]
    parts += [fulfilments, history]
    if order.sourcing_explanation:
        parts.append(Panel("\n".join(order.sourcing_explanation), title="Why these locations"))
    if order.pricing_explanation:
        parts.append(Panel("\n".join(order.pricing_explanation), title="How it was priced"))
    return Group(*parts)


@app.command()
def show(order_id: Annotated[str, typer.Argument(help="The order's id")]) -> None:
    """Show an order: status, lines, fulfilments, history and why it was sourced so."""
    order = _read(lambda session: service.get_order(session, order_id=order_id))
    console.print(render(order))


@app.command("list")
def list_orders(
    customer: Annotated[str | None, typer.Option(help="Customer reference")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel code")] = None,
    status: Annotated[str | None, typer.Option(help="Order status")] = None,
    limit: Annotated[int, typer.Option(help="How many", min=1, max=500)] = 20,
) -> None:
    """The latest orders, newest first."""
    page = _read(
        lambda session: service.list_orders(
            session, customer_ref=customer, channel=channel, status=status, limit=limit
        )
    )
    table = Table(title="Orders")
    for column in ("id", "placed (UTC)", "channel", "customer", "status", "total", "payment"):
        table.add_column(column)
    for item in page.items:
        table.add_row(
            item.id,
            _when(item.placed_at),
            item.channel + (f" {item.location}" if item.location else ""),
            item.customer_ref or "-",
            _status(item.status),
            Money(item.total_minor, item.currency).format(),
            item.payment_status,
        )
    console.print(table)


@app.command("pickup-waits")
def pickup_waits(
    since: Annotated[datetime | None, typer.Option(help="From (UTC)")] = None,
    until: Annotated[datetime | None, typer.Option(help="Until (UTC, exclusive)")] = None,
) -> None:
    """How long click & collect customers waited between check-in and handover, per store."""
    report = _read(lambda session: queries.pickup_waits(session, since=since, until=until))
    table = Table(title="Pickup waits (check-in to handover)")
    for column in ("store", "collected", "measured", "p50", "p90", "max"):
        table.add_column(column)

    def minutes(value: float | None) -> str:
        return f"{value / 60:.1f} min" if value is not None else "-"

    for row in [*report.stores, report.overall]:
        table.add_row(
            "all stores" if row.location == "*" else row.location,
            str(row.collected),
            str(row.measured),
            minutes(row.p50_seconds),
            minutes(row.p90_seconds),
            minutes(row.max_seconds),
        )
    console.print(table)
