"""``omnicanal import products|stock``: all or nothing by default, --skip-bad on request.

Upserting (a file imported again, sizes added, prices changed, --dry-run) is in
``tests/catalog/test_import_upsert.py``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from omnicanal.bootstrap import build_platform
from omnicanal.catalog.gtin import make_gtin13
from omnicanal.catalog.importer import parse_price
from omnicanal.catalog.models import Product, Variant
from omnicanal.cli.main import app
from omnicanal.inventory.models import StockLevel, StockMovement
from omnicanal.network.models import Location
from omnicanal.platform import migrate
from omnicanal.platform.config import Settings
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.wiring import Platform
from omnicanal.pricing import products as priced
from tests.builders import make_location, receive

GTIN_1, GTIN_2, GTIN_3 = (make_gtin13(f"37700210{n:04d}") for n in (1, 2, 3))
PRODUCTS_HEADER = "product_code,name,category,brand,sku,gtin,size,colour,price\n"
GOOD_PRODUCTS = (
    PRODUCTS_HEADER
    + f'ROB-101,Robe portefeuille Alma,Robes,Maison Lumière,ROB-101-NOI-S,{GTIN_1},S,noir,"49,90"\n'
    + f"ROB-101,Robe portefeuille Alma,Robes,Maison Lumière,ROB-101-NOI-M,{GTIN_2},M,noir,49.90\n"
    + f"MAN-204,Trench Gaspard,Manteaux,Maison Lumière,MAN-204-CAM-L,{GTIN_3},L,camel,189\n"
)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Platform]]:
    """An SQLite file the CLI and the test both open."""
    url = f"sqlite:///{tmp_path / 'import.db'}"
    platform = build_platform(Settings(database_url=url))
    yield url, platform
    platform.close()


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(
        app, ["import", *args], env={"OMNICANAL_DATABASE_URL": url, "COLUMNS": "200"}
    )


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return str(path)


def names_line(output: str, line: int) -> bool:
    """Whether the bad-rows table has a row for ``line``."""
    return re.search(rf"│\s+{line} │", output) is not None


def count(platform: Platform, table: type) -> int:
    with platform.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


# -- products ------------------------------------------------------------------------------


def test_a_good_products_file_creates_its_products_variants_and_prices(tmp_path, database):
    url, platform = database
    file = write(tmp_path, "products.csv", GOOD_PRODUCTS)

    result = run(url, "products", file)

    assert result.exit_code == 0, result.output
    assert "Imported products.csv: 3 created, 0 updated, 0 unchanged." in result.output
    with platform.db.reading() as session:
        robe = priced.get_priced_product(session, code="ROB-101", currency="EUR")
        trench = priced.get_priced_product(session, code="MAN-204", currency="EUR")
    assert (robe.name, robe.category, robe.brand) == (
        "Robe portefeuille Alma",
        "Robes",
        "Maison Lumière",
    )
    assert [(v.sku, v.gtin, v.size, v.colour, v.price_minor) for v in robe.variants] == [
        ("ROB-101-NOI-M", GTIN_2, "M", "noir", 4990),
        ("ROB-101-NOI-S", GTIN_1, "S", "noir", 4990),
    ]
    assert [(v.sku, v.price_minor) for v in trench.variants] == [("MAN-204-CAM-L", 18900)]


def test_a_products_file_with_one_bad_row_writes_nothing_and_names_the_line(tmp_path, database):
    url, platform = database
    bad = GOOD_PRODUCTS.replace(GTIN_2, "3770021000029")  # wrong check digit, on line 3
    file = write(tmp_path, "products.csv", bad)

    result = run(url, "products", file)

    assert result.exit_code == 2, result.output
    assert names_line(result.output, 3)
    assert "3770021000029" in result.output and "not a valid GTIN" in result.output
    assert "nothing was imported" in result.output
    assert not names_line(result.output, 2) and not names_line(result.output, 4)
    assert count(platform, Product) == 0
    assert count(platform, Variant) == 0
    assert count(platform, OutboxEvent) == 0


def test_every_bad_row_is_reported_with_its_reason(tmp_path, database):
    """A bad price, a SKU twice, a short row, a bad code and no name: all listed at once."""
    url, platform = database
    file = write(
        tmp_path,
        "products.csv",
        GOOD_PRODUCTS
        + "PUL-300,Pull marin Léon,Pulls,Maison Lumière,PUL-300-MAR-M,,M,marine,douze\n"
        + "PUL-301,Pull col V Rose,Pulls,Maison Lumière,ROB-101-NOI-S,,M,rose,59\n"
        + "PUL-302,Pull Jules,Pulls,Maison Lumière,PUL-302-NOI-M,,M\n"
        + "PUL-303,,Pulls,Maison Lumière,PUL 303,,M,noir,12\n",
    )

    result = run(url, "products", file)

    assert result.exit_code == 2
    assert names_line(result.output, 5) and "'douze' is not a price" in result.output
    assert names_line(result.output, 6) and "already on line 2" in result.output
    assert names_line(result.output, 7) and "no colour, price" in result.output
    assert names_line(result.output, 8) and "'PUL 303' is not a valid code" in result.output
    assert re.search(r"│\s+8 │ name\s+│ missing", result.output)
    assert count(platform, Product) == 0


def test_skip_bad_imports_the_other_rows_and_lists_the_skipped_line(tmp_path, database):
    url, platform = database
    bad = GOOD_PRODUCTS.replace("49.90", "49.9.0")  # line 3
    file = write(tmp_path, "products.csv", bad)

    result = run(url, "products", file, "--skip-bad")

    assert result.exit_code == 0, result.output
    assert "Imported products.csv: 2 created, 0 updated, 0 unchanged." in result.output
    assert names_line(result.output, 3)
    assert "Skipped 1 row (line 3)" in result.output
    with platform.db.reading() as session:
        skus = sorted(session.scalars(select(Variant.sku)))
    assert skus == ["MAN-204-CAM-L", "ROB-101-NOI-S"]


def test_a_products_file_imported_again_changes_nothing(tmp_path, database):
    """Products are upserted by SKU: the second import finds every line as it is."""
    url, platform = database
    file = write(tmp_path, "products.csv", GOOD_PRODUCTS)
    assert run(url, "products", file).exit_code == 0
    events = count(platform, OutboxEvent)

    again = run(url, "products", file)

    assert again.exit_code == 0, again.output
    assert "Imported products.csv: 0 created, 0 updated, 3 unchanged." in again.output
    assert count(platform, Variant) == 3
    assert count(platform, OutboxEvent) == events


def test_a_french_spreadsheet_export_is_read(tmp_path, database):
    """Semicolons, a decimal comma and Windows-1252 accents, as Excel writes them in France."""
    url, platform = database
    text = (
        "product_code;name;category;brand;sku;gtin;size;colour;price\r\n"
        f"JUP-110;Jupe plissée Zélie;Jupes;Maison Lumière;JUP-110-ECR-38;{GTIN_1};38;écru;69,90\r\n"
    )
    file = write(tmp_path, "export.csv", text, encoding="cp1252")

    result = run(url, "products", file)

    assert result.exit_code == 0, result.output
    with platform.db.reading() as session:
        product = priced.get_priced_product(session, code="JUP-110", currency="EUR")
    assert (product.name, product.variants[0].colour, product.variants[0].price_minor) == (
        "Jupe plissée Zélie",
        "écru",
        6990,
    )


def test_a_header_without_a_required_column_is_refused(tmp_path, database):
    url, platform = database
    file = write(tmp_path, "products.csv", GOOD_PRODUCTS.replace(",price\n", "\n", 1))

    result = run(url, "products", file, "--skip-bad")

    assert result.exit_code == 2
    assert names_line(result.output, 1) and "the column 'price' is missing" in result.output
    assert count(platform, Product) == 0


@pytest.mark.parametrize(
    ("text", "cents"),
    [("49.90", 4990), ("49,9", 4990), ("49", 4900), ("1 249,00 €", 124900), ("0,05", 5)],
)
def test_prices_are_read_as_euros_into_cents(text, cents):
    assert parse_price(text) == cents


@pytest.mark.parametrize("text", ["-5", "12.345", "1,249.00", "douze", ""])
def test_a_price_that_is_not_euros_is_refused(text):
    with pytest.raises(ValueError):
        parse_price(text)


# -- stock ---------------------------------------------------------------------------------


@pytest.fixture
def catalogue(tmp_path, database) -> str:
    """Two locations and the three SKUs of GOOD_PRODUCTS; 10 ROB-101-NOI-S received in Lyon."""
    url, platform = database
    migrate.prepare(platform.db)
    make_location(platform, "LYON-01")
    make_location(platform, "WH-SARAN", kind="warehouse", channels=("web",))
    assert run(url, "products", write(tmp_path, "products.csv", GOOD_PRODUCTS)).exit_code == 0
    receive(platform, "ROB-101-NOI-S", "LYON-01", 10)
    return url


def on_hand_and_ledger(platform: Platform) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(sku, location) -> (on_hand, safety_stock, sum of its ledger lines)."""
    with platform.db.reading() as session:
        ledger = {
            (variant_id, location_id): int(total)
            for variant_id, location_id, total in session.execute(
                select(
                    StockMovement.variant_id,
                    StockMovement.location_id,
                    func.sum(StockMovement.quantity),
                ).group_by(StockMovement.variant_id, StockMovement.location_id)
            )
        }
        levels = session.execute(
            select(StockLevel, Variant.sku, Location.code)
            .join(Variant, Variant.id == StockLevel.variant_id)
            .join(Location, Location.id == StockLevel.location_id)
        ).all()
    return {
        (sku, code): (
            level.on_hand,
            level.safety_stock,
            ledger.get((level.variant_id, level.location_id), 0),
        )
        for level, sku, code in levels
    }


