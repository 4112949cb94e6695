"""``omnicanal``: serve the API, run the worker, migrate, import, create keys, run the demo."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from omnicanal.bootstrap import build_platform
from omnicanal.platform import migrate
from omnicanal.platform.actors import ChannelKind
from omnicanal.platform.config import Settings
from omnicanal.platform.errors import DomainError
from omnicanal.platform.observability.logs import configure_logging

if TYPE_CHECKING:
    from omnicanal.platform.auth import ApiKey

app = typer.Typer(help="omnicanal: one source of truth for every channel.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for channels and applications.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
console = Console()


def _setup_logging(settings: Settings) -> dict[str, Any]:
    """JSON log lines for a collector (asked for, or stdout is not a terminal), else readable
    ones; returns the logging config, for uvicorn to apply in each of its processes."""
    wanted = settings.log_format
    as_json = wanted == "json" or (wanted == "auto" and not sys.stdout.isatty())
    return configure_logging(json=as_json)


def fail(error: DomainError) -> typer.Exit:
    console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
    return typer.Exit(code=2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Processes (PostgreSQL deployments)")] = 1,
) -> None:
    """Serve the REST API (and, with the embedded bus, relay events in-process)."""
    import uvicorn

    platform = build_platform()
    log_config = _setup_logging(platform.settings)
    migrate.prepare(platform.db)
    platform.db.dispose()
    console.print(f"omnicanal on [bold]http://{host}:{port}[/bold]  (docs: /docs)")
    uvicorn.run(
        "omnicanal.api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config,
    )


@app.command()
def worker() -> None:
    """Relay the outbox to NATS JetStream and run every durable consumer (production)."""
    from omnicanal.platform.observability.tracing import install_worker_tracing
    from omnicanal.platform.worker import run_worker

    platform = build_platform()
    _setup_logging(platform.settings)
    migrate.prepare(platform.db)
    install_worker_tracing(platform.db, enabled=platform.settings.otel_enabled)
    if platform.embedded_bus:
        console.print(
            "[yellow]OMNICANAL_BUS_URL is not nats://…: with the embedded bus, "
            "'serve' relays events itself; running the relay and sweeper here anyway.[/yellow]"
        )
    run_worker(platform, settle_heap=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Apply the migrations up to REVISION (default: the latest)."""
    platform = build_platform()
    migrate.upgrade(platform.db, revision)
    console.print(
        f"schema at [bold]{migrate.current_revision(platform.db)}[/bold] on {platform.db.dialect}"
    )


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    platform = build_platform()
    console.print(
        f"{migrate.current_revision(platform.db)} (code expects {migrate.head_revision()})"
    )


@keys_app.command("create")
def keys_create(
    channel: Annotated[ChannelKind, typer.Option(help="The channel the key speaks for")],
    name: Annotated[str, typer.Option(help="Who uses it, e.g. 'web shop'")] = "",
    location: Annotated[
        str | None, typer.Option(help="Store code: the key may act for this store only")
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SCOPE",
            help="A scope (repeatable), or 'admin' for every scope, as a first-party admin "
            "key holds; default: the channel's usual set. 'omnicanal keys scopes' lists them.",
        ),
    ] = None,
    rate: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Requests a minute this key may send (0: no limit); default: the platform's "
            "(OMNICANAL_RATE_LIMIT_PER_MINUTE).",
        ),
    ] = None,
) -> None:
    """Create an API key and print its secret (shown once)."""
    from omnicanal.network import service as network
    from omnicanal.platform.auth import create_api_key

    platform = build_platform()
    migrate.prepare(platform.db)
    try:
        with platform.db.transaction() as session:
            place = network.get_location(session, location) if location else None
            key, token = create_api_key(
                session,
                channel=channel,
                name=name or f"{channel.value} key",
                scopes=scope,
                location=place,
                requests_per_minute=rate,
            )
    except DomainError as error:
        raise fail(error) from error
    table = Table(show_header=False)
    table.add_row("key id", key.id)
    table.add_row("channel", key.channel)
    table.add_row("store", key.location_code or "-")
    table.add_row("scopes", " ".join(key.scopes))
    table.add_row("rate", _rate(key.requests_per_minute, platform.settings.rate_limit_per_minute))
    table.add_row("secret", f"[bold]{token}[/bold]")
    console.print(table)
    console.print("Send it as 'Authorization: Bearer <secret>'. It is not shown again.")


KeyId = Annotated[str, typer.Argument(help="The key's id (see 'keys list')")]


def _rate(own: int | None, default: int) -> str:
    """A key's rate as 'keys list' shows it: its own, or the platform's default."""
    rate = default if own is None else own
    shown = "no limit" if rate == 0 else f"{rate}/min"
    return f"{shown} (default)" if own is None else shown


@keys_app.command("scopes")
def keys_scopes() -> None:
    """List every scope a key may hold, what it allows, and which channels get it by default;
    'admin' gives a key all of them."""
    from omnicanal.platform.auth import DEFAULT_SCOPES, SCOPE_PRESETS, SCOPES

    table = Table(Column("scope", no_wrap=True), "what it allows", "default for")
    for scope, meaning in SCOPES.items():
        channels = [kind.value for kind, granted in DEFAULT_SCOPES.items() if scope in granted]
        table.add_row(scope, meaning, ", ".join(channels) or "-")
    console.print(table)
    console.print(
        f"[bold]admin[/bold]: all {len(SCOPE_PRESETS['admin'])} scopes, for a first-party "
        "admin key ('omnicanal keys create --channel web --scope admin')."
    )


