"""Builders for the webhooks tests: a head-office key, endpoints made over HTTP, events
recorded and relayed through the real outbox, a clock the tests move, and the deliveries
as stored."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import DomainEvent, record_event
from omnicanal.platform.wiring import Platform
from omnicanal.webhooks.models import WebhookDelivery, WebhookEndpoint
from omnicanal.webhooks.sending import SendOptions, SendReport, send_due
from tests.builders import auth, make_key

ADMIN = "webhooks:admin"


class ParcelScanned(DomainEvent):
    """A parcel scanned at a step of its journey (the tests' own event: many of them, about
    a few parcels, make per-subject order visible)."""

    type = "test.parcel_scanned"
    example = {"parcel": "P1", "step": 1}

    parcel: str
    step: int

    @property
    def subject(self) -> str:
        return f"parcels/{self.parcel}"


def head_office_key(platform: Platform) -> str:
    """Head office's integration key: a call-centre key bound to no store, with the
    webhooks' scope."""
    return make_key(platform, "call_centre", scopes=[ADMIN])


def make_endpoint(
    client: TestClient, key: str, url: str, event_types: tuple[str, ...] = ("test.*",), **more: Any
) -> dict[str, Any]:
    """POST /v1/webhooks/endpoints, asserting it was made; the answer (with the secret)."""
    response = client.post(
        "/v1/webhooks/endpoints",
        json={"url": url, "event_types": list(event_types), **more},
        headers=auth(key),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def scan(platform: Platform, *steps: tuple[str, int]) -> list[str]:
    """Record a ``ParcelScanned`` per (parcel, step), in one transaction; their event ids."""
    with platform.db.transaction() as session:
        return [
            record_event(session, ParcelScanned(parcel=parcel, step=step), actor=OPERATOR).id
            for parcel, step in steps
        ]


def relay(platform: Platform) -> int:
    """Publish the outbox to the embedded bus (its consumers make the deliveries)."""
    return platform.relay().drain()


@dataclass
class Clock:
    """The time the sending job is told: moved by the test, hours in a moment."""

    now: datetime

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def clock() -> Clock:
    return Clock(utcnow())


def send(platform: Platform, at: Clock | datetime, *, seed: int = 7, **options: Any) -> SendReport:
    """Run the sending job once at the clock's time (its jitter drawn from ``seed``)."""
    moment = at.now if isinstance(at, Clock) else at
    chosen = SendOptions.of(platform.settings)
    if options:
        chosen = SendOptions(**{**chosen.__dict__, **options})
    return send_due(platform.db, now=moment, options=chosen, rng=random.Random(seed))


def deliveries(platform: Platform, endpoint_id: str | None = None) -> list[WebhookDelivery]:
    """The deliveries, in the order they were made."""
    with platform.db.reading() as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.seq)
        if endpoint_id is not None:
            query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
        return list(session.scalars(query))


def endpoint_row(platform: Platform, endpoint_id: str) -> WebhookEndpoint:
    with platform.db.reading() as session:
        row = session.get(WebhookEndpoint, endpoint_id)
        assert row is not None
        return row
