"""``omnicanal webhooks``: the endpoints subscribed to events (list, add, remove, rotate their
secret), an endpoint's deliveries and dead-letter list, and their replay. ``add --format
segment --write-key …`` forwards the events to a Segment-compatible tracking API instead.
The operator acts as head office; every change is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from omnicanal.bootstrap import build_platform
from omnicanal.platform import audit, migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.bounds import check_moment
from omnicanal.platform.config import Settings
from omnicanal.platform.errors import DomainError
from omnicanal.webhooks import service
from omnicanal.webhooks.schemas import EndpointIn, RotationIn

app = typer.Typer(
    help="Webhooks: endpoints subscribed to events, their deliveries, replays.",
    no_args_is_help=True,
)
console = Console()
T = TypeVar("T")

STATUS_STYLE = {"delivered": "green", "pending": "cyan", "dead": "red"}


def _run(work: Callable[[Session, Settings], T], *, writes: bool = False, operation: str = "") -> T:
    """``work`` in a transaction (audited as ``operation``) or a read, given the settings;
    a refusal printed with its code."""
    platform = build_platform()
    try:
        migrate.prepare(platform.db)
        if not writes:
            with platform.db.reading() as session:
                return work(session, platform.settings)
        with platform.db.transaction() as session:
            done = work(session, platform.settings)
            body = done.model_dump(mode="json") if isinstance(done, BaseModel) else done
            audit.record(session, actor=OPERATOR, operation=operation, body=body)
            return done
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
        raise typer.Exit(code=2) from error
    finally:
        platform.db.dispose()


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


def _status(value: str) -> str:
    style = STATUS_STYLE.get(value, "cyan")
    return f"[{style}]{value}[/{style}]"


@app.command("list")
def list_endpoints() -> None:
    """The endpoints, newest first: what they follow, whether they receive, what waits."""
    page = _run(lambda s, _: service.list_endpoints(s, actor=OPERATOR, limit=service.MAX_PAGE))
    table = Table(title="Webhook endpoints")
    for column in (
        "id",
        "url",
        "format",
        "follows",
        "state",
        "pending",
        "dead",
        "failing since (UTC)",
    ):
        table.add_column(column)
    for item in page.items:
        state = (
            "[green]active[/green]"
            if item.active
            else f"[red]disabled[/red] ({item.disabled_reason})"
        )
        table.add_row(
            item.id,
            item.url,
            item.format,
            " ".join(item.event_types),
            state,
            str(item.pending),
            str(item.dead),
            _when(item.failing_since),
        )
    console.print(table)


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="https://… where the events are posted")],
    event: Annotated[
        list[str], typer.Option("--event", help="An event type, 'order.*' or '*' (repeatable)")
    ],
    description: Annotated[str, typer.Option(help="What it is for")] = "",
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="standard (signed webhooks) or segment (Segment track messages posted to "
            "URL/v1/batch)",
        ),
    ] = "standard",
    write_key: Annotated[
        str | None, typer.Option("--write-key", help="A segment endpoint's write key")
    ] = None,
) -> None:
    """Subscribe an endpoint to event types; print its signing secret (shown once)."""
    try:
        data = EndpointIn.model_validate(
            {
                "url": url,
                "event_types": event,
                "description": description,
                "format": format,
                "write_key": write_key,
            }
        )
    except ValueError as error:
        console.print(f"[red]error[/red] [bold]validation_error[/bold]: {error}")
        raise typer.Exit(code=2) from error
    made = _run(
        lambda s, settings: service.create_endpoint(
            s, data=data, actor=OPERATOR, allow_private=settings.webhooks_allow_private_urls
        ),
        writes=True,
        operation="webhook_endpoint",
    )
    table = Table(show_header=False)
    table.add_row("endpoint id", made.id)
    table.add_row("url", made.url)
    table.add_row("follows", " ".join(made.event_types))
    if made.secret is None:
        table.add_row("format", made.format)
        table.add_row("write key", made.write_key_prefix or "")
        console.print(table)
        console.print("Events are forwarded as Segment track messages (docs/webhooks.md).")
        return
    table.add_row("secret", f"[bold]{made.secret}[/bold]")
    console.print(table)
    console.print(
        "Verify each delivery with this secret (docs/webhooks.md). It is not shown again."
    )


EndpointId = Annotated[str, typer.Argument(help="The endpoint's id (see 'webhooks list')")]


@app.command("remove")
def remove(
    endpoint_id: EndpointId,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Remove an endpoint and its deliveries."""
    if not yes:
        typer.confirm(f"Remove endpoint {endpoint_id} and its deliveries?", abort=True)
    _run(
        lambda s, _: service.remove_endpoint(s, endpoint_id=endpoint_id, actor=OPERATOR),
        writes=True,
        operation=f"webhook_endpoint:{endpoint_id}:remove",
    )
    console.print(f"endpoint [bold]{endpoint_id}[/bold] removed")


