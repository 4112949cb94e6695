"""Loyalty at the counter, as the pages read it: the customer page's panel (programme, card,
tier, points and what they are worth, the rewards to apply in one tap, the customer's
ratings) and the points a known customer can pay a basket with.

Every fact comes from the loyalty module's public functions (``loyalty.service``: members,
balances, rewards, holds) and the reviews' (``customer_rating``); the writes that use them
are in ``web.loyalty_desk`` (joining, applying a reward) and ``web.basket`` (the sale).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from omnicanal.loyalty import rewards_rules
from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.errors import UnknownMember
from omnicanal.loyalty.rules import amount_for_points
from omnicanal.loyalty.schemas import (
    MemberOut,
    ProgrammeOut,
    RedemptionIn,
    RedemptionOut,
    RewardOut,
)
from omnicanal.platform import audit
from omnicanal.platform.actors import Actor
from omnicanal.platform.errors import Conflict, InvalidInput
from omnicanal.reviews import service as reviews
from omnicanal.reviews.schemas import RatingSummary
from omnicanal.staff import service as staff
from omnicanal.web.rendering import distance, money

__all__ = [
    "LOYALTY_PROBLEMS",
    "TIER_LABELS",
    "BasketPoints",
    "InvalidPoints",
    "LoyaltyPanel",
    "NotAMember",
    "basket_points",
    "hold_for_sale",
    "loyalty_context",
    "membership",
    "points_typed",
    "reader",
    "reward_title",
    "rewards_to_use",
]

TIER_LABELS = {
    "bronze": "Bronze",
    "silver": "Silver",
    "gold": "Gold",
    "platinum": "Platinum",
}
"""The words for the usual tier codes (message ids); another tier reads as its programme
names it."""
LOYALTY_PROBLEMS = frozenset(
    {
        "programme_inactive",
        "unknown_programme",
        "card_in_use",
        "nobody_to_enrol",
        "unknown_reward",
        "reward_not_available",
        "unknown_coupon",
        "coupon_expired",
        "coupon_not_yet_valid",
        "coupon_already_used",
        "coupon_exhausted",
        "member_erased",
        "no_store",
    }
)
"""The refusals the panel explains in words; anything else reads "refused, nothing changed"."""


@dataclass(frozen=True)
class _Speaker:
    """A page's language as the reward titles' phrases need it (``platform.reasons``)."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]
    language: str

    def money(self, minor: int, currency: str) -> str:
        return money(minor, currency, self.language)

    def decimal(self, text: str) -> str:
        return format_decimal(Decimal(text), locale=self.language)

    def distance(self, kilometres: int | float) -> str:
        return distance(kilometres, self.language)

    def word(self, kind: str, code: str) -> str:
        return self.gettext(code)


def reward_title(
    reward: RewardOut,
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
    language: str,
) -> str:
    """A reward's title in the reader's language, from its code and parameters (its
    English title when this version does not know the code)."""
    phrase = rewards_rules.PHRASES.get(reward.title_code)
    if phrase is None:
        return reward.title
    try:
        return phrase.say(reward.params, _Speaker(gettext, ngettext, language))
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return reward.title


@dataclass(frozen=True)
class LoyaltyPanel:
    """What the customer page shows of loyalty."""

    programmes: list[ProgrammeOut]
    """The open programmes (the customer may join one when not a member)."""
    member: MemberOut | None
    programme: ProgrammeOut | None
    pending_value_minor: int
    rewards: list[RewardOut]
    rating: RatingSummary | None
    """The customer's average rating and last reviews (None before their first)."""

    @property
    def runs(self) -> bool:
        """Whether a programme runs for the customer: they are a member, or may join."""
        return self.member is not None or bool(self.programmes)


def reader(session: Session, member: staff.StaffMember) -> Actor:
    """The staff member as loyalty reads them: their store's till, or head office."""
    if member.location_code is None:
        return staff.back_office_actor(member)
    return staff.acting_as(session, member)


def membership(session: Session, *, profile_id: str, actor: Actor) -> MemberOut | None:
    """The customer's membership (their first programme's), or None."""
    try:
        return loyalty.find_member(session, actor=actor, profile_id=profile_id)
    except UnknownMember:
        return None


