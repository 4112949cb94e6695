"""HTTP routes of fulfilment: a location's queue, the actions on a fulfilment, pickup waits.

The writes go through the orders module's use cases, which roll the order status up in
the same transaction. A store key acts on its own store's fulfilments only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from omnicanal.api.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.api.problems import responses
from omnicanal.fulfilment import queries
from omnicanal.fulfilment.schemas import (
    ActionIn,
    FulfilmentOut,
    PickupWaitsOut,
    RejectLineIn,
    TransitionIn,
)
from omnicanal.fulfilment.states import Action, FulfilmentStatus, Method
from omnicanal.orders import service as orders
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.schemas import OrderOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.wiring import Platform

router = APIRouter(prefix="/v1", tags=["fulfilment"])

VERBS: dict[str, tuple[Action, str]] = {
    "pick": (Action.pick, "Start picking the lines."),
    "pack": (Action.pack, "The parcel is packed."),
    "ship": (Action.ship, "Handed to the carrier: the units leave stock (carrier, tracking)."),
    "deliver": (Action.deliver, "The carrier delivered the parcel."),
    "ready": (Action.ready, "Ready for pickup at the store: the collection window starts."),
    "check-in": (Action.check_in, "The customer has arrived at the store to collect."),
    "collect": (Action.collect, "Handed over to the customer: the units leave stock."),
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
        action=lambda s: orders.act(
            s, fulfilment_id=fulfilment_id, action=action, data=body, actor=actor, policy=policy
        ),
    )


@router.get("/fulfilments", response_model=list[FulfilmentOut], responses=responses())
def list_fulfilments(
    session: ReadSession,
    location: str | None = None,
    status: FulfilmentStatus | None = None,
    method: Method | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor: Actor = scope("orders:read"),
):
    """A location's queue (a store key sees its own store's), oldest first."""
    return orders.list_fulfilment_views(
        session,
        location_code=location,
        status=status.value if status else None,
        method=method.value if method else None,
        limit=limit,
        actor=actor,
    )


@router.get("/fulfilments/{fulfilment_id}", response_model=FulfilmentOut, responses=responses(404))
def get_fulfilment(fulfilment_id: str, session: ReadSession, actor: Actor = scope("orders:read")):
    """One fulfilment, its lines, timestamps and the actions that apply now."""
    return orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id, actor=actor)


@router.post(
    "/fulfilments/{fulfilment_id}/transitions",
    response_model=FulfilmentOut,
    responses=responses(404, 409),
)
def transition(
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
    router.add_api_route(
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


@router.post(
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
        action=lambda s: orders.reject_line(
            s, fulfilment_id=fulfilment_id, data=body, actor=actor, policy=policy
        ),
    )


@router.get("/fulfilment/pickup-waits", response_model=PickupWaitsOut, responses=responses())
def pickup_waits(
    session: ReadSession,
    since: Moment | None = None,
    until: Moment | None = None,
    location: str | None = None,
    actor: Actor = scope("orders:read"),
):
    """How long click & collect customers waited (check-in to handover), p50/p90 per store."""
    return queries.pickup_waits(session, since=since, until=until, location_code=location)
