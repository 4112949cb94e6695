"""The events of the loyalty module (``loyalty.*``).

Every event names the member, their programme and the profile they are (None once the
person is erased), so that a timeline, a message or a KPI needs no second look. Points are
whole numbers; ``available`` and ``pending`` are the member's balance after the change.
"""

from __future__ import annotations

from typing import Any

from omnicanal.platform.events import DomainEvent

__all__ = [
    "MemberEnrolled",
    "MemberEvent",
    "PointsAdjusted",
    "PointsConfirmed",
    "PointsEarned",
    "PointsExpired",
    "PointsHeld",
    "PointsRedeemed",
    "PointsReversed",
    "RedemptionCaptureFailed",
    "RedemptionReleased",
    "RewardIssued",
    "RewardUsed",
    "TierChanged",
]

_MEMBER = "01JQ7Z0000000000000000MEMB"
_ORDER = "01JQ7Z0000000000000000ORDR"
_REDEMPTION = "01JQ7Z0000000000000000REDM"


class MemberEvent(DomainEvent):
    """What every ``loyalty.*`` event carries."""

    member_id: str
    programme: str
    """The programme's code."""
    profile_id: str | None

    @property
    def subject(self) -> str:
        return f"loyalty/members/{self.member_id}"


def _example(**more: Any) -> dict[str, Any]:
    return {
        "member_id": _MEMBER,
        "programme": "CLUB",
        "profile_id": "01JQ7Z00000000000000PROFL",
        **more,
    }


class MemberEnrolled(MemberEvent):
    """A customer joined the programme: with a card, through their app login, or at a
    counter."""

    type = "loyalty.member_enrolled"
    example = _example(card_number="FID0042", channel="store", location="LYON-01", tier="bronze")

    card_number: str | None
    channel: str
    location: str | None
    tier: str | None


class PointsEarned(MemberEvent):
    """An order earned points: pending until its return window closes, or available at once
    when the programme has no window."""

    type = "loyalty.points_earned"
    example = _example(
        order_id=_ORDER,
        channel="web",
        location=None,
        points=80,
        pending=True,
        confirm_at="2026-07-01T10:00:00+00:00",
        available=120,
        pending_points=80,
    )

    order_id: str
    channel: str
    location: str | None
    points: int
    pending: bool
    confirm_at: str | None
    """When pending points are confirmed, once every unit has reached the customer (ISO
    8601)."""
    available: int
    pending_points: int


class PointsConfirmed(MemberEvent):
    """An order's return window closed: what is left of its pending points is spendable."""

    type = "loyalty.points_confirmed"
    example = _example(
        order_id=_ORDER,
        points=80,
        expires_at="2028-07-01T10:00:00+00:00",
        available=200,
        pending_points=0,
    )

    order_id: str
    points: int
    expires_at: str | None
    available: int
    pending_points: int


class PointsReversed(MemberEvent):
    """Units came back (a return refunded or exchanged, a line or the order cancelled): the
    points they earned are taken back, from pending or from available; ``uncollected`` are
    those already spent, which the balance could not give back."""

    type = "loyalty.points_reversed"
    example = _example(
        order_id=_ORDER,
        return_id="01JQ7Z00000000000000000RET",
        cause="return.refunded",
        points=40,
        from_pending=True,
        uncollected=0,
        available=120,
        pending_points=40,
    )

    order_id: str
    return_id: str | None
    cause: str
    """The event type that brought the units back."""
    points: int
    from_pending: bool
    uncollected: int
    available: int
    pending_points: int


class PointsHeld(MemberEvent):
    """Points were held to pay part or all of a sale (a redemption), until the order that
    uses them captures them or the hold ends."""

    type = "loyalty.points_held"
    example = _example(
        redemption_id=_REDEMPTION,
        points=500,
        amount_minor=500,
        currency="EUR",
        channel="store",
        location="LYON-01",
        hold_expires_at="2026-06-01T10:30:00+00:00",
        available=300,
    )

    redemption_id: str
    points: int
    amount_minor: int
    currency: str
    channel: str
    location: str | None
    hold_expires_at: str
    available: int


