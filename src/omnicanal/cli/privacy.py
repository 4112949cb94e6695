"""``omnicanal customers export|erase`` (a person's rights) and ``omnicanal privacy sweep``
(the retention periods, by hand)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from omnicanal.bootstrap import build_platform
from omnicanal.cli.customers import customers_app
from omnicanal.platform import migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.errors import DomainError
from omnicanal.platform.wiring import Platform

app = typer.Typer(help="Personal data: retention periods.", no_args_is_help=True)
console = Console()


def _fail(error: DomainError) -> typer.Exit:
    console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
    return typer.Exit(code=2)


def _find(platform: Platform, **given: str | None) -> str:
    """The profile id of the one person the options designate."""
    from omnicanal.privacy import service

    with platform.db.reading() as session:
        return service.find_person(session, given=given, region=platform.settings.phone_region)


Email = Annotated[str | None, typer.Option(help="The person's e-mail")]
Phone = Annotated[str | None, typer.Option(help="The person's phone, in any usual form")]
Card = Annotated[str | None, typer.Option("--loyalty-card", help="The person's loyalty card")]
Login = Annotated[str | None, typer.Option("--user-id", help="The person's login")]
ProfileId = Annotated[str | None, typer.Option("--profile-id", help="One of their profile ids")]


@customers_app.command("export")
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write")],
    email: Email = None,
    phone: Phone = None,
    loyalty_card: Card = None,
    user_id: Login = None,
    profile_id: ProfileId = None,
    format: Annotated[str, typer.Option(help="json, or csv (a zip of CSV files)")] = "json",
) -> None:
    """Write everything held about one person (RGPD art. 15 and 20) to a file."""
    from omnicanal.privacy import service

    platform = build_platform()
    migrate.prepare(platform.db)
    given = dict(
        email=email, phone=phone, loyalty_card=loyalty_card, user_id=user_id, profile_id=profile_id
    )
    try:
        found = _find(platform, **given)
        with platform.db.reading() as session:
            body, _, _ = service.export_as(service.export_person(session, profile_id=found), format)
    except DomainError as error:
        raise _fail(error) from error
    output.write_bytes(body)
    console.print(f"profile [bold]{found}[/bold]: {len(body):,} bytes written to {output}")


@customers_app.command("erase")
def erase(
    email: Email = None,
    phone: Phone = None,
    loyalty_card: Card = None,
    user_id: Login = None,
    profile_id: ProfileId = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase one person (RGPD art. 17) everywhere; their orders stay without them."""
    from omnicanal.privacy import service

    platform = build_platform()
    migrate.prepare(platform.db)
    given = dict(
        email=email, phone=phone, loyalty_card=loyalty_card, user_id=user_id, profile_id=profile_id
    )
    try:
        found = _find(platform, **given)
        if not yes:
            typer.confirm(f"Erase profile {found} and everything about them?", abort=True)
        with platform.db.transaction() as session:
            result = service.erase_person(session, profile_id=found, actor=OPERATOR)
    except DomainError as error:
        raise _fail(error) from error
    table = Table("kind", "rows", title=f"erasure {result.id}")
    for kind, count in result.counts.items():
        table.add_row(kind, str(count))
    console.print(table)
    console.print("The event stream is cleaned by the worker ('omnicanal worker' or 'serve').")


@app.command("sweep")
def sweep() -> None:
    """Enforce the retention periods now (the worker does it every hour)."""
    platform = build_platform()
    migrate.prepare(platform.db)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("retention periods", total=None)

        def report(kind: str, count: int) -> None:
            progress.update(task, description=f"{kind}: {count}")

        done = platform.enforce_retention(report=report)
        progress.update(task, description="event stream")
        done["stream_messages"] = platform.erase_from_bus()
    table = Table("kind", "rows removed or anonymised")
    for kind, count in done.items():
        table.add_row(kind, str(count))
    console.print(table)
