"""Use cases of the pricing module: list prices, pricing a cart, redeeming its coupons.

Promotions live in ``pricing.promotions`` and channel overrides in ``pricing.overrides``;
the rules themselves in the pure ``pricing.engine``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import MAX_AMOUNT_MINOR
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.db import NO_SYNC
from omnicanal.platform.errors import DomainError, InvalidInput
from omnicanal.platform.events import record_event
from omnicanal.platform.money import Money
from omnicanal.platform.reasons import ReasonOut
from omnicanal.pricing import engine, overrides, promotions
from omnicanal.pricing.errors import (
    CouponAlreadyUsed,
    CouponExpired,
    CouponForAnotherCustomer,
    CouponNotYetValid,
    CouponUsageExhausted,
    EmptyCart,
    InvalidCurrency,
    InvalidQuantity,
    MissingPrice,
    UnknownCoupon,
)
from omnicanal.pricing.events import CouponRedeemed, ListPriceChanged
from omnicanal.pricing.models import CouponRedemption, ListPrice, PriceBook, Promotion
from omnicanal.pricing.schemas import Adjustment, PricedCart, PricedLine

__all__ = [
    "CouponAlreadyUsed",
    "CouponExpired",
    "CouponForAnotherCustomer",
    "CouponUsageExhausted",
    "EmptyCart",
    "MissingPrice",
    "UnknownCoupon",
    "change_list_prices",
    "check_coupon",
    "list_prices",
    "normalise_coupon",
    "price_book",
    "price_cart",
    "redeem_coupons",
    "set_list_prices",
]


def price_book(session: Session, currency: str) -> PriceBook:
    """The price book of ``currency``, created on first use."""
    book = session.scalar(select(PriceBook).where(PriceBook.currency == currency))
    if book is None:
        book = PriceBook(code=f"list-{currency.lower()}", currency=currency)
        session.add(book)
        session.flush()
    return book


def set_list_prices(session: Session, *, currency: str, prices: Mapping[str, int]) -> None:
    """Set list prices (variant id -> minor units) in the currency's price book."""
    book = price_book(session, currency)
    existing = {
        price.variant_id: price
        for price in session.scalars(
            select(ListPrice).where(
                ListPrice.price_book_id == book.id, ListPrice.variant_id.in_(list(prices))
            )
        )
    }
    now = utcnow()
    for variant_id, amount in prices.items():
        if variant_id in existing:
            if existing[variant_id].amount_minor != amount:
                existing[variant_id].amount_minor = amount
                existing[variant_id].updated_at = now
        else:
            session.add(
                ListPrice(price_book_id=book.id, variant_id=variant_id, amount_minor=amount)
            )
    session.flush()


def change_list_prices(
    session: Session, *, currency: str, prices: Mapping[str, int], actor: Actor
) -> list[ListPriceChanged]:
    """Set list prices (SKU → minor units) in the currency's price book, recording one
    ``pricing.list_price_changed`` event per SKU whose price changes; returns those events.

    :class:`~omnicanal.catalog.errors.UnknownSku` names every unknown SKU; an amount outside
    ``0..MAX_AMOUNT_MINOR`` is refused.
    """
    for sku, amount in prices.items():
        if not 0 <= amount <= MAX_AMOUNT_MINOR:
            raise InvalidInput(
                f"The list price of {sku} is outside 0 to {MAX_AMOUNT_MINOR:,} minor units.",
                field="price",
            )
    variants = catalog.resolve_skus(session, prices)
    ids = {sku: variants[sku].id for sku in prices}
    current = list_prices(session, currency=currency, variant_ids=ids.values())
    changed = [
        ListPriceChanged(
            sku=sku,
            currency=currency,
            price_minor=amount,
            previous_minor=current[ids[sku]].amount_minor if ids[sku] in current else None,
        )
        for sku, amount in sorted(prices.items())
        if ids[sku] not in current or current[ids[sku]].amount_minor != amount
    ]
    if changed:
        set_list_prices(
            session,
            currency=currency,
            prices={ids[event.sku]: event.price_minor for event in changed},
        )
    for event in changed:
        record_event(session, event, actor=actor)
    return changed


def list_prices(session: Session, *, currency: str, variant_ids: Iterable[str]) -> dict[str, Money]:
    """List prices of these variants (those that have one) in ``currency``."""
    rows = session.execute(
        select(ListPrice.variant_id, ListPrice.amount_minor)
        .join(PriceBook, PriceBook.id == ListPrice.price_book_id)
        .where(PriceBook.currency == currency, ListPrice.variant_id.in_(list(variant_ids)))
    )
    return {variant_id: Money(amount, currency) for variant_id, amount in rows}


def checked_currency(currency: str) -> str:
    """An ISO 4217 code as three capital letters, or :class:`InvalidCurrency`."""
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise InvalidCurrency(f"{currency!r} is not an ISO 4217 currency code.", field="currency")
    return currency.upper()


