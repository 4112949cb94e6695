"""``omnicanal demo``: a believable French fashion retailer, served."""

from __future__ import annotations

import errno
import json
import logging
import socket
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from omnicanal.bootstrap import build_platform
from omnicanal.demo import generate
from omnicanal.demo.generate import DemoRetailer, Step
from omnicanal.demo.showcase import ZOE
from omnicanal.engagement import triggers
from omnicanal.network import service as network
from omnicanal.platform import migrate

LYON_PART_DIEU = (45.7606, 4.8594)


def demo(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    seed: Annotated[int, typer.Option(help="Same seed, same retailer")] = 42,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API once the data is there")
    ] = True,
) -> None:
    """Create the demo retailer on an empty database and serve it."""
    console = Console()
    if serve and (problem := port_problem(host, port)) is not None:
        # Building the retailer takes minutes: a busy port is said before, not after.
        console.print(f"[red]error[/red] [bold]port_unavailable[/bold]: {escape(problem)}")
        raise typer.Exit(code=2)
    platform = build_platform()
    migrate.prepare(platform.db)
    started = time.perf_counter()
    tasks: dict[str, TaskID] = {}
    locations = 0
    with _progress(console) as progress, platform.db.transaction() as session:

        def show(step: Step, done: int, total: int) -> None:
            if not console.is_terminal:
                # No live bar in a log or a pipe: a plain line as each step starts and ends.
                if step.name not in tasks:
                    tasks[step.name] = TaskID(len(tasks))
                    console.print(f"{step.label}…", markup=False, highlight=False)
                if done >= total:
                    console.print(f"{step.label}: {done:,}/{total:,} done", markup=False)
                return
            if step.name not in tasks:
                tasks[step.name] = progress.add_task(step.label, total=total)
            progress.update(tasks[step.name], completed=done, total=total)

        if generate.is_empty(session):
            retailer: DemoRetailer | None = generate.generate(
                session, seed=seed, currency=platform.settings.default_currency, progress=show
            )
            # The message triggers and policy every retailer starts with: the journeys run
            # from the first event the server relays.
            triggers.ensure_defaults(session)
        else:
            retailer, locations = None, len(network.list_locations(session))
    elapsed = time.perf_counter() - started
    platform.db.dispose()
    if retailer is None:
        # Its keys were shown once, when it was built; the data is left as it is.
        then = (
            "serving it as it is"
            if serve
            else "nothing was changed. Serve it with 'omnicanal serve'"
        )
        console.print(
            f"The database already holds data ({locations} location"
            f"{'' if locations == 1 else 's'}), so no demo was built: "
            f"{then}. Create API keys with 'omnicanal keys create'."
        )
    else:
        _welcome(console, retailer, base_url=f"http://{host}:{port}", elapsed=elapsed)
    if serve:
        _serve(console, host=host, port=port)


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port``, or None when it can: bound and
    released at once, as uvicorn will bind it (address reuse on, so a port that lingers
    after a stopped server still counts as free)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OverflowError:
        return f"{port} is not a port number (0 to 65535); choose another with --port."
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return (
                f"Port {port} on {host} is already in use: stop what listens there, "
                "or choose another with --port."
            )
        return (
            f"Cannot listen on {host}:{port} ({error.strerror or error}); check --host and --port."
        )
    return None


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )


def print_secrets(
    console: Console, title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]
) -> None:
    """Secrets shown once, as aligned plain lines that are never cut or folded: a table
    would crop a key or a password at the terminal's width (80 columns is common)."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    console.print(f"\n[bold]{escape(title)}[/bold]")
    for cells in (header, *rows):
        line = " │ ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        console.print(line.rstrip(), markup=False, highlight=False, soft_wrap=True, crop=False)
    console.print()


def _welcome(console: Console, retailer: DemoRetailer, *, base_url: str, elapsed: float) -> None:
    units = sum(line.quantity for line in retailer.stock)
    console.print(
        f"\n[bold]{escape(retailer.brand)}[/bold] (seed {retailer.seed}): "
        f"{len(retailer.stores)} stores, {len(retailer.warehouses)} warehouses, "
        f"{len(retailer.products):,} products, {retailer.sku_count:,} SKUs, "
        f"{len(retailer.stock):,} stock lines ({units:,} units), created in {elapsed:.1f} s.\n"
    )
    print_secrets(
        console,
        "API keys (shown once)",
        ("channel", "store", "key"),
        [(key.channel, key.location or "-", key.token) for key in retailer.keys],
    )
    print_secrets(
        console,
        "Staff accounts to try the pages (shown once)",
        ("role", "store", "email", "password", "page"),
        [
            (
                member.role,
                member.location or "-",
                member.email,
                member.password,
                base_url + ("/admin" if member.location is None else "/store"),
            )
            for member in retailer.staff
        ],
    )
    console.print(
        "At the Lyon counter: sign in as the clerk, search the customer "
        f"[bold]{ZOE['till_phone'].replace(' ', '.')}[/bold] and open her web cart.\n"
    )
    console.print(
        "Messages: signed in as head office, the mailbox "
        f"[bold]{base_url}/admin/messages/mailbox[/bold] fills within a minute (pickup codes, "
        "parcels, refunds, a cart reminder with its coupon; Zoé's held back after her return).\n"
    )
    console.print(f"API  [bold]{base_url}[/bold]    docs [bold]{base_url}/docs[/bold]\n")
    sku = retailer.sample_sku()
    web = retailer.key("web").token
    lyon = retailer.key("store", "LYON-01").token
    call_centre = retailer.key("call_centre").token
    latitude, longitude = LYON_PART_DIEU
    nearest = {"skus": [sku], "near": {"latitude": latitude, "longitude": longitude, "limit": 3}}
    examples = (
        (
            f"Availability of {sku} for the web shop",
            f'curl -s -H "Authorization: Bearer {web}" '
            f'"{base_url}/v1/availability?sku={sku}&channel=web"',
        ),
        (
            "Reserve one for a web checkout (retry-safe: same Idempotency-Key, same answer)",
            f'curl -s -X POST -H "Authorization: Bearer {web}" '
            '-H "Content-Type: application/json" -H "Idempotency-Key: demo-checkout-1" '
            f"-d '{json.dumps({'sku': sku, 'quantity': 1})}' {base_url}/v1/reservations",
        ),
        (
            f"Stock of {sku} at every location (Lyon till key)",
            f'curl -s -H "Authorization: Bearer {lyon}" {base_url}/v1/inventory/{sku}',
        ),
        (
            "The 3 nearest locations to Lyon Part-Dieu and what they have",
            f'curl -s -X POST -H "Authorization: Bearer {lyon}" '
            f"-H \"Content-Type: application/json\" -d '{json.dumps(nearest)}' "
            f"{base_url}/v1/availability",
        ),
        (
            "The messages held back, and why (call-centre key)",
            f'curl -s -H "Authorization: Bearer {call_centre}" '
            f'"{base_url}/v1/engagement/messages?status=withheld"',
        ),
    )
    for title, command in examples:
        console.print(f"# {title}", style="dim", markup=False, highlight=False)
        console.print(command, markup=False, highlight=False, soft_wrap=True)
    console.print()


def _serve(console: Console, *, host: str, port: int) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    console.print(f"omnicanal on [bold]http://{host}:{port}[/bold]  (docs: /docs)")
    uvicorn.run("omnicanal.api.asgi:app", host=host, port=port, log_level="info")
