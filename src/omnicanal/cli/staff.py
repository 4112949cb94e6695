"""``omnicanal staff …``: the accounts store staff and head office sign in with.

A password is never an argument (it would sit in the shell's history and the process list): it
is typed at a hidden prompt, twice, or read from standard input with ``--password-stdin``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from omnicanal.bootstrap import build_platform
from omnicanal.platform import audit, migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.errors import DomainError
from omnicanal.staff import passwords
from omnicanal.staff import service as staff

app = typer.Typer(help="Staff accounts for the store and back-office pages.", no_args_is_help=True)
console = Console()
T = TypeVar("T")

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from standard input instead of a prompt"
    ),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(
        typer.prompt(
            f"Password ({passwords.MIN_LENGTH}+ characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    )


def _run(action: Callable[[Session], T]) -> T:
    platform = build_platform()
    migrate.prepare(platform.db)
    try:
        with platform.db.transaction() as session:
            return action(session)
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
        raise typer.Exit(code=2) from None
    finally:
        platform.close()


@app.command("create")
def create(
    email: Annotated[str, typer.Option(help="What they sign in with")],
    role: Annotated[staff.Role, typer.Option(help="clerk, store_manager or head_office")],
    location: Annotated[
        str | None, typer.Option(help="The store's code (clerks and store managers)")
    ] = None,
    name: Annotated[str, typer.Option(help="Shown on the pages")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a staff account (the password is prompted for, or read from stdin)."""
    password = _password(password_stdin)

    def create_account(session: Session) -> staff.StaffMember:
        member = staff.create_staff(
            session, email=email, password=password, role=role, location_code=location, name=name
        )
        audit.record(session, actor=OPERATOR, operation=f"staff:{member.id}:create")
        return member

    member = _run(create_account)
    where = f" at {member.location_code}" if member.location_code else ""
    console.print(f"staff [bold]{member.email}[/bold] ({member.role.value}{where}) created")


@app.command("list")
def list_accounts() -> None:
    """List the staff accounts, their store, whether active, and their open sessions."""
    accounts = _run(staff.list_staff)
    table = Table("email", "name", "role", "store", "active", "sessions", "created (UTC)")
    for account in accounts:
        table.add_row(
            account.email,
            account.name,
            account.role.value,
            account.location_code or "-",
            "yes" if account.active else "[red]no[/red]",
            str(account.open_sessions),
            account.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Argument(help="The account's email")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Give an account a new password; its open sessions end."""
    password = _password(password_stdin)

    def reset(session: Session) -> staff.StaffMember:
        member = staff.reset_password(session, email=email, password=password)
        audit.record(session, actor=OPERATOR, operation=f"staff:{member.id}:reset_password")
        return member

    member = _run(reset)
    console.print(f"new password set for [bold]{member.email}[/bold]; their sessions ended")


@app.command("disable")
def disable(email: Annotated[str, typer.Argument(help="The account's email")]) -> None:
    """Close an account: no more sign-ins, and its open sessions end at once."""

    def close(session: Session) -> staff.StaffMember:
        member = staff.disable_staff(session, email=email)
        audit.record(session, actor=OPERATOR, operation=f"staff:{member.id}:disable")
        return member

    member = _run(close)
    console.print(f"staff [bold]{member.email}[/bold] disabled; their sessions ended")
