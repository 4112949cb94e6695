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
