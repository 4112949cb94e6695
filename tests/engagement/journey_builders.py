"""Builders for the journeys tests: a platform whose e-mails go to a real SMTP server, Inès
known by her e-mail (and phone) with her answers about marketing, carts and orders through
the API, the relay run as the worker runs it, the sending job run at a chosen moment, and
the messages read back."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omnicanal.engagement import consents
from omnicanal.engagement.delivery.providers import Providers
from omnicanal.engagement.journeys import send_due
from omnicanal.engagement.models import Decision, Delivery, Message
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.wiring import Platform
from tests.builders import auth
from tests.conftest import make_platform
from tests.engagement.fact_builders import make_person
from tests.mail_server import Inbox

__all__ = [
    "INES",
    "INES_PHONE",
    "consent",
    "decisions_of",
    "deliveries_of",
    "drain",
    "events_of",
    "make_person",
    "messages",
    "noon_after",
    "open_cart",
    "run_send_due",
    "smtp_platform",
]

INES = "ines@example.fr"
INES_PHONE = "+33612345678"
PARIS = ZoneInfo("Europe/Paris")


def smtp_platform(
    backend: str, tmp_path: Any, request: pytest.FixtureRequest, inbox: Inbox
) -> Platform:
    """A platform whose e-mails leave through ``inbox``'s server."""
    return make_platform(
        backend, tmp_path, request, smtp_url=inbox.url, secret_key="journeys-test-secret"
    )


def consent(
    platform: Platform,
    profile_id: str,
    purpose: str = "marketing",
    channel: str = "email",
    *,
    granted: bool = True,
) -> None:
    """The person's answer about ``purpose`` on ``channel``, given a minute ago."""
    with platform.db.transaction() as session:
        consents.record_consent(
            session,
            profile_id=profile_id,
            purpose=purpose,
            channel=channel,
            granted=granted,
            source="web_form",
            actor=OPERATOR,
            occurred_at=utcnow() - timedelta(minutes=1),
        )


def drain(platform: Platform) -> None:
    """The relay publishes what is committed, as the worker would: every consumer runs."""
    platform.relay().drain()


def noon_after(moment: datetime) -> datetime:
    """The first noon in Paris after ``moment``: a time outside quiet hours."""
    local = as_utc(moment).astimezone(PARIS)
    noon = datetime.combine(local.date(), time(12, 0), tzinfo=PARIS)
    if noon <= local:
        noon = datetime.combine(local.date() + timedelta(days=1), time(12, 0), tzinfo=PARIS)
    return noon.astimezone(ZoneInfo("UTC"))


def no_quiet_hours(platform: Platform) -> None:
    """Head office keeps no quiet hours (its other settings as they are): a scene whose
    messages are planned at the real present decides the same at any hour of the day."""
    from omnicanal.engagement.settings import (
        PolicySettingsIn,
        policy_settings,
        save_policy_settings,
    )

    with platform.db.transaction() as session:
        current = policy_settings(session)
        data = PolicySettingsIn.model_validate(
            {
                "frequency_caps": current.frequency_caps,
                "quiet_start": "00:00",
                "quiet_end": "00:00",
                "suppression_days": current.suppression_days,
            }
        )
        save_policy_settings(session, data=data, actor=OPERATOR)


def run_send_due(platform: Platform, now: datetime, *, limit: int = 100) -> int:
    """The sending job at ``now``, with the providers the settings choose."""
    return send_due(
        platform.db,
        now=now,
        providers=Providers.from_settings(platform.settings),
        settings=platform.settings,
        limit=limit,
    )


def open_cart(
    client: TestClient,
    key: str,
    *lines: tuple[str, int],
    customer_ref: str | None = None,
    anonymous_id: str | None = None,
) -> dict[str, Any]:
    """POST /v1/carts with ``lines``; the cart."""
    body: dict[str, Any] = {"lines": [{"sku": sku, "quantity": n} for sku, n in lines]}
    if customer_ref is not None:
        body["customer_ref"] = customer_ref
    if anonymous_id is not None:
        body["anonymous_id"] = anonymous_id
    response = client.post("/v1/carts", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def messages(platform: Platform, *, kind: str | None = None) -> list[Message]:
    """The messages planned, oldest first."""
    query = select(Message).order_by(Message.created_at, Message.id)
    if kind is not None:
        query = query.where(Message.kind == kind)
    with platform.db.reading() as session:
        return list(session.scalars(query))


def decisions_of(platform: Platform, message_id: str) -> list[tuple[str, str, str]]:
    """The message's decisions, oldest first, as (stage, outcome, reason)."""
    with platform.db.reading() as session:
        return [
            (row.stage, row.outcome, row.reason)
            for row in session.scalars(
                select(Decision)
                .where(Decision.message_id == message_id)
                .order_by(Decision.decided_at, Decision.id)
            )
        ]


def deliveries_of(platform: Platform, message_id: str) -> list[tuple[str, str]]:
    """The message's delivery log, oldest first, as (provider, outcome)."""
    with platform.db.reading() as session:
        return [
            (row.provider, row.outcome)
            for row in session.scalars(
                select(Delivery)
                .where(Delivery.message_id == message_id)
                .order_by(Delivery.attempted_at, Delivery.id)
            )
        ]


def events_of(platform: Platform, event_type: str) -> list[dict[str, Any]]:
    """The data of every event of ``event_type`` recorded so far."""
    with platform.db.reading() as session:
        return list(
            session.scalars(
                select(OutboxEvent.data)
                .where(OutboxEvent.type == event_type)
                .order_by(OutboxEvent.seq)
            )
        )
