"""Output and input shapes of the customers module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from omnicanal.platform.bounds import RequestModel
from omnicanal.platform.paging import Page


class IdentifierOut(BaseModel):
    """An identifier of the profile, with where and when it was seen."""

    kind: str
    value: str = Field(description="Normalised; device ids are SHA-256 hashes")
    anchor: bool = Field(description="Names one person (not a device, cookie or landline)")
    source: str
    last_source: str
    first_seen_at: datetime
    last_seen_at: datetime
    shared: bool = Field(description="Seen with several people: it links nobody any more")
    home_profile_id: str


class TraitOut(BaseModel):
    name: str
    value: Any
    source: str
    observed_at: datetime


class ChannelUse(BaseModel):
    channel: str
    events: int
    first_seen_at: datetime
    last_seen_at: datetime


class HouseholdMemberOut(BaseModel):
    profile_id: str
    reason: str


class HouseholdOut(BaseModel):
    id: str
    members: list[HouseholdMemberOut]


class ComputedTraitsOut(BaseModel):
    """Recency, frequency, monetary value, lifetime value so far and favourite categories."""

    orders: int
    monetary_minor: int
    currency: str | None
    lifetime_value_minor: int
    average_order_minor: int | None
    first_order_at: datetime | None
    last_order_at: datetime | None
    recency_days: int | None
    favourite_categories: list[str]


class ReturnedItemOut(BaseModel):
    sku: str
    reason: str = Field(description="The return's reason code for these units (too_small...)")


class ProfileReturnOut(BaseModel):
    """A return of the person, as its events on the timeline tell it."""

    return_id: str
    order_id: str | None
    opened_at: datetime
    updated_at: datetime
    status: str = Field(description="As its latest event says (received, refunded...)")
    reasons: list[str]
    items: list[ReturnedItemOut]
    satisfaction: int | None = Field(description="The customer's score, 1 to 5, if given")
    new_skus: list[str] = Field(description="What the customer took instead (an exchange)")


class SatisfactionOut(BaseModel):
    """The customer's satisfaction, as the scores they gave at their returns tell it."""

    score: int = Field(description="The last score given, 1 to 5")
    at: datetime = Field(description="When it was given")
    return_id: str = Field(description="The return it was given at")
    reasons: list[str] = Field(description="That return's reason codes")
    average: float = Field(description="The average over every scored return, one decimal")
    scored_returns: int


class TimelineEventOut(BaseModel):
    id: str
    kind: str
    name: str
    source: str
    channel: str
    occurred_at: datetime
    received_at: datetime
    message_ref: str
    order_id: str | None
    revenue_minor: int | None
    currency: str | None
    properties: dict[str, Any]


class TimelinePage(Page[TimelineEventOut]):
    """A page of a profile's timeline, newest first; ``next_cursor`` reads the older ones."""


class ProfileSummaryOut(BaseModel):
    """One person in the list of profiles: what a connector keeps of them, read cheaply
    (the 360° view is ``GET /v1/profiles/{id}``)."""

    id: str
    recognised: bool
    email: str | None = Field(description="The one seen last, if any (not a shared one)")
    phone: str | None = Field(description="E.164; the one seen last, if any (not a shared one)")
    loyalty_card: str | None
    user_id: str | None
    first_name: str | None
    last_name: str | None
    merged_profile_ids: list[str] = Field(
        description="The profiles merged into this one (a connector forgets its copies)"
    )
    created_at: datetime
    last_seen_at: datetime | None
    updated_at: datetime = Field(
        description="When its traits, identifiers, household or merges last changed"
    )


class ProfileOut(BaseModel):
    """The 360° view of one person."""

    id: str
    recognised: bool
    status: str = Field(description="recognised or anonymous")
    created_at: datetime
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    merged_profile_ids: list[str]
    identifiers: list[IdentifierOut]
    traits: list[TraitOut]
    household: HouseholdOut | None
    channels: list[ChannelUse]
    computed: ComputedTraitsOut
    satisfaction: SatisfactionOut | None = Field(
        default=None, description="From the scores given at returns; null without any"
    )
    last_return: ProfileReturnOut | None = Field(
        default=None, description="The person's most recent return, as its events tell it"
    )
    timeline: TimelinePage


class ExplainedIdentifier(BaseModel):
    kind: str
    value: str
    source: str
    first_seen_at: datetime
    home_profile_id: str
    shared: bool
    why: str


class ExplainedMerge(BaseModel):
    id: str
    merged_at: datetime
    rule: str
    survivor_id: str
    absorbed_id: str
    identifier: str | None
    event_id: str | None
    source: str
    unmerged_at: datetime | None
    why: str


class ExplainOut(BaseModel):
    """Why these identifiers are one profile: the chain of events and rules."""

    profile_id: str
    profiles: list[str] = Field(description="The original profiles this one is made of")
    identifiers: list[ExplainedIdentifier]
    merges: list[ExplainedMerge]
    reviews: list[ReviewOut]
    story: list[str] = Field(description="Every step, oldest first, in one sentence each")


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    reason: str
    profile_a_id: str
    profile_b_id: str
    identifiers: list[str]
    weight: float | None
    probability: float | None
    reasons: list[str]
    event_id: str | None
    source: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    updated_at: datetime = Field(description="When it was decided, else when it was opened")


class ReviewDecision(StrEnum):
    merge = "merge"
    keep_apart = "keep_apart"


class ReviewDecisionIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision


class UnmergeIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    merge_id: str | None = Field(
        default=None, description="Undo this merge only; default: split into every original"
    )


class UnmergeOut(BaseModel):
    profile_id: str
    restored_profile_ids: list[str]
    undone_merge_ids: list[str]


class MergeOut(BaseModel):
    """One recorded merge of two profiles: which, why, when, and whether it was undone."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    survivor_id: str
    absorbed_id: str
    rule: str
    identifier_kind: str | None
    identifier_value: str | None
    source: str
    merged_at: datetime
    unmerged_at: datetime | None
    unmerged_by: str | None


class MatchRate(BaseModel):
    """How often profiles with one identifier also carry the other."""

    pair: str
    with_first: int
    with_second: int
    both: int
    first_matched_rate: float | None = Field(description="both / with_first")
    second_matched_rate: float | None = Field(description="both / with_second")


class UnificationTimes(BaseModel):
    """Ingestion → the profile reflects the event, in milliseconds."""

    events: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class CustomerMetrics(BaseModel):
    since: datetime | None
    profiles: int
    recognised_profiles: int
    anonymous_profiles: int
    events: int
    recognised_event_share_at_ingestion: float | None
    recognised_event_share_now: float | None
    unattributed_events: int
    match_rates: list[MatchRate]
    time_to_unification: UnificationTimes
    merges: int
    unmerges: int
    open_reviews: int
    shared_identifiers: dict[str, int]
    households: int


ExplainOut.model_rebuild()
