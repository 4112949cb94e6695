"""``omnicanal tracking …`` (write keys) and ``omnicanal customers …`` (matching, metrics)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from omnicanal.bootstrap import build_platform
from omnicanal.customers.service.matching import MIN_RECORDS_TO_FIT
from omnicanal.platform import migrate
from omnicanal.platform.actors import Actor
from omnicanal.platform.errors import DomainError
from omnicanal.tracking.service import SourceKind, TrustLevel

tracking_app = typer.Typer(help="Tracking sources and their write keys.", no_args_is_help=True)
keys_app = typer.Typer(help="Write keys of the tracking API.", no_args_is_help=True)
tracking_app.add_typer(keys_app, name="keys")
customers_app = typer.Typer(help="Customer profiles and identity.", no_args_is_help=True)
console = Console()
MATCHER = Actor(key_id=None, channel="back_office", name="matcher", scopes=frozenset({"*"}))


def _fail(error: DomainError) -> typer.Exit:
    console.print(f"[red]error[/red] [bold]{error.code}[/bold]: {error.detail}")
    return typer.Exit(code=2)


@keys_app.command("create")
def keys_create(
    source: Annotated[SourceKind, typer.Option(help="What sends with this key")],
    name: Annotated[str, typer.Option(help="e.g. 'Site web', 'Caisses Lyon 01'")] = "",
    location: Annotated[str | None, typer.Option(help="Store code, for a store's tills")] = None,
    trust: Annotated[
        TrustLevel | None,
        typer.Option(help="Whether its messages may merge two known customers (default: by kind)"),
    ] = None,
) -> None:
    """Create a tracking source and print its write key (shown once)."""
    from omnicanal.tracking import service

    platform = build_platform()
    migrate.prepare(platform.db)
    try:
        with platform.db.transaction() as session:
            created, write_key = service.create_source(
                session,
                kind=source,
                name=name or f"{source.value} source",
                location_code=location,
                trust=trust,
            )
    except DomainError as error:
        raise _fail(error) from error
    table = Table(show_header=False)
    table.add_row("source id", created.id)
    table.add_row("kind", created.kind)
    table.add_row("name", created.name)
    table.add_row("store", created.location_code or "-")
    table.add_row("trust", created.trust)
    table.add_row("write key", f"[bold]{write_key}[/bold]")
    console.print(table)
    console.print(
        "Give it to the SDK as its write key (HTTP Basic user name); it is not shown again."
    )


@keys_app.command("list")
def keys_list() -> None:
    """List the tracking sources and their key prefixes."""
    from omnicanal.tracking import service

    platform = build_platform()
    migrate.prepare(platform.db)
    with platform.db.reading() as session:
        sources = service.list_sources(session)
    table = Table("id", "kind", "name", "store", "trust", "key prefix", "revoked")
    for source in sources:
        table.add_row(
            source["id"],
            source["kind"],
            source["name"],
            source["location"] or "-",
            source["trust"],
            source["key_prefix"] + "…",
            str(source["revoked_at"] or "-"),
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(source_id: Annotated[str, typer.Argument(help="The source's id")]) -> None:
    """Refuse a source's write key from now on."""
    from omnicanal.tracking import service

    platform = build_platform()
    migrate.prepare(platform.db)
    try:
        with platform.db.transaction() as session:
            service.revoke_source(session, source_id=source_id)
    except DomainError as error:
        raise _fail(error) from error
    console.print(f"write key of {source_id} revoked")


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


