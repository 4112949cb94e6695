"""Fixtures: a real database per test (SQLite always, PostgreSQL when configured).

Set ``OMNICANAL_TEST_POSTGRES_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/test``) to
run every database test on PostgreSQL too; ``OMNICANAL_TEST_NATS_URL`` for the NATS tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import uvicorn
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from omnicanal.api.app import bind_platform, create_app
from omnicanal.bootstrap import build_platform
from omnicanal.network.models import Channel
from omnicanal.network.service import DEFAULT_CHANNELS
from omnicanal.platform import migrate
from omnicanal.platform.config import Settings, normalise_database_url
from omnicanal.platform.db import Base
from omnicanal.platform.wiring import Platform
from omnicanal.staff import passwords

# pytest-xdist's workers run with COLUMNS=80, which would fix the width of the CLI's rich
# consoles when they are imported; the CLI tests set the width they need per call.
os.environ.pop("COLUMNS", None)
# Tests send many requests with one key in a blink: no rate limit for any Settings they build
# (CLI subprocesses included); tests/platform/test_rate_limit.py gives its keys their own.
os.environ.setdefault("OMNICANAL_RATE_LIMIT_PER_MINUTE", "0")

POSTGRES_URL = os.environ.get("OMNICANAL_TEST_POSTGRES_URL")
NATS_URL = os.environ.get("OMNICANAL_TEST_NATS_URL")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id with argon2-cffi's cheapest profile, made for tests: the same code path in
    microseconds instead of ~0.1 s a hash (the staff matrices create and sign in hundreds of
    accounts). tests/staff checks the production parameters themselves."""
    production = passwords._HASHER
    passwords._HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    passwords._HASHER = production


def _postgres_test_url() -> str:
    """A database of our own beside the configured one, created fresh for this run."""
    assert POSTGRES_URL is not None
    url = make_url(normalise_database_url(POSTGRES_URL))
    name = f"omnicanal_test_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # A commit need not wait for its WAL to reach the disk in a database that lives for
        # one test run: the same statements, locks and isolation, without an fsync each.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need OMNICANAL_TEST_POSTGRES_URL")
    url = _postgres_test_url()
    platform = build_platform(Settings(database_url=url))
    migrate.upgrade(platform.db)
    platform.db.dispose()
    yield url
    admin = create_engine(
        make_url(url).set(database=make_url(normalise_database_url(POSTGRES_URL)).database),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _empty_all(platform: Platform) -> None:
    """Every table emptied, children first, in one round trip. DELETE rather than TRUNCATE:
    on tables this small it takes milliseconds where TRUNCATE (new files for every table)
    takes a good part of a second."""
    statements = ";".join(f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with platform.db.write_engine.begin() as connection:
        connection.execute(text(statements))
        # What the migrations seed, as in a freshly migrated database: the standard channels.
        connection.execute(
            insert(Channel),
            [
                {"code": kind.value, "name": name, "kind": kind.value}
                for kind, name in DEFAULT_CHANNELS.items()
            ],
        )


Rows = list[tuple[Any, list[dict[str, Any]]]]
T = TypeVar("T")


@pytest.fixture(scope="session")
def world_snapshots() -> dict[tuple[str, str], tuple[Rows, Any]]:
    """The worlds built so far in this worker: (module, backend) → (every row, the value)."""
    return {}


def _rows(platform: Platform) -> Rows:
    with platform.db.write_engine.connect() as connection:
        return [
            (table, [dict(row) for row in connection.execute(select(table)).mappings()])
            for table in Base.metadata.sorted_tables
        ]


def restored_world(request: pytest.FixtureRequest, platform: Platform, build: Callable[[], T]) -> T:
    """A test module's world (stores, keys, orders, staff…) built by ``build`` on the first
    test of the module that asks for it on this backend, and restored row for row, ids and
    secrets included, before every later one: the same rows the build would write, without
    the seconds of HTTP calls it takes. Used by the large matrices, whose every cell starts
    from the same world."""
    key = (request.node.module.__name__, platform.db.write_engine.dialect.name)
    snapshots = request.getfixturevalue("world_snapshots")
    if key not in snapshots:
        value = build()
        snapshots[key] = (_rows(platform), value)
        return value
    rows, value = snapshots[key]
    with platform.db.write_engine.begin() as connection:
        # The fresh database already holds what the migrations seed (the standard channels),
        # and so does the snapshot.
        for table, table_rows in reversed(rows):
            if table_rows:
                connection.execute(table.delete())
        for table, table_rows in rows:
            if table_rows:
                connection.execute(table.insert(), table_rows)
    return value  # type: ignore[no-any-return]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One SQLite file migrated once per test session; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "omnicanal.db"
    platform = build_platform(Settings(database_url=f"sqlite:///{path}", data_dir=path.parent))
    migrate.upgrade(platform.db)
    platform.close()
    return path


def make_platform(backend: str, tmp_path, request: pytest.FixtureRequest, **settings) -> Platform:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        path = tmp_path / "omnicanal.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        platform = build_platform(Settings(database_url=url, data_dir=tmp_path, **settings))
    else:
        url = request.getfixturevalue("postgres_url")
        # data_dir: where the platform keeps its generated secret key, out of the work tree.
        platform = build_platform(Settings(database_url=url, data_dir=tmp_path, **settings))
        _empty_all(platform)
    return platform


@pytest.fixture
def platform(backend: str, tmp_path, request: pytest.FixtureRequest) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    """A migrated, empty database on ``backend`` with the embedded bus (no threads)."""
    platform = make_platform(backend, tmp_path, request)
    yield platform
    platform.close()


@pytest.fixture(scope="session")
def built_apps() -> dict[str, FastAPI]:
    """The API apps built so far in this worker, by the settings they were built with."""
    return {}


def _app_shape(settings: Settings) -> str:
    """What an app's routes and middleware depend on: its settings but for the database and
    the data folder, which it reads through its platform on each request."""
    return settings.model_dump_json(exclude={"database_url", "data_dir"})


@pytest.fixture
def client(platform: Platform, built_apps: dict[str, FastAPI]) -> Iterator[TestClient]:
    """The HTTP API over ``platform``, background jobs off (tests drive them).

    Building an app's routes costs about half a second of CPU, and thousands of tests ask for
    one: an app built with the same settings earlier in this worker is bound to this test's
    platform instead (``bind_platform``: its own rate count and metrics, nothing kept).
    """
    with TestClient(app_for(platform, built_apps)) as test_client:
        yield test_client


def app_for(platform: Platform, built_apps: dict[str, FastAPI]) -> FastAPI:
    """The API app over ``platform``, background jobs off: one built earlier in this worker
    with the same settings, bound to ``platform``, or a new one."""
    shape = _app_shape(platform.settings)
    app = built_apps.get(shape)
    if app is None:
        app = built_apps[shape] = create_app(platform, background=False)
    else:
        bind_platform(app, platform)
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """A real uvicorn server on a free local port, in a thread."""

    def __init__(self, platform: Platform) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(platform, background=False),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            limit_concurrency=1000,
            backlog=2048,
            # uvicorn closes an idle keep-alive connection after 5 s by default; a client
            # that pools connections (the Segment and RudderStack SDKs' requests sessions)
            # and pauses that long on a loaded machine would send its next request into the
            # closing socket and fail. A test server keeps them open as long as a test runs.
            timeout_keep_alive=300,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def live_server(platform: Platform) -> Iterator[LiveServer]:
    with LiveServer(platform) as server:
        yield server
