"""Bulk availability of a cart across the network, against the raw SQL query.

For each size, a fresh database is loaded (locations through omnicanal's network service;
products, variants and stock levels with fast bulk inserts: executemany on SQLite, COPY on
PostgreSQL), then ``--carts`` random carts are timed through:

* what ``POST /v1/availability`` does for its answer:
  ``omnicanal.inventory.availability.availability_answer`` in its own
  ``platform.db.reading()`` session, then ``orjson.dumps`` of the answer, for a 10-SKU cart
  at every location, the same cart at the 10 nearest locations to a random point in France
  (``near=Near(lat, lon, limit=10)``), and 100 SKUs at 100 given locations (``locations=``);
* the baseline: the raw query selecting the same stock rows on a plain DBAPI connection,
  ``SELECT variant_id, location_id, on_hand - reserved - safety_stock FROM stock_levels
  WHERE variant_id IN (...)`` (+ ``AND location_id IN (...)`` for the nearest or the given
  locations; variant ids and the nearest locations are worked out beforehand, untimed);
* and, as a second reference, the 10-SKU query joined to ``variants`` by SKU.

Sizes: small = 1,500 SKUs x 15 locations, every SKU stocked everywhere; large = 50,000 SKUs
x 500 locations, each SKU stocked at ~20% of them (~5 M stock levels).

    .venv/bin/python -m bench.availability                      # SQLite, both sizes
    .venv/bin/python -m bench.availability --backend both --size small --carts 500
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from bench.common import (
    BenchDatabase,
    Latencies,
    build_platform_on,
    bulk_insert,
    console,
    fresh_database,
    load_progress,
    ms,
    print_load_after,
    print_machine,
    profile_calls,
    ratio,
    resolve_backends,
    seconds,
)
from omnicanal.platform import heap

CART = 10
NEAREST = 10
BIG_CART = 100  # SKUs ...
CHOSEN = 100  # ... at this many given locations (every location where there are fewer)
SIZES = {
    # name: (SKUs, locations, share of locations stocking each SKU)
    "small": (1_500, 15, 1.0),
    "large": (50_000, 500, 0.2),
}
SIZES_PER_PRODUCT = ("XS", "S", "M", "L", "XL")
FRANCE = ((43.0, 50.5), (-1.5, 7.5))  # latitude and longitude ranges of random points


# -- loading --------------------------------------------------------------------------------


@dataclass
class Dataset:
    size: str
    skus: list[str]
    variant_ids: dict[str, str]  # sku -> id
    locations: list[tuple[str, float, float, str]]  # (id, latitude, longitude, code)
    stock_rows: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _create_locations(
    platform: Any, count: int, rng: random.Random
) -> list[tuple[str, float, float, str]]:
    """Locations through omnicanal's network service (one transaction), fulfilling web,
    app and store."""
    from omnicanal.network import service as network
    from omnicanal.network.schemas import Capabilities, LocationIn
    from omnicanal.platform.actors import OPERATOR
    from omnicanal.platform.address import Address

    (lat_lo, lat_hi), (lon_lo, lon_hi) = FRANCE
    created = []
    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
        for n in range(count):
            kind = "warehouse" if n % 25 == 0 else "store"
            out = network.create_location(
                session,
                data=LocationIn(
                    code=f"L{n:04d}",
                    name=f"{kind.title()} {n}",
                    kind=kind,
                    address=Address(
                        city=f"Ville {n}",
                        latitude=round(rng.uniform(lat_lo, lat_hi), 5),
                        longitude=round(rng.uniform(lon_lo, lon_hi), 5),
                    ),
                    capabilities=Capabilities(sells_in_store=kind == "store", ships=True),
                    channels=["web", "app", "store"],
                ),
                actor=OPERATOR,
            )
            created.append((out.id, out.address.latitude, out.address.longitude, out.code))
    return created


def _stock_rows(
    db: BenchDatabase,
    variant_ids: list[str],
    location_ids: list[str],
    share: float,
    rng: random.Random,
) -> Iterator[tuple[Any, ...]]:
    """Stock levels in primary-key order: each variant at ~share of the locations."""
    stamp = db.timestamp(datetime(2025, 1, 1, tzinfo=UTC))
    n = len(location_ids)
    mean, spread = n * share, math.sqrt(n * share * (1 - share))
    quantities = list(range(0, 41))
    for variant_id in variant_ids:
        k = n if share >= 1 else max(1, min(n, round(rng.gauss(mean, spread))))
        chosen = sorted(rng.sample(location_ids, k)) if k < n else location_ids
        on_hand = rng.choices(quantities, k=k)
        for location_id, quantity in zip(chosen, on_hand, strict=True):
            reserved = quantity // 8 if quantity % 5 == 0 else 0
            safety = 1 if quantity % 7 == 0 else 0
            yield (variant_id, location_id, quantity, reserved, safety, 3, stamp)


def load(db: BenchDatabase, platform: Any, size: str, seed: int) -> Dataset:
    from ulid import ULID

    n_skus, n_locations, share = SIZES[size]
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    locations = _create_locations(platform, n_locations, rng)
    timings["locations (network.create_location)"] = time.perf_counter() - started

    n_products = math.ceil(n_skus / len(SIZES_PER_PRODUCT))
    stamp = db.timestamp(datetime(2025, 1, 1, tzinfo=UTC))
    products = [(str(ULID()), f"P{p:05d}") for p in range(n_products)]
    variants: list[tuple[str, str, str, str]] = []  # (id, sku, product id, size)
    for product_id, code in products:
        for size_name in SIZES_PER_PRODUCT:
            if len(variants) < n_skus:
                variants.append((str(ULID()), f"{code}-{size_name}", product_id, size_name))
    variant_ids = sorted(v[0] for v in variants)
    location_ids = sorted(loc[0] for loc in locations)
    expected = round(n_skus * n_locations * share)

    if db.is_sqlite:
        platform.db.dispose()  # the loader needs the file to itself to leave WAL mode
    connection = db.dbapi_connect()
    notes = []
    try:
        if db.is_sqlite:
            # A throw-away database: no rollback journal, no fsync, a big cache and in-memory
            # sorts while loading; WAL again at the end (omnicanal's engines use WAL).
            connection.execute("PRAGMA journal_mode=OFF")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("PRAGMA cache_size=-262144")  # 256 MiB
            connection.execute("PRAGMA temp_store=MEMORY")
            connection.execute("BEGIN")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                if cursor.fetchone()[0]:
                    # The rows are valid by construction; skip the per-row FK triggers.
                    cursor.execute("SET session_replication_role = replica")
                    notes.append("FK triggers off during COPY (session_replication_role)")
        # The secondary index is rebuilt once at the end rather than maintained row by row.
        connection.execute("DROP INDEX ix_stock_levels_location")
        with load_progress() as progress:
            started = time.perf_counter()
            task = progress.add_task(
                f"{db.backend} {size}: products + variants", total=len(products) + len(variants)
            )
            bulk_insert(
                db,
                connection,
                "products",
                (
                    "id",
                    "code",
                    "name",
                    "category",
                    "brand",
                    "description",
                    "created_at",
                    "updated_at",
                ),
                (
                    (pid, code, f"Produit {code}", "Bench", "", "", stamp, stamp)
                    for pid, code in products
                ),
                progress=progress,
                task=task,
            )
            bulk_insert(
                db,
                connection,
                "variants",
                ("id", "sku", "product_id", "size", "colour", "active", "created_at", "updated_at"),
                (
                    (vid, sku, pid, size_name, "noir", True, stamp, stamp)
                    for vid, sku, pid, size_name in variants
                ),
                progress=progress,
                task=task,
            )
            timings["products + variants (bulk)"] = time.perf_counter() - started

            started = time.perf_counter()
            task = progress.add_task(f"{db.backend} {size}: stock_levels", total=expected)
            rows = bulk_insert(
                db,
                connection,
                "stock_levels",
                (
                    "variant_id",
                    "location_id",
                    "on_hand",
                    "reserved",
                    "safety_stock",
                    "low_stock_threshold",
                    "updated_at",
                ),
                _stock_rows(db, variant_ids, location_ids, share, rng),
                progress=progress,
                task=task,
            )
            progress.update(task, total=rows, completed=rows)
            timings[f"stock_levels (bulk, {rows:,} rows)"] = time.perf_counter() - started

        started = time.perf_counter()
        with console.status(f"{db.backend} {size}: index, commit, ANALYZE"):
            connection.execute(
                "CREATE INDEX ix_stock_levels_location ON stock_levels (location_id, variant_id)"
            )
            connection.commit() if not db.is_sqlite else connection.execute("COMMIT")
            if db.is_sqlite:
                connection.execute("PRAGMA analysis_limit=1000")  # sampled, as PRAGMA optimize
                connection.execute("ANALYZE")
                connection.execute("PRAGMA journal_mode=WAL")
            else:
                connection.autocommit = True
                connection.execute("ANALYZE")
        timings["index + commit + ANALYZE"] = time.perf_counter() - started
    finally:
        connection.close()
    return Dataset(
        size=size,
        skus=[v[1] for v in variants],
        variant_ids={v[1]: v[0] for v in variants},
        locations=locations,
        stock_rows=rows,
        timings=timings,
        notes=notes,
    )


# -- timing ---------------------------------------------------------------------------------


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Cart:
    skus: list[str]
    variant_ids: list[str]
    point: tuple[float, float]
    nearest: list[str]  # location ids, computed untimed for the raw near query
    big_skus: list[str]  # BIG_CART SKUs ...
    big_variant_ids: list[str]
    chosen: list[str]  # ... at these location codes
    chosen_ids: list[str]


@dataclass
class Measured:
    name: str
    samples: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # bytes of the encoded answer
    cpu: list[float] = field(default_factory=list)  # this thread's CPU seconds per call


def make_carts(dataset: Dataset, count: int, seed: int) -> list[Cart]:
    rng = random.Random(seed)
    (lat_lo, lat_hi), (lon_lo, lon_hi) = FRANCE
    carts = []
    for _ in range(count):
        skus = rng.sample(dataset.skus, CART)
        point = (rng.uniform(lat_lo, lat_hi), rng.uniform(lon_lo, lon_hi))
        nearest = sorted(dataset.locations, key=lambda loc: _distance_km(*point, loc[1], loc[2]))
        big_skus = rng.sample(dataset.skus, BIG_CART)
        chosen = rng.sample(dataset.locations, min(CHOSEN, len(dataset.locations)))
        carts.append(
            Cart(
                skus,
                [dataset.variant_ids[s] for s in skus],
                point,
                [loc[0] for loc in nearest[:NEAREST]],
                big_skus,
                [dataset.variant_ids[s] for s in big_skus],
                [loc[3] for loc in chosen],
                [loc[0] for loc in chosen],
            )
        )
    return carts


# Each omnicanal way, and the index of the raw baseline it is compared with.
BASELINE_OF = {0: 1, 1: 1, 2: 1, 3: 4, 4: 4, 5: 6, 6: 6}
OMNICANAL_WAYS = (0, 3, 5)


def _query(cart: Cart, way: str) -> Any:
    from omnicanal.inventory.schemas import AvailabilityQuery, Near

    if way == "every":
        return AvailabilityQuery(skus=cart.skus)
    if way == "near":
        near = Near(latitude=cart.point[0], longitude=cart.point[1], limit=NEAREST)
        return AvailabilityQuery(skus=cart.skus, near=near)
    return AvailabilityQuery(skus=cart.big_skus, locations=cart.chosen)


def run_carts(
    db: BenchDatabase, platform: Any, dataset: Dataset, carts: list[Cart], warmup: int
) -> tuple[list[Measured], int, list[str]]:
    """Time every way on every cart (rotating their order); returns the figures, the number
    of carts whose omnicanal answers agree with the raw rows, and disagreements seen."""
    import orjson

    from omnicanal.inventory.availability import availability_answer

    p = "?" if db.is_sqlite else "%s"
    connection = db.dbapi_connect()
    if not db.is_sqlite:
        connection.autocommit = True  # each SELECT on its own, as sqlite3 in autocommit mode

    def raw(sql: str, params: list[str]) -> list[tuple[Any, ...]]:
        cursor = connection.execute(sql, params)
        rows = cursor.fetchall()
        cursor.close()
        return rows

    def by_ids(variant_ids: list[str], location_ids: list[str] | None = None) -> str:
        sql = (
            "SELECT variant_id, location_id, on_hand - reserved - safety_stock "
            f"FROM stock_levels WHERE variant_id IN ({', '.join(p for _ in variant_ids)})"
        )
        if location_ids is not None:
            sql += f" AND location_id IN ({', '.join(p for _ in location_ids)})"
        return sql

    def by_sku(cart: Cart) -> str:
        return (
            "SELECT v.sku, s.location_id, s.on_hand - s.reserved - s.safety_stock "
            "FROM stock_levels s JOIN variants v ON v.id = s.variant_id "
            f"WHERE v.sku IN ({', '.join(p for _ in cart.skus)})"
        )

    def omni(cart: Cart, way: str) -> tuple[Any, bytes]:
        # What the API route does: the answer read in a reading session, encoded once.
        with platform.db.reading() as session:
            answer = availability_answer(session, query=_query(cart, way))
        return answer, orjson.dumps(answer)

    chosen = min(CHOSEN, len(dataset.locations))
    ways: list[tuple[str, Callable[[Cart], Any]]] = [
        (f"omnicanal, {CART} SKUs, every location", lambda c: omni(c, "every")),
        ("raw SQL by variant_id (baseline)", lambda c: raw(by_ids(c.variant_ids), c.variant_ids)),
        ("raw SQL joined on SKU", lambda c: raw(by_sku(c), c.skus)),
        (f"omnicanal, {CART} SKUs, near limit={NEAREST}", lambda c: omni(c, "near")),
        (
            f"raw SQL by variant_id, {NEAREST} nearest (baseline)",
            lambda c: raw(by_ids(c.variant_ids, c.nearest), c.variant_ids + c.nearest),
        ),
        (f"omnicanal, {BIG_CART} SKUs x {chosen} given locations", lambda c: omni(c, "chosen")),
        (
            f"raw SQL by variant_id and {chosen} location_ids (baseline)",
            lambda c: raw(
                by_ids(c.big_variant_ids, c.chosen_ids), c.big_variant_ids + c.chosen_ids
            ),
        ),
    ]
    measured = [Measured(name) for name, _ in ways]
    for cart in carts[:warmup]:
        for _, call in ways:
            call(cart)
    # What the load and the set-up left is frozen, as a started server freezes its start-up
    # (omnicanal/platform/heap.py): else a full collection visits it, 130-200 ms each.
    heap.settle()
    agree, disagreements = 0, []
    for n, cart in enumerate(carts[warmup:]):
        answers = {}
        order = list(range(len(ways)))
        order = order[n % len(order) :] + order[: n % len(order)]
        for index in order:
            cpu, started = time.thread_time(), time.perf_counter()
            answer = ways[index][1](cart)
            measured[index].samples.append(time.perf_counter() - started)
            measured[index].cpu.append(time.thread_time() - cpu)
            answers[index] = answer
            if isinstance(answer, list):
                measured[index].rows.append(len(answer))
            else:
                measured[index].rows.append(sum(len(i["locations"]) for i in answer[0]["items"]))
                measured[index].sizes.append(len(answer[1]))
        problems = (
            _compare(cart.skus, cart.variant_ids, answers[0][0], answers[1], None)
            + _compare(cart.skus, cart.variant_ids, answers[3][0], answers[4], set(cart.nearest))
            + _compare(
                cart.big_skus, cart.big_variant_ids, answers[5][0], answers[6], set(cart.chosen_ids)
            )
        )
        if problems:
            disagreements += problems
        else:
            agree += 1
    connection.close()
    return measured, agree, disagreements


def answer_sizes(platform: Any, carts: list[Cart]) -> tuple[int, int]:
    """The mean encoded size of the every-location answer, stocked locations only (the
    default) and with ``include_empty`` (every location, as the answer was before)."""
    import orjson

    from omnicanal.inventory.availability import availability_answer

    sizes = []
    for include_empty in (False, True):
        total = 0
        for cart in carts:
            with platform.db.reading() as session:
                answer = availability_answer(
                    session, query=_query(cart, "every"), include_empty=include_empty
                )
            total += len(orjson.dumps(answer))
        sizes.append(total // max(len(carts), 1))
    return sizes[0], sizes[1]


def _compare(
    skus: list[str],
    variant_ids: list[str],
    out: dict[str, Any],
    rows: list[tuple[Any, ...]],
    only: set[str] | None,
) -> list[str]:
    """omnicanal's per-SKU totals and entries against the raw rows (no live reservations
    exist, so no expired holds to subtract)."""
    expected: dict[str, int] = dict.fromkeys(variant_ids, 0)
    stocked: dict[str, int] = dict.fromkeys(variant_ids, 0)
    for variant_id, location_id, available in rows:
        if (only is None or location_id in only) and available > 0:
            expected[variant_id] += available
            stocked[variant_id] += 1
    problems = []
    items = {item["sku"]: item for item in out["items"]}
    for sku, variant_id in zip(skus, variant_ids, strict=True):
        got = items[sku]
        if (got["available"], len(got["locations"])) != (expected[variant_id], stocked[variant_id]):
            problems.append(
                f"{sku}: omnicanal {got['available']} at {len(got['locations'])} locations, "
                f"raw {expected[variant_id]} at {stocked[variant_id]}"
            )
    return problems


def profile_availability(
    platform: Any, carts: list[Cart], backend: str, size: str, count: int
) -> None:
    import orjson

    from omnicanal.inventory.availability import availability_answer

    for way in ("every", "near", "chosen"):
        turn = iter(carts * (count // len(carts) + 1))

        def one(way: str = way, turn: Iterator[Cart] = turn) -> None:
            with platform.db.reading() as session:
                orjson.dumps(availability_answer(session, query=_query(next(turn), way)))

        profile_calls(
            f"{backend} {size}: availability_answer(), {way}",
            one,
            count,
            [platform.db.read_engine, platform.db.write_engine],
        )


# -- main -----------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    dataset: Dataset
    measured: list[Measured]
    carts: int
    agree: int
    disagreements: list[str]
    sizes: tuple[int, int]  # every-location answer: stocked only, include_empty


def run_one(backend: str, size: str, args: argparse.Namespace) -> Result:
    with fresh_database(backend, f"availability-{size}") as db:
        platform = build_platform_on(db)
        try:
            started = time.perf_counter()
            dataset = load(db, platform, size, args.seed)
            dataset.timings["total load"] = time.perf_counter() - started
            carts = make_carts(dataset, args.carts + args.warmup, args.seed + 1)
            with console.status(f"{backend} {size}: timing {args.carts} carts x 7 ways"):
                measured, agree, disagreements = run_carts(
                    db, platform, dataset, carts, args.warmup
                )
                sizes = answer_sizes(platform, carts[args.warmup :][:20])
            if args.profile:
                profile_availability(platform, carts, backend, size, args.profile)
        finally:
            platform.close()
    console.print(
        f"  {backend} {size}: loaded in {seconds(dataset.timings['total load'])}, "
        f"timed {args.carts} carts"
    )
    return Result(backend, dataset, measured, args.carts, agree, disagreements, sizes)


def print_results(results: list[Result]) -> None:
    loads = Table(title="Data loading", title_justify="left")
    for name in ("backend", "size", "SKUs x locations", "stock levels", "step", "time"):
        loads.add_column(name, justify="right" if name in ("time", "stock levels") else "left")
    for r in results:
        n_skus, n_locations, share = SIZES[r.dataset.size]
        first = True
        for step, took in r.dataset.timings.items():
            loads.add_row(
                r.backend if first else "",
                r.dataset.size if first else "",
                f"{n_skus:,} x {n_locations} ({share:.0%} stocked)" if first else "",
                f"{r.dataset.stock_rows:,}" if first else "",
                f"[bold]{step}[/bold]" if step == "total load" else step,
                seconds(took),
            )
            first = False
        for note in r.dataset.notes:
            loads.add_row("", "", "", "", f"[dim]{note}[/dim]", "")
        loads.add_section()
    console.print(loads)

    table = Table(title="Availability of a cart: latency per call (ms)", title_justify="left")
    for name, justify in [
        ("backend", "left"),
        ("size", "left"),
        ("way", "left"),
        ("carts", "right"),
        ("rows/entries", "right"),
        ("answer", "right"),
        ("p50", "right"),
        ("p90", "right"),
        ("p99", "right"),
        ("max", "right"),
        ("p50 vs baseline", "right"),
        ("p99 vs baseline", "right"),
        ("CPU p50", "right"),
        ("CPU vs baseline", "right"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in results:
        lat = [Latencies.of(m.samples) for m in r.measured]
        cpu = [Latencies.of(m.cpu).p50_ms for m in r.measured]
        for index, m in enumerate(r.measured):
            base = lat[BASELINE_OF[index]]
            mean_rows = sum(m.rows) / len(m.rows) if m.rows else 0
            table.add_row(
                r.backend if index == 0 else "",
                r.dataset.size if index == 0 else "",
                m.name,
                str(len(m.samples)),
                f"{mean_rows:,.0f}",
                f"{sum(m.sizes) / len(m.sizes) / 1000:,.1f} kB" if m.sizes else "",
                ms(lat[index].p50_ms),
                ms(lat[index].p90_ms),
                ms(lat[index].p99_ms),
                ms(lat[index].max_ms),
                ratio(lat[index].p50_ms / base.p50_ms, good_when_high=False),
                ratio(lat[index].p99_ms / base.p99_ms, good_when_high=False),
                ms(cpu[index]),
                ratio(cpu[index] / cpu[BASELINE_OF[index]], good_when_high=False),
            )
        table.add_section()
    console.print(table)
    console.print(
        "  'vs baseline' = this way's latency ÷ the raw SQL baseline's (every location: raw by "
        f"variant_id; near: raw by variant_id on the {NEAREST} nearest, worked out untimed; "
        f"{BIG_CART} SKUs: raw by variant_id and the given location ids): above 1x is slower. "
        "omnicanal's time is the answer read and encoded with orjson, as the API route does. "
        "rows/entries = raw rows fetched, or per-location entries in omnicanal's answer (the "
        "locations with units available); answer = its encoded size. CPU = this process's "
        "CPU time per call (on SQLite the database's work included, on PostgreSQL not): "
        "steadier than latency on a busy machine.\n"
    )
    for r in results:
        lat = [Latencies.of(m.samples) for m in r.measured]
        for index in OMNICANAL_WAYS:
            p50, p99 = lat[index].p50_ms, lat[index].p99_ms
            times = p50 / lat[BASELINE_OF[index]].p50_ms
            met = times <= 3 and p99 < 20
            console.print(
                f"  {'[green]' if met else '[yellow]'}{r.backend} {r.dataset.size}, "
                f"{r.measured[index].name}: p50 {times:.1f}x the raw query, p99 {p99:.1f} ms "
                f"(goal: at most 3x, under 20 ms){'[/green]' if met else '[/yellow]'}"
            )
        stocked, every = r.sizes
        console.print(
            f"  {r.backend} {r.dataset.size}: a {CART}-SKU answer at every location is "
            f"{stocked / 1000:,.1f} kB (stocked locations only, the default), "
            f"{every / 1000:,.1f} kB with include_empty=true"
        )
    for r in results:
        if r.disagreements:
            console.print(
                f"  [bold red]{r.backend} {r.dataset.size}: omnicanal and raw disagree "
                f"on {r.carts - r.agree} cart(s), e.g. {r.disagreements[:3]}[/bold red]"
            )
        else:
            console.print(
                f"  [green]{r.backend} {r.dataset.size}: omnicanal's per-SKU totals and "
                f"stocked locations equal the raw rows' on all {r.carts} carts ✓[/green]"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.availability", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--size", choices=["small", "large", "both"], default="both")
    parser.add_argument("--carts", type=int, default=200, help="timed carts per size (200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed carts first (10)")
    parser.add_argument("--seed", type=int, default=20251123)
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=50,
        default=0,
        metavar="N",
        help="also profile N (50) calls of each omnicanal way per size and "
        "print the time per omnicanal function",
    )
    args = parser.parse_args(argv)

    backends = resolve_backends(args.backend)
    sizes = ["small", "large"] if args.size == "both" else [args.size]
    print_machine(
        "bench.availability: carts across the network",
        backends,
        {
            "sizes": "; ".join(
                f"{s}: {SIZES[s][0]:,} SKUs x {SIZES[s][1]} locations, {SIZES[s][2]:.0%} stocked"
                for s in sizes
            ),
            "carts": f"{args.carts} timed (+{args.warmup} warm-up) per size, {CART} random SKUs "
            f"each; near = {NEAREST} nearest to a random point in France; and {BIG_CART} random "
            f"SKUs at {CHOSEN} random locations",
        },
    )
    results = [run_one(backend, size, args) for backend in backends for size in sizes]
    console.print()
    print_results(results)
    print_load_after()


if __name__ == "__main__":
    main()
