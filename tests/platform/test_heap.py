"""The served processes set what start-up built aside from garbage collection.

A full collection visits every object the collector tracks. Without the freeze, a server
visits its hundreds of thousands of start-up objects (routes, mapped classes, compiled
statements) on each one; once settled, it visits only what it made since.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from omnicanal.api.app import create_app
from omnicanal.platform.heap import settle
from omnicanal.platform.wiring import Platform
from omnicanal.platform.worker import run_worker


@pytest.fixture
def thawed() -> Iterator[None]:
    """Start and end with nothing frozen, so the objects a test leaves stay collectable."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settle_leaves_a_full_collection_only_what_was_made_since(thawed: None) -> None:
    tracked_before = len(gc.get_objects())
    frozen = settle()
    assert frozen == gc.get_freeze_count() > 0
    made_since = [["order", n] for n in range(1_000)]
    # Start-up's objects are out of the collector's view; what came after is in it.
    tracked = gc.get_objects()
    assert len(tracked) < tracked_before / 4
    assert any(obj is made_since for obj in tracked)


def test_the_served_app_settles_once_started(
    thawed: None, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``omnicanal.api.asgi`` builds its platform from the environment: that app settles."""
    monkeypatch.setenv("OMNICANAL_DATABASE_URL", f"sqlite:///{tmp_path / 'served.db'}")
    monkeypatch.setenv("OMNICANAL_DATA_DIR", str(tmp_path))
    app = create_app(background=False)
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 0
        assert client.get("/healthz").status_code == 200


def test_an_app_given_its_platform_leaves_the_heap_alone_unless_asked(
    thawed: None, platform: Platform
) -> None:
    with TestClient(create_app(platform, background=False)):
        assert gc.get_freeze_count() == 0
    with TestClient(create_app(platform, background=False, settle_heap=True)):
        assert gc.get_freeze_count() > 0


def test_the_worker_settles_once_its_threads_run(thawed: None, platform: Platform) -> None:
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker, args=(platform,), kwargs={"stop": stop, "settle_heap": True}
    )
    worker.start()
    try:
        for _ in range(200):
            if gc.get_freeze_count():
                break
            stop.wait(0.05)
        assert gc.get_freeze_count() > 0
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
