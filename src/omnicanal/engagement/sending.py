"""Sending what is due: a periodic job, in three steps, the provider outside any transaction.

1. **Claim** (one transaction): the messages still to be sent whose time has come move
   their ``due_at`` a lease ahead (:data:`LEASE`) and count an attempt. Another worker then
   finds them not due (PostgreSQL: it also skips the rows locked meanwhile, ``FOR UPDATE
   SKIP LOCKED``; SQLite: writers queue), so two workers never take the same message; one
   that dies holding a lease leaves its messages due again when the lease ends.
2. **Decide and render** (one transaction per message): the policy is asked at the moment
   of sending, with the facts recorded and what the cart's, the fulfilment's, the order's or
   the stock's module says now. Withdrawn or withheld: the message ends there. Deferred
   (quiet hours): it waits until the policy said. Allowed: on the first of the trigger's
   channels the policy allows, with the coupon made (once: a retry keeps it), the preference
   and unsubscribe links of a marketing message, rendered from the truth now; its content and
   recipient are stored, and the transaction commits.
3. **Hand over, then record** (the provider's call, then one transaction): the delivery log
   keeps the attempt; the message is ``sent`` once the provider took it, ``retrying`` with
   backoff and jitter when trying later may work, ``failed`` when not.

A crash between 2 and 3 leaves the message claimed: when its lease ends it is claimed again
and sent, at most once more (the provider is given the message's id as its reference).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicanal.engagement import contexts, links, templates
from omnicanal.engagement.coupons import make_coupon
from omnicanal.engagement.deciding import (
    PENDING,
    SYSTEM,
    ask,
    decision_time,
    end,
    event_fields,
    note,
)
from omnicanal.engagement.delivery.backoff import next_attempt
from omnicanal.engagement.delivery.base import (
    DeliveryFailed,
    Outgoing,
    Provider,
    Receipt,
    unsubscribe_headers,
)
from omnicanal.engagement.delivery.log import record_attempt
from omnicanal.engagement.delivery.providers import Providers
from omnicanal.engagement.errors import UnknownTrigger
from omnicanal.engagement.events import MessageFailed, MessageSent
from omnicanal.engagement.models import Message
from omnicanal.engagement.policy import MARKETING_PURPOSES, Decision, Outcome
from omnicanal.engagement.recipients import address_for
from omnicanal.engagement.triggers import TriggerRef, prepare_defaults, trigger_ref
from omnicanal.engagement.watches import mark_notified
from omnicanal.platform.clock import as_utc
from omnicanal.platform.config import Settings
from omnicanal.platform.db import NO_SYNC, Database
from omnicanal.platform.errors import DomainError
from omnicanal.platform.events import record_event

__all__ = ["LEASE", "Claim", "claim_due", "send_due"]

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
"""How long a claimed message is the claiming worker's: far longer than a provider's call
(an SMTP relay gives up after 10 s)."""
SMS_STOP = "STOP"
"""The word that ends a marketing SMS: answering it unsubscribes."""


@dataclass(frozen=True)
class Claim:
    """A message a worker took: until when, at which attempt."""

    message_id: str
    lease_until: datetime
    attempts: int


@dataclass(frozen=True)
class _Ready:
    """A message allowed, rendered and stored, to hand to its provider."""

    claim: Claim
    outgoing: Outgoing
    provider: Provider


def claim_due(db: Database, *, now: datetime, limit: int) -> list[Claim]:
    """Take up to ``limit`` messages due at ``now`` for this worker (see the module)."""
    lease_until = now + LEASE
    with db.transaction() as session:
        query = (
            select(Message.id, Message.attempts)
            .where(Message.status.in_(PENDING), Message.due_at <= now)
            .order_by(Message.due_at, Message.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = session.execute(query).all()
        if not rows:
            return []
        # Conditional: a row another worker changed since it was read is not taken twice.
        session.execute(
            update(Message)
            .where(
                Message.id.in_([message_id for message_id, _ in rows]),
                Message.status.in_(PENDING),
                Message.due_at <= now,
            )
            .values(due_at=lease_until, attempts=Message.attempts + 1)
            .execution_options(**NO_SYNC)
        )
        claimed = session.execute(
            select(Message.id, Message.attempts).where(
                Message.id.in_([message_id for message_id, _ in rows]),
                Message.due_at == lease_until,
            )
        ).all()
    return [Claim(message_id, lease_until, attempts) for message_id, attempts in claimed]


def _held(session: Session, claim: Claim, *, pending: bool = True) -> Message | None:
    """The claimed message, if it is still this worker's (its lease, its attempt) and, with
    ``pending``, still to be sent."""
    query = select(Message).where(Message.id == claim.message_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update().execution_options(populate_existing=True)
    message = session.scalar(query)
    if (
        message is None
        or (pending and message.status not in PENDING)
        or message.attempts != claim.attempts
        or as_utc(message.due_at) != claim.lease_until
    ):
        return None
    return message


def _fail(
    session: Session, message: Message, *, channel: str, provider: str, reason: str, now: datetime
) -> None:
    """The message cannot be delivered: it ends ``failed`` with why."""
    message.status = "failed"
    message.decided_at = decision_time(message, now, stage="send")
    message.reason = reason[:40]
    message.channel = channel
    message.provider = provider[:30]
    session.flush()
    record_event(
        session,
        MessageFailed(**event_fields(message), channel=channel, provider=provider, reason=reason),
        actor=SYSTEM,
    )


def _extra(
    session: Session,
    message: Message,
    trigger: TriggerRef,
    *,
    channel: str,
    settings: Settings,
    now: datetime,
) -> dict[str, Any]:
    """What the template reads besides the truth: the coupon, and a marketing message's
    preference and unsubscribe links."""
    extra: dict[str, Any] = {}
    planned = dict(message.context or {})
    if trigger.coupon and message.profile_id is not None:
        if message.coupon_code is None:
            coupon = make_coupon(
                session,
                offer=trigger.coupon,
                profile_id=message.profile_id,
                trigger_name=trigger.name,
                currency=str(planned.get("currency") or settings.default_currency),
                now=now,
                actor=SYSTEM,
            )
            message.coupon_code = coupon.code
            # Kept with the message: a retry offers the same coupon.
            message.context = {**planned, "coupon": coupon.context()}
        extra["coupon"] = dict((message.context or {}).get("coupon") or {})
    if message.purpose in MARKETING_PURPOSES and message.profile_id is not None:
        extra["preference_url"] = links.preference_url(
            settings, message.profile_id, language=message.language, now=now
        )
        extra["unsubscribe_url"] = links.unsubscribe_url(settings, message.profile_id, now=now)
        if channel == "sms":
            extra["sms_stop"] = SMS_STOP
    return extra


def _prepare(
    db: Database, claim: Claim, *, now: datetime, providers: Providers, settings: Settings
) -> _Ready | None:
    """Step 2 for one message: decide, and when it may go, render and store it."""
    with db.transaction() as session:
        message = _held(session, claim)
        if message is None:
            return None
        try:
            trigger = trigger_ref(session, message.trigger_code)
        except UnknownTrigger:
            _fail(session, message, channel="-", provider="-", reason="unknown_trigger", now=now)
            return None
        if not trigger.active:
            # Head office switched the trigger off: what it planned does not leave either.
            end(
                session,
                message,
                Decision(Outcome.withdraw, "trigger_off", {"trigger": trigger.code}),
                stage="send",
                now=now,
            )
            return None
        answer = ask(
            session,
            message,
            channels=trigger.channels,
            now=now,
            business_time_zone=settings.business_time_zone,
        )
        decision = answer.decision
        if decision.outcome in (Outcome.withdraw, Outcome.withhold):
            end(session, message, decision, stage="send", now=now)
            return None
        if decision.outcome == Outcome.defer or answer.channel is None:
            note(session, message, decision, stage="send", now=now)
            message.due_at = as_utc(decision.retry_at or now + LEASE)
            message.attempts = max(0, message.attempts - 1)  # nothing was attempted
            return None
        channel = answer.channel
        to = address_for(session, message.profile_id, channel)
        if to is None:
            end(
                session,
                message,
                Decision(Outcome.withhold, "no_address", {"channel": channel}),
                stage="send",
                now=now,
            )
            return None
        provider = providers.for_channel(channel)
        if provider is None:
            _fail(session, message, channel=channel, provider="-", reason="no_provider", now=now)
            return None
        try:
            # A message that cannot be rendered makes no coupon: both go back together.
            with session.begin_nested():
                extra = _extra(
                    session, message, trigger, channel=channel, settings=settings, now=now
                )
                context = contexts.context_for(
                    session,
                    kind=message.kind,
                    profile_id=message.profile_id,
                    subject=message.subject,
                    language=message.language,
                    now=now,
                    extra=extra,
                )
                rendered = templates.render(
                    session,
                    trigger_code=message.trigger_code,
                    kind=message.kind,
                    language=message.language,
                    channel=channel,
                    context=context,
                )
        except DomainError as error:
            log.warning("message %s cannot be rendered: %s", message.id, error.detail)
            _fail(
                session,
                message,
                channel=channel,
                provider=provider.name,
                reason="not_rendered",
                now=now,
            )
            return None
        headers: Mapping[str, str] = {}
        if message.purpose in MARKETING_PURPOSES and channel == "email":
            headers = unsubscribe_headers(str(extra["unsubscribe_url"]))
        message.channel = channel
        message.recipient = to[:320]
        message.provider = provider.name[:30]
        message.rendered_subject = rendered.subject[:300]
        message.rendered_text = rendered.text
        message.rendered_html = rendered.html
        message.decided_at = decision_time(message, now, stage="send")
        message.reason = decision.reason[:40]
        message.reason_facts = dict(decision.facts)
        note(session, message, decision, stage="send", now=now)
        outgoing = Outgoing(
            message_id=message.id,
            channel=channel,
            to=to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            purpose=message.purpose,
            language=message.language,
            headers=headers,
        )
    return _Ready(claim=claim, outgoing=outgoing, provider=provider)


def _record(db: Database, ready: _Ready, *, now: datetime) -> bool:
    """Step 3: hand the message over, then record what the provider said; whether it was
    sent."""
    receipt: Receipt | None = None
    failure: DeliveryFailed | None = None
    try:
        receipt = ready.provider.send(ready.outgoing)
    except DeliveryFailed as error:
        failure = error
    with db.transaction() as session:
        record_attempt(
            session,
            outgoing=ready.outgoing,
            provider=ready.provider.name,
            at=now,
            receipt=receipt,
            failure=failure,
        )
        message = _held(session, ready.claim, pending=False)
        if message is None:
            # Its lease ran out during the call and another worker took it: the attempt is
            # logged, the message is that worker's.
            return receipt is not None
        if receipt is not None:
            # Taken by the provider, it was sent: even if a fact withdrew it during the call
            # (the withdrawal came too late, and its decision stays in the log).
            message.status = "sent"
            message.sent_at = now
            message.provider = receipt.provider[:30]
            message.provider_message_id = receipt.provider_message_id
            session.flush()
            if message.kind == "back_in_stock":
                watch = (message.context or {}).get("watch_id")
                if isinstance(watch, str):
                    mark_notified(session, watch_id=watch, now=now)
            record_event(
                session,
                MessageSent(
                    **event_fields(message),
                    channel=ready.outgoing.channel,
                    provider=receipt.provider,
                    coupon_code=message.coupon_code,
                ),
                actor=SYSTEM,
            )
            return True
        assert failure is not None
        if message.status not in PENDING:
            return False  # withdrawn or withheld during the call: nothing to try again
        retry_at = next_attempt(message.attempts, now=now) if failure.retryable else None
        if retry_at is not None:
            message.status = "retrying"
            message.due_at = retry_at
            message.reason = "provider_unavailable"
            return False
        _fail(
            session,
            message,
            channel=ready.outgoing.channel,
            provider=ready.provider.name,
            reason="provider_refused" if not failure.retryable else "retries_exhausted",
            now=now,
        )
        return False


def send_due(
    db: Database,
    *,
    now: datetime,
    providers: Providers,
    settings: Settings,
    limit: int = 100,
) -> int:
    """Send up to ``limit`` messages due at ``now`` (see the module); how many a provider
    took."""
    prepare_defaults(db)
    sent = 0
    for claim in claim_due(db, now=now, limit=limit):
        try:
            ready = _prepare(db, claim, now=now, providers=providers, settings=settings)
        except Exception:
            # One message that cannot be prepared must not hold the others back: it is due
            # again when its lease ends.
            log.exception("message %s could not be prepared", claim.message_id)
            continue
        if ready is not None:
            sent += _record(db, ready, now=now)
    return sent