def test_a_stock_file_sets_on_hand_and_the_ledger_sums_to_it(tmp_path, database, catalogue):
    url, platform = database
    file = write(
        tmp_path,
        "stock.csv",
        "sku,location,quantity,safety_stock\n"
        "ROB-101-NOI-S,LYON-01,4,\n"  # 10 on hand: a count of 4 takes 6 out
        "ROB-101-NOI-M,LYON-01,7,1\n"  # first stock of this SKU here: a receipt
        "MAN-204-CAM-L,WH-SARAN,25,\n",
    )

    result = run(url, "stock", file)

    assert result.exit_code == 0, result.output
    assert "Imported stock.csv: 2 created, 1 updated, 0 unchanged." in result.output
    assert on_hand_and_ledger(platform) == {
        ("ROB-101-NOI-S", "LYON-01"): (4, 0, 4),
        ("ROB-101-NOI-M", "LYON-01"): (7, 1, 7),
        ("MAN-204-CAM-L", "WH-SARAN"): (25, 0, 25),
    }
    with platform.db.reading() as session:
        kinds = session.execute(
            select(Variant.sku, StockMovement.kind, StockMovement.quantity)
            .join(Variant, Variant.id == StockMovement.variant_id)
            .where(StockMovement.reason == "stock import stock.csv")
            .order_by(Variant.sku)
        ).all()
        events = session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "inventory.stock_counted")
        ).all()
    assert [tuple(row) for row in kinds] == [
        ("MAN-204-CAM-L", "receipt", 25),
        ("ROB-101-NOI-M", "receipt", 7),
        ("ROB-101-NOI-S", "cycle_count", -6),
    ]
    assert len(events) == 1
    assert (events[0].data["lines"], events[0].data["applied"]) == (3, 3)
    assert (events[0].data["units_added"], events[0].data["units_removed"]) == (32, 6)


