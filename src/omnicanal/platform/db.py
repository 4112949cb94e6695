"""The database: SQLAlchemy engines, sessions and the declarative base.

SQLite (the embedded default) runs in WAL mode. Writers open their transaction with
``BEGIN IMMEDIATE`` so that two writers queue on the lock instead of both reading and then
failing to upgrade; readers use a plain deferred ``BEGIN`` and never wait for writers.
PostgreSQL uses one engine for both, at READ COMMITTED; the conditional updates that
guard stock re-check their condition after waiting for a row lock.

A pooled PostgreSQL connection is not pinged before each use (a round trip per checkout on
the hottest path). Disconnects are handled optimistically, as SQLAlchemy's pooling guide
describes: a statement that meets a dropped connection fails, SQLAlchemy invalidates the
connection and every older one in the pool, and the next checkouts connect afresh; and
connections are recycled after ``POOL_RECYCLE_SECONDS``, before a firewall or a proxy drops
idle ones silently.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine, Result, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from omnicanal.platform import in_lists
from omnicanal.platform.cache import CACHES, Caches

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
OUTBOX_CHANNEL = "omnicanal_outbox"
"""The PostgreSQL notification channel of commits that wrote events to the outbox."""
POOL_RECYCLE_SECONDS = 300
"""A PostgreSQL connection older than this is replaced at its next checkout."""


class Base(DeclarativeBase):
    """Declarative base of every table; constraint names are stable across databases."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_engine(url: str, *, immediate: bool, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": 60, "check_same_thread": False},
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=120,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); pysqlite's own transaction handling is off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


_statements = threading.local()


def statements_sent() -> int:
    """How many SQL statements this thread has sent, to any database, since it started (an
    ``executemany`` counts once): the bus counts a delivery's statements by the difference
    (``bus.consumer_work``)."""
    return getattr(_statements, "sent", 0)


def _count_statement(*_: Any) -> None:
    _statements.sent = getattr(_statements, "sent", 0) + 1


class Database:
    """Engines and session factories for one database URL."""

    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = _sqlite_engine(url, immediate=True, pool_size=pool_size)
            self.read_engine = _sqlite_engine(url, immediate=False, pool_size=pool_size)
        else:
            self.write_engine = create_engine(
                url,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_recycle=POOL_RECYCLE_SECONDS,
            )
            in_lists.install(self.write_engine)
            self.read_engine = self.write_engine
        for engine in {self.write_engine, self.read_engine}:
            event.listen(engine, "before_cursor_execute", _count_statement)
        # Reference data cached in the process (platform/cache.py), for this database only.
        self.caches = Caches(self.url.render_as_string(hide_password=True))
        self._write_sessions = sessionmaker(
            self.write_engine, expire_on_commit=False, info={CACHES: self.caches}
        )
        self._read_sessions = sessionmaker(
            self.read_engine, expire_on_commit=False, info={CACHES: self.caches}
        )
        self.caches.watch(self._write_sessions)
        self.caches.watch(self._read_sessions)
        self._commit_listeners: list[Callable[[], None]] = []
        # SQLite has one writer at a time. Threads of this process queue on a lock rather
        # than in SQLite's busy handler, whose sleeps of up to 100 ms make the tail long.
        self._writer = threading.Lock() if self.is_sqlite else None

        if self.dialect == "postgresql":

            @event.listens_for(self._write_sessions, "before_commit")
            def _notify(session: Session) -> None:
                # A relay in another process LISTENs (platform/relay.py): the notification
                # reaches it when this transaction commits, and only if it does.
                if session.info.get("events_recorded") and not session.in_nested_transaction():
                    session.connection().exec_driver_sql(f"NOTIFY {OUTBOX_CHANNEL}")

        @event.listens_for(self._write_sessions, "after_commit")
        def _after_commit(session: Session) -> None:
            if session.info.pop("events_recorded", False):
                for listener in self._commit_listeners:
                    listener()

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    def on_events_committed(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every commit that wrote events to the outbox."""
        self._commit_listeners.append(listener)

    def write_session(self) -> Session:
        """A session whose transaction may write (on SQLite: takes the write lock at once)."""
        return self._write_sessions()

    def read_session(self) -> Session:
        """A session for reads only; it never waits for writers."""
        return self._read_sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit when the block ends, roll back if it raises."""
        with self._writer or nullcontext(), self.write_session() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session, closed at the end of the block.

        Closing (not rolling back) keeps what was loaded readable after the block; the pool
        ends the connection's transaction when it takes the connection back.
        """
        with self.read_session() as session:
            if not self.is_sqlite:
                # Each statement on its own, as PostgreSQL's READ COMMITTED reads anyway,
                # without the BEGIN and ROLLBACK round trips around them.
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


NO_SYNC: dict[str, Any] = {"synchronize_session": False}
"""Execution options of a bulk UPDATE or DELETE that leaves the session's loaded objects
alone: the statement says what changes, and the use case reads back what it needs."""


def rowcount(result: Result[Any]) -> int:
    """How many rows the UPDATE or DELETE that gave ``result`` matched.

    ``Session.execute`` is typed to return a ``Result``; for an UPDATE or DELETE it is a
    ``CursorResult``, the one that carries the count.
    """
    return cast(CursorResult[Any], result).rowcount


def transaction_memo(session: Session, name: str) -> dict[Any, Any]:
    """What the session keeps under ``name`` for its current transaction (begun here if it
    was not yet): a dict, found empty again in the next transaction. For what a consumer
    reads again and again across one batch and the batch's own writes cannot change."""
    session.connection()  # the transaction, begun if need be (as the next statement would)
    transaction = session.get_transaction()
    kept = session.info.get(name)
    if kept is None or kept[0] is not transaction:
        kept = (transaction, {})
        session.info[name] = kept
    memo: dict[Any, Any] = kept[1]
    return memo


def kept_memo(session: Session, name: str) -> dict[Any, Any] | None:
    """The session's memo ``name`` (:func:`transaction_memo`) if its current transaction made
    one, else None: for a reader that uses what a consumer's read-ahead kept, and reads for
    itself anywhere else (a request that may change what it reads)."""
    kept = session.info.get(name)
    if kept is None or kept[0] is not session.get_transaction():
        return None
    memo: dict[Any, Any] = kept[1]
    return memo


def dialect_insert(session: Session) -> Callable[[Any], postgresql.Insert | sqlite.Insert]:
    """The INSERT construct with ON CONFLICT for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert
