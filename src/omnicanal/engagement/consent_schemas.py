"""Input and output shapes of the consent API (``/v1/profiles/{id}/consents``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, StrictBool, model_validator

from omnicanal.engagement.models import CHANNELS, CONSENT_SOURCES, LAWFUL_BASES, PURPOSES
from omnicanal.platform.bounds import Moment, RequestModel

__all__ = [
    "MAX_ANSWERS",
    "ConsentAnswerIn",
    "ConsentEntryOut",
    "ConsentStateOut",
    "ConsentsIn",
    "ConsentsOut",
    "ConsentsRecordedOut",
]

Purpose = Literal["transactional", "marketing", "personalised_offers", "profiling"]
Channel = Literal["email", "sms", "push", "post"]
LawfulBasis = Literal["consent", "contract", "legitimate_interest", "legal_obligation"]
MAX_ANSWERS = len(PURPOSES) * len(CHANNELS)
"""One request answers each purpose on each channel at most once."""

# The literals say to the OpenAPI what the ledger's tuples allow.
assert set(get_args(Purpose)) == set(PURPOSES)
assert set(get_args(Channel)) == set(CHANNELS)
assert set(get_args(LawfulBasis)) == set(LAWFUL_BASES)

Proof = dict[str, Any] | None
PROOF_DESCRIPTION = (
    "What shows the answer was given (the form and its wording's version, a document's "
    "reference...): an object of at most 4 KB as JSON"
)


class ConsentAnswerIn(RequestModel):
    """One answer: a purpose on a channel, accepted (``granted``) or refused."""

    purpose: Purpose
    channel: Channel
    granted: StrictBool
    lawful_basis: LawfulBasis = Field(
        default="consent",
        description="consent (default: the person's opt-in), contract (transactional), ...",
    )
    proof: Proof = Field(default=None, max_length=50, description=PROOF_DESCRIPTION)


class ConsentsIn(RequestModel):
    """A person's answers given together (one form, one call); the web shop and the app name
    their logged-in customer by their login (``customer_ref``)."""

    answers: list[ConsentAnswerIn] = Field(min_length=1, max_length=MAX_ANSWERS)
    occurred_at: Moment | None = Field(
        default=None,
        description="When they answered (default: now; a time over 10 minutes ahead is now)",
    )
    location: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="The store it was given at (a store key: its own, the default)",
    )
    customer_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The logged-in customer's login, user_id:<login> (web and app keys)",
    )
    proof: Proof = Field(default=None, max_length=50, description=PROOF_DESCRIPTION)

    @model_validator(mode="after")
    def _each_pair_once(self) -> ConsentsIn:
        pairs = [(answer.purpose, answer.channel) for answer in self.answers]
        if len(set(pairs)) != len(pairs):
            raise ValueError("each purpose and channel is answered once in one request")
        return self


Source = Literal[
    "web_form",
    "app",
    "till",
    "call_centre",
    "api",
    "segment",
    "preference_centre",
    "unsubscribe_link",
    "bounce",
    "complaint",
    "back_office",
]
assert set(get_args(Source)) == set(CONSENT_SOURCES)


class ConsentStateOut(BaseModel):
    """What the person accepts now for a purpose on a channel: their latest answer."""

    purpose: Purpose
    channel: Channel
    granted: bool
    lawful_basis: LawfulBasis
    source: Source
    location: str | None
    occurred_at: datetime


class ConsentEntryOut(BaseModel):
    """One line of the ledger: an answer, where, how and by whom it was recorded."""

    id: str
    purpose: Purpose
    channel: Channel
    granted: bool
    lawful_basis: LawfulBasis
    source: Source
    location: str | None
    proof: dict[str, Any]
    actor: str
    occurred_at: datetime
    recorded_at: datetime


class ConsentsOut(BaseModel):
    """A person's consent: the current answer per purpose and channel (those answered), and
    their ledger, newest first, a page at a time."""

    profile_id: str
    current: list[ConsentStateOut]
    ledger: list[ConsentEntryOut]
    has_more: bool = Field(description="More ledger lines follow this page")
    next_cursor: str | None = Field(
        description="Pass as starting_after for the next page (null on the last page)"
    )


class ConsentsRecordedOut(BaseModel):
    """The answers recorded, and what the person accepts now."""

    profile_id: str
    recorded: list[ConsentEntryOut]
    current: list[ConsentStateOut]
