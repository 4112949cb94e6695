"""The state the identity rules work on: profiles and identifiers in memory, and the
records of what one message did (merges, conflicts, household links)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from omnicanal.customers.identifiers import Identifier, IdentifierKind
from omnicanal.customers.identity.person import PersonFacts

__all__ = [
    "Conflict",
    "HouseholdLink",
    "IdentifierState",
    "Merge",
    "Observation",
    "Outcome",
    "ProfileState",
]


@dataclass(frozen=True)
class Observation:
    """One message's identifiers, when and where they were seen, and its timeline entry."""

    identifiers: tuple[Identifier, ...]
    at: datetime
    source: str
    event_ref: str
    received_at: datetime | None = None
    person: PersonFacts = field(default_factory=PersonFacts)
    """The given name and birth date the message states, if any."""
    trusted: bool = True
    """Its source may merge two known profiles (a till, a login, a call centre after
    verification); an anonymous web page may not."""

    @property
    def decided_at(self) -> datetime:
        """When resolution ran on it: merges and flags are dated so."""
        return self.received_at or self.at


@dataclass
class ProfileState:
    """A profile as resolution needs it: its anchors (over everything merged into it)."""

    id: str
    created_at: datetime
    anchors: dict[IdentifierKind, set[str]] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)
    merged_into: str | None = None
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    is_new: bool = False
    changed: bool = False
    facts: PersonFacts = field(default_factory=PersonFacts)
    """The given names and birth dates seen for the person (over everything merged in)."""
    kept: PersonFacts = field(default_factory=PersonFacts)
    """What this profile's own row keeps of them (``profiles.facts``, bounded)."""

    def __post_init__(self) -> None:
        self.members.add(self.id)

    @property
    def recognised(self) -> bool:
        """True once the profile carries an anchor: it is a known person."""
        return any(self.anchors.values())

    def seen(self, at: datetime) -> None:
        if self.first_seen_at is None or at < self.first_seen_at:
            self.first_seen_at = at
            self.changed = True
        if self.last_seen_at is None or at > self.last_seen_at:
            self.last_seen_at = at
            self.changed = True


@dataclass
class IdentifierState:
    """An identifier in the graph: which profile it belongs to, who it was seen with."""

    id: str
    identifier: Identifier
    profile_id: str
    home_profile_id: str
    source: str
    last_source: str
    first_seen_at: datetime
    last_seen_at: datetime
    seen_with: list[str] = field(default_factory=list)
    shared: bool = False
    shared_at: datetime | None = None
    first_event_ref: str | None = None
    linked_by: str | None = None
    is_new: bool = False
    changed: bool = False
    flagged: bool = False
    """Its people or its shared flag changed (not only when it was last seen)."""


@dataclass(frozen=True)
class Merge:
    """Profile ``absorbed`` became part of ``survivor``: why, through what, by which message."""

    id: str
    survivor_id: str
    absorbed_id: str
    rule: str
    identifier: Identifier | None
    at: datetime
    source: str
    event_ref: str | None
    through: tuple[Identifier, ...] = ()
    """Every identifier of the message that joined the two (re-examined if one turns out
    shared)."""


@dataclass(frozen=True)
class Conflict:
    """Two profiles that a message would have merged, against a rule: for review."""

    profile_a: str
    profile_b: str
    reason: str
    identifiers: tuple[Identifier, ...]
    at: datetime
    source: str
    event_ref: str
    received_at: datetime | None = None

    @property
    def decided_at(self) -> datetime:
        """When resolution ran on it: merges and flags are dated so."""
        return self.received_at or self.at


@dataclass(frozen=True)
class HouseholdLink:
    """People who share a landline, a family e-mail or a card: one household, never one
    person."""

    profile_ids: tuple[str, ...]
    reason: str
    identifier: Identifier


@dataclass
class Outcome:
    """What one observation did."""

    profile_id: str | None
    created: bool = False
    identified: bool = False
    added: list[Identifier] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    flagged: list[Identifier] = field(default_factory=list)
    ignored_shared: list[Identifier] = field(default_factory=list)
    blocked: list[Identifier] = field(default_factory=list)
    """Values that never link anyone (a placeholder, a shop's address): set aside."""
    refused: list[Identifier] = field(default_factory=list)
    """Known identifiers of another person than the message's (given names or birth dates
    disagree): not followed."""
    home: str | None = None
    """The profile the message was found through: the one that first held the identifier
    that chose its person (a profile merged into it, for a person made of several), else the
    person's own. The message's traits and events belong to it: an unmerge gives them back
    with it."""
    contradicted: bool = False
    """The message gave a birth date that agrees with none its person was given."""