def normalise_coupon(code: str) -> str:
    """Coupon codes are matched trimmed and case-insensitively."""
    return code.strip().upper()


def check_coupon(
    session: Session, *, code: str, customer_ref: str | None, at: datetime | None = None
) -> str:
    """The normalised code of a coupon usable now by this customer, or the reason it is not."""
    at = as_utc(at) if at is not None else utcnow()
    code = normalise_coupon(code)
    promotion = session.scalar(
        select(Promotion).where(Promotion.code == code, Promotion.requires_coupon.is_(True))
    )
    if promotion is None:
        raise UnknownCoupon(f"No coupon has the code {code!r}.", field="coupon", coupon=code)
    _check_personal(promotion, customer_ref)
    if promotion.ends_at is not None and at >= promotion.ends_at:
        raise CouponExpired(
            f"Coupon {code} expired on {promotion.ends_at.isoformat()}.",
            field="coupon",
            coupon=code,
        )
    if promotion.starts_at is not None and at < promotion.starts_at:
        raise CouponNotYetValid(
            f"Coupon {code} is valid from {promotion.starts_at.isoformat()}.",
            field="coupon",
            coupon=code,
        )
    if promotion.usage_limit is not None and promotion.times_used >= promotion.usage_limit:
        raise CouponUsageExhausted(
            f"Coupon {code} has been used its {promotion.usage_limit} time(s).",
            field="coupon",
            coupon=code,
        )
    if customer_ref is not None and _redeemed_by(session, promotion.id, customer_ref):
        raise CouponAlreadyUsed(
            f"Customer {customer_ref} has already used coupon {code}.",
            field="coupon",
            coupon=code,
        )
    return code


def _check_personal(promotion: Promotion, customer_ref: str | None) -> None:
    """Refuse a personal coupon (a loyalty reward) to a cart or an order that is not filed
    under one of its customer's references; references match trimmed, whatever the case."""
    if promotion.customer_refs is None:
        return
    given = (customer_ref or "").strip().casefold()
    if given and given in {reference.casefold() for reference in promotion.customer_refs}:
        return
    raise CouponForAnotherCustomer(
        f"Coupon {promotion.code} is personal to another customer"
        + ("." if customer_ref else ": name the customer it was given to."),
        field="coupon",
        coupon=promotion.code,
    )


def _redeemed_by(session: Session, promotion_id: str, customer_ref: str) -> bool:
    return (
        session.scalar(
            select(CouponRedemption.id).where(
                CouponRedemption.promotion_id == promotion_id,
                CouponRedemption.customer_ref == customer_ref,
            )
        )
        is not None
    )


def _usable_coupons(
    session: Session,
    codes: Sequence[str],
    customer_ref: str | None,
    at: datetime,
    *,
    drop_invalid: bool,
) -> tuple[list[str], list[str]]:
    usable: list[str] = []
    notes: list[str] = []
    for given in codes:
        try:
            code = check_coupon(session, code=given, customer_ref=customer_ref, at=at)
        except DomainError as error:
            if not drop_invalid:
                raise
            notes.append(f"Coupon {normalise_coupon(given)} ignored: {error.detail}")
            continue
        if code not in usable:
            usable.append(code)
    return usable, notes


def _checked_lines(lines: Sequence[tuple[str, int]]) -> None:
    if not lines:
        raise EmptyCart("The cart has no lines to price.", field="lines")
    for sku, quantity in lines:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidQuantity(
                f"The quantity of {sku} must be at least 1 (got {quantity!r}).",
                field="quantity",
                sku=sku,
            )


def price_cart(
    session: Session,
    *,
    currency: str,
    channel: str,
    lines: Sequence[tuple[str, int]],
    customer_ref: str | None = None,
    customer_attributes: Mapping[str, str] | None = None,
    coupon_codes: Sequence[str] = (),
    shipping_minor: int = 0,
    at: datetime | None = None,
    drop_invalid_coupons: bool = False,
) -> PricedCart:
    """Price ``lines`` (sku, quantity) for ``channel`` at ``at`` (default now).

    Lines are priced as given (a SKU may appear on two lines). With ``drop_invalid_coupons``
    an unusable coupon is left out and explained in ``notes`` instead of raising.
    """
    at = as_utc(at) if at is not None else utcnow()
    currency = checked_currency(currency)
    _checked_lines(lines)
    if shipping_minor < 0:
        raise InvalidInput("Shipping cannot be negative.", field="shipping_minor")
    variants = catalog.resolve_skus(session, [sku for sku, _ in lines])
    categories = {variant.product_id: variant.category for variant in variants.values()}
    variant_ids = [variant.id for variant in variants.values()]
    listed = list_prices(session, currency=currency, variant_ids=variant_ids)
    missing = sorted(sku for sku, variant in variants.items() if variant.id not in listed)
    if missing:
        raise MissingPrice(
            f"SKU {missing[0]} has no list price in {currency}.",
            field="sku",
            skus=missing,
        )
    in_force = overrides.effective_overrides(
        session, currency=currency, channel=channel, variant_ids=variant_ids, at=at
    )
    coupons, notes = _usable_coupons(
        session, coupon_codes, customer_ref, at, drop_invalid=drop_invalid_coupons
    )
    unit_prices: dict[str, tuple[int, int, str]] = {}
    for sku, variant in variants.items():
        list_minor = listed[variant.id].amount_minor
        override = in_force.get(variant.id)
        if override is None:
            unit_prices[sku] = (list_minor, list_minor, "list")
        else:
            unit_prices[sku] = (override.amount_minor, list_minor, f"override:{override.id}")
    cart = engine.Cart(
        currency=currency,
        channel=channel,
        lines=tuple(
            engine.Line(
                sku=sku,
                quantity=quantity,
                unit_price_minor=unit_prices[sku][0],
                category=categories[variants[sku].product_id],
            )
            for sku, quantity in lines
        ),
        at=at,
        shipping_minor=shipping_minor,
        customer_attributes=dict(customer_attributes or {}),
        coupon_codes=frozenset(coupons),
    )
    result = engine.price(cart, promotions.in_force(session, at=at, coupon_codes=coupons))
    return _priced_cart(result, unit_prices, at, notes)


