"""Database migrations (Alembic), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect

from omnicanal.platform.db import Base, Database

MIGRATIONS = Path(__file__).with_name("migrations")


def metadata() -> MetaData:
    """The metadata of every module's tables."""
    import omnicanal.analytics.models
    import omnicanal.carts.models
    import omnicanal.catalog.models
    import omnicanal.customers.models
    import omnicanal.fulfilment.models
    import omnicanal.inventory.models
    import omnicanal.network.models
    import omnicanal.orders.models
    import omnicanal.platform.audit
    import omnicanal.platform.auth
    import omnicanal.platform.erasure
    import omnicanal.platform.events
    import omnicanal.platform.idempotency
    import omnicanal.pricing.models
    import omnicanal.privacy.models
    import omnicanal.staff.models
    import omnicanal.tracking.models  # noqa: F401  (each import registers its tables)

    return Base.metadata


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


def revision(db: Database, message: str) -> None:
    """Autogenerate a new revision from the models (for developers)."""
    config = _config()
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
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
