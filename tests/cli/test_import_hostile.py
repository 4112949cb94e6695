"""Hostile CSV rows (NUL, huge numbers, prices beyond bounds, one GTIN written twice): each is
named with its line and reason, nothing is written, and --skip-bad imports the good rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnicanal.cli.main import app
from tests.builders import make_location, make_product, snapshot

HEADER = "product_code,name,category,brand,sku,gtin,size,colour,price\n"
GOOD_ROW = "MAN-204,Trench Gaspard,Manteaux,Maison Lumière,MAN-204-CAM-L,,L,camel,189\n"


def run(platform, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        app,
        ["import", *args],
        env={"OMNICANAL_DATABASE_URL": platform.settings.database_url, "COLUMNS": "200"},
    )


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "rows.csv"
    path.write_bytes(text.encode())
    return str(path)


BAD_PRODUCT_ROWS = [
    ("a NUL in a name", "ROB-1,Robe\x00,Robes,ML,ROB-1-S,,S,noir,49.90\n", "name", "NUL"),
    (
        "a price of 2^63 cents",
        "ROB-1,Robe,Robes,ML,ROB-1-S,,S,noir,92233720368547758.08\n",
        "price",
        "over the limit",
    ),
    (
        "a price beyond int4",
        "ROB-1,Robe,Robes,ML,ROB-1-S,,S,noir,21474836.48\n",
        "price",
        "over the limit",
    ),
    (
        "a GTIN with a wrong check digit",
        "ROB-1,Robe,Robes,ML,ROB-1-S,4006381333932,S,noir,9\n",
        "gtin",
        "not a valid GTIN",
    ),
]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [case[1:] for case in BAD_PRODUCT_ROWS],
    ids=[case[0] for case in BAD_PRODUCT_ROWS],
)
def test_a_hostile_products_row_is_named_and_nothing_is_written(
    platform, tmp_path, row, column, reason
):
    """All or nothing: exit 2, the line, its column and reason; no table changed."""
    path = write(tmp_path, HEADER + GOOD_ROW + row)
    before = snapshot(platform)

    result = run(platform, "products", path)

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    line = next(text for text in result.output.splitlines() if "│    3 │" in text)
    assert column in line and reason in line
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [case[1:] for case in BAD_PRODUCT_ROWS],
    ids=[case[0] for case in BAD_PRODUCT_ROWS],
)
def test_skip_bad_imports_the_good_row_beside_a_hostile_one(
    platform, tmp_path, row, column, reason
):
    """--skip-bad: the good row is imported and the hostile line listed."""
    path = write(tmp_path, HEADER + row + GOOD_ROW)
    before = snapshot(platform)

    result = run(platform, "products", "--skip-bad", path)

    assert result.exit_code == 0, result.output
    assert "Imported rows.csv: 1 created, 0 updated, 0 unchanged." in result.output
    assert "Skipped 1 row (line 2)." in result.output
    assert snapshot(platform)["variants"] == before["variants"] + 1


def test_one_gtin_written_with_and_without_its_leading_zero_is_a_duplicate(platform, tmp_path):
    """4006381333931 and 04006381333931 are the same GTIN: the second line is refused."""
    path = write(
        tmp_path,
        HEADER
        + "ROB-1,Robe,Robes,ML,ROB-1-S,4006381333931,S,noir,9\n"
        + "ROB-2,Robe,Robes,ML,ROB-2-S,04006381333931,S,noir,9\n",
    )
    before = snapshot(platform)

    result = run(platform, "products", path)

    assert result.exit_code == 2, result.output
    assert "GTIN 04006381333931 already on line 2" in result.output
    assert snapshot(platform) == before


def test_a_gtin_already_in_the_catalog_under_another_form_is_refused(platform, tmp_path):
    """The catalog holds 4006381333931; a file bringing 04006381333931 is a bad row."""
    first = write(tmp_path, HEADER + "ROB-1,Robe,Robes,ML,ROB-1-S,4006381333931,S,noir,9\n")
    assert run(platform, "products", first).exit_code == 0
    path = write(tmp_path, HEADER + "ROB-2,Robe,Robes,ML,ROB-2-S,04006381333931,S,noir,9\n")
    before = snapshot(platform)

    result = run(platform, "products", path)

    assert result.exit_code == 2, result.output
    assert "GTIN 04006381333931 is already used by SKU ROB-1-S" in result.output
    assert snapshot(platform) == before


BAD_STOCK_ROWS = [
    ("a quantity of 2^63", "ROBE-S,LYON,9223372036854775808,\n", "quantity"),
    ("a quantity beyond int4", "ROBE-S,LYON,2147483648,\n", "quantity"),
    ("a safety stock beyond int4", "ROBE-S,LYON,3,99999999999\n", "safety_stock"),
    ("a NUL in a location", "ROBE-S,LY\x00ON,3,\n", "location"),
    ("a NUL in a SKU", "ROBE\x00-S,LYON,3,\n", "sku"),
]


@pytest.mark.parametrize(
    ("row", "column"),
    [case[1:] for case in BAD_STOCK_ROWS],
    ids=[case[0] for case in BAD_STOCK_ROWS],
)
def test_a_hostile_stock_row_is_named_and_skip_bad_applies_the_good_one(
    platform, tmp_path, row, column
):
    """Without --skip-bad nothing changes; with it the good count is applied."""
    make_location(platform, "LYON")
    make_location(platform, "VIL")
    (sku,) = make_product(platform, "ROBE", sizes=("S",))
    path = write(tmp_path, "sku,location,quantity,safety_stock\n" + row + f"{sku},VIL,4,\n")
    before = snapshot(platform)

    refused = run(platform, "stock", path)

    assert refused.exit_code == 2, refused.output
    line = next(text for text in refused.output.splitlines() if "│    2 │" in text)
    assert column in line
    assert snapshot(platform) == before

    skipped = run(platform, "stock", "--skip-bad", path)

    assert skipped.exit_code == 0, skipped.output
    assert "Skipped 1 row (line 2)." in skipped.output
    assert snapshot(platform)["stock"] == (4, 0)


def write_bytes(tmp_path: Path, raw: bytes) -> str:
    path = tmp_path / "rows.csv"
    path.write_bytes(raw)
    return str(path)


def test_bytes_that_are_not_utf8_in_one_row_name_that_row_and_nothing_is_written(
    platform, tmp_path
):
    """A UTF-8 file (its accents are UTF-8) with a stray byte sequence on line 3: read as
    UTF-8 all the same, the bad value refused with its line, not imported as garbled text."""
    raw = (HEADER + GOOD_ROW).encode() + b"ROB-1,Robe \xed\xa0\x80,Robes,ML,ROB-1-S,,S,noir,9\n"
    before = snapshot(platform)

    result = run(platform, "products", write_bytes(tmp_path, raw))

    assert result.exit_code == 2, result.output
    line = next(text for text in result.output.splitlines() if "│    3 │" in text)
    assert "name" in line and "not text in the file's encoding" in line
    assert snapshot(platform) == before


def test_a_utf16_file_with_its_bom_is_read(platform, tmp_path):
    """Excel's "Unicode text" export: UTF-16 with a BOM, tabs or semicolons."""
    text = (HEADER + GOOD_ROW).replace(",", ";")

    result = run(platform, "products", write_bytes(tmp_path, text.encode("utf-16")))

    assert result.exit_code == 0, result.output
    assert "1 created" in result.output


def test_a_value_of_ten_megabytes_is_refused_with_its_line(platform, tmp_path):
    """The csv module splits no value over 131,072 characters: the file is refused whole."""
    raw = (HEADER + GOOD_ROW).encode() + b"ROB-1," + b"x" * 10_000_000 + b",Robes\n"
    before = snapshot(platform)

    result = run(platform, "products", write_bytes(tmp_path, raw))

    assert result.exit_code == 2, result.output
    assert "unreadable_csv" in result.output and "Line 3 cannot be read" in result.output
    assert snapshot(platform) == before


def test_a_formula_escaped_by_an_export_is_imported_as_the_text_it_stands_for(platform, tmp_path):
    """'=1+1 (an export's escape) is the text =1+1; 'Tis stays as it is."""
    path = write(
        tmp_path,
        HEADER + "ROB-1,'=1+1,Robes,'Tis,ROB-1-S,,S,noir,9\n",
    )

    result = run(platform, "products", path)

    assert result.exit_code == 0, result.output
    from omnicanal.pricing import products as priced

    with platform.db.reading() as session:
        product = priced.get_priced_product(session, code="ROB-1", currency="EUR")
    assert (product.name, product.brand) == ("=1+1", "'Tis")
