"""Migration 0013 gives every pickup and hold already in the database its pickup code."""

from __future__ import annotations

import os
import re
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from omnicanal.platform import migrate
from omnicanal.platform.config import normalise_database_url
from omnicanal.platform.db import Database

CODE = re.compile(r"^[A-HJ-NP-Z2-9]{6}$")
COLUMNS = (
    "id, order_id, position, method, status, location_id, location_code, stock_channel, "
    "created_at, updated_at"
)


ROWS = [
    ("F-PICKUP-OPEN", "pickup", "ready_for_pickup"),
    ("F-PICKUP-DONE", "pickup", "collected"),
    ("F-HOLD", "reserve_and_try", "held"),
    ("F-PARCEL", "ship", "shipped"),
    ("F-TILL", "carry_out", "completed"),
]
INSERT = (
    f"INSERT INTO fulfilments ({COLUMNS}) VALUES (%s, 'O-1', 1, %s, %s, 'L-1', 'LYON-01', "
    "'web', '2026-12-01 10:00:00+00', '2026-12-01 10:00:00+00')"
)


def _codes_after_0013(db: Database) -> dict[str, str | None]:
    migrate.upgrade(db, "0013")
    with db.write_engine.connect() as connection:
        codes: dict[str, str | None] = dict(
            connection.exec_driver_sql("SELECT id, pickup_code FROM fulfilments").all()
        )
    db.dispose()
    return codes


def _check(codes: dict[str, str | None]) -> None:
    assert {key for key, code in codes.items() if code and CODE.match(code)} == {
        "F-PICKUP-OPEN",
        "F-PICKUP-DONE",
        "F-HOLD",
    }
    assert codes["F-PARCEL"] is None and codes["F-TILL"] is None


def test_the_upgrade_backfills_a_code_for_each_pickup_and_hold_only(tmp_path):
    """Fulfilments written at revision 0012 (the rows alone: the test writes no order)."""
    path = tmp_path / "before-0013.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db, "0012")
    raw = sqlite3.connect(path)  # foreign keys off: the fulfilments alone
    with raw:
        raw.executemany(INSERT.replace("%s", "?"), ROWS)
    raw.close()

    _check(_codes_after_0013(db))


def test_the_upgrade_backfills_the_codes_on_postgresql_too():
    url = os.environ.get("OMNICANAL_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL tests need OMNICANAL_TEST_POSTGRES_URL")
    server = make_url(normalise_database_url(url))
    name = f"omnicanal_test_0013_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        db = Database(server.set(database=name).render_as_string(hide_password=False))
        migrate.upgrade(db, "0012")
        with db.write_engine.begin() as connection:
            # The fulfilments alone, without their orders and stores: no foreign key checks.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for row in ROWS:
                connection.exec_driver_sql(INSERT, row)
        _check(_codes_after_0013(db))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
