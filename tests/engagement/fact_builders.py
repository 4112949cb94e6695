"""Builders for the facts and measures tests: a known person, the outbox read back as events,
the facts those events bring, and hand-made messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import Identifier, IdentifierKind
from omnicanal.engagement.facts import facts_from_event
from omnicanal.engagement.models import Fact, Message
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import Event, OutboxEvent
from omnicanal.platform.ids import new_id
from omnicanal.platform.wiring import Platform
from tests.builders import auth
from tests.returns.builders import CARD, DELIVERY

INES = "ines@example.fr"


def make_person(
    platform: Platform,
    email: str | None = INES,
    *,
    phone: str | None = None,
    device: str | None = None,
    traits: dict[str, Any] | None = None,
) -> str:
    """A customer known by ``email`` (and ``phone``, a ``device``), with ``traits``; their
    profile id."""
    identifiers = []
    if email:
        identifiers.append(Identifier(IdentifierKind.email, email, anchor=True))
    if phone:
        identifiers.append(Identifier(IdentifierKind.phone, phone, anchor=True))
    if device:
        identifiers.append(Identifier(IdentifierKind.device_id, device, anchor=False))
    now = utcnow()
    with platform.db.transaction() as session:
        (resolved,) = customers.record_sightings(
            session,
            sightings=[
                customers.Sighting(
                    identifiers=tuple(identifiers),
                    kind="identify",
                    name="identify",
                    occurred_at=now,
                    received_at=now,
                    source="web",
                    channel="web",
                    message_ref=new_id(),
                    traits=traits or {},
                )
            ],
            actor=OPERATOR,
        )
    assert resolved.profile_id is not None
    return resolved.profile_id


def ship_cart(client: Any, key: str, cart_id: str) -> dict[str, Any]:
    """The cart ``cart_id`` checked out with ``key``, shipped and paid by card; the order."""
    response = client.post(
        "/v1/orders",
        json={
            "cart_id": cart_id,
            "delivery_address": DELIVERY,
            "payment": CARD,
            "fulfilment": {"method": "ship"},
        },
        headers=auth(key),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def last_seq(platform: Platform) -> int:
    """The outbox's last sequence number (0 when empty)."""
    with platform.db.reading() as session:
        return int(session.scalar(select(func.coalesce(func.max(OutboxEvent.seq), 0))) or 0)


def events_since(platform: Platform, seq: int, prefix: str = "") -> list[Event]:
    """The events written to the outbox after ``seq`` (of types starting with ``prefix``)."""
    with platform.db.reading() as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.seq > seq, OutboxEvent.type.startswith(prefix))
            .order_by(OutboxEvent.seq)
        )
        return [row.to_event() for row in rows]


def facts_of(platform: Platform, events: list[Event]) -> list[Fact]:
    """The new facts ``events`` bring, in one transaction, as the consumer records them (they
    come back outside the session)."""
    with platform.db.transaction() as session:
        return [fact for event in events for fact in facts_from_event(session, event, region="FR")]


def all_facts(platform: Platform) -> list[Fact]:
    with platform.db.reading() as session:
        facts = list(session.scalars(select(Fact).order_by(Fact.occurred_at, Fact.id)))
        for fact in facts:
            session.expunge(fact)
    return facts


def add_message(
    platform: Platform,
    *,
    profile_id: str | None,
    status: str,
    kind: str = "win_back",
    purpose: str = "marketing",
    channel: str | None = "email",
    subject: str | None = None,
    reason: str | None = None,
    reason_since: datetime,
    sent_at: datetime | None = None,
    decided_at: datetime | None = None,
    recipient: str | None = INES,
    context: dict[str, Any] | None = None,
) -> str:
    """A message as the journeys leave it (sent, withheld, withdrawn...); its id."""
    message_id = new_id()
    moment = sent_at or decided_at or reason_since
    with platform.db.transaction() as session:
        session.add(
            Message(
                id=message_id,
                trigger_code=kind.upper(),
                kind=kind,
                purpose=purpose,
                profile_id=profile_id,
                language="fr",
                subject=subject or f"profiles/{profile_id}",
                dedupe_key=f"{kind}:{message_id}",
                context=context or {},
                status=status,
                reason_since=reason_since,
                due_at=moment,
                created_at=reason_since,
                decided_at=decided_at or sent_at,
                sent_at=sent_at,
                channel=channel,
                recipient=recipient if status == "sent" else None,
                reason=reason,
            )
        )
    return message_id