@app.command("rotate")
def rotate(
    endpoint_id: EndpointId,
    overlap_hours: Annotated[
        int, typer.Option(help="Hours the current secret keeps signing too (0: replaced now)")
    ] = 24,
) -> None:
    """A new signing secret for an endpoint (printed once)."""
    try:
        data = RotationIn(overlap_hours=overlap_hours)
    except ValueError as error:
        console.print(f"[red]error[/red] [bold]validation_error[/bold]: {error}")
        raise typer.Exit(code=2) from error
    rotated = _run(
        lambda s, _: service.rotate_secret(s, endpoint_id=endpoint_id, data=data, actor=OPERATOR),
        writes=True,
        operation=f"webhook_endpoint:{endpoint_id}:secret",
    )
    console.print(f"new secret: [bold]{rotated.secret}[/bold]")
    if rotated.previous_secret_until is not None:
        console.print(
            f"the previous one signs too until {_when(rotated.previous_secret_until)} UTC"
        )


@app.command("deliveries")
def list_deliveries(
    endpoint_id: EndpointId,
    status: Annotated[
        str | None, typer.Option(help="pending, delivered or dead (the dead-letter list)")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many", min=1, max=service.MAX_PAGE)] = 20,
) -> None:
    """An endpoint's deliveries, newest first."""
    if status is not None and status not in service.DELIVERY_STATUSES:
        console.print(
            f"[red]error[/red] [bold]validation_error[/bold]: status is one of "
            f"{', '.join(service.DELIVERY_STATUSES)}"
        )
        raise typer.Exit(code=2)
    page = _run(
        lambda s, _: service.list_deliveries(
            s, endpoint_id=endpoint_id, actor=OPERATOR, status=status, limit=limit
        )
    )
    table = Table(title=f"Deliveries of {endpoint_id}")
    for column in (
        "id (webhook-id)",
        "event",
        "subject",
        "status",
        "attempts",
        "last",
        "made (UTC)",
    ):
        table.add_column(column)
    for item in page.items:
        last = item.last_error or (str(item.last_status_code) if item.last_status_code else "-")
        table.add_row(
            item.id,
            item.event_type,
            item.subject,
            _status(item.status) + (f" ({item.dead_reason})" if item.dead_reason else ""),
            str(item.attempts),
            last[:60],
            _when(item.created_at),
        )
    console.print(table)


@app.command("replay")
def replay(
    delivery_id: Annotated[
        str | None, typer.Argument(help="A dead delivery's id (or --endpoint and --since)")
    ] = None,
    endpoint: Annotated[str | None, typer.Option(help="Replay this endpoint's dead ones")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="...made since this time (ISO 8601, UTC if no zone)")
    ] = None,
) -> None:
    """Send a dead delivery again, or every dead delivery of an endpoint made since a time."""
    if (delivery_id is None) == (endpoint is None) or (endpoint is not None) != (since is not None):
        console.print(
            "[red]error[/red] [bold]validation_error[/bold]: give a delivery id, or --endpoint "
            "and --since"
        )
        raise typer.Exit(code=2)
    if delivery_id is not None:
        replayed = _run(
            lambda s, _: service.replay_delivery(s, delivery_id=delivery_id, actor=OPERATOR),
            writes=True,
            operation=f"webhook_replay:{delivery_id}",
        )
        console.print(f"delivery [bold]{replayed.id}[/bold] will be sent again")
        return
    assert endpoint is not None and since is not None
    try:
        moment = check_moment(since)
    except ValueError as error:
        console.print(f"[red]error[/red] [bold]validation_error[/bold]: {error}")
        raise typer.Exit(code=2) from error
    done = _run(
        lambda s, _: service.replay_since(s, endpoint_id=endpoint, since=moment, actor=OPERATOR),
        writes=True,
        operation=f"webhook_endpoint:{endpoint}:replay",
    )
    console.print(f"{done.replayed} deliveries will be sent again")
