"""The journeys on the real worker: the embedded server's relay and job threads, and
``omnicanal worker`` over NATS JetStream (``OMNICANAL_TEST_NATS_URL``), on SQLite and
PostgreSQL. Nothing is driven by hand: the worker relays the events, its consumer plans and
withdraws, its job sends at the real time (a transactional e-mail, which quiet hours never
hold back)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from omnicanal.platform.wiring import Platform
from tests.builders import auth
from tests.conftest import NATS_URL, make_platform
from tests.engagement.journey_builders import INES, make_person, messages, open_cart
from tests.mail_server import Inbox, smtp_server
from tests.platform.test_nats import WorkerThread, delete_stream, wait_until
from tests.returns.builders import CARD, TILL, make_shop

CUSTOMER = f"email:{INES}"
WAIT = 60.0
"""The longest a test waits for the worker (it usually takes a fraction of a second)."""


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture(params=["embedded", "nats"])
def worker_platform(backend, tmp_path, request, inbox) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    """A platform whose background work runs by itself: the embedded relay and jobs, or
    the worker over a fresh JetStream stream."""
    settings: dict[str, object] = {
        "smtp_url": inbox.url,
        "secret_key": "journeys-worker-secret",
        "message_send_interval_seconds": 0.2,
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


@pytest.fixture
def client(worker_platform):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from omnicanal.api.app import create_app

    with TestClient(create_app(worker_platform, background=False)) as test_client:
        yield test_client


def _status(platform: Platform, kind: str) -> str | None:
    found = messages(platform, kind=kind)
    return found[0].status if found else None


def test_the_worker_sends_the_pickup_code_by_email(worker_platform, client, inbox):
    platform = worker_platform
    shop = make_shop(platform)
    make_person(platform, INES)
    placed = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "payment": CARD,
            "fulfilment": {"method": "pickup", "location": "LYON-01"},
        },
        headers=auth(shop.web),
    )
    assert placed.status_code == 201, placed.text
    (fulfilment,) = placed.json()["fulfilments"]
    for verb in ("pick", "ready"):
        moved = client.post(f"/v1/fulfilments/{fulfilment['id']}/{verb}", headers=auth(shop.lyon))
        assert moved.status_code == 200, moved.text

    wait_until(
        lambda: _status(platform, "pickup_ready") == "sent",
        timeout=WAIT,
        what="the pickup message to be sent",
    )

    [(recipients, mail)] = inbox.wait_for(1)
    assert recipients == [INES]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and fulfilment["pickup_code"] in body.get_content()


def test_the_worker_withdraws_the_reminder_of_a_cart_sold_at_the_counter(
    worker_platform, client, inbox
):
    platform = worker_platform
    shop = make_shop(platform)
    make_person(platform, INES)
    cart = open_cart(client, shop.web, (shop.robe_m, 1), customer_ref=CUSTOMER)
    wait_until(
        lambda: _status(platform, "abandoned_cart") == "scheduled",
        timeout=WAIT,
        what="the reminder to be planned",
    )

    sale = client.post(
        "/v1/orders",
        json={"cart_id": cart["id"], "channel": "store", "payment": TILL},
        headers=auth(shop.lyon),
    )
    assert sale.status_code == 201, sale.text

    wait_until(
        lambda: _status(platform, "abandoned_cart") == "withdrawn",
        timeout=WAIT,
        what="the reminder to be withdrawn",
    )
    [withdrawn] = messages(platform, kind="abandoned_cart")
    assert withdrawn.reason == "cart_bought"
    assert inbox.messages == []
