"""The webhooks tests' platform: the usual one, with endpoints on this machine allowed (the
receivers the tests start listen on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnicanal.platform.wiring import Platform
from tests.conftest import make_platform


@pytest.fixture
def platform(backend, tmp_path, request) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    """A migrated, empty database on ``backend``, local endpoints allowed, no threads."""
    platform = make_platform(backend, tmp_path, request, webhooks_allow_private_urls=True)
    yield platform
    platform.close()
