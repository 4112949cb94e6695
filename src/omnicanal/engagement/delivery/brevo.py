"""Brevo, a French-market provider, over its HTTP API v3: transactional e-mail
(``POST /smtp/email``) and transactional SMS (``POST /transactionalSMS/send``).

Requests carry the account's key in the ``api-key`` header. An e-mail names its sender,
recipient, subject, text and HTML bodies and its headers, with the message id as Brevo's
``idempotencyKey`` (a request repeated within Brevo's window sends nothing twice) and as
``X-Mailin-custom``, which Brevo's delivery reports give back; Brevo answers 201 with its
``messageId``. An SMS names the sender, the recipient's number with its country code and no
``+``, the text, whether it is transactional or marketing and whether it needs Unicode (a
French accent does); Brevo answers with its ``messageId`` too. (Brevo deprecated the older
``/transactionalSMS/sms`` for this one; both take the same request.)

A rate limit (429), an error on Brevo's side (5xx), a timeout or a network failure is tried
again later; a refused request (400), an unknown key (401), no credits left (402) or any
other refusal is final.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Any

import httpx

from omnicanal.engagement.delivery.base import DeliveryFailed, Outgoing, Receipt

__all__ = ["DEFAULT_URL", "EMAIL_PATH", "SMS_PATH", "BrevoProvider"]

DEFAULT_URL = "https://api.brevo.com/v3"
EMAIL_PATH = "/smtp/email"
SMS_PATH = "/transactionalSMS/send"
TIMEOUT_SECONDS = 10.0
MARKETING_PURPOSES = frozenset({"marketing", "personalised_offers"})
_PHONE = re.compile(r"^\+?[1-9]\d{5,14}$")


class BrevoProvider:
    """E-mail and SMS through Brevo's API."""

    name = "brevo"

    def __init__(
        self,
        *,
        api_key: str,
        sender: str,
        sms_sender: str,
        channels: frozenset[str] = frozenset({"email", "sms"}),
        base_url: str = DEFAULT_URL,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.api_key = api_key
        sender_name, sender_email = parseaddr(sender)
        self.sender = {
            "email": sender_email or sender,
            **({"name": sender_name} if sender_name else {}),
        }
        self.sms_sender = sms_sender
        self.channels = channels
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, outgoing: Outgoing) -> Receipt:
        """Hand ``outgoing`` to Brevo; Brevo's ``messageId`` is the receipt's id."""
        if outgoing.channel not in self.channels:
            raise DeliveryFailed(
                f"Brevo is not set to carry {outgoing.channel} here", retryable=False
            )
        if outgoing.channel == "email":
            answer = self._post(EMAIL_PATH, self.email_request(outgoing))
        else:
            answer = self._post(SMS_PATH, self.sms_request(outgoing))
        message_id = answer.get("messageId")
        if message_id is None and isinstance(answer.get("messageIds"), list):
            message_id = next(iter(answer["messageIds"]), None)
        return Receipt(
            provider=self.name,
            provider_message_id=None if message_id is None else str(message_id),
        )

    def email_request(self, outgoing: Outgoing) -> dict[str, Any]:
        """The body of ``POST /smtp/email`` for ``outgoing``."""
        body: dict[str, Any] = {
            "sender": self.sender,
            "to": [{"email": outgoing.to}],
            "subject": outgoing.subject,
            "textContent": outgoing.text,
            "headers": {
                **outgoing.headers,
                "idempotencyKey": outgoing.message_id,
                "X-Mailin-custom": outgoing.message_id,
            },
            "tags": [outgoing.purpose],
        }
        if outgoing.html is not None:
            body["htmlContent"] = outgoing.html
        return body

    def sms_request(self, outgoing: Outgoing) -> dict[str, Any]:
        """The body of ``POST /transactionalSMS/send`` for ``outgoing``."""
        number = outgoing.to.replace(" ", "")
        if not _PHONE.match(number):
            raise DeliveryFailed(
                f"{outgoing.to!r} is not a phone number in international form", retryable=False
            )
        return {
            "sender": self.sms_sender,
            "recipient": number.removeprefix("+"),
            "content": outgoing.text,
            "type": "marketing" if outgoing.purpose in MARKETING_PURPOSES else "transactional",
            "tag": outgoing.message_id,
            # Without it Brevo turns "é" into "e": French needs it, plain ASCII does not.
            "unicodeEnabled": not outgoing.text.isascii(),
        }

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = httpx.post(
                f"{self.base_url}{path}",
                json=body,
                headers={"api-key": self.api_key, "accept": "application/json"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            raise DeliveryFailed(
                f"Brevo could not be reached: {type(error).__name__}: {error}", retryable=True
            ) from error
        if response.is_success:
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            return answer if isinstance(answer, dict) else {}
        status = response.status_code
        raise DeliveryFailed(
            f"Brevo answered {status}: {_explanation(response)}",
            retryable=status == 429 or status >= 500,
        )


def _explanation(response: httpx.Response) -> str:
    """Brevo's ``code`` and ``message`` of a refusal, else the start of its body."""
    try:
        answer = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(answer, dict) and ("code" in answer or "message" in answer):
        return f"{answer.get('code', '')} {answer.get('message', '')}".strip()
    return str(answer)[:200]
