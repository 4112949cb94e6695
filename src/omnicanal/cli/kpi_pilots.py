"""``omnicanal kpi pilot``: define a pilot-store experiment (from a preset or options), list
them, show one's verdict, stop one, and find the control stores closest to some stores.
The operator acts as head office; every change is in the audit log (ADR 0041)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from sqlalchemy.orm import Session

from omnicanal.analytics import pilots
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.pilot_schemas import (
    DEFAULT_BASELINE_DAYS,
    PRESETS,
    PilotIn,
    StopIn,
    Verdict,
)
from omnicanal.bootstrap import build_platform
from omnicanal.platform import audit, migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.config import Settings
from omnicanal.platform.errors import DomainError

__all__ = ["app", "render_verdict"]

app = typer.Typer(
    help="Pilot-store experiments: define, list, judge, stop; choose control stores.",
    no_args_is_help=True,
)
console = Console()
T = TypeVar("T")

DECISION_STYLE = {"success": "green", "stop": "red", "inconclusive": "yellow", "pending": "cyan"}
STATUS_STYLE = {"running": "cyan", "finished": "green", "stopped": "red", "planned": "yellow"}


def _run(work: Callable[[Session, Settings], T], *, operation: str = "") -> T:
    """``work`` in a transaction audited as ``operation`` (or a read without one), given the
    settings; a refusal printed with its code."""
    platform = build_platform()
    try:
        migrate.prepare(platform.db)
        if not operation:
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


def _validated(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "input"
        console.print(f"[red]error[/red] [bold]validation_error[/bold]: {where}: {first['msg']}")
        raise typer.Exit(code=2) from error


def _today(settings: Settings, given: str | None) -> date:
    if given is None:
        return datetime.now(settings.business_zone).date()
    try:
        return date.fromisoformat(given)
    except ValueError:
        console.print(f"[red]error[/red] [bold]bad_date[/bold]: '{given}' is not YYYY-MM-DD")
        raise typer.Exit(code=2) from None


def _codes(value: str | None) -> list[str] | None:
    return None if value is None else [code.strip() for code in value.split(",") if code.strip()]


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    return f"{value:,.2f}"


def _change(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value * 100:+.2f} pt"
    return f"{value:+,.2f}"


Today = Annotated[
    str | None, typer.Option("--today", help="Judge as on this day, YYYY-MM-DD (default: today)")
]


@app.command("create")
def create(
    code: Annotated[str, typer.Argument(help="A code for the pilot: letters, digits, - and _")],
    name: Annotated[str, typer.Option(help="What the pilot tries")],
    stores: Annotated[str, typer.Option(help="Pilot store codes: A,B")],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD")],
    preset: Annotated[
        str | None, typer.Option(help=f"One of the seeds' tests: {', '.join(PRESETS)}")
    ] = None,
    metric: Annotated[str | None, typer.Option(help="The metric it must move")] = None,
    end: Annotated[str | None, typer.Option(help="Last day (default: the preset's length)")] = None,
    controls: Annotated[
        str | None, typer.Option(help="Control store codes (default: chosen by similarity)")
    ] = None,
    control_count: Annotated[int, typer.Option(help="Controls to choose")] = 3,
    baseline_start: Annotated[str | None, typer.Option(help="First baseline day")] = None,
    baseline_end: Annotated[str | None, typer.Option(help="Last baseline day")] = None,
    success: Annotated[
        float | None, typer.Option(help="Success threshold of the effect, in the metric's unit")
    ] = None,
    stop: Annotated[
        float | None, typer.Option(help="Stop threshold of the effect, in the metric's unit")
    ] = None,
    minimum_days: Annotated[int | None, typer.Option(help="Days before a verdict")] = None,
) -> None:
    """Define a pilot before its launch: stores, metric, days, success and stop thresholds."""
    body: PilotIn = _validated(
        PilotIn,
        {
            "code": code,
            "name": name,
            "preset": preset,
            "metric": metric,
            "stores": _codes(stores),
            "controls": _codes(controls),
            "control_count": control_count,
            "start": start,
            "end": end,
            "baseline_start": baseline_start,
            "baseline_end": baseline_end,
            "success_threshold": success,
            "stop_threshold": stop,
            "minimum_days": minimum_days,
        },
    )
    made = _run(
        lambda session, _: pilots.create_pilot(session, body, actor=OPERATOR), operation="pilot"
    )
    table = Table(show_header=False)
    table.add_row("pilot id", made.id)
    table.add_row("metric", f"{made.metric} (better {made.better})")
    table.add_row("stores", ", ".join(made.stores))
    chosen = " (chosen by similarity)" if made.controls_chosen else ""
    table.add_row("controls", ", ".join(made.controls) + chosen)
    table.add_row("baseline", f"{made.baseline_start} to {made.baseline_end}")
    table.add_row("pilot", f"{made.start} to {made.end}")
    table.add_row("success at", str(made.success_threshold))
    table.add_row("stop at", str(made.stop_threshold))
    table.add_row("minimum days", str(made.minimum_days))
    console.print(table)


@app.command("list")
def list_pilots(today: Today = None) -> None:
    """Every pilot, the latest to start first, with its status."""
    found, day = _run(
        lambda session, settings: (pilots.list_pilots(session), _today(settings, today))
    )
    table = Table(title="Pilots")
    for column in ("code", "id", "metric", "stores", "controls", "days", "status"):
        table.add_column(column)
    for pilot in found:
        status = pilots.pilot_status(pilot, day)
        style = STATUS_STYLE[status]
        table.add_row(
            pilot.code,
            pilot.id,
            pilot.metric,
            ", ".join(pilot.stores),
            ", ".join(pilot.controls),
            f"{pilot.start} to {pilot.end}",
            f"[{style}]{status}[/{style}]",
        )
    console.print(table)


def render_verdict(judged: Verdict) -> Group:
    """A verdict as rich renderables: where it stands, the means, the effect, the decision."""
    unit = judged.unit
    summary = Table.grid(padding=(0, 2))
    summary.add_row("metric", f"{judged.metric} (better {judged.better})")
    style = STATUS_STYLE[judged.status]
    summary.add_row("status", f"[{style}]{judged.status}[/{style}] on {judged.today}")
    summary.add_row(
        "days observed",
        f"{judged.days_observed} of {judged.days_planned} (verdict after {judged.minimum_days})",
    )
    means = Table(title="Daily means", title_justify="left")
    for column in ("stores", "before", "during", "change"):
        means.add_column(column, justify="right")
    for label, group in (("pilot", judged.pilot), ("control", judged.control)):
        moved = None
        if group.before is not None and group.during is not None:
            moved = group.during - group.before
        means.add_row(
            label, _number(group.before, unit), _number(group.during, unit), _change(moved, unit)
        )
    effect = Table.grid(padding=(0, 2))
    interval = "-"
    if judged.effect_low is not None and judged.effect_high is not None:
        interval = f"{_change(judged.effect_low, unit)} to {_change(judged.effect_high, unit)}"
    effect.add_row("effect (DiD)", _change(judged.effect, unit))
    effect.add_row(f"{judged.confidence:.0%} interval", interval)
    pre = _change(judged.pre_trend, unit)
    if judged.parallel_trends is False:
        pre += " [yellow](groups already drifting apart)[/yellow]"
    effect.add_row("pre-trend", pre)
    effect.add_row(
        "thresholds",
        f"success {_change(judged.success_threshold, unit)}, "
        f"stop {_change(judged.stop_threshold, unit)}",
    )
    colour = DECISION_STYLE[judged.outcome]
    effect.add_row("decision", f"[bold {colour}]{judged.outcome}[/bold {colour}]")
    title = f"Pilot {judged.code} ({judged.pilot_id})"
    return Group(Panel(summary, title=title, title_align="left"), means, effect, judged.explanation)


@app.command("show")
def show(
    pilot_id: Annotated[str, typer.Argument(help="The pilot's id or code")],
    today: Today = None,
) -> None:
    """A pilot's verdict: the means before and during, the effect and its interval, the
    pre-trend check and the decision."""
    judged = _run(
        lambda session, settings: pilots.verdict(session, pilot_id, today=_today(settings, today))
    )
    console.print(render_verdict(judged))


@app.command("stop")
def stop(
    pilot_id: Annotated[str, typer.Argument(help="The pilot's id or code")],
    reason: Annotated[str, typer.Option(help="Why it stops before its end")],
) -> None:
    """Stop a pilot before its end, with the reason."""
    body: StopIn = _validated(StopIn, {"reason": reason})
    stopped = _run(
        lambda session, _: pilots.stop_pilot(session, pilot_id, reason=body.reason, actor=OPERATOR),
        operation=f"pilot:{pilot_id}:stop",
    )
    console.print(f"pilot [bold]{stopped.code}[/bold] stopped: {stopped.stop_reason}")


@app.command("controls")
def controls(
    stores: Annotated[str, typer.Option(help="Pilot store codes: A,B")],
    metric: Annotated[str, typer.Option(help="The metric the pilot must move")],
    count: Annotated[int, typer.Option(help="How many", min=1, max=50)] = 3,
    since: Annotated[str | None, typer.Option("--from", help="First baseline day")] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Last baseline day (default: yesterday)")
    ] = None,
) -> None:
    """The stores closest to some stores over the baseline, nearest first."""

    def choose(session: Session, settings: Settings) -> list[pilots.ControlChoice]:
        last = _today(settings, until) if until else _today(settings, None) - timedelta(days=1)
        first = (
            _today(settings, since) if since else last - timedelta(days=DEFAULT_BASELINE_DAYS - 1)
        )
        if first > last:
            console.print("[red]error[/red] [bold]bad_date[/bold]: --from is after --to")
            raise typer.Exit(code=2)
        before = Scope(start=first, end=last)
        return pilots.choose_controls(
            session, _codes(stores) or [], count=count, metric=metric, before=before
        )

    chosen = _run(choose)
    table = Table(title=f"Controls for {stores} on {metric}")
    for column in ("store", "name", "distance", "level", "trend/day", "sales/day"):
        table.add_column(column)
    for choice in chosen:
        table.add_row(
            choice.store,
            choice.name,
            f"{choice.distance:.2f}",
            f"{choice.level:.4g}",
            f"{choice.trend:+.3g}",
            f"{choice.sales:,.0f}",
        )
    console.print(table)


@app.command("presets")
def presets() -> None:
    """The seeds' three tests, with their metric, length and default thresholds."""
    table = Table(title="Pilot presets")
    for column in ("code", "metric", "days", "success", "stop", "minimum days"):
        table.add_column(column)
    for preset in PRESETS.values():
        table.add_row(
            preset.code,
            preset.metric,
            str(preset.days),
            str(preset.success_threshold),
            str(preset.stop_threshold),
            str(preset.minimum_days),
        )
    console.print(table)
