"""``omnicanal kpi``: the figures of a period beside the period before (a table, CSV or
JSON), the catalogue of metrics (and docs/kpis.md), customer value, retention cohorts, RFM
segments, the replay of the event log into the KPI tables, and the pilots (``kpi pilot``).

The figures are read with the same scope rules and use cases as ``GET /v1/analytics/kpis``
(``omnicanal.analytics.reports``); the operator reads every store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from omnicanal.analytics import lifetime, metrics_page, rebuild, reports
from omnicanal.analytics.kpi_schemas import figure_out
from omnicanal.analytics.kpis import Scope
from omnicanal.bootstrap import build_platform
from omnicanal.cli import kpi_pilots
from omnicanal.platform import audit, migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.config import Settings
from omnicanal.platform.errors import DomainError
from omnicanal.platform.money import Money

__all__ = ["app", "format_change", "format_value"]

app = typer.Typer(
    help="KPIs: the figures of a period, the metrics' definitions, customer value, cohorts, "
    "RFM segments, pilots; rebuild them from the events.",
)
app.add_typer(kpi_pilots.app, name="pilot")
console = Console()
T = TypeVar("T")


class Output(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


Start = Annotated[
    datetime | None,
    typer.Option(
        "--from", metavar="DAY", formats=["%Y-%m-%d"], help="First local day (YYYY-MM-DD)"
    ),
]
End = Annotated[
    datetime | None,
    typer.Option("--to", metavar="DAY", formats=["%Y-%m-%d"], help="Last local day, included"),
]
Stores = Annotated[
    list[str] | None, typer.Option("--store", metavar="CODE", help="A store (repeatable)")
]
Channels = Annotated[
    list[str] | None,
    typer.Option("--channel", metavar="CODE", help="A channel (repeatable)"),
]
Segment = Annotated[
    str | None,
    typer.Option(metavar="SEGMENT", help="recognised or anonymous (default: both)"),
]
Format = Annotated[Output, typer.Option("--format", help="table, csv or json")]


def _run(work: Callable[[Session, Settings], T]) -> T:
    """``work(session, settings)`` in one read; a refusal is printed with its code and ends
    the command with status 2."""
    platform = build_platform()
    try:
        migrate.prepare(platform.db)
        with platform.db.reading() as session:
            return work(session, platform.settings)
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
        raise typer.Exit(code=2) from error
    finally:
        platform.db.dispose()


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _scope(
    session: Session,
    settings: Settings,
    *,
    start: datetime | None,
    end: datetime | None,
    stores: Sequence[str] | None = None,
    channels: Sequence[str] | None = None,
    segment: str | None = None,
) -> Scope:
    return reports.scope_for(
        session,
        actor=OPERATOR,
        time_zone=settings.business_time_zone,
        start=_day(start),
        end=_day(end),
        stores=stores or (),
        channels=channels or (),
        segment=segment,
    )


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{seconds:.1f} s" if seconds < 10 else f"{secs} s"


def format_value(value: float | None, unit: str, currency: str | None = None) -> str:
    """A figure as people read it: 1 234 orders, 12.5 %, 49,90 EUR, 3 min 20 s, 4.2 days."""
    if value is None:
        return "—"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "ratio":
        return f"{value * 100:.1f} %"
    if unit == "money":
        return Money(round(value), currency or "EUR").format()
    if unit == "seconds":
        return _duration(value)
    if unit == "days":
        return f"{value:.1f} days"
    if unit == "score":
        return f"{value:+.1f}"
    return f"{value:.2f}"


def format_change(comparison: reports.Comparison) -> str:
    """The change from the period before: points for a share or a score, else a percentage."""
    change = comparison.change
    if change is None:
        return "—"
    if comparison.metric.unit == "ratio":
        return f"{change * 100:+.1f} pts"
    if comparison.metric.unit == "score":
        return f"{change:+.1f}"
    relative = comparison.relative_change
    return "—" if relative is None else f"{relative * 100:+.1f} %"


def _figures_table(scope: Scope, compared: list[reports.Comparison]) -> Table:
    before = scope.before()
    where = ", ".join(scope.stores) or "every store"
    if scope.channels:
        where += " · " + ", ".join(scope.channels)
    if scope.segment:
        where += f" · {scope.segment}"
    table = Table(
        title=f"KPIs {scope.start:%Y-%m-%d} → {scope.end:%Y-%m-%d} ({where})",
        caption=f"period before: {before.start:%Y-%m-%d} → {before.end:%Y-%m-%d}",
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("period before", justify="right")
    table.add_column("change", justify="right")
    for item in compared:
        star = "★ " if item.metric.north_star else ""
        scoped = "" if item.figure.scoped else " (chain)"
        table.add_row(
            f"{star}{item.metric.name}{scoped}",
            format_value(item.figure.value, item.metric.unit, item.figure.currency),
            format_value(item.previous.value, item.metric.unit, item.previous.currency),
            format_change(item),
        )
    return table


@app.callback(invoke_without_command=True)
def figures(
    ctx: typer.Context,
    start: Start = None,
    end: End = None,
    store: Stores = None,
    channel: Channels = None,
    segment: Segment = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(metavar="CODE", help="A metric (repeatable; default: all of them)"),
    ] = None,
    output: Format = Output.table,
) -> None:
    """Print the figures of a period (default: the last 7 days) beside the period before."""
    if ctx.invoked_subcommand is not None:
        return

    def work(session: Session, settings: Settings) -> tuple[Scope, list[reports.Comparison]]:
        scope = _scope(
            session,
            settings,
            start=start,
            end=end,
            stores=store,
            channels=channel,
            segment=segment,
        )
        return scope, reports.compare(session, scope, metric or ())

    scope, compared = _run(work)
    rows = [figure_out(item.metric, item.figure, item).model_dump() for item in compared]
    if output is Output.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif output is Output.csv:
        typer.echo(reports.csv_text(rows), nl=False)
    else:
        console.print(_figures_table(scope, compared))
        console.print("★ North Star. Values per local day, in each store's time zone.")


@app.command("metrics")
def list_metrics(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="The Markdown page (docs/kpis.md) instead")
    ] = False,
    output: Annotated[
        Path | None, typer.Option(help="Write the Markdown here (default: print it)")
    ] = None,
) -> None:
    """The catalogue of metrics: code, name, unit, rhythm and definition."""
    if markdown or output is not None:
        page = metrics_page.metrics_markdown()
        if output is None:
            typer.echo(page, nl=False)
            return
        output.write_text(page, encoding="utf-8")
        console.print(f"{len(reports.catalogue())} metrics written to [bold]{output}[/bold]")
        return
    table = Table(title="Metrics (★ North Star)")
    for column in ("code", "name", "unit", "better", "views", "definition"):
        table.add_column(column)
    for item in reports.catalogue():
        table.add_row(
            f"{'★ ' if item.north_star else ''}{item.code}",
            item.name,
            item.unit,
            item.better,
            ", ".join(item.rhythms),
            item.definition,
        )
    console.print(table)


@app.command("rebuild")
def rebuild_kpis() -> None:
    """Empty the KPI tables and replay the whole event log into them (after an upgrade
    that changes a measure, or to repair them); the survey answers are kept."""
    platform = build_platform()
    try:
        migrate.prepare(platform.db)
        columns = (
            TextColumn("replaying events"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("replay", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            replayed = rebuild.rebuild(platform.db, report=report, settings=platform.settings)
        with platform.db.transaction() as session:
            audit.record(
                session, actor=OPERATOR, operation="kpi_rebuild", body={"events": replayed}
            )
    except DomainError as error:
        console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
        raise typer.Exit(code=2) from error
    finally:
        platform.db.dispose()
    console.print(f"[green]{replayed}[/green] events replayed into the KPI tables.")


Horizon = Annotated[
    int, typer.Option(min=1, max=lifetime.MAX_HORIZON_DAYS, help="Days ahead to value")
]
Top = Annotated[int, typer.Option(min=0, max=500, help="How many of the best customers to list")]


@app.command("value")
def customer_value(
    start: Start = None,
    end: End = None,
    store: Stores = None,
    channel: Channels = None,
    horizon: Horizon = 365,
    top: Top = 10,
) -> None:
    """Customer value: BG/NBD and Gamma-Gamma fitted on the recognised purchases of the
    period (default: the last 7 days; give a year or more), and the best customers."""

    def work(session: Session, settings: Settings) -> lifetime.CustomerValue:
        scope = _scope(session, settings, start=start, end=end, stores=store, channels=channel)
        return lifetime.customer_value(session, scope, horizon_days=horizon)

    value = _run(work)
    money = lambda minor: Money(round(minor), value.currency).format()  # noqa: E731
    summary = Table(title=f"Customer value {value.start} → {value.end}", show_header=False)
    summary.add_row("customers", f"{value.customers:,}")
    summary.add_row("bought on two days or more", f"{value.repeat_customers:,}")
    summary.add_row(
        f"expected purchases in {value.horizon_days} days", f"{value.expected_purchases:,.1f}"
    )
    summary.add_row("mean probability still active", f"{value.mean_p_alive * 100:.1f} %")
    summary.add_row("mean customer value", money(value.mean_clv_minor))
    summary.add_row("total customer value", money(value.total_clv_minor))
    console.print(summary)
    if top:
        best = Table(title=f"The {min(top, len(value.rows))} most valuable customers")
        for column in ("customer", "repeat days", "P(active)", "expected", "value"):
            best.add_column(column, justify="left" if column == "customer" else "right")
        for row in value.rows[:top]:
            best.add_row(
                row.customer_ref,
                str(row.frequency),
                f"{row.p_alive * 100:.0f} %",
                f"{row.expected_purchases:.2f}",
                money(row.clv_minor),
            )
        console.print(best)


@app.command("cohorts")
def cohorts(
    start: Start = None,
    end: End = None,
    store: Stores = None,
    channel: Channels = None,
    months: Annotated[int, typer.Option(min=1, max=36, help="Months after the first shown")] = 6,
) -> None:
    """Retention cohorts: customers by month of first purchase, and the share who bought
    again 1, 2, 3… months later."""

    def work(session: Session, settings: Settings) -> list[lifetime.Cohort]:
        scope = _scope(session, settings, start=start, end=end, stores=store, channels=channel)
        return lifetime.retention_cohorts(session, scope)

    found = _run(work)
    table = Table(title="Retention cohorts")
    table.add_column("first purchase")
    table.add_column("customers", justify="right")
    for month in range(1, months + 1):
        table.add_column(f"M+{month}", justify="right")
    for cohort in found:
        shares = [f"{share * 100:.0f} %" for share in cohort.shares[:months]]
        table.add_row(
            f"{cohort.month:%Y-%m}",
            f"{cohort.customers:,}",
            *shares,
            *[""] * (months - len(shares)),
        )
    console.print(table)


@app.command("rfm")
def rfm(
    start: Start = None,
    end: End = None,
    store: Stores = None,
    channel: Channels = None,
) -> None:
    """RFM segments: the recognised customers by recency, frequency and monetary value."""

    def work(session: Session, settings: Settings) -> list[lifetime.RfmSegment]:
        scope = _scope(session, settings, start=start, end=end, stores=store, channels=channel)
        return lifetime.rfm_segments(session, scope)

    segments = _run(work)
    table = Table(title="RFM segments")
    for column in ("segment", "customers", "share", "orders", "revenue", "mean basket", "rule"):
        table.add_column(column, justify="right" if column not in ("segment", "rule") else "left")
    for segment in segments:
        currency = segment.currency or "EUR"
        money = lambda minor, currency=currency: (  # noqa: E731
            "—" if minor is None else Money(round(minor), currency).format()
        )
        table.add_row(
            segment.name,
            f"{segment.customers:,}",
            "—" if segment.share is None else f"{segment.share * 100:.1f} %",
            f"{segment.orders:,}",
            money(segment.revenue_minor),
            money(segment.mean_basket_minor),
            segment.rule,
        )
    console.print(table)
