"""Webhooks on the real background work, nothing driven by hand: the embedded server's relay
and job threads, and ``omnicanal worker`` over NATS JetStream (``OMNICANAL_TEST_NATS_URL``),
on SQLite and PostgreSQL. The worker relays the events, its consumer makes the deliveries,
its job posts them, signed, to a real receiver, each parcel's scans in order."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from omnicanal.api.app import create_app
from omnicanal.platform.wiring import Platform
from tests.conftest import NATS_URL, make_platform
from tests.platform.test_nats import WorkerThread, delete_stream, wait_until
from tests.webhooks.builders import head_office_key, make_endpoint, scan
from tests.webhooks.receiver import Receiver

WAIT = 60.0
"""The longest a test waits for the worker (it usually takes a fraction of a second)."""


@pytest.fixture(params=["embedded", "nats"])
def worker_platform(backend, tmp_path, request) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    """A platform whose background work runs by itself: the embedded relay and jobs, or
    the worker over a fresh JetStream stream."""
    settings: dict[str, object] = {
        "webhooks_allow_private_urls": True,
        "webhook_send_interval_seconds": 0.2,
        "relay_poll_seconds": 0.2,
    }
    if request.param == "nats":
        if not NATS_URL:
            pytest.skip("NATS tests need OMNICANAL_TEST_NATS_URL (a NATS server with JetStream)")
        tag = uuid.uuid4().hex[:12]
        settings |= {
            "bus_url": NATS_URL,
            "nats_stream": f"TEST_{tag}",
            "nats_subject_prefix": f"test{tag}.events",
        }
    platform = make_platform(backend, tmp_path, request, **settings)
    if request.param == "embedded":
        platform.start_background(relay=True)
        yield platform
        platform.close()
    else:
        with WorkerThread(platform):
            yield platform
        platform.close()
        delete_stream(platform.settings)


def test_the_worker_posts_every_event_signed_and_in_order(worker_platform):
    platform = worker_platform
    with (
        Receiver(secret="") as receiver,
        TestClient(create_app(platform, background=False)) as client,
    ):
        endpoint = make_endpoint(client, head_office_key(platform), receiver.url)
        receiver.secret = endpoint["secret"]
        first = scan(platform, *((f"P{n % 4}", n // 4) for n in range(12)))
        second = scan(platform, *((f"P{n % 4}", 3 + n // 4) for n in range(8)))

        wait_until(
            lambda: len(receiver.processed) == 20,
            timeout=WAIT,
            what="the 20 scans to reach the receiver",
        )

    assert receiver.refused == 0
    assert sorted(receiver.events) == sorted(first + second)
    steps: dict[str, list[int]] = defaultdict(list)
    for item in receiver.processed:
        steps[item.event["data"]["parcel"]].append(item.event["data"]["step"])
    assert steps == {f"P{n}": [0, 1, 2, 3, 4] for n in range(4)}
