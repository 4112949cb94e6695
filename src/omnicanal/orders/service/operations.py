"""Operations on placed orders: move a fulfilment on, reject a line, cancel, payments, expiry.

Each use case locks the order first (PostgreSQL), changes fulfilments through the
fulfilment module, then rolls the order status up, so every channel reads one status.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from omnicanal.fulfilment import queries as fulfilments
from omnicanal.fulfilment import service as fulfilment_service
from omnicanal.fulfilment.queries import FulfilmentLineRef, FulfilmentRef
from omnicanal.fulfilment.schemas import ActionIn, FulfilmentOut, PaymentStatus, RejectLineIn
from omnicanal.fulfilment.sourcing import Decision, LineRequest, Point
from omnicanal.fulfilment.states import (
    HOME_DELIVERY,
    Action,
    FulfilmentStatus,
    Method,
    StockEffect,
    can,
    stock_effect,
)
from omnicanal.orders import access
from omnicanal.orders.errors import NotDueYet, PaymentNotCaptured
from omnicanal.orders.events import OrderLineCancelled, OrderLineResourced, OrderPaymentUpdated
from omnicanal.orders.models import Order, OrderLine
from omnicanal.orders.payments import check_payment_move, is_captured
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.schemas import Address, OrderOut, PaymentUpdateIn
from omnicanal.orders.service.allocation import load_network, open_fulfilments, source_and_reserve
from omnicanal.orders.service.common import (
    load_order,
    move_order,
    order_facts,
    order_out,
    roll_up,
)
from omnicanal.orders.states import OrderStatus, check_cancellable
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError, InvalidInput
from omnicanal.platform.events import record_event

__all__ = [
    "SWEEPER",
    "act",
    "cancel_order",
    "expire_overdue",
    "record_refund",
    "reject_line",
    "update_payment",
]

# The platform's own sweeper: it expires whatever is due, wherever it is.
SWEEPER = Actor(key_id=None, channel="system", name="sweeper", scopes=frozenset({"*"}))


def _locked(session: Session, fulfilment_id: str, actor: Actor) -> tuple[Order, FulfilmentRef]:
    """The fulfilment's order, locked, then the fulfilment read again; own store only."""
    order_id = fulfilments.get_fulfilment(session, fulfilment_id).order_id
    order = load_order(session, order_id, lock=True)
    fulfilment = fulfilments.get_fulfilment(session, fulfilment_id, lock=True)
    access.check_fulfilment_action(
        actor,
        order_facts(session, order),
        fulfilment_id=fulfilment.id,
        location_code=fulfilment.location_code,
    )
    return order, fulfilment


def _set_payment(
    session: Session,
    order: Order,
    *,
    status: PaymentStatus,
    reference: str | None,
    provider: str | None,
    actor: Actor,
) -> bool:
    """Move the payment on (through its state machine); False when it already was there."""
    current = PaymentStatus(order.payment_status)
    if not check_payment_move(current, status):
        return False
    order.payment_status = status.value
    order.updated_at = utcnow()
    if reference is not None:
        order.payment_reference = reference
    if provider is not None:
        order.payment_provider = provider
    record_event(
        session,
        OrderPaymentUpdated(
            order_id=order.id,
            from_status=current.value,
            status=status.value,
            provider=order.payment_provider,
            reference=order.payment_reference,
        ),
        actor=actor,
    )
    return True


def act(
    session: Session,
    *,
    fulfilment_id: str,
    action: Action,
    data: ActionIn | None = None,
    actor: Actor,
    policy: OrderPolicy | None = None,
    now: datetime | None = None,
) -> FulfilmentOut:
    """Pick, pack, ship, deliver, ready, check in, collect, try on, buy, release, expire, cancel."""
    policy = policy or OrderPolicy()
    now = now or utcnow()
    data = data or ActionIn()
    if action is Action.reject:
        raise InvalidInput(
            "A location rejects one line at a time: POST .../reject-line.", field="action"
        )
    order, fulfilment = _locked(session, fulfilment_id, actor)
    applies = can(Method(fulfilment.method), FulfilmentStatus(fulfilment.status), action)
    if action is Action.buy and applies:
        _pay_at_the_till(session, order, fulfilment, data, actor)
    if action is Action.expire and applies and not _due(fulfilment, now):
        raise NotDueYet(
            f"Fulfilment {fulfilment.id} is kept until {fulfilment.due_at}: it expires then "
            "(release a hold or cancel a pickup to end it sooner).",
            field="action",
            due_at=fulfilment.due_at.isoformat() if fulfilment.due_at else None,
        )
    due_at = None
    if action is Action.ready:
        due_at = now + timedelta(days=policy.pickup_window_days)
    fulfilment, lines = fulfilment_service.advance(
        session,
        fulfilment_id=fulfilment.id,
        action=action,
        actor=actor,
        now=now,
        reason=data.reason,
        carrier=data.carrier,
        tracking_reference=data.tracking_reference,
        due_at=due_at,
        pickup_code=data.pickup_code,
        identity_checked=data.identity_checked,
    )
    if stock_effect(action) is StockEffect.release:
        _unsold(session, order, lines, data.reason or f"fulfilment {action.value}", actor)
    roll_up(session, order, actor=actor, now=now, reason=f"fulfilment {action.value}")
    return fulfilments.fulfilment_out(fulfilment, lines, order.status)


