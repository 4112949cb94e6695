"""What every delivery provider takes and gives back (ADR 0026).

A provider is handed one :class:`Outgoing` message at a time, already rendered and already
allowed by the policy, and either accepts it (a :class:`Receipt`, with the provider's own id
for the message when it gives one) or raises :class:`DeliveryFailed`, saying whether trying
again later may succeed (a relay down, a rate limit) or not (an address refused for good, a
key the provider does not know).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

__all__ = [
    "LIST_UNSUBSCRIBE",
    "LIST_UNSUBSCRIBE_POST",
    "ONE_CLICK",
    "DeliveryFailed",
    "Outgoing",
    "Provider",
    "Receipt",
    "unsubscribe_headers",
]

LIST_UNSUBSCRIBE = "List-Unsubscribe"
LIST_UNSUBSCRIBE_POST = "List-Unsubscribe-Post"
ONE_CLICK = "List-Unsubscribe=One-Click"
"""The value of ``List-Unsubscribe-Post`` that asks for a one-click unsubscription
(RFC 8058): the mailbox provider POSTs it to the ``List-Unsubscribe`` address."""
MAX_DETAIL = 480
"""The longest failure detail kept (the delivery log's column holds 500 characters)."""

_HEADER_NAME = re.compile(r"^[!-9;-~]{1,76}$")
"""A header field name (RFC 5322): visible ASCII but the colon."""


def unsubscribe_headers(url: str) -> dict[str, str]:
    """The RFC 8058 headers of a marketing e-mail whose one-click unsubscription is ``url``."""
    return {LIST_UNSUBSCRIBE: f"<{url}>", LIST_UNSUBSCRIBE_POST: ONE_CLICK}


@dataclass(frozen=True)
class Outgoing:
    """One rendered message for one recipient on one channel, as a provider sends it.

    ``to`` is an e-mail address, a phone number in E.164 or a device's push address;
    ``headers`` are the e-mail's extra headers (the unsubscription's, for marketing)."""

    message_id: str
    channel: str
    to: str
    subject: str
    text: str
    html: str | None
    purpose: str
    language: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in self.headers.items():
            # A line break in a header would let a value write headers of its own.
            if not _HEADER_NAME.match(name) or "\r" in value or "\n" in value:
                raise ValueError(f"{name!r} is not a header a message may carry")
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))


@dataclass(frozen=True)
class Receipt:
    """A provider took the message: its name and, when it gives one, its id for it (what
    its delivery reports will name)."""

    provider: str
    provider_message_id: str | None


class DeliveryFailed(Exception):
    """A provider did not take the message; ``retryable`` when trying later may succeed."""

    def __init__(self, detail: str, *, retryable: bool) -> None:
        detail = detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…"
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable


class Provider(Protocol):
    """A way out for messages: its name, the channels it carries and how it sends one."""

    @property
    def name(self) -> str: ...

    @property
    def channels(self) -> frozenset[str]: ...

    def send(self, outgoing: Outgoing) -> Receipt:
        """Hand ``outgoing`` over; :class:`DeliveryFailed` when it is not taken."""
        ...
