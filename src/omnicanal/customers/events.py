"""The events of the customers module (``customer.*``): the identity graph's news.

A profile id names the person's profile as it is at the time of the event (the surviving
one after a merge).
"""

from __future__ import annotations

from omnicanal.platform.events import DomainEvent

__all__ = [
    "CustomerIdentified",
    "IdentityConflictFound",
    "IdentityReviewDecided",
    "PersonRecorded",
    "ProfileMerged",
    "ProfileUnmerged",
    "SharedIdentifierFound",
]

_PROFILE = "01JQ7Z0000000000000000PRF1"
_OTHER = "01JQ7Z0000000000000000PRF2"


class PersonRecorded(DomainEvent):
    """A message created or identified a person with a name, or gave a known person an
    address or a birth date: a record for the real-time matcher to compare."""

    type = "customer.person_recorded"
    example = {"profile_id": _PROFILE}

    profile_id: str

    @property
    def subject(self) -> str:
        return f"profiles/{self.profile_id}"


class ProfileMerged(DomainEvent):
    """Two profiles turned out to be one person: ``merged_profile_id`` became part of
    ``profile_id``."""

    type = "customer.profiles_merged"
    example = {
        "profile_id": _PROFILE,
        "merged_profile_id": _OTHER,
        "rule": "email",
        "identifier_kind": "email",
        "timeline_event_id": "01JQ7Z0000000000000000MSG1",
    }

    profile_id: str
    merged_profile_id: str
    rule: str
    """The rule that joined them: an identifier kind, a probable match, a person's decision."""
    identifier_kind: str | None = None
    """Given for a merge by a message: the kind of identifier they shared, if one did."""
    timeline_event_id: str | None = None
    """Given for a merge by a message: that message."""

    @property
    def subject(self) -> str:
        return f"profiles/{self.profile_id}"


class ProfileUnmerged(DomainEvent):
    """A merge was undone: ``restored_profile_id`` is a profile of its own again."""

    type = "customer.profiles_unmerged"
    example = {"profile_id": _PROFILE, "restored_profile_id": _OTHER}

    profile_id: str
    restored_profile_id: str

    @property
    def subject(self) -> str:
        return f"profiles/{self.profile_id}"


class CustomerIdentified(DomainEvent):
    """Anonymous visitors (cookies, devices) turned out to be this known person."""

    type = "customer.identified"
    example = {"profile_id": _PROFILE, "anonymous_ids": ["cookie-5f2a"]}

    profile_id: str
    anonymous_ids: list[str]

    @property
    def subject(self) -> str:
        return f"profiles/{self.profile_id}"


class SharedIdentifierFound(DomainEvent):
    """One email or phone turned out to be several people's: it no longer joins profiles
    (a shared phone makes a household)."""

    type = "customer.identifier_shared"
    example = {"kind": "phone", "profile_ids": [_PROFILE, _OTHER], "household": True}

    kind: str
    profile_ids: list[str]
    household: bool

    @property
    def subject(self) -> str:
        return f"identifiers/{self.kind}"


class IdentityConflictFound(DomainEvent):
    """Two profiles that something would have merged tell two people apart: the pair waits
    for a person's review."""

    type = "customer.identity_conflict"
    example = {
        "profile_ids": [_PROFILE, _OTHER],
        "reason": "person_conflict",
        "timeline_event_id": "01JQ7Z0000000000000000MSG1",
    }

    profile_ids: list[str]
    reason: str
    timeline_event_id: str | None = None
    """Given when a message raised the conflict: that message."""

    @property
    def subject(self) -> str:
        return f"profiles/{self.profile_ids[0]}"


class IdentityReviewDecided(DomainEvent):
    """A person decided a pair under review: one person (merge) or two (keep apart)."""

    type = "customer.identity_review_decided"
    example = {
        "review_id": "01JQ7Z0000000000000000RVW1",
        "decision": "keep_apart",
        "reason": "person_conflict",
    }

    review_id: str
    decision: str
    """merge or keep_apart."""
    reason: str
    """Why the pair was under review."""

    @property
    def subject(self) -> str:
        return f"identity_reviews/{self.review_id}"
