"""Input and output shapes of the loyalty module."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omnicanal.loyalty.rules import BENEFIT_CODES, MAX_POINTS
from omnicanal.platform.bounds import MAX_AMOUNT_MINOR, Moment, RequestModel
from omnicanal.platform.paging import Page

__all__ = [
    "AdjustmentIn",
    "BalanceOut",
    "BonusEventIn",
    "BonusEventOut",
    "EarningRuleIn",
    "EnrolIn",
    "ExpiryOut",
    "LedgerEntryOut",
    "LedgerPage",
    "LoyaltyMeasures",
    "MemberOut",
    "ProgrammeIn",
    "ProgrammeOut",
    "ProgrammeUpdateIn",
    "RedemptionIn",
    "RedemptionOut",
    "RedemptionPage",
    "RewardOut",
    "RewardRuleIn",
    "RewardRuleOut",
    "RewardRulesIn",
    "TierBenefitIn",
    "TierBenefitOut",
    "TierIn",
    "TierOut",
]

CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
DEFAULT_CHANNELS = ["web", "app", "store", "call_centre"]

Rate = Annotated[Decimal, Field(ge=0, le=1000, max_digits=10, decimal_places=4)]
Points = Annotated[int, Field(ge=1, le=MAX_POINTS)]


class EarningRuleIn(RequestModel):
    """A rate for a category, a channel (a code such as ``web`` or a marketplace's), or
    both; the most specific rule that matches a line applies."""

    category: str | None = Field(default=None, min_length=1, max_length=100)
    channel: str | None = Field(default=None, min_length=1, max_length=50)
    points_per_euro: Rate

    @model_validator(mode="after")
    def _names_something(self) -> EarningRuleIn:
        if self.category is None and self.channel is None:
            raise ValueError("a rule names a category, a channel or both")
        return self


Multiplier = Annotated[Decimal, Field(ge=0, le=100, max_digits=8, decimal_places=4)]
BenefitCode = Literal[
    "earn_multiplier", "free_click_and_collect", "early_access", "birthday_voucher"
]
"""``BENEFIT_CODES`` (``loyalty.rules``), as the API accepts them."""


class TierBenefitIn(RequestModel):
    """What a tier gives: ``earn_multiplier`` (its ``multiplier``: the tier's own),
    ``free_click_and_collect``, ``early_access`` (``days`` before a sale opens),
    ``birthday_voucher`` (``amount_minor`` in the programme's currency)."""

    model_config = ConfigDict(extra="forbid")

    code: BenefitCode
    multiplier: Multiplier | None = None
    days: int | None = Field(default=None, ge=1, le=365)
    amount_minor: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_MINOR)

    @model_validator(mode="after")
    def _its_parameter(self) -> TierBenefitIn:
        wanted = {"earn_multiplier": "multiplier", "early_access": "days"}.get(self.code)
        if self.code == "birthday_voucher":
            wanted = "amount_minor"
        for name in ("multiplier", "days", "amount_minor"):
            given = getattr(self, name) is not None
            if given != (name == wanted):
                if given:
                    raise ValueError(f"{self.code} takes no {name}")
                raise ValueError(f"{self.code} needs its {name}")
        return self


class TierIn(RequestModel):
    """A tier: reached with ``threshold`` points earned over the rolling period; its members
    earn ``multiplier`` times the points and get its ``benefits`` (on a change, left out: the
    tier of that code keeps those it had)."""

    code: str = Field(min_length=1, max_length=50, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    threshold: int = Field(ge=0, le=MAX_POINTS)
    multiplier: Multiplier = Decimal(1)
    benefits: list[TierBenefitIn] | None = Field(default=None, max_length=len(BENEFIT_CODES))

    @model_validator(mode="after")
    def _one_of_each_benefit(self) -> TierIn:
        codes = [benefit.code for benefit in self.benefits or ()]
        if len(set(codes)) != len(codes):
            raise ValueError("a tier lists a benefit once")
        for benefit in self.benefits or ():
            if benefit.code != "earn_multiplier":
                continue
            # The earn multiplier is the tier's multiplier, said once or twice alike.
            if "multiplier" in self.model_fields_set and benefit.multiplier != self.multiplier:
                raise ValueError("the earn_multiplier benefit differs from the tier's multiplier")
            self.multiplier = benefit.multiplier or Decimal(1)
        return self


class BonusEventIn(RequestModel):
    """A bonus event ("double points weekend"): the sales placed from ``starts_at`` to
    ``ends_at`` on ``channels`` (codes or kinds; none: every channel that earns) in
    ``categories`` (none: every category) earn ``multiplier`` times their points, on top of
    the tier's; a line takes the best event it is in, never two."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    starts_at: Moment
    ends_at: Moment
    multiplier: Decimal = Field(ge=1, le=10, max_digits=6, decimal_places=4)
    channels: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=50
    )
    categories: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=200
    )

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> BonusEventIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("a bonus event ends after it starts")
        return self


class _ProgrammeSettings(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    points_per_euro: Rate = Decimal(1)
    earning_rules: list[EarningRuleIn] = Field(default_factory=list, max_length=200)
    earning_channels: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=lambda: list(DEFAULT_CHANNELS),
        max_length=50,
        description="Channels (codes or kinds) whose orders earn; add 'marketplace' to let "
        "marketplace orders earn",
    )
    point_value_minor: Decimal = Field(
        default=Decimal(1),
        gt=0,
        le=100_000,
        max_digits=10,
        decimal_places=4,
        description="What one point is worth when spent, in minor units (1: a cent)",
    )
    pending_days: int = Field(
        default=30, ge=0, le=3650, description="The return window: days points stay pending"
    )
    tiers: list[TierIn] = Field(default_factory=list, max_length=20)
    bonus_events: list[BonusEventIn] | None = Field(
        default=None,
        max_length=50,
        description="Bonus events (on a change, left out: the programme keeps those it had)",
    )
    tier_period_months: int = Field(default=12, ge=1, le=120)
    expiry_months: int = Field(
        default=24, ge=0, le=240, description="Months points stay spendable (0: forever)"
    )
    hold_minutes: int = Field(
        default=30, ge=1, le=10_080, description="How long a redemption holds its points"
    )
    active: bool = True

    @model_validator(mode="after")
    def _distinct_tiers(self) -> _ProgrammeSettings:
        codes = [tier.code for tier in self.tiers]
        thresholds = [tier.threshold for tier in self.tiers]
        if len(set(codes)) != len(codes):
            raise ValueError("two tiers share a code")
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("two tiers share a threshold")
        events = [event.code for event in self.bonus_events or ()]
        if len(set(events)) != len(events):
            raise ValueError("two bonus events share a code")
        return self


class ProgrammeIn(_ProgrammeSettings):
    """A new loyalty programme."""

    code: str = Field(min_length=2, max_length=50, pattern=CODE_PATTERN)
    currency: str = Field(default="EUR", pattern=CURRENCY_PATTERN)


class ProgrammeUpdateIn(_ProgrammeSettings):
    """A programme's settings, all replaced (its code and currency stay)."""


class EarningRuleOut(BaseModel):
    category: str | None
    channel: str | None
    points_per_euro: Decimal


class TierBenefitOut(BaseModel):
    """A tier's benefit and its parameter (the others null)."""

    code: str = Field(description=", ".join(BENEFIT_CODES))
    multiplier: Decimal | None = Field(description="earn_multiplier: points times this")
    days: int | None = Field(description="early_access: days before a sale opens")
    amount_minor: int | None = Field(description="birthday_voucher: its amount")


class TierOut(BaseModel):
    code: str
    name: str
    threshold: int
    multiplier: Decimal
    benefits: list[TierBenefitOut]


class BonusEventOut(BaseModel):
    code: str
    name: str
    starts_at: datetime
    ends_at: datetime
    multiplier: Decimal
    channels: list[str]
    categories: list[str]


class ProgrammeOut(BaseModel):
    id: str
    code: str
    name: str
    currency: str
    points_per_euro: Decimal
    earning_rules: list[EarningRuleOut]
    earning_channels: list[str]
    point_value_minor: Decimal
    pending_days: int
    tiers: list[TierOut]
    bonus_events: list[BonusEventOut]
    tier_period_months: int
    expiry_months: int
    hold_minutes: int
    active: bool
    created_at: datetime
    updated_at: datetime


class EnrolIn(RequestModel):
    """Join a programme: a known profile, a customer reference (``user_id:…`` for an app
    login, ``email:…``), a loyalty card, or a card together with one of them."""

    model_config = ConfigDict(extra="forbid")

    programme: str = Field(min_length=1, max_length=50)
    profile_id: str | None = Field(default=None, min_length=1, max_length=26)
    customer_ref: str | None = Field(default=None, min_length=1, max_length=200)
    card_number: str | None = Field(default=None, min_length=1, max_length=50)
    location: str | None = Field(
        default=None, max_length=50, description="Where they joined (default: a store key's)"
    )


class BalanceOut(BaseModel):
    available: int = Field(description="Points that can be spent now")
    pending: int = Field(description="Points waiting for their return window to close")
    held: int = Field(description="Points held by redemptions not yet captured")
    available_value_minor: int = Field(description="What the available points are worth")
    currency: str


class ExpiryOut(BaseModel):
    points: int
    at: datetime


class MemberOut(BaseModel):
    """A member as every channel reads them: card, tier, balance, next expiry."""

    id: str
    programme: str
    profile_id: str | None
    card_number: str | None
    joined_at: datetime
    joined_channel: str
    joined_location: str | None
    tier: TierOut | None
    tier_since: datetime | None
    tier_benefits: list[TierBenefitOut] = Field(
        description="What the member's tier gives them (none without a tier)"
    )
    balance: BalanceOut
    next_expiry: ExpiryOut | None
    erased: bool


class LedgerEntryOut(BaseModel):
    id: str
    kind: str
    points: int = Field(description="The change of the available points")
    pending_points: int = Field(description="The change of the pending points")
    quantity: int | None
    order_id: str | None
    order_line_id: str | None
    return_id: str | None
    redemption_id: str | None
    channel: str
    location: str | None
    reason: str
    actor: str
    at: datetime
    expires_at: datetime | None


class LedgerPage(Page[LedgerEntryOut]):
    """A page of a member's ledger, newest first (an append-only log)."""


class AdjustmentIn(RequestModel):
    """Points added (> 0) or taken (< 0) by hand, with the reason (audited)."""

    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS)
    reason: str = Field(min_length=1, max_length=300)

    @model_validator(mode="after")
    def _not_zero(self) -> AdjustmentIn:
        if self.points == 0:
            raise ValueError("an adjustment adds or takes at least one point")
        return self


class RedemptionIn(RequestModel):
    """Hold points to pay part or all of a sale: the member (by id, or by card in a
    programme), and either the points or the amount they should pay."""

    member_id: str | None = Field(default=None, min_length=1, max_length=26)
    programme: str | None = Field(default=None, min_length=1, max_length=50)
    card_number: str | None = Field(default=None, min_length=1, max_length=50)
    points: Points | None = None
    amount_minor: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_MINOR)
    location: str | None = Field(
        default=None, max_length=50, description="Where it is spent (default: a store key's)"
    )

    @model_validator(mode="after")
    def _one_of_each(self) -> RedemptionIn:
        if (self.member_id is None) == (self.card_number is None):
            raise ValueError("give either member_id or card_number")
        if self.card_number is not None and self.programme is None:
            raise ValueError("a card_number goes with its programme")
        if (self.points is None) == (self.amount_minor is None):
            raise ValueError("give either points or amount_minor")
        return self


class RedemptionOut(BaseModel):
    """A redemption: the points held, what they pay, and where it stands."""

    id: str
    member_id: str
    points: int
    amount_minor: int
    currency: str
    status: str = Field(description="held, captured or released")
    order_id: str | None
    channel: str
    location: str | None
    hold_expires_at: datetime
    created_at: datetime
    captured_at: datetime | None
    released_at: datetime | None
    release_reason: str | None
    tender: dict[str, object] = Field(
        description="What to put in the checkout's tenders to pay with these points"
    )


class RedemptionPage(Page[RedemptionOut]):
    """A page of redemptions, newest first."""


class RewardRuleIn(RequestModel):
    """A reward rule: a voucher (``amount_minor`` off the cart) or an offer (``percent`` off
    a category: ``category``, else the member's preferred one), for the members who fit its
    conditions (tier and above, orders, spending and days since the last order over the last
    twelve months); a voucher ``every_points`` earned, or one reward every ``every_days``."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50, pattern=CODE_PATTERN)
    kind: Literal["voucher", "offer"]
    amount_minor: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_MINOR)
    percent: Decimal | None = Field(default=None, gt=0, le=100, max_digits=5, decimal_places=2)
    category: str | None = Field(default=None, min_length=1, max_length=100)
    every_points: int | None = Field(default=None, ge=1, le=MAX_POINTS)
    tier: str | None = Field(default=None, min_length=1, max_length=50)
    min_orders: int = Field(default=0, ge=0, le=100_000)
    min_spend_minor: int = Field(default=0, ge=0, le=MAX_AMOUNT_MINOR)
    max_days_since_order: int | None = Field(default=None, ge=0, le=3650)
    min_days_since_order: int | None = Field(default=None, ge=0, le=3650)
    min_subtotal_minor: int = Field(
        default=0, ge=0, le=MAX_AMOUNT_MINOR, description="The smallest cart it applies to"
    )
    valid_days: int = Field(default=30, ge=1, le=730, description="Days a reward stays valid")
    every_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Days between two rewards of the rule to one member (default: "
        "valid_days); not with every_points",
    )
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> RewardRuleIn:
        if self.kind == "voucher" and (self.amount_minor is None or self.percent is not None):
            raise ValueError("a voucher gives an amount_minor off (no percent)")
        if self.kind == "offer":
            if self.percent is None or self.amount_minor is not None:
                raise ValueError("an offer gives a percent off (no amount_minor)")
            if self.every_points is not None:
                raise ValueError("every_points issues vouchers")
        if self.every_points is not None and self.every_days is not None:
            raise ValueError("a rule issues every_points or every_days, not both")
        if (
            self.max_days_since_order is not None
            and self.min_days_since_order is not None
            and self.min_days_since_order > self.max_days_since_order
        ):
            raise ValueError("min_days_since_order is after max_days_since_order")
        return self


class RewardRulesIn(RequestModel):
    """Every reward rule of a programme, all replaced."""

    rules: list[RewardRuleIn] = Field(max_length=50)

    @model_validator(mode="after")
    def _distinct(self) -> RewardRulesIn:
        codes = [rule.code for rule in self.rules]
        if len(set(codes)) != len(codes):
            raise ValueError("two reward rules share a code")
        return self


class RewardRuleOut(BaseModel):
    code: str
    kind: str
    amount_minor: int | None
    percent: Decimal | None
    category: str | None
    every_points: int | None
    tier: str | None
    min_orders: int
    min_spend_minor: int
    max_days_since_order: int | None
    min_days_since_order: int | None
    min_subtotal_minor: int
    valid_days: int
    every_days: int | None
    active: bool


class RewardOut(BaseModel):
    """A member's reward: apply it by adding its ``coupon_code`` to the customer's cart or
    basket (single use, on every channel, by this customer only)."""

    id: str
    member_id: str
    rule: str
    kind: str = Field(description="voucher (an amount off) or offer (a percentage off)")
    title: str = Field(description="What it gives, in English")
    title_code: str = Field(description="The title's code, to say it in another language")
    params: dict[str, str | int] = Field(
        description="The title's values: amount (minor units, with currency), percent, "
        "category, points, tier"
    )
    coupon_code: str
    currency: str
    value_minor: int | None = Field(description="A voucher's amount off, in minor units")
    percent_off: Decimal | None = Field(description="An offer's percentage off")
    category: str | None = Field(description="The category an offer is on")
    min_subtotal_minor: int
    issued_at: datetime
    valid_until: datetime
    status: Literal["available", "used", "expired"]
    used_at: datetime | None
    order_id: str | None = Field(description="The order that used it")


class ChannelShareOut(BaseModel):
    """A channel's sales in one currency, and the members' part of them."""

    channel: str
    currency: str
    orders: int
    sales_minor: int
    member_orders: int = Field(description="Orders of customers who had joined by then")
    member_sales_minor: int
    member_share: float | None = Field(description="member_sales_minor / sales_minor")


class BasketsOut(BaseModel):
    """Orders filed under a customer (recognised) against those without one (anonymous)."""

    currency: str
    recognised_orders: int
    recognised_average_minor: int | None
    anonymous_orders: int
    anonymous_average_minor: int | None
    recognised_share: float | None = Field(description="Recognised orders / every order")
    uplift: float | None = Field(
        description="Recognised average basket / anonymous average basket - 1 (0.18: +18 %)"
    )


class TierCountOut(BaseModel):
    tier: str | None = Field(description="The tier's code; null: members in no tier")
    name: str | None
    members: int


class ProgrammeMeasuresOut(BaseModel):
    """A programme's books now and what happened in the period."""

    programme: str
    currency: str
    point_value_minor: Decimal
    members: int = Field(description="Members now (erased ones left out)")
    members_joined: int = Field(description="Members who joined in the period")
    members_by_tier: list[TierCountOut]
    available_points: int = Field(description="Now (points whose time is up left out)")
    pending_points: int
    held_points: int = Field(description="Held by redemptions no order has captured yet")
    liability_minor: int = Field(
        description="(available + pending + held points) x point value, rounded down"
    )
    points_earned: int = Field(description="Earned by orders in the period (pending or not)")
    points_redeemed: int = Field(description="Captured by orders in the period")
    redemption_rate: float | None = Field(description="points_redeemed / points_earned")


class LoyaltyMeasures(BaseModel):
    """What the loyalty programme does, measured from the data: members' share of sales per
    channel, recognised against anonymous baskets, points liability, redemption rate,
    members by tier."""

    since: datetime
    until: datetime
    sales: list[ChannelShareOut]
    baskets: list[BasketsOut]
    programmes: list[ProgrammeMeasuresOut]
