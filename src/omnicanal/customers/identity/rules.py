"""The rules of deterministic identity resolution, as data (pure: no database).

Two kinds of identifier take part:

* **anchors** name one person: a login (``user_id``), a loyalty card, a till's customer
  number, an email, a mobile phone. Two profiles that share an anchor are one person and
  are merged, unless the merged profile would break a per-kind limit (two logins, two
  loyalty cards, too many emails): then nothing is merged and the conflict is recorded for
  a person to review.
* **linking identifiers** name a device, a browser or a household: a device id, a cookie
  (anonymous id), a landline. They attach anonymous activity to the person it was seen with,
  but never join two people: when one is seen with a second person it has been shared (a
  store tablet, a family computer, a household landline); it stops linking and is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnicanal.customers.identifiers import IdentifierKind

__all__ = ["HOUSEHOLD_MAX", "RULES", "SHAREABLE_KINDS", "KindRule", "MergeRule", "ReviewReason"]


@dataclass(frozen=True)
class KindRule:
    """How one kind of identifier takes part in resolution."""

    priority: int
    """Lower is stronger: the strongest identifier of a message chooses its profile."""
    per_profile: int
    """At most this many different values of the kind on one profile."""
    exclusive: bool
    """A second value on one profile is never merged silently (it goes to review)."""
    shared_after: int = 2
    """Seen with this many different people, the identifier is shared and stops linking."""


RULES: dict[IdentifierKind, KindRule] = {
    IdentifierKind.user_id: KindRule(priority=0, per_profile=1, exclusive=True),
    IdentifierKind.loyalty_card: KindRule(priority=1, per_profile=1, exclusive=True),
    IdentifierKind.external_id: KindRule(priority=2, per_profile=5, exclusive=False),
    IdentifierKind.email: KindRule(priority=3, per_profile=5, exclusive=False),
    IdentifierKind.phone: KindRule(priority=4, per_profile=4, exclusive=False),
    IdentifierKind.device_id: KindRule(priority=5, per_profile=20, exclusive=False),
    IdentifierKind.anonymous_id: KindRule(priority=6, per_profile=500, exclusive=False),
}


SHAREABLE_KINDS = frozenset(
    {
        IdentifierKind.email,
        IdentifierKind.phone,
        IdentifierKind.loyalty_card,
        IdentifierKind.device_id,
        IdentifierKind.anonymous_id,
    }
)
"""Kinds that two people may carry (a household's e-mail, landline or card, a family
computer, a store's tablet): followed only when the names agree."""

HOUSEHOLD_MAX = 8
"""An identifier seen with more people than this is a generic value, not a household's."""


class MergeRule:
    """Why two profiles became one (as stored in the merge log)."""

    shared_identifier = "shared_identifier"
    """Both profiles carry the same anchor (email, loyalty card, login, mobile...)."""
    anonymous_activity = "anonymous_activity"
    """An anonymous profile joins the person its device, cookie or landline was seen with."""
    review = "review"
    """A person reviewed a conflict or a probable match and merged them."""
    probabilistic_match = "probabilistic_match"
    """The probabilistic matcher scored the two records above its merge threshold."""


class ReviewReason:
    """Why a pair of profiles waits for a person's decision."""

    @staticmethod
    def conflict(kind: IdentifierKind) -> str:
        return f"{kind.value}_conflict" if RULES[kind].exclusive else f"{kind.value}_limit"

    probable_match = "probable_match"
    person_conflict = "person_conflict"
    """One message joins two profiles whose given names or birth dates disagree."""
    untrusted_source = "untrusted_source"
    """A source anyone can write with (the web shop's public key) joins two known people."""
    shared_identifier_merge = "shared_identifier_merge"
    """A merge was made through an identifier since seen with another person."""
