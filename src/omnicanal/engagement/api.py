"""HTTP routes of the engagement module's journeys: the triggers (``/v1/engagement/triggers``:
read with ``engagement:read``, created and changed by head office with
``engagement:admin``), the messages they planned with every decision of the policy and
the delivery log (``/v1/engagement/messages``), and the customers' stock watches
(``/v1/stock-watches``, ``watches:write``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from omnicanal.engagement import messages, triggers, watches
from omnicanal.engagement.schemas import (
    MessageDetailOut,
    MessagePage,
    StockWatchIn,
    StockWatchOut,
    TriggerIn,
    TriggerOut,
    TriggerUpdateIn,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import DeprecatedCursor, StartingAfter
from omnicanal.platform.http.problems import responses

__all__ = ["router", "watches_router"]

router = APIRouter(prefix="/v1/engagement", tags=["engagement"])
watches_router = APIRouter(prefix="/v1/stock-watches", tags=["engagement"])

Status = Annotated[
    str | None, Query(pattern=r"^(scheduled|retrying|sent|withheld|withdrawn|failed)$")
]
Kind = Annotated[
    str | None,
    Query(
        pattern=r"^(abandoned_cart|pickup_ready|reservation_expiring|back_in_stock|order_shipped"
        r"|order_delayed|return_received|return_refunded|review_request|win_back)$"
    ),
]
Limit = Annotated[int, Query(ge=1, le=messages.MAX_PAGE)]


@router.get("/triggers", response_model=list[TriggerOut], responses=responses())
def list_triggers(
    session: ReadSession, platform: PlatformDep, actor: Actor = scope("engagement:read")
):
    """Every trigger: its kind and purpose, the delay after its cause, its channels in order
    of preference, its segment, its coupon and its settings."""
    triggers.prepare_defaults(platform.db)
    return triggers.list_triggers(session, actor=actor)


@router.get("/triggers/{code}", response_model=TriggerOut, responses=responses(404))
def get_trigger(
    code: str, session: ReadSession, platform: PlatformDep, actor: Actor = scope("engagement:read")
):
    """One trigger and its settings."""
    triggers.prepare_defaults(platform.db)
    return triggers.get_trigger(session, code=code, actor=actor)


@router.post("/triggers", status_code=201, response_model=TriggerOut, responses=responses(404, 409))
def create_trigger(
    body: TriggerIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("engagement:admin"),
):
    """Add a trigger (head office): another segment, delay or coupon for a kind. A kind that
    sells is marketing (it needs the person's consent), the others transactional (422
    ``invalid_trigger``); a segment must exist (422 ``unknown_segment``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"message_trigger:{body.code}",
        payload=body,
        status_code=201,
        action=lambda s: triggers.create_trigger(s, data=body, actor=actor),
    )


@router.put("/triggers/{code}", response_model=TriggerOut, responses=responses(404))
def update_trigger(
    code: str,
    body: TriggerUpdateIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("engagement:admin"),
):
    """Change a trigger (head office): whether it is active, its delay, channels, segment,
    coupon and settings; the fields given replace the trigger's. Messages already planned
    keep their time."""
    triggers.prepare_defaults(platform.db)
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"message_trigger:{code}",
        payload=body,
        action=lambda s: triggers.update_trigger(s, code=code, data=body, actor=actor),
    )


@router.get("/messages", response_model=MessagePage, responses=responses(422))
def list_messages(
    session: ReadSession,
    status: Status = None,
    kind: Kind = None,
    profile_id: str | None = None,
    since: Moment | None = None,
    limit: Limit = 50,
    starting_after: StartingAfter = None,
    after: DeprecatedCursor = None,
    actor: Actor = scope("engagement:read"),
):
    """Messages, newest first (by when they were planned): planned, sent, withheld or
    withdrawn (with the reason's code), failed; of a trigger kind, a person, since a
    moment."""
    return messages.message_page(
        session,
        actor=actor,
        status=status,
        kind=kind,
        profile_id=profile_id,
        since=since,
        starting_after=starting_after or after,
        limit=limit,
    )


@router.get("/messages/{message_id}", response_model=MessageDetailOut, responses=responses(404))
def get_message(message_id: str, session: ReadSession, actor: Actor = scope("engagement:read")):
    """One message: its content as sent, every decision of the policy (when it was planned,
    when a fact arrived, when it was due) with its reason and facts, and the delivery log."""
    return messages.get_message(session, message_id=message_id, actor=actor)


@watches_router.post(
    "", status_code=201, response_model=StockWatchOut, responses=responses(404, 422)
)
def watch_stock(
    body: StockWatchIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("watches:write"),
):
    """A customer waits for a SKU at a store: they get a message when it is back there (if
    they accept marketing messages). The web shop and the app watch for their logged-in
    customer, a store at its own store; asking again returns the same watch."""
    region = platform.settings.phone_region
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="stock_watch",
        payload=body,
        status_code=201,
        action=lambda s: watches.watch_stock(s, data=body, actor=actor, region=region),
    )


@watches_router.get("", response_model=list[StockWatchOut], responses=responses(422))
def list_watches(
    session: ReadSession,
    platform: PlatformDep,
    profile_id: str | None = None,
    customer_ref: str | None = None,
    sku: str | None = None,
    location: str | None = None,
    active: bool | None = True,
    limit: Annotated[int, Query(ge=1, le=watches.MAX_LISTED)] = 100,
    actor: Actor = scope("watches:write"),
):
    """Watches, newest first: a customer's (the web shop and the app must name theirs), of
    a SKU, at a store (a store key: its own); ``active`` false lists those that ended."""
    return watches.list_watches(
        session,
        actor=actor,
        region=platform.settings.phone_region,
        profile_id=profile_id,
        customer_ref=customer_ref,
        sku=sku,
        location=location,
        active=active,
        limit=limit,
    )


@watches_router.get("/{watch_id}", response_model=StockWatchOut, responses=responses(404))
def get_watch(watch_id: str, session: ReadSession, actor: Actor = scope("watches:write")):
    """One watch (a store key: one at its store)."""
    return watches.get_watch(session, watch_id=watch_id, actor=actor)


@watches_router.delete("/{watch_id}", response_model=StockWatchOut, responses=responses(404))
def end_watch(
    watch_id: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("watches:write"),
):
    """The customer no longer waits: the watch ends (no message will be planned for it)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"stock_watch:{watch_id}:end",
        payload=None,
        action=lambda s: watches.end_watch(s, watch_id=watch_id, actor=actor),
    )
