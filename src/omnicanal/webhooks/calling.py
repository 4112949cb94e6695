"""Calling the endpoints: the second step of a sending round (``webhooks.sending``), with
no database transaction open.

Each endpoint's claimed deliveries go in order, in a thread per endpoint. A standard
delivery's body is the event's CloudEvents JSON, signed (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``); a ``segment`` endpoint's is a Segment batch of
one ``track`` message (``webhooks.forwarding``), with its write key. Any 2xx is delivered;
anything else is a failed attempt. When the endpoint is unreachable or says it is
unavailable (a network failure, a timeout, 429, 502, 503, 504; for a segment endpoint, a 401
or 403 refusing its write key), its remaining deliveries of the round are failed attempts
too, without a call: an endpoint that is down is not hammered. Another refusal fails that
delivery only; a segment endpoint's 400, 413 or 422 refuses the message itself, which is
given up at once (the same bytes would be refused again).
"""

from __future__ import annotations

import ipaddress
import socket
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from omnicanal import __version__
from omnicanal.platform.clock import utcnow
from omnicanal.webhooks.forwarding import segment_request
from omnicanal.webhooks.rules import is_private_host, signature_header
from omnicanal.webhooks.segment import SEGMENT, STANDARD, refused_for_good, refuses_every_message

__all__ = ["UNAVAILABLE", "Claim", "Outcome", "Payload", "Target", "call"]

PARALLEL_ENDPOINTS = 8
"""Endpoints called at once (each endpoint's deliveries go one after the other)."""
ANSWER_EXCERPT = 200
"""Characters of a refusing endpoint's answer kept to say why (the rest is not read)."""


@dataclass(frozen=True)
class Claim:
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
class Target:
    """An endpoint as its deliveries are sent: where, signed with which secrets (a
    ``segment`` endpoint: with which write key)."""

    id: str
    url: str
    secrets: tuple[str, ...]
    format: str = STANDARD
    write_key: str = ""


Payload = bytes | dict[str, Any] | None
"""What a delivery posts: a standard endpoint's body, a segment endpoint's message (its
batch is dated at the call), or None (its event no longer makes a message)."""


UNAVAILABLE = frozenset({429, 502, 503, 504})
"""Answers that speak for the whole endpoint (busy, or down behind its proxy)."""


@dataclass(frozen=True)
class Outcome:
    claim: Claim
    ok: bool
    called: bool
    status_code: int | None = None
    error: str | None = None
    final: bool = False
    """The endpoint refused this message for good: given up without a retry."""
    whole_endpoint: bool = False
    """The refusal speaks for every delivery of the endpoint (its write key)."""

    @property
    def endpoint_down(self) -> bool:
        """Whether the failure says the whole endpoint cannot take deliveries now."""
        return not self.ok and (
            self.status_code is None or self.status_code in UNAVAILABLE or self.whole_endpoint
        )


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


def _signed(target: Target, claim: Claim, body: bytes) -> dict[str, str]:
    """A standard delivery's headers, signed at the moment of the call."""
    timestamp = int(utcnow().timestamp())
    return {
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


def _post(
    client: httpx.Client, target: Target, claim: Claim, payload: Payload, allow_private: bool
) -> Outcome:
    """Post one delivery; its outcome."""
    forwarding = target.format == SEGMENT
    if forwarding and not isinstance(payload, dict):
        # Its event no longer makes a message (an erasure scrubbed its order): nothing to send.
        return Outcome(claim, ok=True, called=False, error="nothing left to forward")
    if not allow_private:
        refused = _not_public(target.url)
        if refused is not None:
            return Outcome(claim, ok=False, called=True, error=f"not sent: {refused}")
    if isinstance(payload, dict):
        url, headers, body = segment_request(
            target.url, target.write_key, payload, sent_at=utcnow().isoformat()
        )
    else:
        url, body = target.url, payload or b"{}"
        headers = _signed(target, claim, body)
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
            if response.is_success:
                return Outcome(claim, ok=True, called=True, status_code=status)
            excerpt = _excerpt(response)
    except httpx.HTTPError as error:
        return Outcome(
            claim, ok=False, called=True, error=f"{type(error).__name__}: {error}".strip(": ")
        )
    return Outcome(
        claim,
        ok=False,
        called=True,
        status_code=status,
        error=f"answered {status}: {excerpt}",
        final=forwarding and refused_for_good(status),
        whole_endpoint=forwarding and refuses_every_message(status),
    )


def _send_to(
    client: httpx.Client,
    target: Target,
    claims: Sequence[Claim],
    payloads: dict[str, Payload],
    allow_private: bool,
) -> list[Outcome]:
    """One endpoint's deliveries of the round, in order; once it is found down, the rest are
    failed attempts without a call."""
    outcomes: list[Outcome] = []
    failure: str | None = None
    for claim in claims:
        if failure is not None:
            outcomes.append(Outcome(claim, ok=False, called=False, error=failure))
            continue
        outcome = _post(client, target, claim, payloads.get(claim.id), allow_private)
        outcomes.append(outcome)
        if outcome.endpoint_down:
            failure = f"not sent: the endpoint failed moments before ({outcome.error})"
    return outcomes


def call(
    client: httpx.Client,
    claims: Sequence[Claim],
    targets: dict[str, Target],
    payloads: dict[str, Payload],
    *,
    allow_private: bool,
) -> list[Outcome]:
    """The round's deliveries posted, each endpoint's in order, endpoints in parallel; their
    outcomes."""
    by_endpoint: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_endpoint[claim.endpoint_id].append(claim)
    # An endpoint removed since the claim: its deliveries are gone with it.
    work = [(targets[key], items) for key, items in by_endpoint.items() if key in targets]
    if len(work) == 1:
        ((target, items),) = work
        return _send_to(client, target, items, payloads, allow_private)
    with ThreadPoolExecutor(max_workers=min(PARALLEL_ENDPOINTS, max(len(work), 1))) as pool:
        done = pool.map(lambda job: _send_to(client, job[0], job[1], payloads, allow_private), work)
        return [outcome for outcomes in done for outcome in outcomes]
