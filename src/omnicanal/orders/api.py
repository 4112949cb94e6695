"""HTTP routes of the orders module."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from omnicanal.api.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.api.problems import responses
from omnicanal.orders import service
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.schemas import CancelIn, CheckoutIn, OrderOut, OrderPage, PaymentUpdateIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment

router = APIRouter(prefix="/v1", tags=["orders"])


@router.post("/orders", status_code=201, response_model=OrderOut, responses=responses(404, 409))
def checkout(
    body: CheckoutIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("orders:write"),
):
    """Check out a cart (or lines): re-priced, sourced, reserved and ordered in one go.

    Each line is shipped, picked up at a store, held to try on, carried out of the store
    or sent home from elsewhere (endless aisle). A refusal changes nothing: no order, no
    reservation, no event.
    """
    policy = OrderPolicy.from_settings(platform.settings)
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="checkout",
        payload=body,
        status_code=201,
        action=lambda s: service.checkout(s, data=body, actor=actor, policy=policy),
    )


@router.get("/orders", response_model=OrderPage, responses=responses())
def list_orders(
    session: ReadSession,
    customer_ref: str | None = None,
    channel: str | None = None,
    status: str | None = None,
    location: Annotated[str | None, Query(description="Store where it was placed")] = None,
    placed_from: Moment | None = None,
    placed_until: Moment | None = None,
    after: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    actor: Actor = scope("orders:read"),
):
    """Orders, newest first, by customer, channel, status, store or date (a marketplace key:
    the orders it placed)."""
    return service.list_orders(
        session,
        customer_ref=customer_ref,
        channel=channel,
        status=status,
        location=location,
        placed_from=placed_from,
        placed_until=placed_until,
        after=after,
        limit=limit,
        actor=actor,
    )


@router.get("/orders/{order_id}", response_model=OrderOut, responses=responses(404))
def get_order(order_id: str, session: ReadSession, actor: Actor = scope("orders:read")):
    """One order: the same status, lines, fulfilments and history for every channel."""
    return service.get_order(session, order_id=order_id, actor=actor)


@router.post(
    "/orders/{order_id}/cancel", response_model=OrderOut, responses=responses(403, 404, 409)
)
def cancel_order(
    order_id: str,
    platform: PlatformDep,
    body: CancelIn | None = None,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("orders:write"),
):
    """Cancel an order nothing of which has left yet; its reservations are released.

    Only the channel that placed it (its store, its marketplace key) or the call centre may;
    403 ``order_forbidden`` otherwise."""
    reason = body.reason if body is not None else ""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"cancel_order:{order_id}",
        payload=body,
        action=lambda s: service.cancel_order(s, order_id=order_id, reason=reason, actor=actor),
    )


@router.post(
    "/orders/{order_id}/payment", response_model=OrderOut, responses=responses(403, 404, 409)
)
def update_payment(
    order_id: str,
    body: PaymentUpdateIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("orders:write"),
):
    """Record what the payment provider reports (captured, refunded...): 409
    ``invalid_payment_change`` for a move the payment lifecycle lacks; the placing channel,
    the call centre or a store with a fulfilment of the order may record it."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"order_payment:{order_id}",
        payload=body,
        action=lambda s: service.update_payment(s, order_id=order_id, data=body, actor=actor),
    )
