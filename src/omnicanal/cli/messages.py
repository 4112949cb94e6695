"""``omnicanal messages``: the latest messages, one with its decisions and delivery log, the
triggers, and sending what is due now (what the worker does every few seconds)."""

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
from omnicanal.engagement import messages, triggers
from omnicanal.engagement.delivery.providers import Providers
from omnicanal.engagement.schemas import MessageDetailOut
from omnicanal.platform import migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError

app = typer.Typer(
    help="Messages: list the latest, show one, the triggers, send what is due.",
    no_args_is_help=True,
)
console = Console()
T = TypeVar("T")

STATUS_STYLE = {
    "sent": "green",
    "scheduled": "cyan",
    "retrying": "yellow",
    "withheld": "yellow",
    "withdrawn": "magenta",
    "failed": "red",
}


def _read(work: Callable[[Session], T]) -> T:
    platform = build_platform()
    try:
        migrate.prepare(platform.db)
        triggers.prepare_defaults(platform.db)
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


@app.command("list")
def list_messages(
    status: Annotated[str | None, typer.Option(help="scheduled, sent, withheld...")] = None,
    kind: Annotated[str | None, typer.Option(help="The trigger's kind")] = None,
    profile: Annotated[str | None, typer.Option(help="A person's profile id")] = None,
    limit: Annotated[int, typer.Option(help="How many", min=1, max=messages.MAX_PAGE)] = 20,
) -> None:
    """The latest messages, newest first, with where each stands and why."""
    page = _read(
        lambda session: messages.message_page(
            session, actor=OPERATOR, status=status, kind=kind, profile_id=profile, limit=limit
        )
    )
    table = Table(title="Messages")
    for column in ("id", "planned (UTC)", "trigger", "about", "status", "why", "due / sent"):
        table.add_column(column)
    for item in page.items:
        table.add_row(
            item.id,
            _when(item.created_at),
            item.trigger,
            item.about,
            _status(item.status),
            item.reason or "",
            _when(item.sent_at or item.due_at),
        )
    console.print(table)


def render(message: MessageDetailOut) -> Group:
    """The message as rich renderables: summary, content, decisions, delivery log."""
    summary = Table.grid(padding=(0, 2))
    summary.add_row("status", _status(message.status))
    summary.add_row("trigger", f"{message.trigger} ({message.kind}, {message.purpose})")
    summary.add_row("about", message.about)
    summary.add_row("person", message.profile_id or "-")
    summary.add_row("language", message.language)
    summary.add_row("due (UTC)", _when(message.due_at))
    if message.sent_at:
        summary.add_row("sent (UTC)", _when(message.sent_at))
    if message.channel:
        summary.add_row("to", f"{message.channel}: {message.recipient or '-'}")
    if message.provider:
        summary.add_row("provider", f"{message.provider} {message.provider_message_id or ''}")
    if message.coupon_code:
        summary.add_row("coupon", message.coupon_code)
    if message.reason:
        summary.add_row("reason", message.reason)
    parts: list[Panel | Table] = [Panel(summary, title=f"Message {message.id}", title_align="left")]
    if message.rendered_text is not None:
        parts.append(
            Panel(message.rendered_text, title=message.rendered_subject or "", title_align="left")
        )
    decisions = Table(title="Decisions", title_justify="left")
    for column in ("when (UTC)", "stage", "outcome", "reason", "facts"):
        decisions.add_column(column)
    for decision in message.decisions:
        facts = ", ".join(f"{key}={value}" for key, value in decision.facts.items())
        decisions.add_row(
            _when(decision.decided_at), decision.stage, decision.outcome, decision.reason, facts
        )
    parts.append(decisions)
    deliveries = Table(title="Delivery log", title_justify="left")
    for column in ("when (UTC)", "channel", "provider", "to", "outcome", "detail"):
        deliveries.add_column(column)
    for delivery in message.deliveries:
        deliveries.add_row(
            _when(delivery.attempted_at),
            delivery.channel,
            delivery.provider,
            delivery.recipient,
            delivery.outcome,
            delivery.detail or "",
        )
    parts.append(deliveries)
    return Group(*parts)


@app.command()
def show(message_id: Annotated[str, typer.Argument(help="The message's id")]) -> None:
    """Show a message: what, for whom, its content, every decision and the delivery log."""
    found = _read(
        lambda session: messages.get_message(session, message_id=message_id, actor=OPERATOR)
    )
    console.print(render(found))


@app.command("triggers")
def list_triggers() -> None:
    """The triggers: kind, purpose, delay, channels, segment, coupon, settings."""
    rows = _read(lambda session: triggers.list_triggers(session, actor=OPERATOR))
    table = Table(title="Triggers")
    for column in ("code", "kind", "purpose", "delay (min)", "channels", "segment", "coupon"):
        table.add_column(column)
    table.add_column("settings")
    table.add_column("active")
    for row in rows:
        coupon = ", ".join(f"{key}={value}" for key, value in (row.coupon or {}).items())
        table.add_row(
            row.code,
            row.kind,
            row.purpose,
            str(row.delay_minutes),
            " > ".join(row.channels),
            row.segment_code or "-",
            coupon or "-",
            ", ".join(f"{key}={value}" for key, value in row.settings.items()) or "-",
            "[green]yes[/green]" if row.active else "[red]no[/red]",
        )
    console.print(table)


@app.command("send-due")
def send_due(
    limit: Annotated[int, typer.Option(help="At most this many", min=1, max=10_000)] = 100,
) -> None:
    """Send the messages whose time has come, now (the worker does it every few seconds)."""
    from omnicanal.engagement.sending import send_due as send

    platform = build_platform()
    try:
        migrate.prepare(platform.db)
        providers = Providers.from_settings(platform.settings)
        sent = send(
            platform.db,
            now=utcnow(),
            providers=providers,
            settings=platform.settings,
            limit=limit,
        )
    except (DomainError, ValueError) as error:
        console.print(f"[red]error[/red]: {getattr(error, 'detail', error)}")
        raise typer.Exit(code=2) from error
    finally:
        platform.db.dispose()
    names = ", ".join(f"{channel}: {name}" for channel, name in providers.names().items())
    console.print(f"{sent} message(s) sent ({names})")
