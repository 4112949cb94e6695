"""Tables of the customers module: profiles, the identity graph, traits and the timeline.

Rows that belong to a person (identifiers, traits, timeline entries, references) carry two
profile ids: ``profile_id``, the profile they are part of now, and ``home_profile_id``, the
profile they were first attributed to. A merge moves ``profile_id``; an unmerge moves the
rows back to their home, which is how it restores the original profiles exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime

PROFILE_FK = "profiles.id"


class Profile(Base):
    """One person (or one anonymous visitor) as omnicanal knows them."""

    __tablename__ = "profiles"
    __table_args__ = (Index("ix_profiles_changed", "updated_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    root_id: Mapped[str] = mapped_column(String(26), index=True)
    merged_into_id: Mapped[str | None] = mapped_column(String(26))
    recognised: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    first_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    """When the profile, its traits or identifiers last changed (touched by the service)."""
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """Every given name, family name and birth date messages gave this profile, folded
    (``PersonFacts.to_json``), a few of each at most: identity resolution compares a new
    message with all of them, not only with the traits' latest values. Erased with the
    profile."""


class ProfileIdentifier(Base):
    """An identifier of a person: email, phone, loyalty card, login, cookie, device, till id."""

    __tablename__ = "profile_identifiers"
    __table_args__ = (
        UniqueConstraint("value", "kind", name="uq_profile_identifiers_value_kind"),
        Index("ix_profile_identifiers_profile", "profile_id", "kind"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(254))
    anchor: Mapped[bool] = mapped_column(default=False)
    profile_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK))
    home_profile_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK), index=True)
    source: Mapped[str] = mapped_column(String(120))
    last_source: Mapped[str] = mapped_column(String(120))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    shared: Mapped[bool] = mapped_column(default=False)
    shared_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    seen_with: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_event_id: Mapped[str | None] = mapped_column(String(26))
    linked_by: Mapped[str | None] = mapped_column(String(280))


class ProfileTrait(Base):
    """The latest value of a trait (name, birthday, address...) with its source and time."""

    __tablename__ = "profile_traits"
    __table_args__ = (
        UniqueConstraint("home_profile_id", "name", name="uq_profile_traits_home_name"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK), index=True)
    home_profile_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK))
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(120))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    event_id: Mapped[str | None] = mapped_column(String(26))


class ProfileSearchName(Base):
    """A root profile's current full name, as written and folded, for finding it by name.

    Kept by the customers module wherever name traits or merges change (one row per root
    profile that has a name), so a search reads this narrow table instead of every trait.
    """

    __tablename__ = "profile_search_names"

    profile_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    folded: Mapped[str] = mapped_column(String(300))


class ProfileEvent(Base):
    """One entry of a profile's timeline: a tracked message or a domain event about them."""

    __tablename__ = "profile_events"
    __table_args__ = (
        Index("ix_profile_events_timeline", "profile_id", "occurred_at", "id"),
        Index("ix_profile_events_home", "home_profile_id"),
        Index("ix_profile_events_received", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey(PROFILE_FK))
    home_profile_id: Mapped[str | None] = mapped_column(ForeignKey(PROFILE_FK))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(30))
    message_ref: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    unified_at: Mapped[datetime] = mapped_column(UtcDateTime())
    unification_ms: Mapped[int] = mapped_column(Integer, default=0)
    recognised: Mapped[bool] = mapped_column(default=False)
    order_id: Mapped[str | None] = mapped_column(String(100))
    revenue_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ProfileReference(Base):
    """A cart or order id that names a profile, so that later events about it join them."""

    __tablename__ = "profile_references"

    reference: Mapped[str] = mapped_column(String(120), primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK), index=True)
    home_profile_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class IdentityMerge(Base):
    """Two profiles became one: when, why (the rule), through which identifier and event."""

    __tablename__ = "identity_merges"
    __table_args__ = (
        Index("ix_identity_merges_survivor", "survivor_id"),
        Index("ix_identity_merges_absorbed", "absorbed_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    survivor_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK))
    absorbed_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK))
    rule: Mapped[str] = mapped_column(String(40))
    identifier_kind: Mapped[str | None] = mapped_column(String(20))
    identifier_value: Mapped[str | None] = mapped_column(String(254))
    event_id: Mapped[str | None] = mapped_column(String(26))
    source: Mapped[str] = mapped_column(String(120))
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unmerged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    unmerged_by: Mapped[str | None] = mapped_column(String(100))


class IdentityReview(Base):
    """A pair of profiles waiting for a person: a conflict (two loyalty cards...) or a
    probable match from the probabilistic matcher."""

    __tablename__ = "identity_reviews"
    __table_args__ = (Index("ix_identity_reviews_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(60))
    profile_a_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK), index=True)
    profile_b_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK), index=True)
    identifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    weight: Mapped[float | None] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    event_id: Mapped[str | None] = mapped_column(String(26))
    source: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(100))

    @property
    def updated_at(self) -> datetime:
        """When the review last changed: its decision, else its opening (it changes once)."""
        return self.decided_at or self.created_at


class ProfileSeparation(Base):
    """Two profiles a person said are different people: never merged again."""

    __tablename__ = "profile_separations"
    __table_args__ = (Index("ix_profile_separations_b", "profile_b_id"),)

    profile_a_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK), primary_key=True)
    profile_b_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK), primary_key=True)
    reason: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class Household(Base):
    """People who live together (a shared landline, an address): linked, never merged."""

    __tablename__ = "households"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HouseholdMember(Base):
    """A profile's place in a household, and why it is there."""

    __tablename__ = "household_members"

    profile_id: Mapped[str] = mapped_column(ForeignKey(PROFILE_FK), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    reason: Mapped[str] = mapped_column(String(60))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class PersonKey(Base):
    """A blocking key of a person record ("postcode:69002", a phonetic name...): the real-time
    matcher compares a new record with the records sharing one of its keys."""

    __tablename__ = "person_keys"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(26), primary_key=True, index=True)


class MatcherModel(Base):
    """The probabilistic matcher's weights, as the last batch run estimated them (EM)."""

    __tablename__ = "matcher_models"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    records: Mapped[int]
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model: Mapped[bytes] = mapped_column(LargeBinary)
    """The fitted ``FellegiSunterModel``, pickled: written and read by omnicanal only."""
