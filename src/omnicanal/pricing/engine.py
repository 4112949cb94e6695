"""The promotions engine: one pure set of rules that prices a cart for every channel.

No database, no HTTP. A cart (lines at their unit prices, the channel, the customer's
attributes, the coupon codes given, the shipping, the moment) and the promotions go in; the
priced cart comes out with one explanation line per adjustment (a reason: a code with its
parameters and its English sentence, see ``pricing/reasons.py``). The same cart and the same
promotions at the same moment give the same result on every channel, unless a promotion is
scoped to some channels.

Money is integer minor units of the cart's ISO 4217 currency; percentages are Decimals with
at most two decimals.

Order and stacking
    Promotions run by priority (highest first), then by code. Each one works on what is left
    of each line after the promotions before it. An *exclusive* promotion that applies stops
    every promotion after it. A *non-stackable* promotion skips lines another promotion has
    already discounted, and no later promotion touches the lines it discounted.

Kinds
    ``percent_off``   percent off each targeted line, or off the targeted lines' total when
                      the target is the whole cart.
    ``amount_off``    ``amount_minor`` off each targeted unit (target SKUs or categories), or
                      off the cart once (target cart).
    ``buy_x_get_y``   for every ``buy + get`` targeted units, the ``get`` cheapest units are
                      free (or ``get_percent`` off).
    ``bundle_price``  each complete set of ``bundle_skus`` (one unit of each) costs
                      ``amount_minor``.
    ``free_shipping`` the shipping is free (with a SKU/category target: when the cart holds
                      one such item).
    Conditions: currency, channels (empty: all), ``starts_at <= at < ends_at``, a coupon code
    when ``requires_coupon``, customer attributes (each must be one of the allowed values),
    and ``min_subtotal_minor`` against the cart's subtotal before any promotion.

Rounding (to the minor unit, never a float)
    1. A line's subtotal is unit price x quantity, exactly.
    2. A percentage off a line is rounded half up on that line (0.5 -> 1); a percentage off
       a free buy-X-get-Y unit is rounded half up per unit.
    3. A cart-level amount (percent or amount off the cart, a bundle's saving) is computed
       once, then allocated to its lines in proportion to their weight (what is left of the
       line; for a bundle, the value of its units in the line) by largest remainder, ties to
       the earlier line. The line totals therefore always sum to the cart's total.
    4. Nothing goes below zero: every discount is capped at what is left of its line or of
       the shipping, so a discount never exceeds a subtotal.
    Total = sum of line totals + shipping - shipping discount.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from omnicanal.platform.reasons import Param, Reason
from omnicanal.pricing.reasons import COUPON_NOT_APPLIED, describe

HUNDRED = Decimal(100)


class Kind(StrEnum):
    """What a promotion does."""

    percent_off = "percent_off"
    amount_off = "amount_off"
    buy_x_get_y = "buy_x_get_y"
    bundle_price = "bundle_price"
    free_shipping = "free_shipping"


class Target(StrEnum):
    """Which lines a promotion looks at."""

    cart = "cart"
    skus = "skus"
    categories = "categories"


@dataclass(frozen=True)
class Line:
    """A cart line at the unit price in force for the channel."""

    sku: str
    quantity: int
    unit_price_minor: int
    category: str = ""


@dataclass(frozen=True)
class Cart:
    """Everything the rules may look at."""

    currency: str
    channel: str
    lines: tuple[Line, ...]
    at: datetime
    shipping_minor: int = 0
    customer_attributes: Mapping[str, str] = field(default_factory=dict)
    coupon_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Promotion:
    """A promotion rule; see the module docstring for what each field means per kind."""

    code: str
    kind: Kind
    name: str = ""
    target: Target = Target.cart
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    percent: Decimal = Decimal(0)
    amount_minor: int = 0
    buy_quantity: int = 1
    get_quantity: int = 1
    get_percent: Decimal = HUNDRED
    bundle_skus: tuple[str, ...] = ()
    currency: str | None = None
    requires_coupon: bool = False
    customer_conditions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    channels: frozenset[str] = frozenset()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    stackable: bool = True
    exclusive: bool = False
    min_subtotal_minor: int = 0


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price_minor: int
    subtotal_minor: int
    discount_minor: int
    total_minor: int


@dataclass(frozen=True)
class Applied:
    """One adjustment: the promotion, what it took off each line and the shipping, and why."""

    promotion: str
    kind: Kind
    description: str
    amount_minor: int
    skus: tuple[str, ...]
    line_amounts: tuple[int, ...]
    shipping_minor: int
    reason: Reason

    @property
    def explanation(self) -> str:
        return self.reason.text


@dataclass(frozen=True)
class PricedCart:
    currency: str
    channel: str
    lines: tuple[PricedLine, ...]
    adjustments: tuple[Applied, ...]
    subtotal_minor: int
    discount_minor: int
    shipping_minor: int
    shipping_discount_minor: int
    total_minor: int
    coupons: tuple[str, ...]
    explanation: tuple[str, ...]
    notes: tuple[str, ...]
    reasons: tuple[Reason, ...] = ()
    """The explanation as codes with parameters, one per sentence."""
    note_reasons: tuple[Reason, ...] = ()
    """The notes as codes with parameters, one per note."""


def half_up(amount: int, percent: Decimal) -> int:
    """``percent`` % of ``amount`` minor units, rounded half up to the minor unit."""
    exact = Decimal(amount) * percent / HUNDRED
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over ``weights`` proportionally by largest remainder (ties: earlier).

    The shares sum to ``total`` exactly; with ``total <= sum(weights)`` no share exceeds its
    weight.
    """
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    shares = [total * weight // whole for weight in weights]
    remainders = [total * weight % whole for weight in weights]
    left = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass
class _State:
    remaining: list[int]
    touched: list[bool]
    locked: list[bool]
    shipping_left: int


def _targets(promotion: Promotion, line: Line) -> bool:
    if promotion.kind is Kind.bundle_price:
        return line.sku in promotion.bundle_skus
    if promotion.target is Target.skus:
        return line.sku in promotion.skus
    if promotion.target is Target.categories:
        return line.category in promotion.categories
    return True


_Said = tuple[str, dict[str, Param]]
"""A reason's code and parameters, before the promotion's own are added."""


def _scope(promotion: Promotion) -> dict[str, Param]:
    if promotion.target is Target.skus:
        return {"scope": "skus", "scope_items": sorted(promotion.skus)}
    if promotion.target is Target.categories:
        return {"scope": "categories", "scope_items": sorted(promotion.categories)}
    return {"scope": "cart"}


def _ineligible(promotion: Promotion, cart: Cart, subtotal: int) -> _Said | None:
    """Why the promotion cannot apply to this cart at all (a cause of
    ``COUPON_NOT_APPLIED`` and its parameters), or None."""
    if promotion.currency is not None and promotion.currency != cart.currency:
        return "currency", {"for_currency": promotion.currency}
    if promotion.channels and cart.channel not in promotion.channels:
        return "channel", {"channel": cart.channel}
    if promotion.starts_at is not None and cart.at < promotion.starts_at:
        return "not_started", {}
    if promotion.ends_at is not None and cart.at >= promotion.ends_at:
        return "ended", {}
    if promotion.requires_coupon and promotion.code not in cart.coupon_codes:
        return "coupon_required", {}
    for attribute, allowed in sorted(promotion.customer_conditions.items()):
        if cart.customer_attributes.get(attribute) not in allowed:
            return "customer", {"attribute": attribute, "allowed": sorted(allowed)}
    if subtotal < promotion.min_subtotal_minor:
        return "minimum", {"minimum": promotion.min_subtotal_minor, "currency": cart.currency}
    return None


def _eligible_lines(promotion: Promotion, cart: Cart, state: _State) -> list[int]:
    return [
        index
        for index, line in enumerate(cart.lines)
        if _targets(promotion, line)
        and not state.locked[index]
        and state.remaining[index] > 0
        and (promotion.stackable or not state.touched[index])
    ]


def _spread(count: int, total: int, eligible: Sequence[int], weights: Sequence[int]) -> list[int]:
    amounts = [0] * count
    for index, share in zip(eligible, allocate(total, weights), strict=True):
        amounts[index] = share
    return amounts


def _percent_off(
    promotion: Promotion, cart: Cart, state: _State, eligible: list[int]
) -> tuple[list[int], _Said]:
    count = len(cart.lines)
    if promotion.target is Target.cart:
        weights = [state.remaining[i] for i in eligible]
        total = min(half_up(sum(weights), promotion.percent), sum(weights))
        amounts = _spread(count, total, eligible, weights)
    else:
        amounts = [0] * count
        for i in eligible:
            amounts[i] = min(state.remaining[i], half_up(state.remaining[i], promotion.percent))
    return amounts, (
        "pricing.percent_off",
        {"percent": _percent(promotion.percent), **_scope(promotion)},
    )


def _amount_off(
    promotion: Promotion, cart: Cart, state: _State, eligible: list[int]
) -> tuple[list[int], _Said]:
    count = len(cart.lines)
    off: dict[str, Param] = {"amount_off": promotion.amount_minor}
    if promotion.target is Target.cart:
        weights = [state.remaining[i] for i in eligible]
        total = min(promotion.amount_minor, sum(weights))
        return _spread(count, total, eligible, weights), ("pricing.amount_off_cart", off)
    amounts = [0] * count
    for i in eligible:
        amounts[i] = min(state.remaining[i], promotion.amount_minor * cart.lines[i].quantity)
    return amounts, ("pricing.amount_off_each_unit", {**off, **_scope(promotion)})


def _buy_x_get_y(
    promotion: Promotion, cart: Cart, state: _State, eligible: list[int]
) -> tuple[list[int], _Said]:
    group = promotion.buy_quantity + promotion.get_quantity
    free = (sum(cart.lines[i].quantity for i in eligible) // group) * promotion.get_quantity
    amounts = [0] * len(cart.lines)
    left = free
    for i in sorted(eligible, key=lambda i: (cart.lines[i].unit_price_minor, i)):
        taken = min(left, cart.lines[i].quantity)
        per_unit = half_up(cart.lines[i].unit_price_minor, promotion.get_percent)
        amounts[i] = min(taken * per_unit, state.remaining[i])
        left -= taken
    params: dict[str, Param] = {
        "buy": promotion.buy_quantity,
        "get": promotion.get_quantity,
        **_scope(promotion),
        "free": free,
    }
    if promotion.get_percent == HUNDRED:
        return amounts, ("pricing.buy_x_get_y_free", params)
    params["get_percent"] = _percent(promotion.get_percent)
    return amounts, ("pricing.buy_x_get_y_percent_off", params)


def _bundle(
    promotion: Promotion, cart: Cart, state: _State, eligible: list[int]
) -> tuple[list[int], _Said]:
    skus = sorted(set(promotion.bundle_skus))
    units = {
        sku: sum(cart.lines[i].quantity for i in eligible if cart.lines[i].sku == sku)
        for sku in skus
    }
    bundles = min(units.values()) if units else 0
    weights = {i: 0 for i in eligible}
    value = 0
    for sku in skus:
        wanted = bundles
        lines = [i for i in eligible if cart.lines[i].sku == sku]
        if lines:
            value += cart.lines[lines[0]].unit_price_minor
        for i in lines:
            take = min(wanted, cart.lines[i].quantity)
            weights[i] += take * cart.lines[i].unit_price_minor
            wanted -= take
    line_weights = [min(weights[i], state.remaining[i]) for i in eligible]
    total = min(bundles * max(value - promotion.amount_minor, 0), sum(line_weights))
    said: _Said = (
        "pricing.bundle_price",
        {"bundle": skus, "bundle_price": promotion.amount_minor, "sets": bundles},
    )
    return _spread(len(cart.lines), total, eligible, line_weights), said


def price(cart: Cart, promotions: Sequence[Promotion]) -> PricedCart:
    """Apply ``promotions`` to ``cart``; one explanation line per adjustment."""
    for line in cart.lines:
        if line.quantity <= 0 or line.unit_price_minor < 0:
            raise ValueError(f"line {line.sku}: quantity must be >= 1 and price >= 0")
    if cart.shipping_minor < 0:
        raise ValueError("shipping must be >= 0")
    subtotals = [line.unit_price_minor * line.quantity for line in cart.lines]
    subtotal = sum(subtotals)
    count = len(cart.lines)
    state = _State(list(subtotals), [False] * count, [False] * count, cart.shipping_minor)
    applied: list[Applied] = []
    notes: list[Reason] = []
    stopped_by: str | None = None
    for promotion in sorted(promotions, key=lambda p: (-p.priority, p.code)):
        reason = _ineligible(promotion, cart, subtotal)
        if reason is None and stopped_by is not None:
            reason = "exclusive_first", {"exclusive": stopped_by}
        if reason is None:
            adjustment = _apply(promotion, cart, state)
            if adjustment is None:
                reason = (
                    ("no_shipping", {})
                    if promotion.kind is Kind.free_shipping and not state.shipping_left
                    else ("nothing_qualifies", {})
                )
            else:
                applied.append(adjustment)
                if promotion.exclusive:
                    stopped_by = promotion.code
        if reason is not None and promotion.requires_coupon and promotion.code in cart.coupon_codes:
            cause, params = reason
            notes.append(COUPON_NOT_APPLIED[cause](coupon=promotion.code, **params))
    discounts = [subtotals[i] - state.remaining[i] for i in range(count)]
    lines = tuple(
        PricedLine(
            sku=line.sku,
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor,
            subtotal_minor=subtotals[i],
            discount_minor=discounts[i],
            total_minor=state.remaining[i],
        )
        for i, line in enumerate(cart.lines)
    )
    shipping_discount = cart.shipping_minor - state.shipping_left
    applied_codes = {a.promotion for a in applied}
    return PricedCart(
        currency=cart.currency,
        channel=cart.channel,
        lines=lines,
        adjustments=tuple(applied),
        subtotal_minor=subtotal,
        discount_minor=sum(discounts),
        shipping_minor=cart.shipping_minor,
        shipping_discount_minor=shipping_discount,
        total_minor=sum(state.remaining) + state.shipping_left,
        coupons=tuple(
            p.code
            for p in sorted(promotions, key=lambda p: (-p.priority, p.code))
            if p.requires_coupon and p.code in applied_codes
        ),
        explanation=tuple(a.reason.text for a in applied),
        notes=tuple(note.text for note in notes),
        reasons=tuple(a.reason for a in applied),
        note_reasons=tuple(notes),
    )


def _apply(promotion: Promotion, cart: Cart, state: _State) -> Applied | None:
    """Apply one eligible promotion to the state; None when it takes nothing off."""
    eligible = _eligible_lines(promotion, cart, state)
    shipping = 0
    if promotion.kind is Kind.free_shipping:
        amounts = [0] * len(cart.lines)
        qualifies = promotion.target is Target.cart or any(
            _targets(promotion, line) for line in cart.lines
        )
        shipping = state.shipping_left if qualifies else 0
        said: _Said = ("pricing.free_shipping", {})
    else:
        rule = {
            Kind.percent_off: _percent_off,
            Kind.amount_off: _amount_off,
            Kind.buy_x_get_y: _buy_x_get_y,
            Kind.bundle_price: _bundle,
        }[promotion.kind]
        amounts, said = rule(promotion, cart, state, eligible)
    amount = sum(amounts) + shipping
    if amount <= 0:
        return None
    for i, taken in enumerate(amounts):
        if taken:
            state.remaining[i] -= taken
            state.touched[i] = True
            state.locked[i] = state.locked[i] or not promotion.stackable
    state.shipping_left -= shipping
    skus = tuple(dict.fromkeys(cart.lines[i].sku for i, taken in enumerate(amounts) if taken))
    code, params = said
    description, reason = describe(
        code,
        {
            "promotion": promotion.code,
            "promotion_name": promotion.name,
            **params,
            "amount": amount,
            "currency": cart.currency,
        },
    )
    return Applied(
        promotion=promotion.code,
        kind=promotion.kind,
        description=description,
        amount_minor=amount,
        skus=skus,
        line_amounts=tuple(amounts),
        shipping_minor=shipping,
        reason=reason,
    )
