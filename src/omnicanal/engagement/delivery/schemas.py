"""The shapes of what providers send back: Brevo's webhook events (transactional e-mail and
SMS, one at a time or batched) and the generic signed webhook's report; and the answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from omnicanal.platform.bounds import MAX_TEXT_LENGTH, Moment, RequestModel, Text

__all__ = [
    "MAX_BATCH",
    "BrevoBatch",
    "BrevoEvent",
    "FeedbackOut",
    "WebhookReportIn",
]

MAX_BATCH = 500
"""The most events one request may carry (Brevo's batched webhooks send several)."""
MAX_EPOCH_SECONDS = 7_258_118_400
"""2200-01-01 in seconds since the epoch: the latest time a report may name."""


def _shortened(limit: int) -> Any:
    def shorten(value: Any) -> Any:
        # A provider's explanation is kept, not judged: a long one is cut, not refused.
        return value[:limit] if isinstance(value, str) else value

    return BeforeValidator(shorten)


def _as_text(value: Any) -> Any:
    # Brevo gives an SMS's id as a number and an e-mail's as text: both are kept as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Short = Annotated[Text, Field(max_length=60)]
Reference = Annotated[Text, BeforeValidator(_as_text), Field(min_length=1, max_length=200)]
Seconds = Annotated[int, Field(ge=0, le=MAX_EPOCH_SECONDS)]


class BrevoEvent(BaseModel):
    """One event of Brevo's transactional webhooks, e-mail (``event``: ``delivered``,
    ``hard_bounce``, ``soft_bounce``, ``spam``, ``unsubscribed``, ``blocked``...) or SMS
    (``msg_status``: ``delivered``, ``hard_bounce``, ``soft_bounce``...). Brevo's other
    fields are let through unread."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_max_length=MAX_TEXT_LENGTH)

    event: Short | None = None
    msg_status: Short | None = None
    email: Annotated[Text, Field(max_length=320)] | None = None
    to: Annotated[Text, Field(max_length=40)] | None = None
    message_id: Reference | None = Field(default=None, alias="message-id")
    """An e-mail's id, as Brevo answered when it took it."""
    sms_id: Reference | None = Field(default=None, alias="messageId")
    """An SMS's id, as Brevo answered when it took it."""
    custom: Reference | None = Field(default=None, alias="X-Mailin-custom")
    """The message's own id, given back from the header it was sent with."""
    tag: Annotated[Text, _shortened(200)] | None = None
    """An SMS's tag: the message's own id."""
    ts_epoch: Annotated[int, Field(ge=0, le=MAX_EPOCH_SECONDS * 1000)] | None = None
    ts_event: Seconds | None = None
    ts: Seconds | None = None
    date: Annotated[Text, Field(max_length=40)] | None = None
    reason: Annotated[Text, _shortened(300)] | None = None

    @model_validator(mode="after")
    def _says_something(self) -> BrevoEvent:
        if not self.event and not self.msg_status:
            raise ValueError("a Brevo event names its event (e-mail) or msg_status (SMS)")
        return self


BrevoBatch = Annotated[list[BrevoEvent], Field(min_length=1, max_length=MAX_BATCH)]
"""Brevo's batched webhooks: several events in one request."""


class WebhookReportIn(RequestModel):
    """A delivery report from a webhook service: what happened to which message, when."""

    message_id: Annotated[str, Field(min_length=1, max_length=26)] | None = None
    """The message's own id (the ``id`` it was posted with)."""
    provider_message_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """The service's id for it, when it answered one."""
    event: Literal["delivered", "bounced", "complained", "unsubscribed"]
    channel: Literal["email", "sms", "push"]
    at: Moment
    recipient: Annotated[str, Field(max_length=320)] | None = None
    detail: Annotated[str, Field(max_length=300)] | None = None

    @model_validator(mode="after")
    def _names_its_message(self) -> WebhookReportIn:
        if self.message_id is None and self.provider_message_id is None:
            raise ValueError("a report names its message: message_id or provider_message_id")
        return self


class FeedbackOut(BaseModel):
    """What became of the reports received: recorded, already known (a repeat), about no
    message we sent, or set aside (an event that changes nothing here)."""

    received: int
    recorded: int
    duplicates: int
    unknown: int
    ignored: int
