"""Input and output shapes of the webhooks module."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omnicanal.platform.bounds import Moment, RequestModel
from omnicanal.webhooks.rules import MAX_PATTERN_LENGTH, MAX_PATTERNS, MAX_URL_LENGTH

__all__ = [
    "DeliveryOut",
    "DeliveryPage",
    "EndpointCreatedOut",
    "EndpointIn",
    "EndpointOut",
    "EndpointPage",
    "EndpointRemovedOut",
    "EndpointUpdateIn",
    "EventTypesOut",
    "ReplayIn",
    "ReplayOut",
    "RotationIn",
    "SecretOut",
]

MAX_DESCRIPTION = 500
MAX_OVERLAP_HOURS = 168
MAX_WRITE_KEY = 200
FORMATS = ("standard", "segment")

Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="Where the events are posted: https://… (http only to a local or private "
        "address, where the settings allow those); no credentials.",
        examples=["https://erp.example.com/omnicanal/events"],
    ),
]
Pattern = Annotated[str, Field(min_length=1, max_length=MAX_PATTERN_LENGTH)]
Patterns = Annotated[
    list[Pattern],
    Field(
        min_length=1,
        max_length=MAX_PATTERNS,
        description="Declared event types (GET /v1/webhooks/event-types), a module's prefix "
        "('order.*') or '*' for every event.",
        examples=[["order.*", "return.refunded"]],
    ),
]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION, description="For people")]
Format = Annotated[
    Literal["standard", "segment"],
    Field(
        description="standard: the event's CloudEvents JSON, signed (Standard Webhooks); "
        "segment: a Segment track message posted to {url}/v1/batch with the write key "
        "(url: the base of a Segment-compatible HTTP Tracking API)."
    ),
]
WriteKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_WRITE_KEY,
        # Visible ASCII without ':': it travels as the user name of HTTP Basic auth.
        pattern=r"^[!-9;-~]+$",
        description="A segment endpoint's write key (the source's, at Segment or RudderStack): "
        "sent as the HTTP Basic user name, never shown again in full.",
    ),
]


class EndpointIn(RequestModel):
    """A new endpoint: its address, the events it follows, what it is for."""

    url: Url
    event_types: Patterns
    description: Description = ""
    active: bool = True
    format: Format = "standard"
    write_key: WriteKey | None = None


class EndpointUpdateIn(RequestModel):
    """What changes on an endpoint (the fields given; the others stay). ``active: false``
    disables it (its pending deliveries go to the dead-letter list), ``true`` enables it."""

    url: Url | None = None
    event_types: Patterns | None = None
    description: Description | None = None
    active: bool | None = None
    write_key: WriteKey | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> EndpointUpdateIn:
        if not self.model_fields_set:
            raise ValueError(
                "give at least one of url, event_types, description, active, write_key"
            )
        if any(getattr(self, name) is None for name in self.model_fields_set):
            raise ValueError("a field given may not be null")
        return self


class RotationIn(RequestModel):
    """A new secret; the previous one keeps signing too for ``overlap_hours`` (0: at once
    replaced), so that receivers switch without missing an event."""

    overlap_hours: int = Field(default=24, ge=0, le=MAX_OVERLAP_HOURS)


class ReplayIn(RequestModel):
    """Replay the endpoint's dead-letter list: every delivery given up whose event came
    since ``since``."""

    since: Moment


class EndpointOut(BaseModel):
    """An endpoint and how well it answers (its secret is shown once, when made or rotated)."""

    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    description: str
    event_types: list[str]
    format: str = Field(description="standard (signed CloudEvents JSON) or segment")
    write_key_prefix: str | None = Field(
        description="The start of a segment endpoint's write key (never shown in full)"
    )
    active: bool
    disabled_at: datetime | None
    disabled_reason: str | None = Field(description="requested, or failing (by omnicanal)")
    failing_since: datetime | None = Field(description="First failure since its last success")
    failures: int = Field(description="Calls failed in a row")
    last_success_at: datetime | None
    previous_secret_until: datetime | None = Field(
        description="Until then, deliveries carry a signature with the previous secret too"
    )
    pending: int = Field(description="Deliveries waiting to be sent or tried again")
    dead: int = Field(description="Deliveries in the dead-letter list")
    created_at: datetime
    updated_at: datetime


class EndpointCreatedOut(EndpointOut):
    """A new endpoint, with its signing secret: shown this once (none for a segment
    endpoint, which is not signed)."""

    secret: str | None


class SecretOut(BaseModel):
    """An endpoint's new signing secret (shown this once)."""

    id: str
    secret: str
    previous_secret_until: datetime | None


class EndpointRemovedOut(BaseModel):
    id: str
    deleted: bool = True


class EndpointPage(BaseModel):
    """Endpoints, newest first; ``next_cursor`` (pass as ``starting_after``) reads on."""

    items: list[EndpointOut]
    has_more: bool
    next_cursor: str | None


class DeliveryOut(BaseModel):
    """One event for one endpoint, and where it stands."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The webhook-id header: the same on every attempt and replay")
    endpoint_id: str
    event_id: str
    event_type: str
    subject: str
    status: str = Field(description="pending, delivered or dead (the dead-letter list)")
    attempts: int = Field(description="Attempts since it was made or last replayed")
    next_attempt_at: datetime | None
    created_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    dead_at: datetime | None
    dead_reason: str | None = Field(description="gave_up, or endpoint_disabled")
    replays: int


class DeliveryPage(BaseModel):
    """Deliveries, newest first; ``next_cursor`` (pass as ``starting_after``) reads on."""

    items: list[DeliveryOut]
    has_more: bool
    next_cursor: str | None


class ReplayOut(BaseModel):
    """How many deliveries left the dead-letter list to be sent again."""

    replayed: int


class EventTypesOut(BaseModel):
    """What an endpoint may follow: every declared event type, and the modules' prefixes."""

    types: list[str]
    prefixes: list[str]
    segment: list[str] = Field(description="The types a segment endpoint may follow")
