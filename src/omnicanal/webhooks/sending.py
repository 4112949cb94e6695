"""Sending the deliveries that are due: a periodic job, the endpoints called outside any
database transaction.

A run goes in rounds until nothing more is due:

1. **Claim** (one transaction): up to :data:`ROUND` pending deliveries of active endpoints,
   due now, each the oldest pending one of its endpoint and subject (a delivery waits while
   an older one about the same subject is not delivered nor given up), move their
   ``due_at`` a lease ahead (:data:`LEASE`) and count an attempt. Another worker then finds
   them not due (PostgreSQL also skips the rows locked meanwhile); one that dies holding a
   lease leaves its deliveries due again when the lease ends.
2. **Call** (no transaction, ``webhooks.calling``): each endpoint's deliveries in order, in a
   thread per endpoint, signed CloudEvents JSON (a ``segment`` endpoint: a Segment message
   with its write key, its facts read after the claim by ``webhooks.forwarding``). Any 2xx is
   delivered, anything else a failed attempt; an endpoint found down is not called again in
   the round, and a message a segment endpoint refused for good is given up at once.
3. **Record** (one transaction): delivered; or tried again after an exponential backoff with
   full jitter; or given up (dead) once ``webhook_give_up_hours`` have passed. The endpoint's
   health follows its calls: a success clears it, a failure counts; an endpoint failing for
   ``webhook_disable_after_hours`` and ``webhook_disable_after_failures`` calls in a row is
   disabled (``webhook.endpoint_disabled``), its pending deliveries dead-lettered.

The delivery that succeeded in one round frees the next one of its subject for the next
round, so a run drains what it can. The time (``now``) decides what is due and when to try
again, and is given (the tests drive hours of backoff in a moment); the signature's
timestamp is the moment of the call, which receivers check against their clock.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session, aliased

from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc
from omnicanal.platform.config import Settings
from omnicanal.platform.db import NO_SYNC, Database, rowcount
from omnicanal.webhooks.calling import Claim, Outcome, Payload, Target, call
from omnicanal.webhooks.forwarding import segment_messages
from omnicanal.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from omnicanal.webhooks.rules import next_attempt
from omnicanal.webhooks.segment import SEGMENT
from omnicanal.webhooks.service import disable_endpoint

__all__ = [
    "LEASE",
    "ROUND",
    "SYSTEM",
    "SendOptions",
    "SendReport",
    "body_of",
    "purge_old",
    "send_due",
]

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
"""How long claimed deliveries are the claiming worker's: far longer than their calls."""
ROUND = 100
"""Deliveries claimed at a time."""
ERROR_LENGTH = 300
SYSTEM = Actor(key_id=None, channel="system", name="webhooks")
"""Who the sending job acts as (an endpoint it disables)."""


@dataclass(frozen=True)
class SendOptions:
    """What the settings say of sending."""

    timeout: float = 10.0
    give_up_after: timedelta = timedelta(hours=24)
    disable_after: timedelta = timedelta(hours=48)
    disable_after_failures: int = 20
    allow_private: bool = False

    @classmethod
    def of(cls, settings: Settings) -> SendOptions:
        return cls(
            timeout=settings.webhook_timeout_seconds,
            give_up_after=timedelta(hours=settings.webhook_give_up_hours),
            disable_after=timedelta(hours=settings.webhook_disable_after_hours),
            disable_after_failures=settings.webhook_disable_after_failures,
            allow_private=settings.webhooks_allow_private_urls,
        )


@dataclass(frozen=True)
class SendReport:
    """What a run did: deliveries delivered, attempts failed, deliveries given up, endpoints
    disabled."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    disabled: int = 0

    def __add__(self, other: SendReport) -> SendReport:
        return SendReport(
            self.delivered + other.delivered,
            self.failed + other.failed,
            self.dead + other.dead,
            self.disabled + other.disabled,
        )


def body_of(envelope: dict[str, Any]) -> bytes:
    """The bytes posted for an event: its CloudEvents envelope as compact UTF-8 JSON."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


# --- 1. claim ------------------------------------------------------------------------------