def _priced_cart(
    result: engine.PricedCart,
    unit_prices: Mapping[str, tuple[int, int, str]],
    at: datetime,
    notes: list[str],
) -> PricedCart:
    return PricedCart(
        currency=result.currency,
        channel=result.channel,
        lines=[
            PricedLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                list_price_minor=unit_prices[line.sku][1],
                price_source=unit_prices[line.sku][2],
                subtotal_minor=line.subtotal_minor,
                discount_minor=line.discount_minor,
                total_minor=line.total_minor,
            )
            for line in result.lines
        ],
        adjustments=[
            Adjustment(
                promotion=applied.promotion,
                kind=applied.kind.value,
                description=applied.description,
                amount_minor=applied.amount_minor,
                skus=list(applied.skus),
            )
            for applied in result.adjustments
        ],
        subtotal_minor=result.subtotal_minor,
        discount_minor=result.discount_minor,
        shipping_minor=result.shipping_minor,
        shipping_discount_minor=result.shipping_discount_minor,
        total_minor=result.total_minor,
        coupons=list(result.coupons),
        explanation=list(result.explanation),
        pricing_reasons=[
            ReasonOut(code=reason.code, params=dict(reason.params)) for reason in result.reasons
        ],
        priced_at=at,
        notes=[*notes, *result.notes],
    )


def redeem_coupons(
    session: Session, *, priced: PricedCart, customer_ref: str | None, order_id: str, actor: Actor
) -> None:
    """Use up the coupons that applied to ``priced``, all or none, within the usage limits.

    The usage counter moves by a conditional UPDATE (never read-then-write) and a unique
    (promotion, customer) row records the use, so concurrent checkouts never exceed a limit
    nor let one customer use a coupon twice.
    """
    for code in priced.coupons:
        promotion = session.scalar(select(Promotion).where(Promotion.code == code))
        if promotion is None or not promotion.requires_coupon:
            raise UnknownCoupon(f"No coupon has the code {code!r}.", field="coupon", coupon=code)
        _check_personal(promotion, customer_ref)
        if customer_ref is not None and _redeemed_by(session, promotion.id, customer_ref):
            raise CouponAlreadyUsed(
                f"Customer {customer_ref} has already used coupon {code}.",
                field="coupon",
                coupon=code,
            )
        used = session.execute(
            update(Promotion)
            .where(
                Promotion.id == promotion.id,
                or_(
                    Promotion.usage_limit.is_(None),
                    Promotion.times_used < Promotion.usage_limit,
                ),
            )
            .values(times_used=Promotion.times_used + 1)
            .returning(Promotion.times_used),
            execution_options=NO_SYNC,
        ).scalar_one_or_none()
        if used is None:
            raise CouponUsageExhausted(
                f"Coupon {code} has been used its {promotion.usage_limit} time(s).",
                field="coupon",
                coupon=code,
            )
        try:
            with session.begin_nested():
                session.add(
                    CouponRedemption(
                        promotion_id=promotion.id,
                        code=code,
                        customer_ref=customer_ref,
                        order_id=order_id,
                        actor=actor.label,
                    )
                )
        except IntegrityError as error:
            raise CouponAlreadyUsed(
                f"Customer {customer_ref} has already used coupon {code}.",
                field="coupon",
                coupon=code,
            ) from error
        record_event(
            session,
            CouponRedeemed(
                coupon=code,
                customer_ref=customer_ref,
                order_id=order_id,
                times_used=used,
                usage_limit=promotion.usage_limit,
            ),
            actor=actor,
        )
        session.expire(promotion, ["times_used"])
