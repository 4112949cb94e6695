"""Sending an e-mail through the retailer's SMTP relay (``OMNICANAL_SMTP_URL``).

The URL names the relay: ``smtp://host:25`` (plain, for a relay on the local network),
``smtp+starttls://user:password@host:587`` (STARTTLS) or ``smtps://user:password@host:465``
(TLS from the first byte). Without it, omnicanal sends no e-mail and says so where one was
asked for. The standard library does the work (``smtplib``, ``email.message``); an e-mail is
sent after the transaction it follows has committed, so a failed send never undoes a sale.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

__all__ = ["RESERVED_HEADERS", "Mail", "MailNotSent", "SmtpSender", "mail_sender"]

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT_SECONDS = 10.0


class MailNotSent(Exception):
    """The relay could not be reached or refused the message.

    ``code`` is the relay's SMTP reply code when it answered one (4xx: try again later;
    5xx: refused for good), None when it could not be reached or the connection failed.
    """

    def __init__(self, detail: str, *, code: int | None = None) -> None:
        super().__init__(detail)
        self.code = code


RESERVED_HEADERS = frozenset({"from", "to", "subject", "date", "message-id"})
"""The headers the sender writes itself; :attr:`Mail.headers` may not name them."""


@dataclass(frozen=True)
class Mail:
    """One message: a plain-text body, and the same in HTML when given; more headers
    (``List-Unsubscribe``...) and its own Message-ID when the caller chooses them."""

    to: str
    subject: str
    text: str
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    message_id: str | None = None
    """The Message-ID (``<id@domain>``); a fresh one when None."""


@dataclass(frozen=True)
class SmtpSender:
    """The SMTP relay of an ``OMNICANAL_SMTP_URL``, and the sender's address."""

    host: str
    port: int
    sender: str
    security: str = "plain"
    """"plain", "starttls" or "tls"."""
    username: str | None = None
    password: str | None = None
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def from_url(cls, url: str, *, sender: str) -> SmtpSender:
        """The relay named by ``url``; ValueError for a URL that names none."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError("an SMTP URL reads smtp://, smtp+starttls:// or smtps://host[:port]")
        security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}[parts.scheme]
        return cls(
            host=parts.hostname,
            port=parts.port or SCHEMES[parts.scheme],
            sender=sender,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def domain(self) -> str:
        """The domain of the sender's address (the right side of its Message-IDs)."""
        return self.sender.rpartition("@")[2].strip("> ")

    def message(self, mail: Mail) -> EmailMessage:
        """The MIME message of ``mail`` from this sender."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = mail.message_id or make_msgid(domain=self.domain)
        for name, value in mail.headers.items():
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"the {name} header is the sender's own")
            message[name] = value
        message.set_content(mail.text)
        if mail.html is not None:
            message.add_alternative(mail.html, subtype="html")
        return message

    def send(self, mail: Mail) -> None:
        """Hand ``mail`` to the relay; :class:`MailNotSent` when it cannot be."""
        message = self.message(mail)
        try:
            if self.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    client.login(self.username, self.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailNotSent(
                f"{type(error).__name__}: {error}", code=_reply_code(error)
            ) from error


def _reply_code(error: Exception) -> int | None:
    """The SMTP reply code behind ``error``, when the relay answered one."""
    if isinstance(error, smtplib.SMTPResponseException):
        return int(error.smtp_code)
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        # Every recipient was refused: the most lasting refusal speaks for the message.
        return max(int(code) for code, _ in error.recipients.values())
    return None


def mail_sender(url: str | None, *, sender: str) -> SmtpSender | None:
    """The relay configured by ``url``, or None when no e-mail is to be sent."""
    if not url:
        return None
    return SmtpSender.from_url(url, sender=sender)