def _claim(
    db: Database, *, now: datetime, limit: int
) -> tuple[list[Claim], dict[str, Target], dict[str, dict[str, Any]]]:
    """Take up to ``limit`` deliveries due at ``now`` (see the module), with their endpoints
    and their events' envelopes."""
    lease_until = now + LEASE
    older = aliased(WebhookDelivery)
    blocked = (
        exists()
        .where(
            older.endpoint_id == WebhookDelivery.endpoint_id,
            older.subject == WebhookDelivery.subject,
            older.status == "pending",
            older.seq < WebhookDelivery.seq,
        )
        .correlate(WebhookDelivery)
    )
    with db.transaction() as session:
        query = (
            select(WebhookDelivery.seq)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.due_at <= now,
                WebhookEndpoint.active.is_(True),
                ~blocked,
            )
            .order_by(WebhookDelivery.due_at, WebhookDelivery.seq)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
        seqs = list(session.scalars(query))
        if not seqs:
            return [], {}, {}
        # Conditional: a row another worker took since it was read is not taken twice.
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.seq.in_(seqs),
                WebhookDelivery.status == "pending",
                WebhookDelivery.due_at <= now,
            )
            .values(due_at=lease_until, attempts=WebhookDelivery.attempts + 1, last_attempt_at=now)
            .execution_options(**NO_SYNC)
        )
        claims = [
            Claim(
                seq=row.seq,
                id=row.id,
                attempts=row.attempts,
                lease_until=lease_until,
                started_at=as_utc(row.started_at),
                endpoint_id=row.endpoint_id,
                event_id=row.event_id,
                event_type=row.event_type,
            )
            for row in session.execute(
                select(
                    WebhookDelivery.seq,
                    WebhookDelivery.id,
                    WebhookDelivery.attempts,
                    WebhookDelivery.started_at,
                    WebhookDelivery.endpoint_id,
                    WebhookDelivery.event_id,
                    WebhookDelivery.event_type,
                )
                .where(WebhookDelivery.seq.in_(seqs), WebhookDelivery.due_at == lease_until)
                .order_by(WebhookDelivery.seq)
            )
        ]
        targets = _targets(session, {claim.endpoint_id for claim in claims}, now=now)
        envelopes = {
            event_id: envelope
            for event_id, envelope in session.execute(
                select(WebhookEvent.id, WebhookEvent.envelope).where(
                    WebhookEvent.id.in_({claim.event_id for claim in claims})
                )
            )
        }
    return claims, targets, envelopes


def _targets(session: Session, endpoint_ids: set[str], *, now: datetime) -> dict[str, Target]:
    targets = {}
    for endpoint in session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))
    ):
        signing = [endpoint.secret]
        until = endpoint.previous_secret_until
        if endpoint.previous_secret and until is not None and as_utc(until) > now:
            signing.append(endpoint.previous_secret)
        targets[endpoint.id] = Target(
            id=endpoint.id,
            url=endpoint.url,
            secrets=tuple(signing),
            format=endpoint.format,
            write_key=endpoint.write_key or "",
        )
    return targets


def _payloads(
    db: Database,
    claims: Sequence[Claim],
    targets: dict[str, Target],
    envelopes: dict[str, dict[str, Any]],
) -> dict[str, Payload]:
    """What each claimed delivery posts, by its id: the event's body (one per event, shared
    by its standard endpoints), or its Segment message (read in a transaction of its own)."""
    payloads: dict[str, Payload] = {}
    bodies: dict[str, bytes] = {}
    forwarded: dict[str, dict[str, Any]] = {}
    for claim in claims:
        target, envelope = targets.get(claim.endpoint_id), envelopes.get(claim.event_id)
        if target is None or envelope is None:
            continue
        if target.format == SEGMENT:
            forwarded[claim.id] = envelope
            continue
        if claim.event_id not in bodies:
            bodies[claim.event_id] = body_of(envelope)
        payloads[claim.id] = bodies[claim.event_id]
    if forwarded:
        with db.reading() as session:
            payloads |= segment_messages(session, forwarded)
    return payloads


# --- 3. record -----------------------------------------------------------------------------


