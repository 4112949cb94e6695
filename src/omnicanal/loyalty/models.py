"""Tables of the loyalty module: programmes, their members, each member's balance and points
ledger, the lots their points expire by, the points earned per order, and redemptions.

The ledger is the truth and the balance its sum: ``available`` is the sum of the ledger's
``points``, ``pending`` the sum of its ``pending_points``. Both are written in the same
transaction, the balance by conditional updates (``available >= :points``), as the stock
ledger keeps ``on_hand`` (ADR 0002, ADR 0021).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime, WideInteger

__all__ = [
    "LEDGER_KINDS",
    "Balance",
    "Earning",
    "LedgerEntry",
    "Member",
    "PointLot",
    "Programme",
    "Redemption",
    "Reward",
    "RewardReview",
    "RewardRule",
]

LEDGER_KINDS = ("earn", "pending", "confirm", "redeem", "release", "expire", "adjust", "reverse")
"""What a ledger line records: points earned at once (``earn``) or pending the return window
(``pending``), pending points confirmed, points held for a redemption (``redeem``) and given
back when it is released, expired, adjusted by a person, or reversed by a return or a
cancellation."""


class Programme(Base):
    """A loyalty programme: how its members earn, what a point is worth, its tiers."""

    __tablename__ = "loyalty_programmes"
    __table_args__ = (
        CheckConstraint("pending_days >= 0", name="pending_days_not_negative"),
        CheckConstraint("point_value_minor > 0", name="point_value_positive"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    points_per_euro: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    """Points per euro (per unit of ``currency``) paid, unless a rule says otherwise."""
    earning_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Rates by category and/or channel: ``{"category", "channel", "points_per_euro"}``."""
    earning_channels: Mapped[list[str]] = mapped_column(JSON)
    """The channels (codes or kinds) whose orders earn points."""
    point_value_minor: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    """What one point is worth when spent, in minor units of ``currency``."""
    pending_days: Mapped[int]
    """Days earned points stay pending after the units reach the customer: the return
    window."""
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """``{"code", "name", "threshold", "multiplier"}``: points over the rolling period."""
    tier_period_months: Mapped[int]
    expiry_months: Mapped[int]
    """Months confirmed points stay spendable (0: they never expire)."""
    hold_minutes: Mapped[int]
    """How long a redemption holds its points before it is released unused."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Member(Base):
    """A customer profile's membership of a programme, its card and its tier."""

    __tablename__ = "loyalty_members"
    __table_args__ = (
        Index("uq_loyalty_members_profile", "programme_id", "profile_id", unique=True),
        Index("uq_loyalty_members_card", "programme_id", "card_number", unique=True),
        Index("ix_loyalty_members_profile_id", "profile_id"),
        Index("ix_loyalty_members_tier", "tier_reviewed_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    programme_id: Mapped[str] = mapped_column(ForeignKey("loyalty_programmes.id"))
    profile_id: Mapped[str | None] = mapped_column(String(26))
    """The customer profile that joined (None once the person is erased)."""
    card_number: Mapped[str | None] = mapped_column(String(50))
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    joined_channel: Mapped[str] = mapped_column(String(50))
    joined_location: Mapped[str | None] = mapped_column(String(50))
    joined_by: Mapped[str] = mapped_column(String(100))
    tier: Mapped[str | None] = mapped_column(String(50))
    tier_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    tier_reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Balance(Base):
    """A member's points now: spendable (``available``) and waiting for the return window
    (``pending``). Changed only by conditional updates, with a ledger line each."""

    __tablename__ = "loyalty_balances"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("pending >= 0", name="pending_not_negative"),
    )

    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"), primary_key=True)
    available: Mapped[int] = mapped_column(WideInteger, default=0)
    pending: Mapped[int] = mapped_column(WideInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Redemption(Base):
    """Points spent as a tender: held against the balance, captured by the order that used
    them, or released (unused, expired or its order cancelled)."""

    __tablename__ = "loyalty_redemptions"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_loyalty_redemptions_status", "status", "hold_expires_at"),
        Index("ix_loyalty_redemptions_member", "member_id", "created_at"),
        Index("ix_loyalty_redemptions_order", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"))
    points: Mapped[int] = mapped_column(WideInteger)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    """held, captured or released."""
    order_id: Mapped[str | None] = mapped_column(String(26))
    channel: Mapped[str] = mapped_column(String(50))
    location_code: Mapped[str | None] = mapped_column(String(50))
    requested_by: Mapped[str] = mapped_column(String(100))
    hold_expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    captured_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    release_reason: Mapped[str | None] = mapped_column(String(100))
    taken_from: Mapped[list[list[Any]]] = mapped_column(JSON)
    """The lots its points came from, ``[[lot_id, points], ...]``: a release gives them back
    there, so a hold never makes points younger."""


class LedgerEntry(Base):
    """One change of a member's points: how many, of which kind, why, from where, and what
    it refers to (an order line, a return, a redemption)."""

    __tablename__ = "loyalty_ledger"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('earn', 'pending', 'confirm', 'redeem', 'release', 'expire', 'adjust', "
            "'reverse')",
            name="known_kind",
        ),
        Index("ix_loyalty_ledger_member", "member_id", "at"),
        Index("ix_loyalty_ledger_order", "order_id", "order_line_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"))
    kind: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(WideInteger, default=0)
    """The change of ``available`` (signed)."""
    pending_points: Mapped[int] = mapped_column(WideInteger, default=0)
    """The change of ``pending`` (signed)."""
    quantity: Mapped[int | None]
    """The units of the order line this line is about (earned on, or come back)."""
    order_id: Mapped[str | None] = mapped_column(String(26))
    order_line_id: Mapped[str | None] = mapped_column(String(26))
    return_id: Mapped[str | None] = mapped_column(String(26))
    redemption_id: Mapped[str | None] = mapped_column(ForeignKey("loyalty_redemptions.id"))
    channel: Mapped[str] = mapped_column(String(50))
    location_code: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(String(300), default="")
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When the points this line credits expire (None: never, or not a credit)."""


class PointLot(Base):
    """Points credited together to ``available`` and expiring together: what is left of
    them is spent first-expiring-first, and expired when their time is up."""

    __tablename__ = "loyalty_point_lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= points", name="remaining_within_points"),
        Index("ix_loyalty_point_lots_member", "member_id", "expires_at"),
        Index("ix_loyalty_point_lots_expiry", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"))
    ledger_id: Mapped[str] = mapped_column(ForeignKey("loyalty_ledger.id"))
    order_id: Mapped[str | None] = mapped_column(String(26))
    points: Mapped[int] = mapped_column(WideInteger)
    remaining: Mapped[int] = mapped_column(WideInteger)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Earning(Base):
    """What one order earned a member: pending until the return window closes, then
    confirmed; cancelled when the order is."""

    __tablename__ = "loyalty_earnings"
    __table_args__ = (
        Index("uq_loyalty_earnings_order", "member_id", "order_id", unique=True),
        Index("ix_loyalty_earnings_due", "status", "confirm_at"),
        Index("ix_loyalty_earnings_order_id", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"))
    order_id: Mapped[str] = mapped_column(String(26))
    channel: Mapped[str] = mapped_column(String(50))
    location_code: Mapped[str | None] = mapped_column(String(50))
    currency: Mapped[str] = mapped_column(String(3))
    eligible_minor: Mapped[int]
    """What the points were earned on: the lines paid otherwise than with points."""
    points: Mapped[int] = mapped_column(WideInteger)
    status: Mapped[str] = mapped_column(String(20))
    """pending, confirmed or cancelled."""
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    confirm_at: Mapped[datetime] = mapped_column(UtcDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RewardRule(Base):
    """A rule of a programme that issues rewards to the members it fits (see
    ``loyalty/rewards_rules.py``): a voucher (an amount off) or a personalised offer (a
    percentage off a category, their preferred one unless the rule names it)."""

    __tablename__ = "loyalty_reward_rules"
    __table_args__ = (
        CheckConstraint("kind IN ('voucher', 'offer')", name="known_kind"),
        CheckConstraint("valid_days > 0", name="valid_days_positive"),
        Index("uq_loyalty_reward_rules_code", "programme_id", "code", unique=True),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    programme_id: Mapped[str] = mapped_column(ForeignKey("loyalty_programmes.id"))
    code: Mapped[str] = mapped_column(String(50))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int | None]
    """A voucher's amount off, in minor units of the programme's currency."""
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    """An offer's percentage off."""
    category: Mapped[str | None] = mapped_column(String(100))
    """The category an offer is on (None: the member's preferred one)."""
    every_points: Mapped[int | None]
    """A voucher each time the points a member earned cross a multiple of this."""
    tier: Mapped[str | None] = mapped_column(String(50))
    """For members at this tier or above only."""
    min_orders: Mapped[int] = mapped_column(default=0)
    min_spend_minor: Mapped[int] = mapped_column(default=0)
    max_days_since_order: Mapped[int | None]
    min_days_since_order: Mapped[int | None]
    min_subtotal_minor: Mapped[int] = mapped_column(default=0)
    valid_days: Mapped[int]
    every_days: Mapped[int]
    """Days between two rewards of the rule to one member (not for ``every_points``)."""
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))


