"""Sending the deliveries that are due: a periodic job, the endpoints called outside any
database transaction.

A run goes in rounds until nothing more is due:

1. **Claim** (one transaction): up to :data:`ROUND` pending deliveries of active endpoints,
   due now, each the oldest pending one of its endpoint and subject (a delivery waits while
   an older one about the same subject is not delivered nor given up), move their
   ``due_at`` a lease ahead (:data:`LEASE`) and count an attempt. Another worker then finds
   them not due (PostgreSQL also skips the rows locked meanwhile); one that dies holding a
   lease leaves its deliveries due again when the lease ends.
2. **Call** (no transaction): each endpoint's deliveries in order, in a thread per endpoint;
   the body is the event's CloudEvents JSON, signed (``webhook-id``, ``webhook-timestamp``,
   ``webhook-signature``). Any 2xx is delivered; anything else is a failed attempt. When the
   endpoint is unreachable or says it is unavailable (a network failure, a timeout, 429,
   502, 503, 504), its remaining deliveries of the round are failed attempts too, without a
   call: an endpoint that is down is not hammered. Another refusal (a 400 or a 500 for one
   event) fails that delivery only.
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

import ipaddress
import json
import logging
import random
import socket
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session, aliased

from omnicanal import __version__
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.config import Settings
from omnicanal.platform.db import NO_SYNC, Database, rowcount
from omnicanal.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from omnicanal.webhooks.rules import is_private_host, next_attempt, signature_header
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
PARALLEL_ENDPOINTS = 8
"""Endpoints called at once (each endpoint's deliveries go one after the other)."""
ERROR_LENGTH = 300
ANSWER_EXCERPT = 200
"""Characters of a refusing endpoint's answer kept to say why (the rest is not read)."""
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


@dataclass(frozen=True)
class _Claim:
    """A delivery this worker took: until when, at which attempt, for which endpoint."""

    seq: int
    id: str
    attempts: int
    lease_until: datetime
    started_at: datetime
    endpoint_id: str
    event_id: str
    event_type: str


@dataclass(frozen=True)
class _Target:
    """An endpoint as its deliveries are sent: where, signed with which secrets."""

    id: str
    url: str
    secrets: tuple[str, ...]


UNAVAILABLE = frozenset({429, 502, 503, 504})
"""Answers that speak for the whole endpoint (busy, or down behind its proxy)."""


@dataclass(frozen=True)
class _Outcome:
    claim: _Claim
    ok: bool
    called: bool
    status_code: int | None = None
    error: str | None = None

    @property
    def endpoint_down(self) -> bool:
        """Whether the failure says the whole endpoint cannot take deliveries now."""
        return not self.ok and (self.status_code is None or self.status_code in UNAVAILABLE)


def body_of(envelope: dict[str, Any]) -> bytes:
    """The bytes posted for an event: its CloudEvents envelope as compact UTF-8 JSON."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


# --- 1. claim ------------------------------------------------------------------------------


def _claim(
    db: Database, *, now: datetime, limit: int
) -> tuple[list[_Claim], dict[str, _Target], dict[str, bytes]]:
    """Take up to ``limit`` deliveries due at ``now`` (see the module), with their endpoints
    and bodies."""
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
            _Claim(
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
        bodies = {
            event_id: body_of(envelope)
            for event_id, envelope in session.execute(
                select(WebhookEvent.id, WebhookEvent.envelope).where(
                    WebhookEvent.id.in_({claim.event_id for claim in claims})
                )
            )
        }
    return claims, targets, bodies


def _targets(session: Session, endpoint_ids: set[str], *, now: datetime) -> dict[str, _Target]:
    targets = {}
    for endpoint in session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))
    ):
        signing = [endpoint.secret]
        until = endpoint.previous_secret_until
        if endpoint.previous_secret and until is not None and as_utc(until) > now:
            signing.append(endpoint.previous_secret)
        targets[endpoint.id] = _Target(id=endpoint.id, url=endpoint.url, secrets=tuple(signing))
    return targets


# --- 2. call -------------------------------------------------------------------------------


def _not_public(url: str) -> str | None:
    """Why ``url`` may not be called when only public addresses may (its host is, or
    resolves to, a local or private address), or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").strip("[]")
    if is_private_host(host):
        return f"{host} is a local or private address"
    try:
        found = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        return f"{host} cannot be resolved: {error}"
    for *_, address in found:
        if is_private_host(str(ipaddress.ip_address(address[0]))):
            return f"{host} resolves to the local or private address {address[0]}"
    return None


def _excerpt(response: httpx.Response) -> str:
    """The start of an answer's body, read no further."""
    taken = b""
    for chunk in response.iter_bytes():
        taken += chunk
        if len(taken) >= ANSWER_EXCERPT:
            break
    return taken[:ANSWER_EXCERPT].decode("utf-8", "replace")


def _post(
    client: httpx.Client, target: _Target, claim: _Claim, body: bytes, options: SendOptions
) -> _Outcome:
    """Post one delivery; its outcome."""
    if not options.allow_private:
        refused = _not_public(target.url)
        if refused is not None:
            return _Outcome(claim, ok=False, called=True, error=f"not sent: {refused}")
    timestamp = int(utcnow().timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": f"omnicanal-webhooks/{__version__}",
        "webhook-id": claim.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            target.secrets, webhook_id=claim.id, timestamp=timestamp, body=body
        ),
        "omnicanal-event-type": claim.event_type,
        "omnicanal-event-id": claim.event_id,
    }
    try:
        with client.stream("POST", target.url, content=body, headers=headers) as response:
            status = response.status_code
            if response.is_success:
                return _Outcome(claim, ok=True, called=True, status_code=status)
            excerpt = _excerpt(response)
    except httpx.HTTPError as error:
        return _Outcome(
            claim, ok=False, called=True, error=f"{type(error).__name__}: {error}".strip(": ")
        )
    return _Outcome(
        claim, ok=False, called=True, status_code=status, error=f"answered {status}: {excerpt}"
    )