def rewards_to_use(session: Session, *, member_id: str) -> list[RewardOut]:
    """The member's rewards still to use."""
    return [
        reward
        for reward in loyalty.rewards_of(session, member_id=member_id)
        if reward.status == "available"
    ]


def _rating(session: Session, profile_ids: list[str]) -> RatingSummary | None:
    """The customer's average rating and last reviews (None before their first review)."""
    rating = reviews.customer_rating(session, profile_ids=profile_ids)
    return rating if rating.count else None


def loyalty_context(
    session: Session, *, profile_id: str, profile_ids: list[str], member: staff.StaffMember
) -> dict[str, Any]:
    """The loyalty panel of the customer page (``loyalty``: None when no programme runs and
    the customer wrote no review)."""
    actor = reader(session, member)
    programmes = [p for p in loyalty.list_programmes(session, actor=actor) if p.active]
    joined = membership(session, profile_id=profile_id, actor=actor)
    rating = _rating(session, profile_ids)
    if joined is None and not programmes and rating is None:
        return {"loyalty": None}
    programme = (
        loyalty.get_programme(session, code=joined.programme, actor=actor) if joined else None
    )
    pending_value = (
        amount_for_points(joined.balance.pending, Decimal(programme.point_value_minor))
        if joined and programme
        else 0
    )
    return {
        "loyalty": LoyaltyPanel(
            programmes=programmes,
            member=joined,
            programme=programme,
            pending_value_minor=pending_value,
            rewards=rewards_to_use(session, member_id=joined.id) if joined else [],
            rating=rating,
        ),
        "tier_labels": TIER_LABELS,
        "reward_title": reward_title,
    }


# --- paying with points at the counter ---------------------------------------------------------


class InvalidPoints(InvalidInput):
    code = "invalid_points"
    title = "Type a whole number of points"


class NotAMember(Conflict):
    code = "not_a_member"
    title = "The basket's customer is not a member of the loyalty programme"


MAX_POINTS_TYPED = 9
"""The most digits a number of points typed at the counter may have."""


@dataclass(frozen=True)
class BasketPoints:
    """What the basket page offers to pay with the customer's points."""

    member_id: str
    available: int
    available_value_minor: int
    usable: int
    """The most points this basket can take: the balance, and no more than its total."""
    currency: str


def basket_points(
    session: Session, *, profile_id: str | None, actor: Actor, total_minor: int
) -> BasketPoints | None:
    """The points the basket's customer can pay with, or None for a walk-in or a customer
    who is not a member."""
    if profile_id is None:
        return None
    joined = membership(session, profile_id=profile_id, actor=actor)
    if joined is None:
        return None
    programme = loyalty.get_programme(session, code=joined.programme, actor=actor)
    if not programme.active:
        return None
    return BasketPoints(
        member_id=joined.id,
        available=joined.balance.available,
        available_value_minor=joined.balance.available_value_minor,
        usable=loyalty.points_within(
            total_minor,
            point_value_minor=programme.point_value_minor,
            available=joined.balance.available,
        ),
        currency=joined.balance.currency,
    )


def points_typed(form: dict[str, str]) -> int:
    """The points the clerk typed (0 when none); a number that is not one is refused before
    it becomes an int."""
    raw = form.get("loyalty_points", "").strip().replace("\u00a0", "").replace(" ", "")
    if not raw:
        return 0
    if not raw.isascii() or not raw.isdecimal() or len(raw) > MAX_POINTS_TYPED:
        raise InvalidPoints("Type the points to use as a whole number.", field="loyalty_points")
    return int(raw)


def hold_for_sale(
    session: Session, *, profile_id: str | None, points: int, actor: Actor
) -> RedemptionOut:
    """Hold ``points`` of the basket's customer for the sale under way (all of them or
    none): the checkout names the hold as a ``loyalty`` tender."""
    joined = membership(session, profile_id=profile_id, actor=actor) if profile_id else None
    if joined is None:
        raise NotAMember(
            "Only a member of the loyalty programme pays with points.", field="loyalty_points"
        )
    held = loyalty.hold_points(
        session, data=RedemptionIn(member_id=joined.id, points=points), actor=actor
    )
    if held.amount_minor < 1:
        raise InvalidPoints("These points are worth less than a cent.", field="loyalty_points")
    audit.record(session, actor=actor, operation="loyalty_redeem", body={"id": held.id})
    return held
