"""HTTP routes of the orders module, and the fulfilment routes that go through orders.

A fulfilment's queue, its actions and a rejected line are read and written through the
orders module's use cases, which roll the order status up in the same transaction; they
live here, next to what they call, under the ``fulfilment`` tag (docs/adr/0006). A store
key acts on its own store's fulfilments only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from omnicanal.fulfilment.schemas import ActionIn, FulfilmentOut, RejectLineIn, TransitionIn
from omnicanal.fulfilment.states import Action, FulfilmentStatus, Method
from omnicanal.orders import service
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.schemas import CancelIn, CheckoutIn, OrderOut, OrderSummary, PaymentUpdateIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import DeprecatedCursor, Paging
from omnicanal.platform.http.problems import responses
from omnicanal.platform.paging import Page
from omnicanal.platform.wiring import Platform

router = APIRouter(prefix="/v1", tags=["orders"])
fulfilment_router = APIRouter(prefix="/v1", tags=["fulfilment"])


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


@router.get("/orders", response_model=Page[OrderSummary], responses=responses())
def list_orders(
    session: ReadSession,
    paging: Paging,
    customer_ref: str | None = None,
    channel: str | None = None,
    status: str | None = None,
    location: Annotated[str | None, Query(description="Store where it was placed")] = None,
    placed_from: Moment | None = None,
    placed_until: Moment | None = None,
    after: DeprecatedCursor = None,
    actor: Actor = scope("orders:read"),
):
    """Orders by customer, channel, status, store or date (a marketplace key: the orders it
    placed): newest first, or with ``updated_since`` those changed since then, oldest change
    first."""
    return service.list_orders(
        session,
        customer_ref=customer_ref,
        channel=channel,
        status=status,
        location=location,
        placed_from=placed_from,
        placed_until=placed_until,
        limit=paging.limit,
        starting_after=paging.starting_after or after,
        updated_since=paging.updated_since,
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


# -- fulfilments: a location's queue and the actions on a fulfilment --------------------------

VERBS: dict[str, tuple[Action, str]] = {
    "pick": (Action.pick, "Start picking the lines."),
    "pack": (Action.pack, "The parcel is packed."),
    "ship": (Action.ship, "Handed to the carrier: the units leave stock (carrier, tracking)."),
    "deliver": (Action.deliver, "The carrier delivered the parcel."),
    "ready": (Action.ready, "Ready for pickup at the store: the collection window starts."),
    "check-in": (Action.check_in, "The customer has arrived at the store to collect."),
    "collect": (
        Action.collect,
        "Handed over to the customer: the units leave stock. Send the pickup_code the "
        "customer shows, or identity_checked (422 pickup_code_mismatch or "
        "handover_proof_required otherwise).",
    ),
    "try-on": (Action.try_on, "The customer is trying the held item on."),
    "buy": (
        Action.buy,
        "The customer bought the held item: with the in-store payment, captured "
        "(409 payment_not_captured otherwise).",
    ),
    "release": (Action.release, "The customer did not buy: the held units are released."),
    "cancel": (Action.cancel, "Cancel this fulfilment: its units are released."),
}


def _act(
    platform: Platform,
    *,
    fulfilment_id: str,
    action: Action,
    body: ActionIn,
    idempotency_key: str | None,
    actor: Actor,
) -> Any:
    policy = OrderPolicy.from_settings(platform.settings)
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"fulfilment:{fulfilment_id}:{action.value}",
        payload=body,
        action=lambda s: service.act(
            s, fulfilment_id=fulfilment_id, action=action, data=body, actor=actor, policy=policy
        ),
    )


@fulfilment_router.get("/fulfilments", response_model=Page[FulfilmentOut], responses=responses())
def list_fulfilments(
    session: ReadSession,
    paging: Paging,
    location: str | None = None,
    status: FulfilmentStatus | None = None,
    method: Method | None = None,
    actor: Actor = scope("orders:read"),
):
    """Fulfilments by location, status or method (a store key sees its own store's; another
    key those of the orders it reads): newest first, or with ``updated_since`` those that
    moved since then, oldest move first."""
    return service.page_fulfilment_views(
        session,
        location_code=location,
        status=status.value if status else None,
        method=method.value if method else None,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
        actor=actor,
    )


@fulfilment_router.get(
    "/fulfilments/{fulfilment_id}", response_model=FulfilmentOut, responses=responses(404)
)
def get_fulfilment(fulfilment_id: str, session: ReadSession, actor: Actor = scope("orders:read")):
    """One fulfilment, its lines, timestamps and the actions that apply now."""
    return service.get_fulfilment_view(session, fulfilment_id=fulfilment_id, actor=actor)


@fulfilment_router.post(
    "/fulfilments/{fulfilment_id}/transitions",
    response_model=FulfilmentOut,
    responses=responses(404, 409),
)
def transition_fulfilment(
    fulfilment_id: str,
    body: TransitionIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("fulfilment:write"),
):
    """Apply any action; 409 ``invalid_transition`` (and nothing changes) when it does not fit."""
    return _act(
        platform,
        fulfilment_id=fulfilment_id,
        action=body.action,
        body=ActionIn(**body.model_dump(exclude={"action"})),
        idempotency_key=idempotency_key,
        actor=actor,
    )


def _verb(path: str, action: Action, summary: str) -> None:
    def endpoint(
        fulfilment_id: str,
        platform: PlatformDep,
        body: ActionIn | None = None,
        idempotency_key: IdempotencyKey = None,
        actor: Actor = scope("fulfilment:write"),
    ) -> Any:
        return _act(
            platform,
            fulfilment_id=fulfilment_id,
            action=action,
            body=body or ActionIn(),
            idempotency_key=idempotency_key,
            actor=actor,
        )

    endpoint.__doc__ = summary
    fulfilment_router.add_api_route(
        f"/fulfilments/{{fulfilment_id}}/{path}",
        endpoint,
        methods=["POST"],
        name=f"{action.value}_fulfilment",
        summary=summary.rstrip(".").split(":")[0],
        response_model=FulfilmentOut,
        responses=responses(404, 409),
    )


for _path, (_action, _summary) in VERBS.items():
    _verb(_path, _action, _summary)


@fulfilment_router.post(
    "/fulfilments/{fulfilment_id}/reject-line",
    response_model=OrderOut,
    responses=responses(404, 409),
)
def reject_line(
    fulfilment_id: str,
    body: RejectLineIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("fulfilment:write"),
):
    """The location cannot fulfil a line (damaged, not found): it is sourced elsewhere."""
    policy = OrderPolicy.from_settings(platform.settings)
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"fulfilment:{fulfilment_id}:reject_line",
        payload=body,
        action=lambda s: service.reject_line(
            s, fulfilment_id=fulfilment_id, data=body, actor=actor, policy=policy
        ),
    )