def _send_to(
    client: httpx.Client,
    target: _Target,
    claims: Sequence[_Claim],
    bodies: dict[str, bytes],
    options: SendOptions,
) -> list[_Outcome]:
    """One endpoint's deliveries of the round, in order; once it is found down, the rest are
    failed attempts without a call."""
    outcomes: list[_Outcome] = []
    failure: str | None = None
    for claim in claims:
        if failure is not None:
            outcomes.append(_Outcome(claim, ok=False, called=False, error=failure))
            continue
        outcome = _post(client, target, claim, bodies.get(claim.event_id, b"{}"), options)
        outcomes.append(outcome)
        if outcome.endpoint_down:
            failure = f"not sent: the endpoint failed moments before ({outcome.error})"
    return outcomes


def _call(
    client: httpx.Client,
    claims: Sequence[_Claim],
    targets: dict[str, _Target],
    bodies: dict[str, bytes],
    options: SendOptions,
) -> list[_Outcome]:
    by_endpoint: dict[str, list[_Claim]] = defaultdict(list)
    for claim in claims:
        by_endpoint[claim.endpoint_id].append(claim)
    # An endpoint removed since the claim: its deliveries are gone with it.
    work = [(targets[key], items) for key, items in by_endpoint.items() if key in targets]
    if len(work) == 1:
        ((target, items),) = work
        return _send_to(client, target, items, bodies, options)
    with ThreadPoolExecutor(max_workers=min(PARALLEL_ENDPOINTS, max(len(work), 1))) as pool:
        done = pool.map(lambda job: _send_to(client, job[0], job[1], bodies, options), work)
        return [outcome for outcomes in done for outcome in outcomes]


# --- 3. record -----------------------------------------------------------------------------


def _record(
    db: Database,
    outcomes: Sequence[_Outcome],
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
    session: Session, outcomes: Sequence[_Outcome], *, now: datetime, options: SendOptions
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
    with httpx.Client(timeout=options.timeout, follow_redirects=False) as client:
        while report.delivered + report.failed < limit:
            wanted = min(ROUND, limit - report.delivered - report.failed)
            claims, targets, bodies = _claim(db, now=now, limit=wanted)
            if not claims:
                break
            outcomes = _call(client, claims, targets, bodies, options)
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