class Reward(Base):
    """A reward issued to a member: a single-use coupon of the promotions engine that only
    their carts and orders may use, on every channel, until ``valid_until``."""

    __tablename__ = "loyalty_rewards"
    __table_args__ = (
        CheckConstraint("kind IN ('voucher', 'offer')", name="known_kind"),
        Index("uq_loyalty_rewards_issue", "member_id", "rule_code", "sequence", unique=True),
        Index("ix_loyalty_rewards_member", "member_id", "issued_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"))
    rule_code: Mapped[str] = mapped_column(String(50))
    sequence: Mapped[int]
    """The how-manyth reward of its rule to the member: issuing twice at once issues once."""
    kind: Mapped[str] = mapped_column(String(20))
    coupon_code: Mapped[str] = mapped_column(String(50), unique=True)
    title_code: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int | None]
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    category: Mapped[str | None] = mapped_column(String(100))
    min_subtotal_minor: Mapped[int] = mapped_column(default=0)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime())
    issued_by: Mapped[str] = mapped_column(String(100))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    order_id: Mapped[str | None] = mapped_column(String(26))
    used_channel: Mapped[str | None] = mapped_column(String(50))
    void_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When it was withdrawn (its member erased)."""


class RewardReview(Base):
    """When the reward rules last looked at a member (the job looks again a day later)."""

    __tablename__ = "loyalty_reward_reviews"

    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"), primary_key=True)
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
