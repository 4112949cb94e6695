"""The local mailbox, the embedded default: with no provider configured for a channel, a
message is "sent" by staying in omnicanal. The message row keeps its rendered content and
the back office shows it, so a demo shows the journeys working end to end."""

from __future__ import annotations

from omnicanal.engagement.delivery.base import Outgoing, Receipt

__all__ = ["MailboxProvider"]


class MailboxProvider:
    """Accepts every message on the channels it is given; its id is the message's own."""

    name = "mailbox"

    def __init__(self, channels: frozenset[str] = frozenset({"email", "sms", "push"})) -> None:
        self.channels = channels

    def send(self, outgoing: Outgoing) -> Receipt:
        """Take ``outgoing``: nothing leaves, the message row is the mailbox."""
        return Receipt(provider=self.name, provider_message_id=outgoing.message_id)
