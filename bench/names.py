"""Name search at the counter: the search names table against a full scan of the name traits.

A fresh database gets ``--people`` of the demo's customers (``omnicanal.demo.customers``),
recorded through ``customers.service.record_sightings`` as the tracking API records them: a
login with first and last name, and for one in three a till record under a loyalty card with
the name in one field, upper case, without accents. Then ``--searches`` queries of five kinds,
drawn from those people, each timed two ways in the same session:

* ``find_profiles_by_name``: the prefilter on ``profile_search_names`` (a word starting with
  a typed word's first three letters, or holding its next three), rapidfuzz on the
  candidates, every name ranked when a typed word finds no counterpart (the fallback);
* the baseline, what the search did before: read every name trait, keep each profile's latest,
  fold and rank them all with the same ``rank_names``.

The kinds: a full name as typed; a surname alone; a full name with a typo inside the surname;
a surname with its first letter wrong; a surname with its first two letters wrong (no
prefilter key holds it: the fallback). The script prints p50 and p99 per kind, the ratio
new ÷ baseline (below 1x is faster), and how often both gave the same profiles.

    .venv/bin/python -m bench.names
    .venv/bin/python -m bench.names --backend both --people 50000
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.common import (
    Latencies,
    build_platform_on,
    console,
    fresh_database,
    load_progress,
    ms,
    print_load_after,
    print_machine,
    ratio,
    resolve_backends,
    seconds,
)
from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import Identifier, IdentifierKind
from omnicanal.customers.models import ProfileTrait
from omnicanal.customers.service.search import NAME_TRAITS, rank_names, search_name
from omnicanal.demo.customers import AREAS, plan_people, strip_accents
from omnicanal.platform.actors import OPERATOR

KINDS = ("full name", "surname", "typo inside", "typo first letter", "typos first two")
BATCH = 1000


def _sighting(
    identifier: Identifier, traits: dict[str, str], at: datetime, ref: str
) -> customers.Sighting:
    return customers.Sighting(
        identifiers=(identifier,),
        kind="identify",
        name="",
        occurred_at=at,
        received_at=at,
        source="bench",
        channel="web",
        message_ref=ref,
        traits=traits,
    )


def load_people(platform: Any, count: int, seed: int) -> list[tuple[str, str]]:
    """Record ``count`` demo people (and a till record for a third); returns their names."""
    rng = Random(seed)
    people = plan_people(rng, count, tuple(AREAS))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sightings = []
    for person in people:
        at = start + timedelta(seconds=person.index)
        sightings.append(
            _sighting(
                Identifier(IdentifierKind.user_id, f"bench-{person.index}", anchor=True),
                {"first_name": person.given, "last_name": person.family},
                at,
                f"login-{person.index}",
            )
        )
        if person.index % 3 == 0:
            till_name = strip_accents(f"{person.given} {person.family}").upper()
            sightings.append(
                _sighting(
                    Identifier(IdentifierKind.loyalty_card, f"FID{person.index:07d}", anchor=True),
                    {"name": till_name},
                    at,
                    f"till-{person.index}",
                )
            )
    with load_progress() as progress:
        task = progress.add_task("recording people", total=len(sightings))
        for begin in range(0, len(sightings), BATCH):
            batch = sightings[begin : begin + BATCH]
            with platform.db.transaction() as session:
                customers.record_sightings(session, sightings=batch, actor=OPERATOR, announce=False)
            progress.advance(task, len(batch))
    return [(person.given, person.family) for person in people]


def _typo(word: str, rng: Random) -> str:
    position = rng.randrange(1, len(word)) if len(word) > 2 else len(word) - 1
    return word[:position] + rng.choice("aeioulnrst") + word[position + 1 :]


def queries(names: list[tuple[str, str]], count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` (kind, query) pairs, the kinds in turn."""
    rng = Random(seed)
    drawn = []
    for index in range(count):
        given, family = rng.choice(names)
        kind = KINDS[index % len(KINDS)]
        if kind == "full name":
            query = f"{given} {family}"
        elif kind == "surname":
            query = family
        elif kind == "typo inside":
            query = f"{given} {_typo(family, rng)}"
        elif kind == "typo first letter":
            query = rng.choice("bcdfgkpvz") + family[1:]
        else:
            query = rng.choice("bcdfgkpvz") + rng.choice("wxyz") + family[2:]
        drawn.append((kind, query))
    return drawn


def full_scan(session: Session, query: str) -> list[customers.NameMatch]:
    """The baseline: every name trait read, each profile's latest kept, all folded and ranked."""
    latest: dict[str, dict[str, tuple[datetime, Any]]] = {}
    for profile_id, name, value, observed_at in session.execute(
        select(
            ProfileTrait.profile_id, ProfileTrait.name, ProfileTrait.value, ProfileTrait.observed_at
        ).where(ProfileTrait.name.in_(NAME_TRAITS))
    ):
        held = latest.setdefault(profile_id, {})
        if name not in held or held[name][0] <= observed_at:
            held[name] = (observed_at, value)
    names = {}
    for profile_id, held in latest.items():
        full = search_name({name: value for name, (_, value) in held.items()})
        if full:
            names[profile_id] = full
    return rank_names(query, names)


def search(session: Session, query: str) -> list[customers.NameMatch]:
    return customers.find_profiles_by_name(session, query=query)


def run(backend: str, people: int, searches: int, seed: int) -> None:
    with fresh_database(backend, "names") as db:
        platform = build_platform_on(db)
        started = time.perf_counter()
        names = load_people(platform, people, seed)
        console.print(
            f"{backend}: {people:,} people recorded in {seconds(time.perf_counter() - started)}"
        )
        timings: dict[tuple[str, str], list[float]] = {}
        agree: dict[str, int] = dict.fromkeys(KINDS, 0)
        ways: dict[str, Callable[[Session, str], list[customers.NameMatch]]] = {
            "search names": search,
            "full scan": full_scan,
        }
        with platform.db.reading() as session:
            search(session, "warm up")
            for kind, query in queries(names, searches, seed + 1):
                found = {}
                for way, call in ways.items():
                    begin = time.perf_counter()
                    found[way] = [match.profile_id for match in call(session, query)]
                    timings.setdefault((kind, way), []).append(time.perf_counter() - begin)
                agree[kind] += found["search names"] == found["full scan"]
        platform.close()
    table = Table(title=f"name search, {backend}, {people:,} people", title_justify="left")
    for column in ("queries", "kind", "p50 ms", "p99 ms", "full scan p50", "full scan p99"):
        table.add_column(column, justify="right")
    table.add_column("p50 ratio", justify="right")
    table.add_column("same answer", justify="right")
    for kind in KINDS:
        new = Latencies.of(timings[(kind, "search names")])
        old = Latencies.of(timings[(kind, "full scan")])
        table.add_row(
            str(new.count),
            kind,
            ms(new.p50_ms),
            ms(new.p99_ms),
            ms(old.p50_ms),
            ms(old.p99_ms),
            ratio(new.p50_ms / old.p50_ms, good_when_high=False),
            f"{agree[kind]}/{new.count}",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    backends = resolve_backends(args.backend)
    print_machine("bench.names", backends)
    for backend in backends:
        run(backend, args.people, args.searches, args.seed)
    print_load_after()


if __name__ == "__main__":
    main()