@customers_app.command("match")
def match(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Score and report; change nothing")
    ] = False,
    merge_threshold: Annotated[float, typer.Option(help="Probability to merge at")] = 0.9,
    review_threshold: Annotated[float, typer.Option(help="Probability to review at")] = 0.8,
    min_records_to_fit: Annotated[
        int, typer.Option(help="Fewer records than this: the matcher's default weights")
    ] = MIN_RECORDS_TO_FIT,
) -> None:
    """Probabilistic matching over every recognised profile: merge, review, household."""
    from omnicanal.customers.matching import Matcher, Thresholds
    from omnicanal.customers.service import matching

    platform = build_platform()
    migrate.prepare(platform.db)
    with _progress() as progress:
        loading = progress.add_task("reading profiles", total=None)
        with platform.db.reading() as session:
            records = matching.person_records(session)
        progress.update(loading, total=len(records), completed=len(records))
        if len(records) < 2:
            console.print("fewer than two recognised profiles: nothing to match")
            return
        matcher = Matcher(Thresholds(merge=merge_threshold, review=review_threshold))
        fitted = len(records) >= min_records_to_fit
        if fitted:
            fitting = progress.add_task("estimating weights (EM)", total=1)
            matcher.fit(records)
            progress.update(fitting, completed=1)
        scoring = progress.add_task("scoring candidate pairs", total=None)

        def scored(done: int, total: int) -> None:
            progress.update(scoring, total=total, completed=done)

        found = matcher.match(records, progress=scored)
        decisions: dict[str, int] = {}
        for _, _, score in found:
            decisions[score.decision] = decisions.get(score.decision, 0) + 1
        if dry_run:
            run = None
        else:
            applying = progress.add_task("applying decisions", total=len(found))
            with platform.db.transaction() as session:
                run = matching.apply_matches(
                    session,
                    matches=found,
                    actor=MATCHER,
                    progress=lambda n: progress.advance(applying, n),
                    conflicts=matcher.conflicts,
                )
            indexing = progress.add_task("indexing for real-time matching", total=1)
            with platform.db.transaction() as session:
                # The real-time matcher uses these weights and finds candidates by these keys.
                if fitted:
                    matching.save_model(session, matcher=matcher, records=len(records))
                matching.index_people(session, records=records, matcher=matcher, replace=True)
            progress.update(indexing, completed=1)
    table = Table("", "count", title="probabilistic matching", title_justify="left")
    table.add_row("records", str(len(records)))
    report = matcher.fit_report
    if report is None:
        table.add_row("weights", "the matcher's defaults (too few records to estimate)")
    else:
        table.add_row("candidate pairs", str(report.candidate_pairs))
        table.add_row("EM iterations", f"{report.iterations} (converged: {report.converged})")
    for decision in ("merge", "review", "household"):
        table.add_row(f"pairs → {decision}", str(decisions.get(decision, 0)))
    if run is not None:
        table.add_row("profiles merged", str(run.merged))
        table.add_row("reviews opened", str(run.reviews))
        table.add_row("household links", str(run.households))
        table.add_row("skipped (done already, kept apart)", str(run.skipped))
    console.print(table)


@customers_app.command("metrics")
def metrics() -> None:
    """Identifier match rates, recognised share, time-to-unification."""
    from omnicanal.customers import service

    platform = build_platform()
    migrate.prepare(platform.db)
    with platform.db.reading() as session:
        figures = service.metrics(session)
    table = Table(show_header=False, title="customer data", title_justify="left")
    table.add_row("profiles", f"{figures.profiles} ({figures.recognised_profiles} recognised)")
    table.add_row("events", str(figures.events))
    table.add_row(
        "recognised share (ingestion → now)",
        f"{figures.recognised_event_share_at_ingestion} → {figures.recognised_event_share_now}",
    )
    for rate in figures.match_rates:
        table.add_row(
            f"match rate {rate.pair}",
            f"{rate.first_matched_rate} / {rate.second_matched_rate} ({rate.both} both)",
        )
    times = figures.time_to_unification
    table.add_row("time-to-unification p50 / p99", f"{times.p50_ms} / {times.p99_ms} ms")
    table.add_row("merges / open reviews", f"{figures.merges} / {figures.open_reviews}")
    table.add_row("shared identifiers", str(figures.shared_identifiers))
    table.add_row("households", str(figures.households))
    console.print(table)
