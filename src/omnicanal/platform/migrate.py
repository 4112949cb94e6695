"""Database migrations (Alembic), the same on SQLite and PostgreSQL.

The models' metadata, which only autogenerating a revision reads, is handed in by the caller
(``omnicanal.bootstrap.load_models``): the platform does not know the modules."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect

from omnicanal.platform.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(db: Database, revision: str = "heads") -> None:
    """Bring the schema to ``revision``."""
    config = _config()
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def revision(db: Database, message: str, *, metadata: MetaData) -> None:
    """Autogenerate a new revision from the models' ``metadata`` (for developers)."""
    config = _config()
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["target_metadata"] = metadata
        command.revision(config, message=message, autogenerate=True)


def current_revision(db: Database) -> str | None:
    """The schema's revision(s), comma-separated, or None on an empty database."""
    with db.write_engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def head_revision() -> str | None:
    """The revision(s) the code expects, comma-separated."""
    return ",".join(sorted(ScriptDirectory.from_config(_config()).get_heads())) or None


def is_empty(db: Database) -> bool:
    return not inspect(db.write_engine).get_table_names()


class SchemaOutOfDate(RuntimeError):
    pass


def prepare(db: Database) -> None:
    """Create the schema on an empty database; refuse to run on an out-of-date one."""
    if is_empty(db):
        upgrade(db)
        return
    current, head = current_revision(db), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"The database schema is at {current}, the code expects {head}: "
            "run 'omnicanal db upgrade' first."
        )
