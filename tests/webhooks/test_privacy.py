"""The events kept for webhooks in a person's rights: her export says which events about her
were posted, where and when; her erasure scrubs their payloads, so that a delivery still
waiting sends her event without her; nobody else's events change."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from omnicanal.platform.clock import utcnow
from omnicanal.webhooks.models import WebhookEvent
from tests.builders import auth, make_key
from tests.returns.builders import Shop, make_shop
from tests.reviews.builders import DRESS, JACKET, make_customer, submit
from tests.webhooks.builders import Clock, deliveries, head_office_key, make_endpoint, relay, send
from tests.webhooks.receiver import Receiver


@pytest.fixture
def shop(platform, client) -> Shop:  # type: ignore[no-untyped-def]
    made = make_shop(platform)
    make_customer(platform, client)
    make_customer(platform, client, user_id="zoe", email="zoe@example.fr")
    return made


@pytest.fixture
def privacy(platform) -> str:  # type: ignore[no-untyped-def]
    return make_key(platform, "call_centre", scopes=["privacy:export", "privacy:erase"])


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    with Receiver(secret="") as running:
        yield running


@pytest.fixture
def reviewed(platform, client, shop, receiver) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """An ERP following the reviews; Inès reviewed the dress, Zoé the jacket; the events are
    relayed (their deliveries wait)."""
    endpoint = make_endpoint(client, head_office_key(platform), receiver.url, ("review.*",))
    receiver.secret = endpoint["secret"]
    made = {
        "endpoint": endpoint,
        "ines": submit(client, shop.web, product=DRESS, rating=5),
        "zoe": submit(
            client, shop.app, product=JACKET, rating=3, customer_ref="email:zoe@example.fr"
        ),
    }
    relay(platform)
    return made


def _kept(platform) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return {
            row.envelope["data"]["review_id"]: row.envelope
            for row in session.scalars(select(WebhookEvent))
        }


def test_her_export_lists_the_events_about_her_that_were_posted_and_where(
    platform, client, reviewed, privacy
):
    ines = reviewed["ines"]["profile_id"]

    export = client.get(
        f"/v1/profiles/{ines}/export", params={"format": "json"}, headers=auth(privacy)
    ).json()

    (row,) = export["webhook_deliveries"]
    assert row["event_type"] == "review.submitted"
    assert row["endpoint_url"] == reviewed["endpoint"]["url"]
    assert row["status"] == "pending"
    (hers,) = [d for d in deliveries(platform) if d.id == row["delivery_id"]]
    assert _kept(platform)[reviewed["ines"]["id"]]["id"] == hers.event_id


def test_her_erasure_scrubs_the_kept_events_and_a_waiting_delivery_sends_them_scrubbed(
    platform, client, reviewed, privacy, receiver
):
    ines = reviewed["ines"]["profile_id"]
    zoe_before = _kept(platform)[reviewed["zoe"]["id"]]

    erased = client.post(f"/v1/profiles/{ines}/erase", headers=auth(privacy))

    assert erased.status_code == 200, erased.text
    assert erased.json()["counts"]["webhook_events"] == 1
    kept = _kept(platform)
    assert kept[reviewed["ines"]["id"]]["data"]["profile_id"] is None
    assert ines not in json.dumps(kept[reviewed["ines"]["id"]])
    assert kept[reviewed["zoe"]["id"]] == zoe_before

    send(platform, Clock(utcnow()))

    sent = {r.json()["data"]["review_id"]: r.json() for r in receiver.received}
    assert sent[reviewed["ines"]["id"]]["data"]["profile_id"] is None
    assert sent[reviewed["zoe"]["id"]]["data"]["profile_id"] == reviewed["zoe"]["profile_id"]
    assert receiver.refused == 0
