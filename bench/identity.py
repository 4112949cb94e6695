"""Identity on a messy French customer base: omnicanal's batch and real-time paths, and splink
on the same records, in the same run.

The records come from ``tests/customers/generator.py`` (``--people``, default 3,000, and
``--seed``; the 300 days ending yesterday): one Segment ``identify`` per record a till, the
web shop, the app, the e-mail platform and the service desk keep of a person, with
households sharing a landline, an address and sometimes an e-mail, namesakes, typos, every
French way of writing a number, a shared store tablet and a few traps (placeholder mobile,
a shop's generic e-mail, invalid identifiers). The generator keeps the truth: who each
record is, and their household; ``tests/customers/scoring.py`` scores a clustering with it.

Three runs, each on a fresh database where there is one:

* ``batch``: every message through ``/v1/batch`` (the real app in process, no bus relay, so
  no real-time matching), in time order, one write key per source kind, 500 messages a
  window; then ``omnicanal customers match`` in a subprocess (EM fit, merges, reviews,
  households). Time-to-unification of a record: from its request's answer to the moment it
  shared a profile with an earlier record of its person, read after the ingestion (the
  identity graph's deterministic links) and after the match run.
* ``real time``: a real ``uvicorn omnicanal.api.asgi:app`` subprocess with its outbox relay
  and the real-time matcher, on a fresh database (the matcher's default weights: nothing
  fitted yet), fed in time order at ``--rate`` identifies a second, in windows of 50
  messages. A reader polls the database every 100 ms; a record's time-to-unification runs
  from its request's answer to the first poll that finds it in one profile with an earlier
  record of its person (a record that only a later record of its person links counts from
  its own answer too: those are the slow tail). The sender waits for each answer, so a
  server slower than ``--rate`` slows the burst down (the notes give the rate reached).
  After the burst the bench waits for the outbox to drain (at most ``--drain`` seconds).
* ``splink``: splink (DuckDB) on the same records' fields as the identify carried them
  (names, birth date, e-mail lower-cased, phone in E.164, street, postcode, city), trained
  without labels as its examples do (u by random sampling, prior from exact e-mail or exact
  names and birth date, m by EM blocked on e-mail, then on given name and birth date) and
  clustered at match probability ≥ ``--threshold`` (0.99, the probability at which omnicanal
  merges). Of the variants tried (EM also blocked on phone, on family name and postcode;
  Damerau-Levenshtein, e-mail and date-of-birth comparisons; 0.9 and 0.999), this one scored
  best. An EM session that fails (the shop's generic e-mail drives a level's m to 0) is
  skipped and named in the notes.

Scores are pairwise over records: a predicted pair is two records in one profile (one
cluster for splink). Precision, recall and F1 against the pairs of records of one person;
"household pairs merged" counts pairs of two different people of one household put in one
profile. A refused message is a record of its own.

    .venv/bin/python -m bench.identity
    .venv/bin/python -m bench.identity --people 1000 --seed 3 --backend postgresql --rate 500
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table
from sqlalchemy import bindparam, create_engine, text
from tests.customers.generator import SOURCES, MessySet, generate
from tests.customers.scoring import Scores, household_merges, score

from bench.common import (
    BenchDatabase,
    Latencies,
    build_platform_on,
    console,
    fresh_database,
    ms,
    print_machine,
    resolve_backends,
    seconds,
)

BATCH_WINDOW = 500
LIVE_WINDOW = 50
POLL_EVERY = 0.1
CLUSTERS = text(
    "SELECT e.message_ref, p.root_id FROM profile_events e "
    "JOIN profiles p ON p.id = e.profile_id WHERE e.kind = 'identify'"
)
CLUSTERS_OF = text(
    "SELECT e.message_ref, p.root_id FROM profile_events e "
    "JOIN profiles p ON p.id = e.profile_id "
    "WHERE e.kind = 'identify' AND e.message_ref IN :refs"
).bindparams(bindparam("refs", expanding=True))


@dataclass
class PathOutcome:
    """What one path did with the set."""

    path: str
    backend: str
    clusters: dict[str, str]
    refused: int = 0
    warnings: int = 0
    wall: float = 0.0
    unification: list[float] = field(default_factory=list)
    after_evidence: list[float] = field(default_factory=list)
    """Real time: from the answer to the last record of the person sent before the
    unification (the record itself or a later one that linked it) to the unification."""
    never_unified: int = 0
    note: str = ""


# -- sending --------------------------------------------------------------------------------


def _write_keys(platform: Any) -> dict[str, str]:
    """One tracking source (and write key) per source kind."""
    from omnicanal.tracking import service as tracking
    from omnicanal.tracking.service import SourceKind

    keys = {}
    with platform.db.transaction() as session:
        for kind in SOURCES:
            _, keys[kind] = tracking.create_source(
                session, kind=SourceKind(kind), name=f"bench {kind}"
            )
    return keys


def _windows(messy: MessySet, size: int) -> Iterator[list[tuple[str, list[dict[str, Any]]]]]:
    """Windows of ``size`` records in time order, each as one batch per source."""
    records = messy.records
    for start in range(0, len(records), size):
        by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records[start : start + size]:
            by_source[record.source].append(record.message)
        yield list(by_source.items())


def _post(client: Any, write_key: str, messages: list[dict[str, Any]]) -> tuple[int, int, set[str]]:
    """POST one batch: (refused, warnings, message ids stored)."""
    response = client.post("/v1/batch", json={"batch": messages}, auth=(write_key, ""))
    ids = {m["messageId"] for m in messages}
    if response.status_code == 400:
        return len(messages), 0, set()
    response.raise_for_status()
    body = response.json()
    refused = {r.get("messageId") for r in body.get("rejected", [])}
    return len(refused), len(body.get("warnings", [])), ids - refused


def _roots(engine: Any) -> dict[str, str]:
    with engine.connect() as connection:
        return {ref: root for ref, root in connection.execute(CLUSTERS)}


def _unified(messy: MessySet, roots: dict[str, str]) -> set[str]:
    """Records that share a profile with an earlier record of their person."""
    seen: dict[str, set[str]] = defaultdict(set)
    found = set()
    for record in messy.records:
        root = roots.get(record.record_id)
        if root is None:
            continue
        if root in seen[record.person_id]:
            found.add(record.record_id)
        seen[record.person_id].add(root)
    return found


def _expected(messy: MessySet) -> set[str]:
    """Records whose person has an earlier record (the ones that can be unified)."""
    seen: set[str] = set()
    expected = set()
    for record in messy.records:
        if record.person_id in seen:
            expected.add(record.record_id)
        seen.add(record.person_id)
    return expected


# -- batch ----------------------------------------------------------------------------------


def run_batch(db: BenchDatabase, messy: MessySet) -> PathOutcome:
    """Ingest every message, then run ``omnicanal customers match``."""
    from fastapi.testclient import TestClient

    from omnicanal.api.app import create_app

    platform = build_platform_on(db)
    keys = _write_keys(platform)
    outcome = PathOutcome("batch", db.backend, {})
    answered: dict[str, float] = {}
    started = time.perf_counter()
    with TestClient(create_app(platform, background=False)) as client:
        for window in _windows(messy, BATCH_WINDOW):
            for source, messages in window:
                refused, warnings, stored = _post(client, keys[source], messages)
                now = time.perf_counter()
                outcome.refused += refused
                outcome.warnings += warnings
                answered.update(dict.fromkeys(stored, now))
    ingested = time.perf_counter()
    engine = create_engine(db.url)
    at_ingest = _unified(messy, _roots(engine))
    platform.close()
    env = {**os.environ, "OMNICANAL_DATABASE_URL": db.url, "OMNICANAL_DATA_DIR": str(db.workdir)}
    run = subprocess.run(
        [sys.executable, "-c", "from omnicanal.cli.main import app; app()", "customers", "match"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    matched = time.perf_counter()
    if run.returncode != 0:
        outcome.note = f"match failed: {run.stderr.strip().splitlines()[-1:]}"
    outcome.clusters = _roots(engine)
    engine.dispose()
    after = _unified(messy, outcome.clusters)
    for record_id in after:
        done = ingested if record_id in at_ingest else matched
        outcome.unification.append(max(0.0, done - answered.get(record_id, done)))
    outcome.never_unified = len(_expected(messy) - after)
    outcome.wall = matched - started
    outcome.note = outcome.note or (
        f"ingest {seconds(ingested - started)}, match {seconds(matched - ingested)}; "
        f"{len(at_ingest):,} records unified at ingest"
    )
    return outcome


# -- real time ------------------------------------------------------------------------------


class Poller(threading.Thread):
    """Reads message → profile root every ``POLL_EVERY`` s and notes when each sent record
    first shares a profile with an earlier record of its person."""

    def __init__(self, messy: MessySet, url: str) -> None:
        super().__init__(daemon=True)
        self.messy = messy
        self.engine = create_engine(url)
        self.answered: dict[str, float] = {}
        self.first_unified: dict[str, float] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.earlier: dict[str, list[str]] = {}  # record → the earlier records of its person
        seen: dict[str, list[str]] = defaultdict(list)
        for record in messy.records:
            if seen[record.person_id]:
                self.earlier[record.record_id] = list(seen[record.person_id])
            seen[record.person_id].append(record.record_id)

    def sent(self, ids: set[str], when: float) -> None:
        with self.lock:
            self.answered.update(dict.fromkeys(ids, when))

    def poll(self) -> None:
        """Read the roots of the records still waiting (and of their person's earlier
        records) only, so that polling costs the server little CPU."""
        with self.lock:
            waiting = [
                r for r in self.answered if r in self.earlier and r not in self.first_unified
            ]
        if not waiting:
            return
        wanted = sorted({*waiting, *(e for r in waiting for e in self.earlier[r])})
        now = time.perf_counter()
        roots: dict[str, str] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                roots.update(
                    (ref, root) for ref, root in connection.execute(CLUSTERS_OF, {"refs": chunk})
                )
        for record_id in waiting:
            root = roots.get(record_id)
            if root is not None and any(roots.get(e) == root for e in self.earlier[record_id]):
                self.first_unified[record_id] = now

    def run(self) -> None:
        while not self.stop.wait(POLL_EVERY):
            self.poll()


def _after_evidence(messy: MessySet, poller: Poller, unified: set[str]) -> list[float]:
    """For each record unified live: the time from the answer to the last record of its
    person sent before the unification was seen, to that unification. A record that only a
    later record links waits for that record here, not for the matcher: this is the
    server's part of the time-to-unification (an upper bound: the poll adds up to
    ``POLL_EVERY``)."""
    sent: dict[str, list[float]] = defaultdict(list)
    for record in messy.records:
        if record.record_id in poller.answered:
            sent[record.person_id].append(poller.answered[record.record_id])
    person = {record.record_id: record.person_id for record in messy.records}
    lags = []
    for record_id in unified:
        done = poller.first_unified.get(record_id)
        if done is None or record_id not in poller.answered:
            continue
        evidence = max(t for t in sent[person[record_id]] if t <= done)
        lags.append(max(0.0, done - evidence))
    return lags


def _backlog(url: str) -> int:
    return int(httpx.get(f"{url}/healthz", timeout=30).json()["outbox_backlog"])


def run_realtime(db: BenchDatabase, messy: MessySet, rate: float, drain: float) -> PathOutcome:
    """Send in time order at ``rate`` identifies/s to a live server with its matcher."""
    from bench.ingest import Server

    platform = build_platform_on(db)
    keys = _write_keys(platform)
    platform.close()
    server = Server(db, "omnicanal.api.asgi:app", factory=False)
    outcome = PathOutcome("real time", db.backend, {})
    poller = Poller(messy, db.url)
    try:
        server.wait_ready()
        poller.start()
        started = time.perf_counter()
        sent = 0
        with httpx.Client(base_url=server.url, timeout=300) as client:
            for window in _windows(messy, LIVE_WINDOW):
                for source, messages in window:
                    refused, warnings, stored = _post(client, keys[source], messages)
                    poller.sent(stored, time.perf_counter())
                    outcome.refused += refused
                    outcome.warnings += warnings
                    sent += len(messages)
                pause = started + sent / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
        burst = time.perf_counter() - started
        backlog = _backlog(server.url)
        deadline = time.perf_counter() + drain
        while (left := _backlog(server.url)) and time.perf_counter() < deadline:
            time.sleep(0.5)
        drained = time.perf_counter() - started
        time.sleep(2 * POLL_EVERY)
    finally:
        poller.stop.set()
        poller.join(timeout=30)
        server.stop()
    poller.poll()
    outcome.clusters = _roots(poller.engine)
    poller.engine.dispose()
    final = _unified(messy, outcome.clusters)
    outcome.unification = [
        max(0.0, poller.first_unified[r] - poller.answered[r])
        for r in final
        if r in poller.first_unified and r in poller.answered
    ]
    outcome.after_evidence = _after_evidence(messy, poller, final)
    outcome.never_unified = len(_expected(messy) - final)
    outcome.wall = drained
    outcome.note = (
        f"sent at {len(messy.records) / burst:,.0f}/s; outbox backlog {backlog:,} after the "
        f"burst, drained in {seconds(drained)}" + (f", {left:,} left" if left else "")
    )
    return outcome


# -- splink ---------------------------------------------------------------------------------


def splink_frame(messy: MessySet) -> Any:
    """The records' fields as splink's input, normalised as omnicanal normalises them."""
    import pandas as pd
    import phonenumbers

    from omnicanal.customers.matching.normalise import fold

    def phone(raw: Any) -> str | None:
        try:
            number = phonenumbers.parse(str(raw), "FR")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    rows = []
    for record in messy.records:
        traits = record.message["traits"]
        address = traits.get("address") or {}
        rows.append(
            {
                "unique_id": record.record_id,
                "given_name": fold(traits.get("first_name", "")) or None,
                "family_name": fold(traits.get("last_name", "")) or None,
                "birth_date": traits.get("birthday"),
                "email": (traits.get("email") or "").strip().lower() or None,
                "phone": phone(traits["phone"]) if traits.get("phone") else None,
                "street": fold(address.get("street", "")) or None,
                "postcode": address.get("postal_code"),
                "city": fold(address.get("city", "")) or None,
            }
        )
    return pd.DataFrame(rows)


def run_splink(messy: MessySet, threshold: float) -> PathOutcome:
    """Train splink without labels, predict, and cluster at ``threshold``."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    frame = splink_frame(messy)
    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("family_name", "postcode"),
            block_on("given_name", "family_name"),
            block_on("birth_date"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("birth_date", [1, 2]),
            cl.ExactMatch("email"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("street", [0.9]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("city"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(DuckDBAPI().register(frame), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("given_name", "family_name", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1_000_000, seed=0)
    skipped = []
    for rule in (block_on("email"), block_on("given_name", "birth_date")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except ValueError:  # EM drove a level's m to 0 in this session: keep the others'
            skipped.append(rule.get_blocking_rule("duckdb").blocking_rule_sql)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    ).as_pandas_dataframe()
    wall = time.perf_counter() - started
    clusters = dict(zip(clustered["unique_id"], clustered["cluster_id"].astype(str), strict=True))
    note = f"clustered at p ≥ {threshold}" + (
        f"; EM session failed, skipped: {', '.join(skipped)}" if skipped else ""
    )
    return PathOutcome("splink", "duckdb", clusters, wall=wall, note=note)


# -- report ---------------------------------------------------------------------------------


def print_results(messy: MessySet, outcomes: list[PathOutcome]) -> None:
    table = Table(
        title=f"Identity on {len(messy.people):,} people, {len(messy.records):,} records "
        f"(seed {messy.seed}): {len(messy.true_pairs):,} true pairs, "
        f"{len(messy.household_pairs):,} household pairs",
        title_justify="left",
    )
    for column in ("path", "backend", "refused", "warnings", "predicted pairs", "precision",
                   "recall", "F1", "household pairs merged: people", "told apart", "records",
                   "unification p50", "p99", "within 1 s", "never unified", "wall time",
                   "notes"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("path", "notes") else "right")
    for outcome in outcomes:
        scores: Scores = score(messy, outcome.clusters)
        timing = Latencies.of(outcome.unification)
        merged = scores.household_pairs_merged
        apart = scores.household_people_merged_told_apart
        table.add_row(
            outcome.path,
            outcome.backend,
            f"{outcome.refused:,}" if outcome.path != "splink" else "-",
            f"{outcome.warnings:,}" if outcome.path != "splink" else "-",
            f"{scores.predicted_pairs:,}",
            f"{scores.precision:.4f}",
            f"{scores.recall:.4f}",
            f"[{'green' if scores.f1 >= 0.95 else 'red'}]{scores.f1:.4f}[/]",
            f"{scores.household_people_merged:,}",
            f"[{'green' if apart == 0 else 'red'}]{apart:,}[/]",
            f"{merged:,}",
            f"{ms(timing.p50_ms)} ms" if outcome.path != "splink" else "-",
            f"{ms(timing.p99_ms)} ms" if outcome.path != "splink" else "-",
            f"{sum(t <= 1 for t in outcome.unification) / len(outcome.unification):.1%}"
            if outcome.unification
            else "-",
            f"{outcome.never_unified:,}" if outcome.path != "splink" else "-",
            seconds(outcome.wall),
            outcome.note,
        )
    console.print(table)
    live = [o for o in outcomes if o.after_evidence]
    if live:
        lag = Table(
            title="Real time: the server's part, from the last record of the person sent "
            "before the unification",
            title_justify="left",
        )
        for column in ("path", "backend", "records", "p50", "p99", "max", "within 1 s"):
            lag.add_column(column, justify="left" if column == "path" else "right")
        for outcome in live:
            timing = Latencies.of(outcome.after_evidence)
            lag.add_row(
                outcome.path,
                outcome.backend,
                f"{len(outcome.after_evidence):,}",
                f"{ms(timing.p50_ms)} ms",
                f"{ms(timing.p99_ms)} ms",
                f"{ms(timing.max_ms)} ms",
                f"{sum(t <= 1 for t in outcome.after_evidence) / len(outcome.after_evidence):.1%}",
            )
        console.print(lag)
    links = ("e-mail", "phone", "card", "device", "nothing")
    merges = Table(
        title="Household pairs merged (pairs of records), by what the two records share",
        title_justify="left",
    )
    merges.add_column("path")
    for link in links:
        merges.add_column(link, justify="right")
    for outcome in outcomes:
        counts = household_merges(messy, outcome.clusters)
        merges.add_row(outcome.path, *(f"{counts.get(link, 0):,}" for link in links))
    console.print(merges)
    console.print(
        "[dim]Pairwise over records. Targets: F1 ≥ 0.95 and 0 household pairs merged "
        "(told apart: pairs of people with two merged records whose names or birth dates "
        "differ; namesakes with nothing else to tell them apart are left out). "
        "Unification: from a record's answer to its first profile shared with an earlier "
        "record of its person; never unified = such records that ended apart. Household "
        'pairs by link: "nothing" = joined by a score or through other records.[/dim]'
    )


def main(argv: list[str] | None = None) -> None:
    """Generate the set, run the batch and real-time paths and splink, print the scores."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--paths", nargs="+", choices=("batch", "realtime", "splink"),
                        default=["batch", "realtime", "splink"])  # fmt: skip
    parser.add_argument("--rate", type=float, default=1000, help="identifies/s, real time")
    parser.add_argument("--drain", type=float, default=600, help="seconds to wait for the "
                        "real-time matcher after the burst")  # fmt: skip
    parser.add_argument("--threshold", type=float, default=0.99,
                        help="splink clusters at this probability (omnicanal merges "
                        "at 0.99)")  # fmt: skip
    parser.add_argument("--save", type=Path, help="write each path's clusters (record id → "
                        "profile) to this JSON file, to look into")  # fmt: skip
    args = parser.parse_args(argv)
    backends = resolve_backends(args.backend)
    # The set ends yesterday: a live server keeps 13 months of tracking messages.
    until = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    messy = generate(args.people, args.seed, until=until - timedelta(days=1))
    import splink

    print_machine(
        "bench.identity",
        backends,
        {
            "set": f"{len(messy.people):,} people, {len(messy.records):,} identifies "
            f"(tests/customers/generator.py, seed {args.seed})",
            "splink": f"{splink.__version__} (DuckDB backend)",
        },
    )
    outcomes: list[PathOutcome] = []
    for backend in backends:
        if "batch" in args.paths:
            console.print(f"[bold]{backend}[/bold]: batch path…")
            with fresh_database(backend, "identity") as db:
                outcomes.append(run_batch(db, messy))
        if "realtime" in args.paths:
            console.print(f"[bold]{backend}[/bold]: real-time path at {args.rate:,.0f}/s…")
            with fresh_database(backend, "identity") as db:
                outcomes.append(run_realtime(db, messy, args.rate, args.drain))
    if "splink" in args.paths:
        console.print("splink…")
        try:
            outcomes.append(run_splink(messy, args.threshold))
        except Exception as error:  # a peer's failure must not lose omnicanal's figures
            console.print(f"[red]splink failed:[/red] {type(error).__name__}: {error}")
    print_results(messy, outcomes)
    if args.save is not None:
        saved = {f"{o.path} ({o.backend})": o.clusters for o in outcomes}
        args.save.write_text(json.dumps(saved, indent=1))


if __name__ == "__main__":
    main()
