"""``omnicanal staff …``: the accounts store staff and head office sign in with."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from omnicanal.platform import migrate
from omnicanal.platform.errors import DomainError
from omnicanal.platform.wiring import build_platform
from omnicanal.web import staff

app = typer.Typer(help="Staff accounts for the store and back-office pages.", no_args_is_help=True)
console = Console()


@app.command("create")
def create(
    email: Annotated[str, typer.Option(help="What they sign in with")],
    role: Annotated[staff.Role, typer.Option(help="clerk, store_manager or head_office")],
    location: Annotated[
        str | None, typer.Option(help="The store's code (clerks and store managers)")
    ] = None,
    name: Annotated[str, typer.Option(help="Shown on the pages")] = "",
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="8+ characters"),
    ] = "",
) -> None:
    """Create a staff account."""
    platform = build_platform()
    migrate.prepare(platform.db)
    try:
        with platform.db.transaction() as session:
            member = staff.create_staff(
                session,
                email=email,
                password=password,
                role=role,
                location_code=location,
                name=name,
            )
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
        raise typer.Exit(code=2) from None
    finally:
        platform.close()
    where = f" at {member.location_code}" if member.location_code else ""
    console.print(f"staff [bold]{member.email}[/bold] ({member.role.value}{where}) created")
