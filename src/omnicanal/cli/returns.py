"""``omnicanal returns``: the latest returns, and one return with its lines and history."""

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
from omnicanal.platform import migrate
from omnicanal.platform.errors import DomainError
from omnicanal.platform.money import Money
from omnicanal.returns import service
from omnicanal.returns.schemas import ReturnOut
from omnicanal.returns.states import ReturnStatus

app = typer.Typer(help="Returns: list the latest, show one.", no_args_is_help=True)
console = Console()
T = TypeVar("T")

STATUS_STYLE = {
    "refunded": "green",
    "exchanged": "green",
    "closed": "green",
    "review_pending": "yellow",
    "refused": "red",
    "cancelled": "red",
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


def render(returned: ReturnOut) -> Group:
    """The return as rich renderables: summary, lines, history."""
    money = lambda minor: Money(minor, returned.currency).format()  # noqa: E731
    summary = Table.grid(padding=(0, 2))
    summary.add_row("status", _status(returned.status))
    summary.add_row("order", f"{returned.order_id} (bought on {returned.purchase_channel})")
    summary.add_row("customer", returned.customer_ref or "anonymous")
    where = returned.location or "on its way"
    summary.add_row("returned", f"{returned.return_channel} · {where}")
    summary.add_row("value", money(returned.value_minor))
    if returned.review_reasons:
        summary.add_row("review", ", ".join(reason.code for reason in returned.review_reasons))
    if returned.refund is not None:
        reference = f" {returned.refund.reference}" if returned.refund.reference else ""
        summary.add_row(
            "refund",
            f"{money(returned.refund.amount_minor)} by {returned.refund.method}{reference}",
        )
    if returned.exchange_order_id is not None:
        summary.add_row(
            "exchange",
            f"order {returned.exchange_order_id}, difference "
            f"{money(returned.price_difference_minor or 0)}",
        )
    if returned.satisfaction is not None:
        summary.add_row("satisfaction", f"{returned.satisfaction}/5")
    if returned.authorisation is not None:
        summary.add_row("label", f"valid until {_when(returned.authorisation.expires_at)} UTC")

    lines = Table(title="Lines", title_justify="left")
    for column in ("#", "SKU", "qty", "reason", "condition", "value", "resellable", "damaged"):
        lines.add_column(column)
    for line in returned.lines:
        lines.add_row(
            str(line.position),
            line.sku,
            str(line.quantity),
            line.reason,
            line.condition,
            money(line.value_minor),
            "-" if line.resellable_quantity is None else str(line.resellable_quantity),
            "-" if line.damaged_quantity is None else str(line.damaged_quantity),
        )

    history = Table(title="History", title_justify="left")
    for column in ("when (UTC)", "from", "to", "who", "channel", "where", "why"):
        history.add_column(column)
    for entry in returned.history:
        history.add_row(
            _when(entry.at),
            entry.from_status or "-",
            _status(entry.to_status),
            entry.actor,
            entry.channel,
            entry.location or "-",
            entry.reason or "",
        )
    title = f"Return {returned.id}"
    return Group(Panel(summary, title=title, title_align="left"), lines, history)


@app.command()
def show(return_id: Annotated[str, typer.Argument(help="The return's id")]) -> None:
    """Show a return: status, order, lines, refund or exchange, and who did each step."""
    returned = _read(lambda session: service.get_return(session, return_id=return_id))
    console.print(render(returned))


@app.command("list")
def list_returns(
    status: Annotated[ReturnStatus | None, typer.Option(help="Return status")] = None,
    location: Annotated[str | None, typer.Option(help="Where the units came back")] = None,
    limit: Annotated[int, typer.Option(help="How many", min=1, max=500)] = 20,
) -> None:
    """The latest returns, newest first."""
    page = _read(
        lambda session: service.list_returns(
            session, status=status.value if status else None, location=location, limit=limit
        )
    )
    table = Table(title="Returns")
    for column in ("id", "opened (UTC)", "order", "bought", "returned", "status", "value"):
        table.add_column(column)
    for item in page.items:
        table.add_row(
            item.id,
            _when(item.requested_at),
            item.order_id,
            item.purchase_channel,
            item.return_channel + (f" {item.location}" if item.location else ""),
            _status(item.status),
            Money(item.value_minor, item.currency).format(),
        )
    console.print(table)