class PointsRedeemed(MemberEvent):
    """Held points paid an order: the redemption is captured."""

    type = "loyalty.points_redeemed"
    example = _example(
        redemption_id=_REDEMPTION,
        order_id=_ORDER,
        points=500,
        amount_minor=500,
        currency="EUR",
        channel="store",
        location="LYON-01",
    )

    redemption_id: str
    order_id: str
    points: int
    amount_minor: int
    currency: str
    channel: str
    location: str | None


class RedemptionReleased(MemberEvent):
    """Held or spent points came back to the member: the hold was released or ran out
    unused, or the order they paid was cancelled."""

    type = "loyalty.redemption_released"
    example = _example(
        redemption_id=_REDEMPTION,
        points=500,
        reason="hold_expired",
        order_id=None,
        available=800,
    )

    redemption_id: str
    points: int
    reason: str
    """released (asked for), hold_expired, order_cancelled or capture_failed."""
    order_id: str | None
    available: int


class RedemptionCaptureFailed(MemberEvent):
    """An order named a redemption as a tender that could not pay it (unknown, already used
    or released and no longer covered, another amount or currency): the order is short of
    ``amount_minor``."""

    type = "loyalty.redemption_capture_failed"
    example = _example(
        redemption_id=_REDEMPTION,
        order_id=_ORDER,
        amount_minor=500,
        currency="EUR",
        problem="amount_mismatch",
    )

    redemption_id: str
    order_id: str
    amount_minor: int
    currency: str
    problem: str
    """unknown_redemption, already_captured, insufficient_points, amount_mismatch or
    currency_mismatch."""


class PointsExpired(MemberEvent):
    """Points reached their expiry date unspent (or were forfeited)."""

    type = "loyalty.points_expired"
    example = _example(points=120, reason="expired", available=0)

    points: int
    reason: str
    available: int


class PointsAdjusted(MemberEvent):
    """A person added or took points by hand, with a reason (audited)."""

    type = "loyalty.points_adjusted"
    example = _example(
        points=-50, reason="geste commercial annulé", actor="operator:cli", available=150
    )

    points: int
    reason: str
    actor: str
    available: int


class TierChanged(MemberEvent):
    """The member's points over the rolling period reached another tier."""

    type = "loyalty.tier_changed"
    example = _example(from_tier="silver", tier="gold", qualifying_points=2400)

    from_tier: str | None
    tier: str | None
    qualifying_points: int


class RewardIssued(MemberEvent):
    """A reward rule issued the member a reward: a single-use coupon only their carts and
    orders may use, on every channel, until ``valid_until``; ``title_code`` and ``params``
    say it in any language (``title`` in English)."""

    type = "loyalty.reward_issued"
    example = _example(
        reward_id="01JQ7Z0000000000000000RWRD",
        rule="OFFRE-CATEGORIE",
        kind="offer",
        coupon_code="FID-7KQ2M9XT",
        title="10% off Robes",
        title_code="loyalty.reward.offer_category",
        params={"percent": "10", "category": "Robes"},
        currency="EUR",
        value_minor=None,
        percent_off="10",
        category="Robes",
        valid_until="2026-07-01T10:00:00+00:00",
    )

    reward_id: str
    rule: str
    kind: str
    """voucher (an amount off) or offer (a percentage off a category)."""
    coupon_code: str
    title: str
    title_code: str
    params: dict[str, str | int]
    currency: str
    value_minor: int | None
    percent_off: str | None
    category: str | None
    valid_until: str


class RewardUsed(MemberEvent):
    """The member's reward paid part of an order: its coupon is used up."""

    type = "loyalty.reward_used"
    example = _example(
        reward_id="01JQ7Z0000000000000000RWRD",
        coupon_code="FID-7KQ2M9XT",
        kind="offer",
        order_id=_ORDER,
        channel="store",
    )

    reward_id: str
    coupon_code: str
    kind: str
    order_id: str
    channel: str
    """The channel of the order that used it."""