def _due(fulfilment: FulfilmentRef, now: datetime) -> bool:
    """Whether a pickup's window or a hold's days are over (it may expire)."""
    return fulfilment.due_at is not None and fulfilment.due_at <= now


def _pay_at_the_till(
    session: Session, order: Order, fulfilment: FulfilmentRef, data: ActionIn, actor: Actor
) -> None:
    """Record the payment taken with a held item's purchase; it must leave it captured."""
    if data.payment is not None:
        _set_payment(
            session,
            order,
            status=PaymentStatus(data.payment.status),
            reference=data.payment.reference,
            provider=data.payment.provider,
            actor=actor,
        )
    if not is_captured(PaymentStatus(order.payment_status)):
        raise PaymentNotCaptured(
            f"The payment of order {order.id} is {order.payment_status}: a held item is bought "
            "with a captured payment (send the till's payment, or record it first).",
            field="payment",
            payment_status=order.payment_status,
            fulfilment_id=fulfilment.id,
        )


def _cancel_units(
    session: Session, order: Order, line: OrderLine, quantity: int, reason: str, actor: Actor
) -> None:
    line.cancelled_quantity += quantity
    record_event(
        session,
        OrderLineCancelled(
            order_id=order.id,
            order_line_id=line.id,
            sku=line.sku,
            quantity=quantity,
            reason=reason,
            refund_minor=line.total_minor * quantity // line.quantity,
            currency=order.currency,
        ),
        actor=actor,
    )


def _unsold(
    session: Session,
    order: Order,
    lines: list[FulfilmentLineRef],
    reason: str,
    actor: Actor,
) -> None:
    """Units released unsold (cancelled, not collected, not bought) are cancelled lines."""
    for item in lines:
        if item.status == fulfilment_service.RELEASED:
            line = session.get(OrderLine, item.order_line_id)
            assert line is not None
            _cancel_units(session, order, line, item.quantity, reason, actor)


def _resource(
    session: Session,
    *,
    order: Order,
    fulfilment: FulfilmentRef,
    line: OrderLine,
    quantity: int,
    actor: Actor,
    policy: OrderPolicy,
    now: datetime,
) -> Decision | None:
    """Source rejected units elsewhere; the decision (its explanation), or None when nowhere
    has them."""
    method = Method(fulfilment.method)
    network_ = load_network(session, channel=order.channel, methods={method}, policy=policy)
    coordinates = Address.stored(order.delivery_address or {}).coordinates
    destination = Point(*coordinates) if coordinates is not None else None
    request = LineRequest(
        line=str(line.position),
        sku=line.sku,
        quantity=quantity,
        method=method,
        candidates=network_.candidates(method),
        excluded=frozenset(fulfilments.rejected_locations(session, line.id)),
    )
    try:
        decision, held = source_and_reserve(
            session,
            requests=[request],
            network_=network_,
            destination=destination,
            reference=order.id,
            reserve_days={},
            actor=actor,
            policy=policy,
        )
    except DomainError:
        return None
    open_fulfilments(
        session,
        order_id=order.id,
        held=held,
        order_line_ids={request.line: line.id},
        line_positions={request.line: line.position},
        reserve_days={},
        network_=network_,
        delivery_address=order.delivery_address,
        actor=actor,
        policy=policy,
        now=now,
        first_position=len(fulfilments.fulfilments_of(session, order.id)) + 1,
        replaces_id=fulfilment.id,
        reason=f"re-sourced: {fulfilment.location_code} rejected {line.sku}",
    )
    return decision