def _record(
    db: Database,
    outcomes: Sequence[Outcome],
    *,
    now: datetime,
    options: SendOptions,
    rng: random.Random | None,
) -> SendReport:
    delivered = failed = dead = disabled = 0
    with db.transaction() as session:
        for outcome in outcomes:
            claim = outcome.claim
            values: dict[str, Any] = {
                "last_status_code": outcome.status_code,
                "last_error": (outcome.error or "")[:ERROR_LENGTH] or None,
            }
            if outcome.ok:
                values |= {"status": "delivered", "delivered_at": now}
            elif outcome.final:
                values |= {"status": "dead", "dead_at": now, "dead_reason": "refused"}
            else:
                again = next_attempt(
                    claim.attempts,
                    now=now,
                    started_at=claim.started_at,
                    give_up_after=options.give_up_after,
                    rng=rng,
                )
                if again is None:
                    values |= {"status": "dead", "dead_at": now, "dead_reason": "gave_up"}
                else:
                    values["due_at"] = again
            # Still this worker's (its lease, its attempt): else another took it over.
            changed = rowcount(
                session.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.seq == claim.seq,
                        WebhookDelivery.status == "pending",
                        WebhookDelivery.attempts == claim.attempts,
                        WebhookDelivery.due_at == claim.lease_until,
                    )
                    .values(**values)
                    .execution_options(**NO_SYNC)
                )
            )
            if changed and outcome.ok:
                delivered += 1
            elif changed:
                failed += 1
                dead += values.get("status") == "dead"
        disabled = _note_health(session, outcomes, now=now, options=options)
    return SendReport(delivered=delivered, failed=failed, dead=dead, disabled=disabled)


def _note_health(
    session: Session, outcomes: Sequence[Outcome], *, now: datetime, options: SendOptions
) -> int:
    """Follow each endpoint's calls: a success clears its failures, a failure counts; one
    failing long enough and often enough is disabled. How many were."""
    calls: dict[str, list[bool]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.called:
            calls[outcome.claim.endpoint_id].append(outcome.ok)
    disabled = 0
    for endpoint_id, results in sorted(calls.items()):
        query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        endpoint = session.scalar(query)
        if endpoint is None:
            continue
        for ok in results:
            if ok:
                endpoint.failures, endpoint.failing_since = 0, None
                endpoint.last_success_at = now
            else:
                endpoint.failures += 1
                endpoint.failing_since = endpoint.failing_since or now
        since = endpoint.failing_since
        if (
            endpoint.active
            and since is not None
            and now - as_utc(since) >= options.disable_after
            and endpoint.failures >= options.disable_after_failures
        ):
            dead = disable_endpoint(session, endpoint, reason="failing", by=SYSTEM, now=now)
            log.warning(
                "webhook endpoint %s disabled: failing since %s (%d calls); %d deliveries "
                "dead-lettered",
                endpoint.id,
                since.isoformat(),
                endpoint.failures,
                dead,
            )
            disabled += 1
    session.flush()
    return disabled


# --- the run -------------------------------------------------------------------------------


def send_due(
    db: Database,
    *,
    now: datetime,
    options: SendOptions,
    limit: int = 2_000,
    rng: random.Random | None = None,
) -> SendReport:
    """Send the deliveries due at ``now``, round after round, until none is due or ``limit``
    were tried (see the module); what was done."""
    report = SendReport()
    # The client is opened once something is due: its TLS context alone costs milliseconds,
    # and most runs find nothing to send.
    with contextlib.ExitStack() as opened:
        client: httpx.Client | None = None
        while report.delivered + report.failed < limit:
            wanted = min(ROUND, limit - report.delivered - report.failed)
            claims, targets, envelopes = _claim(db, now=now, limit=wanted)
            if not claims:
                break
            if client is None:
                client = opened.enter_context(
                    httpx.Client(timeout=options.timeout, follow_redirects=False)
                )
            payloads = _payloads(db, claims, targets, envelopes)
            outcomes = call(client, claims, targets, payloads, allow_private=options.allow_private)
            report += _record(db, outcomes, now=now, options=options, rng=rng)
    return report


def purge_old(db: Database, *, now: datetime, keep: timedelta) -> int:
    """Delete the deliveries delivered or given up before ``now - keep``, then the events no
    delivery names any more; how many deliveries went."""
    with db.transaction() as session:
        gone = rowcount(
            session.execute(
                delete(WebhookDelivery)
                .where(
                    WebhookDelivery.status.in_(("delivered", "dead")),
                    WebhookDelivery.created_at < now - keep,
                )
                .execution_options(**NO_SYNC)
            )
        )
        session.execute(
            delete(WebhookEvent)
            .where(~exists().where(WebhookDelivery.event_id == WebhookEvent.id))
            .execution_options(**NO_SYNC)
        )
    return gone
