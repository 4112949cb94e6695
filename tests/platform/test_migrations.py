"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from omnicanal.bootstrap import load_models
from omnicanal.platform import migrate


def test_the_migrated_schema_matches_the_models(platform):
    with platform.db.write_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, load_models())
    assert differences == []
    assert migrate.current_revision(platform.db) == migrate.head_revision()


def test_prepare_refuses_a_database_behind_the_code(tmp_path):
    from omnicanal.platform.db import Database

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(db, "0001")
    with db.write_engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'ancient'")
    try:
        migrate.prepare(db)
    except migrate.SchemaOutOfDate as error:
        assert "omnicanal db upgrade" in str(error)
    else:
        raise AssertionError("prepare accepted an out-of-date schema")
    finally:
        db.dispose()


def test_facts_closing_a_subject_twice_keep_the_first_once_unique(tmp_path):
    """Before 0029 two workers could each record a cart's closing; the upgrade keeps the
    first of each such pair (facts of other kinds, or without a subject, stay as they are)."""
    from omnicanal.platform.db import Database

    db = Database(f"sqlite:///{tmp_path / 'facts.db'}")
    migrate.upgrade(db, "0028")
    rows = [
        ("01A", "cart_closed", "carts/1"),
        ("01B", "cart_closed", "carts/1"),
        ("01C", "cart_closed", "carts/2"),
        ("01D", "purchased", "orders/1"),
        ("01E", "purchased", "orders/1"),
        ("01F", "collected", None),
        ("01G", "collected", None),
    ]
    with db.write_engine.begin() as connection:
        for fact_id, kind, subject in rows:
            connection.exec_driver_sql(
                "INSERT INTO engagement_facts (id, kind, subject, detail, occurred_at, "
                "recorded_at) VALUES (?, ?, ?, '{}', '2026-12-01 10:00:00', "
                "'2026-12-01 10:00:00')",
                (fact_id, kind, subject),
            )
    try:
        migrate.upgrade(db, "0029")
        with db.write_engine.connect() as connection:
            kept = [
                row[0]
                for row in connection.exec_driver_sql("SELECT id FROM engagement_facts ORDER BY id")
            ]
        assert kept == ["01A", "01C", "01D", "01E", "01F", "01G"]
    finally:
        db.dispose()


def test_store_credit_kept_through_the_move_to_64_bits(tmp_path):
    """0030 widens the store credit's amounts on PostgreSQL and leaves SQLite's tables as
    they are (rebuilding the accounts' table under the ledger's foreign key fails there):
    the balances and ledger lines written before are there after, with their check that a
    balance never goes below zero."""
    from sqlalchemy.exc import IntegrityError

    from omnicanal.platform.db import Database

    db = Database(f"sqlite:///{tmp_path / 'credit.db'}")
    migrate.upgrade(db, "0029")
    with db.write_engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO store_credit_accounts (id, customer_ref, currency, balance_minor, "
            "updated_at) VALUES ('01A', 'email:ines@example.fr', 'EUR', 4990, "
            "'2026-12-01 10:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO store_credit_entries (id, account_id, delta_minor, "
            "balance_after_minor, reason, actor, occurred_at) VALUES ('01B', '01A', 4990, "
            "4990, 'refund', 'store:LYON-01', '2026-12-01 10:00:00')"
        )
    try:
        migrate.upgrade(db, "0030")
        with db.write_engine.connect() as connection:
            account = connection.exec_driver_sql(
                "SELECT customer_ref, balance_minor FROM store_credit_accounts"
            ).all()
            entries = connection.exec_driver_sql(
                "SELECT account_id, delta_minor, balance_after_minor FROM store_credit_entries"
            ).all()
        assert [tuple(row) for row in account] == [("email:ines@example.fr", 4990)]
        assert [tuple(row) for row in entries] == [("01A", 4990, 4990)]
        with db.write_engine.begin() as connection:
            try:
                connection.exec_driver_sql("UPDATE store_credit_accounts SET balance_minor = -1")
            except IntegrityError:
                pass
            else:
                raise AssertionError("a negative balance was accepted after the upgrade")
    finally:
        db.dispose()
