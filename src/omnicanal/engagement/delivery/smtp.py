"""E-mail through the retailer's SMTP relay (``OMNICANAL_SMTP_URL``: plain, STARTTLS or TLS,
with its account), the same relay the receipts use.

The Message-ID is the message's own (``<message id@sender's domain>``), so that a message
sent again after a crash carries the same one and the receiving side can tell. A relay that
cannot be reached or answers 4xx is tried again later; a 5xx answer is final.
"""

from __future__ import annotations

from omnicanal.engagement.delivery.base import DeliveryFailed, Outgoing, Receipt
from omnicanal.platform.mail import Mail, MailNotSent, SmtpSender

__all__ = ["SmtpProvider"]


class SmtpProvider:
    """E-mail through an SMTP relay."""

    name = "smtp"
    channels = frozenset({"email"})

    def __init__(self, relay: SmtpSender) -> None:
        self.relay = relay

    @classmethod
    def from_url(cls, url: str, *, sender: str) -> SmtpProvider:
        """The provider of the relay ``url`` names, sending as ``sender``."""
        return cls(SmtpSender.from_url(url, sender=sender))

    def message_id(self, outgoing: Outgoing) -> str:
        """The Message-ID header of ``outgoing``."""
        return f"<{outgoing.message_id}@{self.relay.domain}>"

    def send(self, outgoing: Outgoing) -> Receipt:
        """Hand ``outgoing`` to the relay; its Message-ID is the receipt's id."""
        if outgoing.channel not in self.channels:
            raise DeliveryFailed(f"SMTP carries e-mail, not {outgoing.channel}", retryable=False)
        message_id = self.message_id(outgoing)
        mail = Mail(
            to=outgoing.to,
            subject=outgoing.subject,
            text=outgoing.text,
            html=outgoing.html,
            headers=outgoing.headers,
            message_id=message_id,
        )
        try:
            self.relay.send(mail)
        except MailNotSent as error:
            permanent = error.code is not None and 500 <= error.code < 600
            raise DeliveryFailed(f"relay: {error}", retryable=not permanent) from error
        except ValueError as error:
            # An address or a header the MIME message cannot hold: sending again changes
            # nothing.
            raise DeliveryFailed(f"message refused: {error}", retryable=False) from error
        return Receipt(provider=self.name, provider_message_id=message_id)
