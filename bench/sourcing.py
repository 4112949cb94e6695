"""Sourcing speed: choosing the locations of a 5-line order over 50 and over 500 stores.

Three warehouses and N stores spread over mainland France; 300 different 5-line orders per
scenario, each delivered to a random French address:

* ``warehouses``  the warehouses hold the order's SKUs (the common case: one shipment);
* ``stores``      the warehouses are sold out of them: stores must combine, the exhaustive
                  fewest-shipments search does the most work;
* ``mixed``       two lines picked up at a store, three shipped.

Timed in the same process against a baseline: the naive rule "each line from the nearest
location that has it", with no search, no protection of store stock and no explanation.
With ``--db`` (default on), also the whole sourcing step of a checkout: reading the network
and the availability of the 5 SKUs from a real database (SQLite, PostgreSQL), then sourcing.

    .venv/bin/python -m bench.sourcing
    .venv/bin/python -m bench.sourcing --stores 50 500 2000 --no-db
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from random import Random
from typing import Any

from rich.table import Table

from bench.common import (
    Latencies,
    build_platform_on,
    console,
    fresh_database,
    ms,
    print_machine,
    resolve_backends,
)
from omnicanal.fulfilment.sourcing import Decision, LineRequest, Point, Site, source
from omnicanal.fulfilment.states import HOME_DELIVERY, Method
from omnicanal.network.geo import great_circle_km

ORDERS = 300
LINES = 5
SKU_POOL = 400
WAREHOUSES = (("WH-NORD", 50.5, 2.9), ("WH-CENTRE", 47.9, 1.9), ("WH-SUD", 43.6, 4.3))
Order = tuple[list[LineRequest], Point]


def _france(rng: Random) -> tuple[float, float]:
    return rng.uniform(43.3, 50.8), rng.uniform(-1.5, 7.5)


def make_network(stores: int, seed: int) -> tuple[list[Site], dict[tuple[str, str], int]]:
    """The sites and their stock of every SKU of the pool."""
    rng = Random(f"bench-sourcing:{stores}:{seed}")
    sites = [
        Site(code, "warehouse", lat, lon, ships=True, priority=i)
        for i, (code, lat, lon) in enumerate(WAREHOUSES)
    ]
    for n in range(stores):
        lat, lon = _france(rng)
        sites.append(
            Site(
                f"STORE-{n:04d}",
                "store",
                lat,
                lon,
                ships=rng.random() < 0.7,
                click_and_collect=rng.random() < 0.8,
                sells_in_store=True,
                priority=10 + n,
            )
        )
    stock: dict[tuple[str, str], int] = {}
    for sku in range(SKU_POOL):
        for site in sites:
            held = 0.92 if site.kind == "warehouse" else 0.55
            if rng.random() < held:
                top = 60 if site.kind == "warehouse" else 6
                stock[(f"SKU-{sku:04d}", site.code)] = rng.randint(1, top)
    return sites, stock


def make_orders(
    scenario: str, sites: Sequence[Site], stock: dict[tuple[str, str], int], seed: int
) -> tuple[list[Order], dict[tuple[str, str], int]]:
    """300 orders for the scenario, and the stock it runs against."""
    rng = Random(f"bench-sourcing-orders:{scenario}:{seed}")
    stock = dict(stock)
    collect = [site.code for site in sites if site.click_and_collect]
    orders = []
    for _ in range(ORDERS):
        skus = rng.sample(range(SKU_POOL), LINES)
        lines = []
        for index, sku in enumerate(skus):
            code = f"SKU-{sku:04d}"
            if scenario == "stores":
                for site_code, _, _ in WAREHOUSES:
                    stock.pop((code, site_code), None)
            if scenario == "mixed" and index < 2:
                store = rng.choice(collect)
                stock[(code, store)] = max(stock.get((code, store), 0), 2)
                lines.append(LineRequest(str(index + 1), code, 1, Method.pickup, location=store))
            else:
                lines.append(LineRequest(str(index + 1), code, rng.choice((1, 1, 2)), Method.ship))
        orders.append((lines, Point(*_france(rng))))
    return orders, stock


def nearest_per_line(
    lines: Sequence[LineRequest],
    *,
    sites: Sequence[Site],
    stock: dict[tuple[str, str], int],
    destination: Point,
) -> list[tuple[str, str]]:
    """The baseline: each line from the nearest location holding it (pickups: their store)."""
    chosen = []
    for line in lines:
        if line.method not in HOME_DELIVERY:
            chosen.append((line.line, line.location or ""))
            continue
        best, best_km = "", float("inf")
        for site in sites:
            if site.ships and stock.get((line.sku, site.code), 0) >= line.quantity:
                km = great_circle_km(
                    destination.latitude, destination.longitude, site.latitude, site.longitude
                )
                if km < best_km:
                    best, best_km = site.code, km
        chosen.append((line.line, best))
    return chosen


def _time(calls: Sequence[Callable[[], Any]]) -> tuple[Latencies, list[Any]]:
    for call in calls[:20]:
        call()
    results, samples = [], []
    for call in calls:
        started = time.perf_counter()
        results.append(call())
        samples.append(time.perf_counter() - started)
    return Latencies.of(samples), results


def run_pure(store_counts: Sequence[int]) -> list[dict[str, Any]]:
    rows = []
    for stores in store_counts:
        sites, base_stock = make_network(stores, seed=1)
        for scenario in ("warehouses", "stores", "mixed"):
            orders, stock = make_orders(scenario, sites, base_stock, seed=1)
            ours, decisions = _time(
                [
                    lambda lines=lines, point=point, sites=sites, stock=stock: source(
                        lines, sites=sites, stock=stock, destination=point
                    )
                    for lines, point in orders
                ]
            )
            naive, _ = _time(
                [
                    lambda lines=lines, point=point, sites=sites, stock=stock: nearest_per_line(
                        lines, sites=sites, stock=stock, destination=point
                    )
                    for lines, point in orders
                ]
            )
            complete: list[Decision] = [d for d in decisions if d.complete]
            rows.append(
                {
                    "stores": stores,
                    "scenario": scenario,
                    "ours": ours,
                    "naive": naive,
                    "complete": len(complete),
                    "shipments": sum(d.shipments for d in complete) / max(len(complete), 1),
                    "sentences": sum(len(d.explanation) for d in decisions) / len(decisions),
                }
            )
    return rows


def run_db(backend: str, store_counts: Sequence[int]) -> list[dict[str, Any]]:
    """The sourcing step of a checkout on a real database: network, availability, rules."""
    from omnicanal.catalog.schemas import ProductIn, VariantIn
    from omnicanal.fulfilment.states import Method as M
    from omnicanal.inventory import service as inventory
    from omnicanal.network import service as network
    from omnicanal.network.schemas import Capabilities, LocationIn
    from omnicanal.orders.policy import OrderPolicy
    from omnicanal.orders.service.allocation import load_network, read_stock
    from omnicanal.platform.actors import OPERATOR
    from omnicanal.platform.address import Address
    from omnicanal.pricing.products import create_priced_products

    rows = []
    policy = OrderPolicy()
    for stores in store_counts:
        sites, stock = make_network(stores, seed=1)
        orders, _ = make_orders("warehouses", sites, stock, seed=1)
        with fresh_database(backend, "sourcing") as db:
            platform = build_platform_on(db)
            try:
                with platform.db.transaction() as session:
                    network.ensure_default_channels(session)
                    for site in sites:
                        network.create_location(
                            session,
                            data=LocationIn(
                                code=site.code,
                                name=site.code,
                                kind=site.kind,
                                address=Address(latitude=site.latitude, longitude=site.longitude),
                                capabilities=Capabilities(
                                    ships=site.ships,
                                    click_and_collect=site.click_and_collect,
                                    sells_in_store=site.sells_in_store,
                                ),
                                channels=["web"],
                            ),
                            actor=OPERATOR,
                        )
                    create_priced_products(
                        session,
                        products=[
                            ProductIn(
                                code=f"P-{n:04d}",
                                name=f"Product {n}",
                                category="Bench",
                                variants=[VariantIn(sku=f"SKU-{n:04d}", price_minor=1000)],
                            )
                            for n in range(SKU_POOL)
                        ],
                        actor=OPERATOR,
                        currency="EUR",
                    )
                    inventory.count_stock(
                        session,
                        lines=[(sku, code, units) for (sku, code), units in stock.items()],
                        actor=OPERATOR,
                        reason="bench",
                    )

                def sourcing_step(
                    lines: list[LineRequest], point: Point, platform: Any = platform
                ) -> Decision:
                    with platform.db.reading() as session:
                        loaded = load_network(
                            session, channel="web", methods={M.ship}, policy=policy
                        )
                        held = read_stock(
                            session, skus=[line.sku for line in lines], network_=loaded
                        )
                    return source(lines, sites=loaded.sites, stock=held, destination=point)

                timed, _ = _time([lambda o=o: sourcing_step(*o) for o in orders[:150]])
            finally:
                platform.close()
        rows.append({"backend": backend, "stores": stores, "timed": timed})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sourcing", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stores", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--db", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    backends = resolve_backends(args.backend) if args.db else []
    print_machine(
        "bench.sourcing",
        backends,
        {"workload": f"{ORDERS} orders x {LINES} lines per scenario; 3 warehouses + N stores"},
    )
    pure = Table(title="Sourcing a 5-line order (pure rules, in memory)", title_justify="left")
    for name in (
        "stores",
        "scenario",
        "p50 ms",
        "p99 ms",
        "mean ms",
        "orders/s",
        "sourced",
        "shipments",
        "sentences",
        "naive p50 ms",
        "vs naive",
    ):
        pure.add_column(name, justify="left" if name == "scenario" else "right")
    for row in run_pure(args.stores):
        ours, naive = row["ours"], row["naive"]
        pure.add_row(
            str(row["stores"]),
            row["scenario"],
            ms(ours.p50_ms),
            ms(ours.p99_ms),
            ms(ours.mean_ms),
            f"{1000 / ours.mean_ms:,.0f}",
            f"{row['complete']}/{ORDERS}",
            f"{row['shipments']:.2f}",
            f"{row['sentences']:.1f}",
            ms(naive.p50_ms),
            f"{ours.mean_ms / naive.mean_ms:.1f}x slower",
        )
    console.print(pure)
    console.print(
        "  naive = each line from the nearest location holding it (no fewest-shipments search,"
        " no protected store units, no explanation), timed in the same process.\n"
    )
    if backends:
        table = Table(
            title="Sourcing step of a checkout: network + availability read + rules",
            title_justify="left",
        )
        for name in ("backend", "stores", "p50 ms", "p99 ms", "mean ms"):
            table.add_column(name, justify="left" if name == "backend" else "right")
        for backend in backends:
            for row in run_db(backend, args.stores):
                timed = row["timed"]
                table.add_row(
                    row["backend"],
                    str(row["stores"]),
                    ms(timed.p50_ms),
                    ms(timed.p99_ms),
                    ms(timed.mean_ms),
                )
        console.print(table)


if __name__ == "__main__":
    main()
