"""HTTP routes of the webhooks module (``/v1/webhooks``): endpoints subscribed to event
types (signed webhooks, or forwarded to a Segment-compatible tracking API), their signing
secrets, their deliveries and the dead-letter list's replay. Head office only: the
``webhooks:admin`` scope on a first-party key that no store is bound to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.problems import responses
from omnicanal.webhooks import service
from omnicanal.webhooks.access import ADMIN_SCOPE
from omnicanal.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    EndpointCreatedOut,
    EndpointIn,
    EndpointOut,
    EndpointPage,
    EndpointRemovedOut,
    EndpointUpdateIn,
    EventTypesOut,
    ReplayIn,
    ReplayOut,
    RotationIn,
    SecretOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="Items per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=26, description="next_cursor of the previous page: the items after it"),
]
Status = Annotated[
    str | None,
    Query(pattern=r"^(pending|delivered|dead)$", description="dead: the dead-letter list"),
]


@router.get("/event-types", response_model=EventTypesOut, responses=responses())
def list_event_types(actor: Actor = scope(ADMIN_SCOPE)):
    """The event types an endpoint may follow, and the modules' prefixes (``order.*``)."""
    return service.event_types(actor=actor)


@router.post(
    "/endpoints", status_code=201, response_model=EndpointCreatedOut, responses=responses()
)
def create_endpoint(
    body: EndpointIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope(ADMIN_SCOPE),
):
    """Subscribe an address to event types: every matching event is posted to it, signed
    with the secret in the answer (shown this once). ``format: segment`` forwards them as
    Segment ``track`` messages to ``{url}/v1/batch`` with ``write_key`` instead (shown back
    as a prefix only). 422 ``invalid_endpoint_url`` for an address that cannot receive
    webhooks (http, credentials, a private address), ``unknown_event_type`` for a type no
    event has, ``event_type_not_forwarded`` for a type a segment endpoint cannot follow,
    ``invalid_write_key`` for a segment endpoint without a write key or a standard one with
    one."""
    allow_private = platform.settings.webhooks_allow_private_urls
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="webhook_endpoint",
        payload=body,
        status_code=201,
        action=lambda s: service.create_endpoint(
            s, data=body, actor=actor, allow_private=allow_private
        ),
    )


@router.get("/endpoints", response_model=EndpointPage, responses=responses())
def list_endpoints(
    session: ReadSession,
    limit: Limit = 50,
    starting_after: Cursor = None,
    actor: Actor = scope(ADMIN_SCOPE),
):
    """The endpoints, newest first, with their pending and dead deliveries counted."""
    return service.list_endpoints(session, actor=actor, limit=limit, starting_after=starting_after)


@router.get("/endpoints/{endpoint_id}", response_model=EndpointOut, responses=responses(404))
def get_endpoint(endpoint_id: str, session: ReadSession, actor: Actor = scope(ADMIN_SCOPE)):
    """One endpoint: what it follows, whether it is active, how well it answers."""
    return service.get_endpoint(session, endpoint_id=endpoint_id, actor=actor)


@router.patch("/endpoints/{endpoint_id}", response_model=EndpointOut, responses=responses(404))
def update_endpoint(
    endpoint_id: str,
    body: EndpointUpdateIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope(ADMIN_SCOPE),
):
    """Change an endpoint's address, event types, description or (a segment endpoint's)
    write key; ``active: false`` disables it (its pending deliveries go to the dead-letter
    list), ``true`` enables it again."""
    allow_private = platform.settings.webhooks_allow_private_urls
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"webhook_endpoint:{endpoint_id}:update",
        payload=body,
        action=lambda s: service.update_endpoint(
            s, endpoint_id=endpoint_id, data=body, actor=actor, allow_private=allow_private
        ),
    )


@router.delete(
    "/endpoints/{endpoint_id}", response_model=EndpointRemovedOut, responses=responses(404)
)
def remove_endpoint(
    endpoint_id: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope(ADMIN_SCOPE),
):
    """Remove an endpoint and its deliveries."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"webhook_endpoint:{endpoint_id}:remove",
        payload={"endpoint_id": endpoint_id},
        action=lambda s: service.remove_endpoint(s, endpoint_id=endpoint_id, actor=actor),
    )


@router.post(
    "/endpoints/{endpoint_id}/secret", response_model=SecretOut, responses=responses(404, 409)
)
def rotate_secret(
    endpoint_id: str,
    body: RotationIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope(ADMIN_SCOPE),
):
    """A new signing secret (shown this once); the current one keeps signing beside it for
    ``overlap_hours`` (default 24), so receivers switch without missing an event. 409
    ``endpoint_not_signed`` for a segment endpoint (change its ``write_key``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"webhook_endpoint:{endpoint_id}:secret",
        payload=body,
        action=lambda s: service.rotate_secret(s, endpoint_id=endpoint_id, data=body, actor=actor),
    )


@router.get(
    "/endpoints/{endpoint_id}/deliveries", response_model=DeliveryPage, responses=responses(404)
)
def list_deliveries(
    endpoint_id: str,
    session: ReadSession,
    status: Status = None,
    limit: Limit = 50,
    starting_after: Cursor = None,
    actor: Actor = scope(ADMIN_SCOPE),
):
    """An endpoint's deliveries, newest first; ``status=dead`` is its dead-letter list."""
    return service.list_deliveries(
        session,
        endpoint_id=endpoint_id,
        actor=actor,
        status=status,
        limit=limit,
        starting_after=starting_after,
    )


@router.post(
    "/endpoints/{endpoint_id}/replay", response_model=ReplayOut, responses=responses(404, 409)
)
def replay_since(
    endpoint_id: str,
    body: ReplayIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope(ADMIN_SCOPE),
):
    """Send again every delivery of the endpoint's dead-letter list made since ``since``, in
    order, each with its ``webhook-id``. 409 ``endpoint_disabled`` until it is enabled."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"webhook_endpoint:{endpoint_id}:replay",
        payload=body,
        action=lambda s: service.replay_since(
            s, endpoint_id=endpoint_id, since=body.since, actor=actor
        ),
    )


@router.post(
    "/deliveries/{delivery_id}/replay", response_model=DeliveryOut, responses=responses(404, 409)
)
def replay_delivery(
    delivery_id: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope(ADMIN_SCOPE),
):
    """Send again one delivery of the dead-letter list, with its ``webhook-id``. 409
    ``delivery_not_dead`` for one that is pending or delivered, ``endpoint_disabled`` while
    its endpoint is."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"webhook_replay:{delivery_id}",
        payload={"delivery_id": delivery_id},
        action=lambda s: service.replay_delivery(s, delivery_id=delivery_id, actor=actor),
    )
