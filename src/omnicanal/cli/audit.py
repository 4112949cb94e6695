"""``omnicanal audit list``: who changed what, when and from where."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from omnicanal.bootstrap import build_platform
from omnicanal.platform import audit, migrate

app = typer.Typer(
    help="The audit log of changes by keys, staff and the operator.", no_args_is_help=True
)
console = Console()


@app.command("list")
def list_entries(
    who: Annotated[str | None, typer.Option(help="Actor, key id or staff id (substring)")] = None,
    what: Annotated[
        str | None, typer.Option(help="Resource kind, operation or resource id")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=3650, help="The last N days")] = 7,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many rows")] = 100,
) -> None:
    """The newest entries first (times in UTC)."""
    platform = build_platform()
    migrate.prepare(platform.db)
    since = datetime.now(UTC) - timedelta(days=days)
    with platform.db.reading() as session:
        rows = audit.list_entries(session, who=who, what=what, since=since, limit=limit)
    platform.close()
    table = Table(
        "when (UTC)", "who", "channel", "store", "operation", "resource", "outcome", "from"
    )
    for row in rows:
        table.add_row(
            row.at.strftime("%Y-%m-%d %H:%M:%S"),
            row.actor,
            row.channel,
            row.location_code or "-",
            row.operation,
            f"{row.resource_type} {row.resource_id}".strip(),
            row.outcome,
            row.address or "-",
        )
    console.print(table)
