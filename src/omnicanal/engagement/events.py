"""The events of the engagement module (``consent.*``, ``message.*``).

A consent event says what a person now accepts; a message event follows one message from
planned to sent, withheld, withdrawn or failed, with the reason's code, so that a timeline,
a KPI or a webhook needs no second look.
"""

from __future__ import annotations

from omnicanal.platform.events import DomainEvent

__all__ = [
    "ConsentChanged",
    "MessageEvent",
    "MessageFailed",
    "MessageScheduled",
    "MessageSent",
    "MessageWithdrawn",
    "MessageWithheld",
]

_PROFILE = "01JQ7Z0000000000000000PRF1"
_MESSAGE = "01JQ7Z0000000000000000MSGE"


class ConsentChanged(DomainEvent):
    """A person gave or withdrew their consent for a purpose on a channel."""

    type = "consent.changed"
    example = {
        "profile_id": _PROFILE,
        "purpose": "marketing",
        "channel": "email",
        "granted": False,
        "source": "preference_centre",
        "lawful_basis": "consent",
        "location_code": None,
    }

    profile_id: str
    purpose: str
    channel: str
    granted: bool
    source: str
    lawful_basis: str
    location_code: str | None = None

    @property
    def subject(self) -> str:
        return f"profiles/{self.profile_id}"


class MessageEvent(DomainEvent):
    """What every ``message.*`` event carries."""

    message_id: str
    trigger: str
    """The trigger's code."""
    kind: str
    """The trigger's kind (``abandoned_cart``, ``pickup_ready``...)."""
    purpose: str
    profile_id: str | None
    about: str
    """What the message is about (``carts/<id>``, ``fulfilments/<id>``...)."""

    @property
    def subject(self) -> str:
        return f"messages/{self.message_id}"


def _example(**more: object) -> dict[str, object]:
    return {
        "message_id": _MESSAGE,
        "trigger": "ABANDONED_CART",
        "kind": "abandoned_cart",
        "purpose": "marketing",
        "profile_id": _PROFILE,
        "about": "carts/01JQ7Z0000000000000000CART",
        **more,
    }


class MessageScheduled(MessageEvent):
    """A trigger planned a message for a person, to be sent at ``due_at``."""

    type = "message.scheduled"
    example = _example(due_at="2026-03-14T18:00:00Z")

    due_at: str


class MessageSent(MessageEvent):
    """The policy allowed the message and a provider accepted it."""

    type = "message.sent"
    example = _example(channel="email", provider="smtp", coupon_code="RELANCE-7QX2M9")

    channel: str
    provider: str
    coupon_code: str | None = None


class MessageWithheld(MessageEvent):
    """The policy kept the message back (no consent, a return, a cap...)."""

    type = "message.withheld"
    example = _example(reason="returned_recently")

    reason: str


class MessageWithdrawn(MessageEvent):
    """The message's reason disappeared before it was sent (the cart was bought...)."""

    type = "message.withdrawn"
    example = _example(reason="cart_bought")

    reason: str


class MessageFailed(MessageEvent):
    """No provider could deliver the message after every retry."""

    type = "message.failed"
    example = _example(channel="sms", provider="brevo", reason="provider_refused")

    channel: str
    provider: str
    reason: str
