"""Who may send, read and moderate product reviews: a pure policy over the caller and a
review's owner (``platform/access.py`` is the ownership rule it builds on).

- Sending a review (``reviews:write``): a first-party key (web, app, store, call centre)
  for any known customer, a store key at its own store; a ``marketplace`` key for the
  customers of the orders it placed only (else 403 ``review_forbidden``, the same answer
  whether the customer exists or not, so a marketplace learns nothing of other channels'
  customers).
- Reading (``reviews:read``): a published review, by anyone; a pending or rejected one, by
  its owner (the key, channel and store that sent it) and by head office
  (``reviews:moderate``); to anyone else it does not exist (404). A marketplace sees who
  wrote a review (its profile id) only for the reviews it sent.
- Moderating (publish, reject; listing the pending and rejected ones): a first-party key
  with ``reviews:moderate`` (head office; no channel key has it by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from omnicanal.platform.access import Owner, is_first_party, is_privileged, owns
from omnicanal.platform.actors import Actor
from omnicanal.reviews.errors import ReviewForbidden, UnknownProductReview
from omnicanal.reviews.rules import ReviewStatus

__all__ = [
    "MODERATE_SCOPE",
    "ReviewFacts",
    "check_moderator",
    "check_readable",
    "check_sender",
    "is_moderator",
    "may_read",
    "shows_reviewer",
]

MODERATE_SCOPE = "reviews:moderate"


@dataclass(frozen=True)
class ReviewFacts:
    """What the policy needs of a review: its id, its status and who sent it."""

    id: str
    status: ReviewStatus
    owner: Owner


def is_moderator(actor: Actor) -> bool:
    """The operator, or a first-party key with ``reviews:moderate`` (head office)."""
    return is_privileged(actor) or (is_first_party(actor) and MODERATE_SCOPE in actor.scopes)


def check_moderator(actor: Actor, *, doing: str) -> None:
    """Refuse a caller who does not moderate reviews."""
    if not is_moderator(actor):
        raise ReviewForbidden(
            f"A key needs the '{MODERATE_SCOPE}' scope (head office) to {doing}.",
            required_scope=MODERATE_SCOPE,
        )


def check_sender(actor: Actor, *, placed_an_order: bool) -> None:
    """Refuse a key that may not send this customer's review: a marketplace whose orders do
    not include one of theirs (``placed_an_order``)."""
    if is_privileged(actor) or is_first_party(actor) or placed_an_order:
        return
    raise ReviewForbidden(
        f"A {actor.channel} key sends the reviews of the customers of its own orders only.",
        field="customer_ref",
    )


def may_read(actor: Actor, facts: ReviewFacts) -> bool:
    """A published review is anyone's to read; another, its sender's and head office's."""
    if facts.status is ReviewStatus.published or is_moderator(actor):
        return True
    return owns(actor, facts.owner)


def check_readable(actor: Actor, facts: ReviewFacts) -> None:
    """Refuse, as if it did not exist, a review the caller may not read."""
    if not may_read(actor, facts):
        raise UnknownProductReview(f"No product review has the id {facts.id!r}.", field="id")


def shows_reviewer(actor: Actor, facts: ReviewFacts) -> bool:
    """Whether the caller may see who wrote the review: the retailer's own channels, and a
    marketplace for the reviews it sent."""
    return is_privileged(actor) or is_first_party(actor) or owns(actor, facts.owner)