def _key_secret_table(key: ApiKey, token: str) -> Table:
    table = Table(show_header=False)
    table.add_row("key id", key.id)
    table.add_row("channel", key.channel)
    table.add_row("store", key.location_code or "-")
    table.add_row("scopes", " ".join(key.scopes))
    table.add_row("secret", f"[bold]{token}[/bold]")
    return table


@keys_app.command("list")
def keys_list(
    all_keys: Annotated[bool, typer.Option("--all", help="Revoked keys too")] = False,
) -> None:
    """List the API keys: channel, store, rate, created, last used (never their secrets)."""
    from omnicanal.platform.auth import list_api_keys

    platform = build_platform()
    migrate.prepare(platform.db)
    with platform.db.reading() as session:
        keys = list_api_keys(session, include_revoked=all_keys)
    platform.close()
    default_rate = platform.settings.rate_limit_per_minute

    def when(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    table = Table(
        "key id", "name", "channel", "store", "prefix", "rate", "created", "last used", "revoked"
    )
    for key in keys:
        table.add_row(
            key.id,
            key.name,
            key.channel,
            key.location_code or "-",
            key.prefix,
            _rate(key.requests_per_minute, default_rate),
            when(key.created_at),
            when(key.last_used_at),
            when(key.revoked_at),
        )
    console.print(table)
    console.print("Times are UTC.")


@keys_app.command("rate")
def keys_rate(
    key_id: KeyId,
    rate: Annotated[
        str,
        typer.Argument(
            metavar="N|default",
            help="Requests a minute (0: no limit), or 'default' for the platform's rate",
        ),
    ],
) -> None:
    """Set how many requests a minute a key may send; the API applies it within 5 seconds.
    Past it, the key is answered 429 with Retry-After."""
    from omnicanal.platform import audit
    from omnicanal.platform.actors import OPERATOR
    from omnicanal.platform.auth import set_api_key_rate
    from omnicanal.platform.errors import InvalidInput

    platform = build_platform()
    migrate.prepare(platform.db)
    try:
        if rate.strip().lower() == "default":
            own = None
        elif rate.strip().isdigit():
            own = int(rate)
        else:
            raise InvalidInput(
                f"The rate is a whole number of requests a minute or 'default', not {rate!r}.",
                field="rate",
            )
        with platform.db.transaction() as session:
            set_api_key_rate(session, key_id=key_id, requests_per_minute=own)
            audit.record(
                session,
                actor=OPERATOR,
                operation=f"api_key:{key_id}:rate",
                body={"requests_per_minute": own},
            )
    except DomainError as error:
        raise fail(error) from error
    finally:
        platform.close()
    shown = _rate(own, platform.settings.rate_limit_per_minute)
    console.print(f"key [bold]{key_id}[/bold]: {shown}")


@keys_app.command("revoke")
def keys_revoke(key_id: KeyId) -> None:
    """Revoke a key: the API refuses it (401) within 5 seconds."""
    from omnicanal.platform import audit
    from omnicanal.platform.actors import OPERATOR
    from omnicanal.platform.auth import revoke_api_key

    platform = build_platform()
    migrate.prepare(platform.db)
    try:
        with platform.db.transaction() as session:
            revoke_api_key(session, key_id=key_id)
            audit.record(session, actor=OPERATOR, operation=f"api_key:{key_id}:revoke")
    except DomainError as error:
        raise fail(error) from error
    finally:
        platform.close()
    console.print(f"key [bold]{key_id}[/bold] revoked")


@keys_app.command("rotate")
def keys_rotate(key_id: KeyId) -> None:
    """Replace a key by a new one with the same channel, store and scopes; the old one is
    revoked at once. Prints the new secret (shown once)."""
    from omnicanal.platform import audit
    from omnicanal.platform.actors import OPERATOR
    from omnicanal.platform.auth import rotate_api_key

    platform = build_platform()
    migrate.prepare(platform.db)
    try:
        with platform.db.transaction() as session:
            key, token = rotate_api_key(session, key_id=key_id)
            audit.record(session, actor=OPERATOR, operation=f"api_key:{key_id}:rotate")
    except DomainError as error:
        raise fail(error) from error
    finally:
        platform.close()
    console.print(f"key [bold]{key_id}[/bold] revoked; its replacement:")
    console.print(_key_secret_table(key, token))
    console.print("Send it as 'Authorization: Bearer <secret>'. It is not shown again.")


def _register_commands() -> None:
    from omnicanal.cli import demo, exports, imports, orders, pricing, returns

    app.add_typer(imports.app, name="import")
    app.command("export")(exports.export)
    app.add_typer(orders.app, name="orders")
    app.add_typer(returns.app, name="returns")
    app.add_typer(pricing.app, name="pricing")
    app.command()(demo.demo)
    from omnicanal.cli import customers

    app.add_typer(customers.tracking_app, name="tracking")
    from omnicanal.cli import privacy  # adds 'customers export|erase'

    app.add_typer(customers.customers_app, name="customers")
    app.add_typer(privacy.app, name="privacy")
    from omnicanal.cli import audit, events, staff

    app.add_typer(staff.app, name="staff")
    app.add_typer(audit.app, name="audit")
    app.add_typer(events.app, name="events")
    from omnicanal.cli import messages

    app.add_typer(messages.app, name="messages")
    from omnicanal.cli import webhooks

    app.add_typer(webhooks.app, name="webhooks")
    from omnicanal.cli import kpi  # with 'kpi pilot'

    app.add_typer(kpi.app, name="kpi")


_register_commands()
