"""Builders for the delivery feedback tests: a platform that takes reports, a customer who
said yes to marketing, and messages sent to her (the rows the journeys write when a provider
took a message)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from omnicanal.engagement import consents
from omnicanal.engagement.delivery.base import Outgoing, Receipt
from omnicanal.engagement.delivery.log import record_attempt
from omnicanal.engagement.models import Delivery, Fact, Message
from omnicanal.platform.actors import Actor
from omnicanal.platform.ids import new_id
from omnicanal.platform.wiring import Platform

FEEDBACK_TOKEN = "feedback-t0ken-for-brevo"
WEBHOOK_SECRET = "whsec_c2lnbmluZyBzZWNyZXQgb2YgdGhlIHdlYmhvb2tzLg=="
SETTINGS = {"delivery_feedback_token": FEEDBACK_TOKEN, "message_webhook_secret": WEBHOOK_SECRET}
SENT_AT = datetime(2026, 3, 14, 17, 0, tzinfo=UTC)
WEB_FORM = Actor(key_id=None, channel="web", name="web shop sign-up")
_numbers = itertools.count(1)


def opt_in(platform: Platform, profile_id: str) -> None:
    """The customer said yes to marketing and personalised offers by e-mail and SMS."""
    with platform.db.transaction() as session:
        for purpose in ("marketing", "personalised_offers"):
            for channel in ("email", "sms"):
                consents.record_consent(
                    session,
                    profile_id=profile_id,
                    purpose=purpose,
                    channel=channel,
                    granted=True,
                    source="web_form",
                    actor=WEB_FORM,
                    occurred_at=SENT_AT - timedelta(days=30),
                )


def sent_message(
    platform: Platform,
    profile_id: str | None,
    *,
    channel: str = "email",
    recipient: str = "ines@example.fr",
    provider: str = "brevo",
    provider_message_id: str | None = None,
    purpose: str = "marketing",
) -> str:
    """A message sent to the customer and taken by ``provider`` (its attempt logged with the
    provider's id); its id."""
    number = next(_numbers)
    message_id = new_id()
    with platform.db.transaction() as session:
        session.add(
            Message(
                id=message_id,
                trigger_code="ABANDONED_CART",
                kind="abandoned_cart",
                purpose=purpose,
                profile_id=profile_id,
                language="fr",
                subject=f"carts/CART{number}",
                dedupe_key=f"ABANDONED_CART:carts/CART{number}:{profile_id}",
                context={},
                status="sent",
                reason_since=SENT_AT - timedelta(hours=2),
                due_at=SENT_AT,
                decided_at=SENT_AT,
                sent_at=SENT_AT,
                channel=channel,
                recipient=recipient,
                attempts=1,
                provider=provider,
                provider_message_id=provider_message_id,
                rendered_subject="Votre panier vous attend",
                rendered_text="Bonjour Inès, votre robe est toujours là.",
            )
        )
        session.flush()
        outgoing = Outgoing(
            message_id=message_id,
            channel=channel,
            to=recipient,
            subject="Votre panier vous attend",
            text="Bonjour Inès, votre robe est toujours là.",
            html=None,
            purpose=purpose,
            language="fr",
        )
        record_attempt(
            session,
            outgoing=outgoing,
            provider=provider,
            at=SENT_AT,
            receipt=Receipt(provider=provider, provider_message_id=provider_message_id),
        )
    return message_id


def consent_of(platform: Platform, profile_id: str) -> dict[tuple[str, str], tuple[bool, str]]:
    """The customer's current answers: (purpose, channel) → (granted, source)."""
    with platform.db.reading() as session:
        states = consents.current_consents(session, profile_id)
    return {pair: (state.granted, state.source) for pair, state in states.items()}


def facts_of(platform: Platform, profile_id: str) -> list[tuple[str, dict[str, Any]]]:
    with platform.db.reading() as session:
        rows = session.scalars(
            select(Fact).where(Fact.profile_id == profile_id).order_by(Fact.occurred_at)
        )
        return [(row.kind, dict(row.detail)) for row in rows]


def log_of(platform: Platform, message_id: str) -> list[tuple[str, str, str | None]]:
    """The message's delivery log: (outcome, provider, detail), oldest first."""
    with platform.db.reading() as session:
        rows = session.scalars(
            select(Delivery)
            .where(Delivery.message_id == message_id)
            .order_by(Delivery.attempted_at, Delivery.id)
        )
        return [(row.outcome, row.provider, row.detail) for row in rows]
