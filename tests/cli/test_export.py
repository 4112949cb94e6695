"""``omnicanal export products|stock|orders|customers|movements``: CSV and Parquet files with
the same rows, only what changed since a moment when asked, formulas escaped."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import Result
from typer.testing import CliRunner

from omnicanal.cli.main import app
from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from tests.builders import make_location, make_product, receive
from tests.orders.builders import line, place

KINDS = ("products", "stock", "orders", "customers", "movements")


def cli(platform: Platform, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        list(args),
        env={
            "OMNICANAL_DATABASE_URL": platform.settings.database_url,
            "OMNICANAL_DATA_DIR": str(platform.settings.data_dir),
            "COLUMNS": "200",
        },
    )


def read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.fixture
def shop(platform: Platform) -> Platform:
    """A store with stock of two SKUs and an order of one."""
    make_location(platform, "LYON-01")
    make_product(platform, "ROBE", sizes=("S", "M"))
    receive(platform, "ROBE-S", "LYON-01", 5)
    receive(platform, "ROBE-M", "LYON-01", 2)
    place(platform, line("ROBE-S"))
    return platform


@pytest.mark.parametrize("kind", KINDS)
def test_each_export_writes_the_same_rows_as_csv_and_as_parquet(shop, tmp_path, kind):
    """The Parquet file reads back with pyarrow to the CSV file's rows, typed."""
    as_csv, as_parquet = tmp_path / f"{kind}.csv", tmp_path / f"{kind}.parquet"

    first = cli(shop, "export", kind, "--output", str(as_csv))
    second = cli(shop, "export", kind, "--format", "parquet", "--output", str(as_parquet))

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    rows = read(as_csv)
    table = pq.read_table(as_parquet)
    assert table.column_names == list(
        csv.DictReader(io.StringIO(as_csv.read_text("utf-8-sig"))).fieldnames or []
    )
    assert table.num_rows == len(rows)
    assert f"Exported {len(rows):,} rows of {kind}" in second.output
    assert not list(tmp_path.glob("*.part"))
    for parsed, written in zip(table.to_pylist(), rows, strict=True):
        for name, value in parsed.items():
            if value is None or isinstance(value, str):
                assert (value or "") == written[name].removeprefix("'"), name
            elif hasattr(value, "isoformat"):
                assert value.isoformat().replace("+00:00", "Z") == written[name], name
            else:
                assert str(value) == written[name], name


def test_the_exports_hold_what_the_database_holds(shop, tmp_path):
    for kind in ("stock", "orders", "movements"):
        assert cli(shop, "export", kind, "-o", str(tmp_path / f"{kind}.csv")).exit_code == 0

    stock = read(tmp_path / "stock.csv")
    orders = read(tmp_path / "orders.csv")
    movements = read(tmp_path / "movements.csv")

    assert sorted(
        (row["sku"], row["quantity"], row["reserved"], row["available"]) for row in stock
    ) == [("ROBE-M", "2", "0", "2"), ("ROBE-S", "5", "1", "4")]
    assert [(row["sku"], row["quantity"], row["unit_price"], row["status"]) for row in orders] == [
        ("ROBE-S", "1", "49.90", orders[0]["status"])
    ]
    assert sorted((row["sku"], row["kind"], row["quantity"]) for row in movements) == [
        ("ROBE-M", "receipt", "2"),
        ("ROBE-S", "receipt", "5"),
    ]


def test_updated_since_keeps_only_what_changed_from_then(shop, tmp_path):
    since = utcnow()
    with shop.db.transaction() as session:
        inventory.record_movement(
            session,
            data=MovementIn(
                sku="ROBE-M",
                location="LYON-01",
                kind=MovementKind.adjustment,
                quantity=-1,
                reason="=cmd|' /C calc'!A0",
            ),
            actor=OPERATOR,
        )
    stock, movements = tmp_path / "stock.csv", tmp_path / "movements.csv"
    moment = since.isoformat()

    assert cli(shop, "export", "stock", "--updated-since", moment, "-o", str(stock)).exit_code == 0
    assert (
        cli(shop, "export", "movements", "--updated-since", moment, "-o", str(movements)).exit_code
        == 0
    )

    assert [(row["sku"], row["quantity"]) for row in read(stock)] == [("ROBE-M", "1")]
    assert [(row["sku"], row["quantity"], row["reason"]) for row in read(movements)] == [
        ("ROBE-M", "-1", "'=cmd|' /C calc'!A0")
    ]
    later = (since + timedelta(days=1)).isoformat()
    empty = tmp_path / "empty.csv"
    assert (
        cli(shop, "export", "movements", "--updated-since", later, "-o", str(empty)).exit_code == 0
    )
    assert read(empty) == []


def test_an_export_goes_to_standard_output_with_a_dash(shop):
    result = cli(shop, "export", "products", "--output", "-")

    assert result.exit_code == 0, result.output
    assert "ROBE-S" in result.stdout and "product_code,name" in result.stdout


def test_a_moment_that_is_not_one_is_refused(shop, tmp_path):
    result = cli(shop, "export", "stock", "--updated-since", "hier", "-o", str(tmp_path / "s.csv"))

    assert result.exit_code == 2
    assert "is not a moment" in result.output
    assert not (tmp_path / "s.csv").exists()
