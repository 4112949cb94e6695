"""Checkout: a cart (or lines) becomes an order in one transaction.

Re-price, source, reserve, create the order with its lines and fulfilments, redeem the
coupons, close the cart. Any refusal raises before the caller's transaction commits, so a
failed checkout leaves no order, no reservation and no event behind.

It is the hot path of every channel, so it counts its statements: each reference row
(channel, store, network, SKU) is read once (``references``), every line is reserved by one
UPDATE, the rows are written in two flushes (the order, then its fulfilments: no ORM
relationship orders them) and the events in one INSERT at the commit; the answer is built
from what the transaction wrote, not read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from omnicanal.carts import service as carts
from omnicanal.carts.errors import CartNotOpen
from omnicanal.fulfilment.errors import DeliveryAddressRequired, LocationRequired
from omnicanal.fulfilment.service import NewFulfilment
from omnicanal.fulfilment.sourcing import Decision, LineRequest, Point
from omnicanal.fulfilment.states import AT_STORE, HOME_DELIVERY, FulfilmentStatus, Method
from omnicanal.orders.errors import (
    OrderChannelForbidden,
    OrderTooLarge,
    PaymentRequired,
    TendersExceedTotal,
    UnknownFulfilmentChoice,
)
from omnicanal.orders.events import OrderedLine, Tender
from omnicanal.orders.models import Order, OrderLine, OrderStatusChange
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.schemas import CheckoutIn, FulfilmentChoice, OrderOut
from omnicanal.orders.service import references
from omnicanal.orders.service.allocation import (
    load_network,
    open_fulfilments,
    source_and_reserve,
)
from omnicanal.orders.service.common import (
    history_entries,
    move_order,
    render_order,
    write_change,
)
from omnicanal.orders.states import OrderStatus, rollup
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import require_channel, require_location
from omnicanal.platform.bounds import MAX_AMOUNT_MINOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.ids import new_id
from omnicanal.pricing import service as pricing
from omnicanal.pricing.schemas import PricedCart

__all__ = ["checkout"]


@dataclass(frozen=True)
class _Line:
    position: int
    sku: str
    quantity: int
    method: Method
    location: str | None
    reserve_days: int | None

    @property
    def key(self) -> str:
        return str(self.position)


@dataclass(frozen=True)
class _Basket:
    channel: str
    currency: str
    customer_ref: str | None
    customer_attributes: dict[str, str]
    coupons: list[str]
    lines: list[tuple[str, int, FulfilmentChoice | None]]
    cart_id: str | None


def _basket(session: Session, data: CheckoutIn, actor: Actor, policy: OrderPolicy) -> _Basket:
    if data.cart_id is not None:
        cart = carts.cart_to_check_out(session, cart_id=data.cart_id, actor=actor)
        if cart.status != "open":
            raise CartNotOpen(
                f"Cart {cart.id} is {cart.status}, not open: it cannot be checked out.",
                field="cart_id",
                cart_status=str(cart.status),
            )
        skus = {line.sku for line in cart.lines}
        strays = sorted(set(data.fulfilment_by_sku) - skus)
        if strays:
            raise UnknownFulfilmentChoice(
                f"fulfilment_by_sku names {strays[0]}, which is not in cart {cart.id}.",
                field="fulfilment_by_sku",
            )
        return _Basket(
            channel=data.channel or cart.channel,
            currency=data.currency or cart.currency,
            customer_ref=data.customer_ref or cart.customer_ref,
            customer_attributes=dict(data.customer_attributes or cart.customer_attributes),
            coupons=list(dict.fromkeys([*cart.coupons, *data.coupons])),
            lines=[
                (line.sku, line.quantity, data.fulfilment_by_sku.get(line.sku))
                for line in cart.lines
            ],
            cart_id=cart.id,
        )
    assert data.lines is not None
    return _Basket(
        channel=data.channel or actor.channel,
        currency=data.currency or policy.currency,
        customer_ref=data.customer_ref,
        customer_attributes=dict(data.customer_attributes or {}),
        coupons=list(data.coupons),
        lines=[
            (line.sku, line.quantity, line.fulfilment or data.fulfilment_by_sku.get(line.sku))
            for line in data.lines
        ],
        cart_id=None,
    )


def _check_channel(session: Session, channel_code: str, actor: Actor) -> None:
    channel = references.channel(session, channel_code)
    require_channel(
        actor,
        kind=channel.kind,
        code=channel.code,
        doing="place orders on",
        error=OrderChannelForbidden,
    )


def _resolve(
    session: Session, basket: _Basket, data: CheckoutIn, actor: Actor, policy: OrderPolicy
) -> list[_Line]:
    """Every line with its method and store, defaults applied and checked."""
    default = data.fulfilment or (
        FulfilmentChoice(method=Method.carry_out, location=actor.location_code)
        if actor.location_code
        else FulfilmentChoice(method=Method.ship)
    )
    resolved = []
    for position, (sku, quantity, choice) in enumerate(basket.lines, start=1):
        choice = choice or default
        location = choice.location
        if choice.method in AT_STORE:
            location = location or actor.location_code
            if location is None:
                raise LocationRequired(
                    f"Line {position} ({sku}): a {choice.method.value} needs the store's code.",
                    field="fulfilment.location",
                )
            place = references.location(session, location)
            if choice.method is Method.carry_out:
                require_location(actor, place.id, place.code)
        elif data.delivery_address is None:
            raise DeliveryAddressRequired(
                f"Line {position} ({sku}) is a {choice.method.value}: give a delivery_address.",
                field="delivery_address",
            )
        resolved.append(
            _Line(
                position=position,
                sku=sku,
                quantity=quantity,
                method=choice.method,
                location=location if choice.method in AT_STORE else None,
                reserve_days=(
                    choice.reserve_days or policy.reserve_and_try_days
                    if choice.method is Method.reserve_and_try
                    else None
                ),
            )
        )
    return resolved


def _payment(data: CheckoutIn, lines: list[_Line]) -> tuple[str, str, str] | None:
    """The payment given; None when the tenders may pay it all (checked once priced)."""
    if data.payment is not None:
        return data.payment.provider, data.payment.reference, data.payment.status
    if lines and all(line.method is Method.reserve_and_try for line in lines):
        return "in_store", "", "pending"
    if data.tenders:
        return None
    raise PaymentRequired(
        "Send the payment provider's reference and status (authorised or captured); "
        "only an order of reserve_and_try lines is paid later, in the store.",
        field="payment",
    )


def _tendered(
    data: CheckoutIn, priced: PricedCart, payment: tuple[str, str, str] | None
) -> tuple[str, str, str]:
    """The payment once the tenders are counted: they never pay more than the total; with
    no payment given, they pay all of it (a payment by points alone is captured: its
    points are held for the order, docs/adr/0021)."""
    tendered = sum(tender.amount_minor for tender in data.tenders)
    if tendered > priced.total_minor:
        raise TendersExceedTotal(
            f"The tenders pay {tendered} but the order comes to {priced.total_minor}.",
            field="tenders",
            total_minor=priced.total_minor,
        )
    if payment is not None:
        return payment
    if tendered < priced.total_minor:
        raise PaymentRequired(
            f"The tenders pay {tendered} of {priced.total_minor}: send the payment provider's "
            "reference and status for the rest.",
            field="payment",
        )
    kinds = "+".join(dict.fromkeys(tender.kind for tender in data.tenders))
    references = ",".join(tender.reference for tender in data.tenders)
    return kinds[:50], references[:200], "captured"


def _create_order(
    session: Session,
    *,
    order_id: str,
    basket: _Basket,
    lines: list[_Line],
    priced: PricedCart,
    payment: tuple[str, str, str],
    data: CheckoutIn,
    actor: Actor,
    now: datetime,
    sourcing: Decision,
) -> tuple[Order, list[OrderLine], OrderStatusChange]:
    """The order, its lines and its first history entry, placed (written by the caller's
    next flush)."""
    home = any(line.method in HOME_DELIVERY for line in lines)
    order = Order(
        id=order_id,
        channel=basket.channel,
        location_code=actor.location_code,
        customer_ref=basket.customer_ref,
        cart_id=basket.cart_id,
        status=OrderStatus.placed.value,
        currency=priced.currency,
        subtotal_minor=priced.subtotal_minor,
        discount_minor=priced.discount_minor,
        shipping_minor=priced.shipping_minor,
        shipping_discount_minor=priced.shipping_discount_minor,
        total_minor=priced.total_minor,
        coupons=list(priced.coupons),
        pricing_explanation=list(priced.explanation),
        sourcing_explanation=list(sourcing.explanation),
        pricing_reasons=[reason.model_dump() for reason in priced.pricing_reasons],
        sourcing_reasons=[reason.as_dict() for reason in sourcing.reasons],
        payment_provider=payment[0],
        payment_reference=payment[1],
        payment_status=payment[2],
        delivery_address=(
            data.delivery_address.model_dump()
            if home and data.delivery_address is not None
            else None
        ),
        placed_by=actor.label,
        placed_at=now,
        updated_at=now,
    )
    session.add(order)
    rows = []
    for line, price in zip(lines, priced.lines, strict=True):
        row = OrderLine(
            id=new_id(),
            order_id=order.id,
            position=line.position,
            sku=line.sku,
            quantity=line.quantity,
            cancelled_quantity=0,
            method=line.method.value,
            location_code=line.location,
            reserve_days=line.reserve_days,
            unit_price_minor=price.unit_price_minor,
            list_price_minor=price.list_price_minor,
            price_source=price.price_source,
            subtotal_minor=price.subtotal_minor,
            discount_minor=price.discount_minor,
            total_minor=price.total_minor,
        )
        rows.append(row)
    session.add_all(rows)
    placed = write_change(
        session,
        order,
        None,
        actor=actor,
        now=now,
        details={
            "cart_id": basket.cart_id,
            "lines": [
                OrderedLine(
                    sku=line.sku,
                    quantity=line.quantity,
                    method=line.method.value,
                    location=line.location,
                )
                for line in lines
            ],
            **(
                {"tenders": [Tender(**tender.model_dump()) for tender in data.tenders]}
                if data.tenders
                else {}
            ),
        },
    )
    return order, rows, placed


def checkout(
    session: Session,
    *,
    data: CheckoutIn,
    actor: Actor,
    policy: OrderPolicy | None = None,
    now: datetime | None = None,
) -> OrderOut:
    """Re-price, source, reserve and create the order, all or nothing."""
    policy = policy or OrderPolicy()
    now = now or utcnow()
    basket = _basket(session, data, actor, policy)
    _check_channel(session, basket.channel, actor)
    lines = _resolve(session, basket, data, actor, policy)
    payment = _payment(data, lines)
    priced = pricing.price_cart(
        session,
        currency=basket.currency,
        channel=basket.channel,
        lines=[(line.sku, line.quantity) for line in lines],
        customer_ref=basket.customer_ref,
        customer_attributes=basket.customer_attributes,
        coupon_codes=basket.coupons,
        shipping_minor=data.shipping_minor,
        at=now,
    )
    if priced.subtotal_minor + priced.shipping_minor > MAX_AMOUNT_MINOR:
        raise OrderTooLarge(
            f"An order amounts to at most {MAX_AMOUNT_MINOR} minor units; split this one.",
            field="lines",
        )
    settled = _tendered(data, priced, payment)
    order_id = new_id()
    network_ = load_network(
        session, channel=basket.channel, methods={line.method for line in lines}, policy=policy
    )
    delivery = data.delivery_address
    coordinates = delivery.coordinates if delivery is not None else None
    destination = Point(*coordinates) if coordinates is not None else None
    reserve_days = {line.key: line.reserve_days for line in lines}
    decision, held = source_and_reserve(
        session,
        requests=[
            LineRequest(
                line=line.key,
                sku=line.sku,
                quantity=line.quantity,
                method=line.method,
                location=line.location,
                candidates=network_.candidates(line.method),
            )
            for line in lines
        ],
        network_=network_,
        destination=destination,
        reference=order_id,
        reserve_days=reserve_days,
        actor=actor,
        policy=policy,
    )
    order, order_lines, placed = _create_order(
        session,
        order_id=order_id,
        basket=basket,
        lines=lines,
        priced=priced,
        payment=settled,
        data=data,
        actor=actor,
        now=now,
        sourcing=decision,
    )
    # The order's rows before its fulfilments' (their foreign keys point at them).
    session.flush()
    opened = open_fulfilments(
        session,
        order_id=order.id,
        held=held,
        order_line_ids={line.key: row.id for line, row in zip(lines, order_lines, strict=True)},
        line_positions={line.key: line.position for line in lines},
        reserve_days=reserve_days,
        network_=network_,
        delivery_address=order.delivery_address,
        actor=actor,
        policy=policy,
        now=now,
    )
    changes = [placed]
    changes.append(
        move_order(
            session,
            order,
            OrderStatus.allocated,
            actor=actor,
            now=now,
            details={"sourcing": list(decision.explanation), "shipments": decision.shipments},
        )
    )
    # The status the new fulfilments imply (a till sale's is complete at once).
    target = rollup([FulfilmentStatus(new.fulfilment.status) for new in opened])
    if target.value != order.status:
        changes.append(
            move_order(session, order, target, actor=actor, now=now, reason="sold over the counter")
        )
    # The status moves write the order's change time again, as the checkout's own: unchanged
    # since its INSERT, it would be left to the write's default (the moment of the UPDATE)
    # and the answer would differ from a read.
    flag_modified(order, "updated_at")
    if priced.coupons:
        pricing.redeem_coupons(
            session, priced=priced, customer_ref=basket.customer_ref, order_id=order.id, actor=actor
        )
    if basket.cart_id is not None:
        carts.mark_checked_out(session, cart_id=basket.cart_id, order_id=order.id, actor=actor)
    return _answer(order, order_lines, opened, changes)


def _answer(
    order: Order,
    lines: list[OrderLine],
    opened: list[NewFulfilment],
    changes: list[OrderStatusChange],
) -> OrderOut:
    """The order as a read of it answers, from the rows the checkout wrote."""
    return render_order(
        order,
        lines=lines,
        fulfilment_rows=[new.fulfilment for new in opened],
        fulfilment_lines={
            new.fulfilment.id: sorted(new.lines, key=lambda line: (line.position, line.id))
            for new in opened
        },
        history=history_entries(
            changes,
            [new.change for new in opened],
            {new.fulfilment.id: new.fulfilment.position for new in opened},
        ),
    )
