"""Builders for the consent tests: people known by their app login and e-mail, answers
recorded through the ledger's use cases, and readers of the ledger and its events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnicanal.engagement import consents
from omnicanal.engagement.models import ConsentEntry
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.wiring import Platform
from tests.customers.support import make_source, send


def make_person(
    platform: Platform,
    client: TestClient,
    *,
    user_id: str = "zoe",
    email: str = "zoe@example.fr",
    first_name: str = "Zoé",
) -> str:
    """A customer known by her app login and her e-mail (the app's identify); her profile."""
    from omnicanal.customers import service as customers

    answer = send(
        client,
        make_source(platform, "app", name=f"app {user_id}"),
        {
            "type": "identify",
            "userId": user_id,
            "traits": {"email": email, "first_name": first_name, "last_name": "Martin"},
        },
    )
    assert answer["accepted"] == 1
    with platform.db.reading() as session:
        found = customers.referenced_profile_id(
            session, customer_ref=f"user_id:{user_id}", region="FR"
        )
    assert found is not None
    return found


def answer(
    platform: Platform,
    profile_id: str,
    purpose: str = "marketing",
    channel: str = "email",
    *,
    granted: bool = True,
    at: datetime | None = None,
    source: str = "api",
    **more: Any,
) -> str:
    """One answer recorded by the operator; the ledger line's id."""
    with platform.db.transaction() as session:
        entry = consents.record_consent(
            session,
            profile_id=profile_id,
            purpose=purpose,
            channel=channel,
            granted=granted,
            source=source,
            actor=OPERATOR,
            occurred_at=at or utcnow(),
            **more,
        )
        return entry.id


def states_of(
    platform: Platform, profile_id: str, *, at: datetime | None = None
) -> dict[tuple[str, str], bool]:
    """What the person accepts (as of ``at``): granted or not, by (purpose, channel)."""
    with platform.db.reading() as session:
        found = consents.current_consents(session, profile_id, at=at)
    return {pair: state.granted for pair, state in found.items()}


def ledger_rows(platform: Platform) -> list[ConsentEntry]:
    """Every ledger line, oldest first."""
    with platform.db.reading() as session:
        rows = list(
            session.scalars(
                select(ConsentEntry).order_by(ConsentEntry.occurred_at, ConsentEntry.id)
            )
        )
        session.expunge_all()
        return rows


def consent_events(platform: Platform) -> list[dict[str, Any]]:
    """The ``consent.changed`` events in the outbox, oldest first: their data."""
    with platform.db.reading() as session:
        return [
            dict(data)
            for data in session.scalars(
                select(OutboxEvent.data)
                .where(OutboxEvent.type == "consent.changed")
                .order_by(OutboxEvent.seq)
            )
        ]


def ledger_size(platform: Platform) -> int:
    with platform.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(ConsentEntry)) or 0)