def reject_line(
    session: Session,
    *,
    fulfilment_id: str,
    data: RejectLineIn,
    actor: Actor,
    policy: OrderPolicy | None = None,
    now: datetime | None = None,
) -> OrderOut:
    """A location cannot fulfil a line: release it there, source it elsewhere or cancel it."""
    policy = policy or OrderPolicy()
    now = now or utcnow()
    order, fulfilment = _locked(session, fulfilment_id, actor)
    rejected = fulfilment_service.reject_line(
        session,
        fulfilment_id=fulfilment.id,
        line_id=data.line_id,
        reason=data.reason,
        actor=actor,
        now=now,
    )
    line = session.get(OrderLine, rejected.order_line_id)
    assert line is not None
    resourced = None
    if Method(fulfilment.method) in HOME_DELIVERY:
        resourced = _resource(
            session,
            order=order,
            fulfilment=fulfilment,
            line=line,
            quantity=rejected.quantity,
            actor=actor,
            policy=policy,
            now=now,
        )
    if resourced is None:
        _cancel_units(
            session,
            order,
            line,
            rejected.quantity,
            f"{fulfilment.location_code} rejected it ({data.reason}) and no other location "
            "can fulfil it",
            actor,
        )
    else:
        explanation = list(resourced.explanation)
        order.sourcing_explanation = [*order.sourcing_explanation, *explanation]
        if order.sourcing_reasons is not None:
            # An order placed before reasons were kept keeps none: its page reads the
            # sentences, all of them.
            order.sourcing_reasons = [
                *order.sourcing_reasons,
                *(reason.as_dict() for reason in resourced.reasons),
            ]
        record_event(
            session,
            OrderLineResourced(
                order_id=order.id,
                order_line_id=line.id,
                sku=line.sku,
                quantity=rejected.quantity,
                rejected_by=fulfilment.location_code,
                reason=data.reason,
                explanation=explanation,
            ),
            actor=actor,
        )
    roll_up(session, order, actor=actor, now=now, reason=f"line rejected: {data.reason}")
    return order_out(session, order)


def cancel_order(
    session: Session, *, order_id: str, reason: str, actor: Actor, now: datetime | None = None
) -> OrderOut:
    """Cancel an order nothing of which has left yet; every reservation is released."""
    now = now or utcnow()
    order = load_order(session, order_id, lock=True)
    access.check_cancel(actor, order_facts(session, order))
    rows = fulfilments.fulfilments_of(session, order.id)
    check_cancellable(
        OrderStatus(order.status),
        [(Method(f.method), FulfilmentStatus(f.status)) for f in rows],
    )
    for fulfilment in rows:
        if can(Method(fulfilment.method), FulfilmentStatus(fulfilment.status), Action.cancel):
            _, released = fulfilment_service.advance(
                session,
                fulfilment_id=fulfilment.id,
                action=Action.cancel,
                actor=actor,
                now=now,
                reason=reason or "order cancelled",
            )
            _unsold(session, order, released, reason or "order cancelled", actor)
    move_order(
        session,
        order,
        OrderStatus.cancelled,
        actor=actor,
        now=now,
        reason=reason,
        details={"refund_due": is_captured(PaymentStatus(order.payment_status))},
    )
    return order_out(session, order)


def update_payment(
    session: Session, *, order_id: str, data: PaymentUpdateIn, actor: Actor
) -> OrderOut:
    """Record what the payment provider reports: authorised, captured, refunded..."""
    order = load_order(session, order_id, lock=True)
    access.check_payment(actor, order_facts(session, order, with_locations=True))
    _set_payment(
        session, order, status=data.status, reference=data.reference, provider=None, actor=actor
    )
    return order_out(session, order)


def record_refund(session: Session, *, order_id: str, full: bool, actor: Actor) -> PaymentStatus:
    """Move the order's payment to refunded (``full``) or partially refunded, for a refund
    that another module's use case made and authorised (a return): its policy decided who
    may, so none is applied here. Returns the payment's status afterwards."""
    order = load_order(session, order_id, lock=True)
    target = PaymentStatus.refunded if full else PaymentStatus.partially_refunded
    _set_payment(session, order, status=target, reference=None, provider=None, actor=actor)
    return PaymentStatus(order.payment_status)


def expire_overdue(
    session: Session, *, now: datetime | None = None, actor: Actor = SWEEPER, limit: int = 500
) -> int:
    """Expire holds and uncollected pickups whose time is up; returns how many."""
    now = now or utcnow()
    expired = 0
    for candidate in fulfilments.overdue(session, now=now, limit=limit):
        order = load_order(session, candidate.order_id, lock=True)
        fulfilment = fulfilments.get_fulfilment(session, candidate.id, lock=True)
        method, status = Method(fulfilment.method), FulfilmentStatus(fulfilment.status)
        if (
            fulfilment.due_at is None
            or fulfilment.due_at > now
            or not can(method, status, Action.expire)
        ):
            continue
        reason = (
            "the hold ended without a purchase"
            if method is Method.reserve_and_try
            else "not collected in time"
        )
        _, released = fulfilment_service.advance(
            session,
            fulfilment_id=fulfilment.id,
            action=Action.expire,
            actor=actor,
            now=now,
            reason=reason,
        )
        _unsold(session, order, released, reason, actor)
        roll_up(session, order, actor=actor, now=now, reason=reason)
        expired += 1
    return expired
