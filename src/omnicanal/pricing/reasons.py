"""The pricing engine's reasons: one code per sentence it says, and how each is said.

A promotion applied says ``label: description: -amount`` (``Soldes (ETE10): 10% off the cart:
-9,98 EUR``); its description alone is the adjustment's ``description``. A coupon given that
did not apply says why, one code per cause. Every amount is in minor units of the
``currency`` parameter.
"""

from __future__ import annotations

from collections.abc import Mapping

from omnicanal.platform.reasons import (
    ENGLISH,
    Param,
    Params,
    Phrase,
    Reason,
    Sayer,
    Speaker,
    alternatives,
    catalogue,
    decimal,
    money,
    sets,
    units,
    word,
)

__all__ = ["APPLIED", "COUPON_NOT_APPLIED", "DESCRIPTIONS", "PHRASES", "describe"]


def promotion_label(params: Params, name: str, speaker: Speaker) -> str:
    """``ETE10`` named ``Soldes`` → "Soldes (ETE10)"; without its own name, the code."""
    code, label = str(params[name]), str(params.get(f"{name}_name", ""))
    return f"{label} ({code})" if label and label != code else code


def scope(params: Params, name: str, speaker: Speaker) -> str:
    """What a promotion looks at (``cart``, ``skus``, ``categories``), its SKUs or
    categories in ``<name>_items``."""
    target = params[name]
    items = params.get(f"{name}_items", [])
    listed = ", ".join(str(item) for item in items) if isinstance(items, list) else str(items)
    if target == "skus":
        return speaker.gettext("SKU %(skus)s") % {"skus": listed}
    if target == "categories":
        return speaker.gettext("category %(names)s") % {"names": listed}
    return speaker.gettext("the cart")


def bundle(params: Params, name: str, speaker: Speaker) -> str:
    """A bundle's SKUs: "ROBE-L + ROBE-M"."""
    skus = params[name]
    return " + ".join(str(sku) for sku in skus) if isinstance(skus, list) else str(skus)


def _description(
    code: str,
    message: str,
    says: Mapping[str, Sayer] | None = None,
    *,
    plural: str | None = None,
    count: str = "",
) -> tuple[Phrase, Phrase]:
    """The description's phrase and the applied promotion's (``label: description: -amount``)."""
    said = dict(says or {})
    applied = {**said, "promotion": promotion_label, "amount": money}
    return (
        Phrase(code, message, plural, count, said),
        Phrase(
            code,
            f"%(promotion)s: {message}: -%(amount)s",
            None if plural is None else f"%(promotion)s: {plural}: -%(amount)s",
            count,
            applied,
        ),
    )


_KINDS = [
    _description(
        "pricing.percent_off",
        "%(percent)s%% off %(scope)s",
        {"percent": decimal, "scope": scope},
    ),
    _description("pricing.amount_off_cart", "%(amount_off)s off the cart", {"amount_off": money}),
    _description(
        "pricing.amount_off_each_unit",
        "%(amount_off)s off each unit of %(scope)s",
        {"amount_off": money, "scope": scope},
    ),
    _description(
        "pricing.buy_x_get_y_free",
        "buy %(buy)s get %(get)s free on %(scope)s (%(free)s)",
        {"scope": scope, "free": units},
    ),
    _description(
        "pricing.buy_x_get_y_percent_off",
        "buy %(buy)s get %(get)s at %(get_percent)s%% off on %(scope)s (%(free)s)",
        {"get_percent": decimal, "scope": scope, "free": units},
    ),
    _description(
        "pricing.bundle_price",
        "%(bundle)s for %(bundle_price)s (%(sets)s)",
        {"bundle": bundle, "bundle_price": money, "sets": sets},
    ),
    _description("pricing.free_shipping", "free shipping"),
]

DESCRIPTIONS = {description.code: description for description, _ in _KINDS}
"""A promotion's description (the adjustment's ``description``), by code."""

APPLIED = {applied.code: applied for _, applied in _KINDS}
"""A promotion applied: ``label: description: -amount``, by code."""


def _coupon(why: str, message: str, says: Mapping[str, Sayer] | None = None) -> Phrase:
    return Phrase(
        f"pricing.coupon_not_applied.{why}",
        f"Coupon %(coupon)s did not apply: {message}.",
        says=dict(says or {}),
    )


COUPON_NOT_APPLIED = {
    phrase.code.rsplit(".", 1)[1]: phrase
    for phrase in (
        _coupon("currency", "only for carts in %(for_currency)s"),
        _coupon("channel", "not offered on the %(channel)s channel", {"channel": word("channel")}),
        _coupon("not_started", "not started yet"),
        _coupon("ended", "ended"),
        _coupon("coupon_required", "needs its coupon code"),
        _coupon(
            "customer",
            "for customers whose %(attribute)s is %(allowed)s",
            {"allowed": alternatives},
        ),
        _coupon("minimum", "needs a cart of at least %(minimum)s", {"minimum": money}),
        _coupon("exclusive_first", "the exclusive promotion %(exclusive)s applied first"),
        _coupon("no_shipping", "there is no shipping to take off"),
        _coupon("nothing_qualifies", "nothing in the cart qualifies"),
    )
}
"""Why a coupon given did not apply, by cause (the engine's ``notes``)."""

PHRASES = catalogue(APPLIED.values(), COUPON_NOT_APPLIED.values())
"""Every reason the pricing engine gives, by code."""


def describe(code: str, params: Mapping[str, Param]) -> tuple[str, Reason]:
    """A promotion's description and the reason it applied, from the same parameters."""
    return DESCRIPTIONS[code].say(params, ENGLISH), APPLIED[code](**params)