def test_importing_the_same_counts_twice_changes_nothing_the_second_time(
    tmp_path, database, catalogue
):
    url, platform = database
    file = write(tmp_path, "stock.csv", "sku,location,quantity\nROB-101-NOI-S,LYON-01,4\n")
    assert run(url, "stock", file).exit_code == 0
    movements = count(platform, StockMovement)

    again = run(url, "stock", file)

    assert again.exit_code == 0, again.output
    assert "Imported stock.csv: 0 created, 0 updated, 1 unchanged." in again.output
    assert count(platform, StockMovement) == movements


def test_a_stock_file_with_an_unknown_sku_writes_nothing_and_names_the_line(
    tmp_path, database, catalogue
):
    url, platform = database
    before = on_hand_and_ledger(platform)
    file = write(
        tmp_path,
        "stock.csv",
        "sku,location,quantity\n"
        "ROB-101-NOI-S,LYON-01,4\n"
        "ROB-999-NOI-S,LYON-01,2\n"
        "MAN-204-CAM-L,NANTES-01,3\n"
        "MAN-204-CAM-L,WH-SARAN,-3\n",
    )

    result = run(url, "stock", file)

    assert result.exit_code == 2
    assert names_line(result.output, 3) and "unknown SKU ROB-999-NOI-S" in result.output
    assert names_line(result.output, 4) and "unknown location NANTES-01" in result.output
    assert names_line(result.output, 5) and "'-3' is not a whole number" in result.output
    assert not names_line(result.output, 2)
    assert on_hand_and_ledger(platform) == before


def test_skip_bad_applies_the_other_stock_lines(tmp_path, database, catalogue):
    url, platform = database
    file = write(
        tmp_path,
        "stock.csv",
        "sku,location,quantity\n"
        "ROB-101-NOI-S,LYON-01,4\n"
        "ROB-101-NOI-S,LYON-01,5\n"
        "MAN-204-CAM-L,WH-SARAN,3\n",
    )

    result = run(url, "stock", file, "--skip-bad")

    assert result.exit_code == 0, result.output
    assert names_line(result.output, 3) and "already counted on line 2" in result.output
    assert "Skipped 1 row (line 3)" in result.output
    levels = on_hand_and_ledger(platform)
    assert levels[("ROB-101-NOI-S", "LYON-01")] == (4, 0, 4)
    assert levels[("MAN-204-CAM-L", "WH-SARAN")] == (3, 0, 3)
