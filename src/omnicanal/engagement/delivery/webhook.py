"""A generic signed webhook: messages posted as JSON to an SMS gateway or a push service of
the retailer's choice, signed as Standard Webhooks sign them.

The body is ``{id, channel, to, subject, text, html, purpose, language}``. Three headers go
with it: ``webhook-id`` (the message id, the same on every retry, so the receiver can drop a
repeat), ``webhook-timestamp`` (seconds since the epoch) and ``webhook-signature``
(``v1,`` then the base64 HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` with the shared
secret; a ``whsec_`` secret is base64 and its decoded bytes are the key, as Standard
Webhooks' libraries have it). A 2xx answer is acceptance (its JSON ``id`` or ``message_id``,
when given, is the receiver's id for the message); 408, 409, 425, 429, a 5xx, a timeout or
a network failure is tried again later; any other answer is final.

:func:`verify` checks the same signature on what such a service sends back (the delivery
feedback of ``/v1/engagement/feedback/webhook``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from omnicanal.engagement.delivery.base import DeliveryFailed, Outgoing, Receipt
from omnicanal.platform.clock import utcnow

__all__ = ["TOLERANCE_SECONDS", "BadSignature", "WebhookProvider", "sign", "verify"]

TIMEOUT_SECONDS = 10.0
TOLERANCE_SECONDS = 300
"""How far a signed request's timestamp may be from now (a replay window of 5 minutes)."""
RETRYABLE = frozenset({408, 409, 425, 429})
MAX_SIGNATURES = 8


class BadSignature(Exception):
    """A signed request whose signature, timestamp or id does not hold."""


def _key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            pass  # not base64 after all: the secret's own bytes, as any other secret
    return secret.encode()


def sign(secret: str, *, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` of ``body`` sent as ``webhook_id`` at ``timestamp``."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """The ``webhook-id`` of a request whose Standard Webhooks signature holds; else
    :class:`BadSignature` (missing headers, a timestamp out of the window, no signature that
    matches, compared in constant time)."""
    webhook_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not webhook_id or not stamp or not signatures:
        raise BadSignature("webhook-id, webhook-timestamp and webhook-signature are required")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise BadSignature("webhook-timestamp is not a number of seconds")
    moment = (now or utcnow()).timestamp()
    if abs(moment - int(stamp)) > tolerance:
        raise BadSignature("webhook-timestamp is too far from now")
    expected = sign(secret, webhook_id=webhook_id, timestamp=int(stamp), body=body)
    offered = signatures.split(" ")[:MAX_SIGNATURES]
    # Every offered signature is compared, so the time taken says nothing of which matched.
    matched = [hmac.compare_digest(expected.encode(), given.encode()) for given in offered]
    if not any(matched):
        raise BadSignature("no signature matches")
    return webhook_id


class WebhookProvider:
    """Messages posted to a signed webhook."""

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        channels: frozenset[str],
        name: str = "webhook",
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.secret = secret
        self.channels = channels
        self.name = name
        self.timeout = timeout

    def request(self, outgoing: Outgoing, *, timestamp: int) -> tuple[bytes, dict[str, str]]:
        """The body and headers posted for ``outgoing`` at ``timestamp``."""
        body = json.dumps(
            {
                "id": outgoing.message_id,
                "channel": outgoing.channel,
                "to": outgoing.to,
                "subject": outgoing.subject,
                "text": outgoing.text,
                "html": outgoing.html,
                "purpose": outgoing.purpose,
                "language": outgoing.language,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "content-type": "application/json",
            "webhook-id": outgoing.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                self.secret, webhook_id=outgoing.message_id, timestamp=timestamp, body=body
            ),
        }
        return body, headers

    def send(self, outgoing: Outgoing) -> Receipt:
        """Post ``outgoing``; the receiver's id for it, or the message id, is the receipt's."""
        if outgoing.channel not in self.channels:
            raise DeliveryFailed(
                f"this webhook is not set to carry {outgoing.channel}", retryable=False
            )
        body, headers = self.request(outgoing, timestamp=int(utcnow().timestamp()))
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise DeliveryFailed(
                f"the webhook could not be reached: {type(error).__name__}: {error}",
                retryable=True,
            ) from error
        status = response.status_code
        if not response.is_success:
            raise DeliveryFailed(
                f"the webhook answered {status}: {response.text[:200]}",
                retryable=status in RETRYABLE or status >= 500,
            )
        return Receipt(
            provider=self.name, provider_message_id=_their_id(response) or outgoing.message_id
        )


def _their_id(response: httpx.Response) -> str | None:
    try:
        answer: Any = response.json()
    except ValueError:
        return None
    if isinstance(answer, dict):
        for name in ("id", "message_id"):
            value = answer.get(name)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return str(value)[:200]
    return None
