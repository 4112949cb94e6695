"""HTTP routes of the carts module; every cart comes back priced for the caller's channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from omnicanal.carts import service
from omnicanal.carts.schemas import (
    CartIn,
    CartLineIn,
    CartOut,
    CartStatus,
    CouponIn,
    MergeIn,
    QuantityIn,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import Paging
from omnicanal.platform.http.problems import responses
from omnicanal.platform.paging import Page
from omnicanal.platform.wiring import Platform

router = APIRouter(prefix="/v1", tags=["carts"])


def _change(
    platform: Platform,
    actor: Actor,
    key: str | None,
    operation: str,
    payload: Any,
    action: Callable[[Session], Any],
    status_code: int = 200,
) -> Response:
    return write(
        platform,
        actor=actor,
        idempotency_key=key,
        operation=operation,
        payload=payload,
        action=action,
        status_code=status_code,
    )


@router.post("/carts", status_code=201, response_model=CartOut, responses=responses(404, 409))
def create_cart(
    body: CartIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("carts:write"),
):
    """Open a cart (anonymous with a cookie's id, or for a customer), optionally with lines."""
    currency = platform.settings.default_currency
    return _change(
        platform,
        actor,
        idempotency_key,
        "create_cart",
        body,
        lambda s: service.create_cart(s, data=body, actor=actor, currency=currency),
        status_code=201,
    )


@router.get("/carts", response_model=Page[CartOut], responses=responses())
def list_carts(
    session: ReadSession,
    paging: Paging,
    status: CartStatus | None = None,
    customer_ref: Annotated[str | None, Query(max_length=200)] = None,
    channel: Annotated[str | None, Query(max_length=50)] = None,
    actor: Actor = scope("carts:read"),
):
    """Carts by status, customer or channel, unpriced (read one to price it): the carts of
    the key's channel (a store key: its store's; a marketplace has none, 403
    ``cart_forbidden``). Newest first, or with ``updated_since`` those changed since then,
    oldest change first."""
    return service.list_carts(
        session,
        status=status.value if status else None,
        customer_ref=customer_ref,
        channel=channel,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
        actor=actor,
    )


@router.get("/carts/lookup", response_model=CartOut, responses=responses(404))
def find_open_cart(
    session: ReadSession,
    customer_ref: str | None = None,
    anonymous_id: str | None = None,
    actor: Actor = scope("carts:read"),
):
    """The customer's (or visitor's) most recently updated open cart: what a till opens."""
    return service.find_open_cart(
        session,
        customer_ref=customer_ref,
        anonymous_id=anonymous_id,
        channel=actor.channel,
        actor=actor,
    )


@router.post("/carts/merge", response_model=CartOut, responses=responses(404, 409))
def merge_carts(
    body: MergeIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("carts:write"),
):
    """A visitor signed in: their anonymous cart joins the customer's open cart."""
    return _change(
        platform,
        actor,
        idempotency_key,
        "merge_carts",
        body,
        lambda s: service.merge_carts(s, data=body, actor=actor),
    )


@router.get("/carts/{cart_id}", response_model=CartOut, responses=responses(404, 409))
def get_cart(cart_id: str, session: ReadSession, actor: Actor = scope("carts:read")):
    """A cart with its lines priced live for the caller's channel, and the explanation."""
    return service.get_cart(session, cart_id=cart_id, channel=actor.channel, actor=actor)


@router.post("/carts/{cart_id}/lines", response_model=CartOut, responses=responses(404, 409))
def add_line(
    cart_id: str,
    body: CartLineIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("carts:write"),
):
    """Add units of a SKU; 404 ``unknown_sku`` and nothing changes for an unknown SKU."""
    return _change(
        platform,
        actor,
        idempotency_key,
        f"add_cart_line:{cart_id}",
        body,
        lambda s: service.add_line(s, cart_id=cart_id, line=body, actor=actor),
    )


@router.patch("/carts/{cart_id}/lines/{sku}", response_model=CartOut, responses=responses(404, 409))
def change_line(
    cart_id: str,
    sku: str,
    body: QuantityIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("carts:write"),
):
    """Set a line's quantity (at least 1; delete the line to remove it)."""
    return _change(
        platform,
        actor,
        idempotency_key,
        f"change_cart_line:{cart_id}:{sku}",
        body,
        lambda s: service.change_line(s, cart_id=cart_id, sku=sku, change=body, actor=actor),
    )


@router.delete(
    "/carts/{cart_id}/lines/{sku}", response_model=CartOut, responses=responses(404, 409)
)
def remove_line(
    cart_id: str,
    sku: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("carts:write"),
):
    """Take a SKU out of the cart."""
    return _change(
        platform,
        actor,
        idempotency_key,
        f"remove_cart_line:{cart_id}:{sku}",
        None,
        lambda s: service.remove_line(s, cart_id=cart_id, sku=sku, actor=actor),
    )


@router.post("/carts/{cart_id}/coupons", response_model=CartOut, responses=responses(404, 409))
def add_coupon(
    cart_id: str,
    body: CouponIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("carts:write"),
):
    """Add a coupon code; 404 ``unknown_coupon``, 409 ``coupon_expired`` and the like refuse it."""
    return _change(
        platform,
        actor,
        idempotency_key,
        f"add_cart_coupon:{cart_id}",
        body,
        lambda s: service.add_coupon(s, cart_id=cart_id, code=body.code, actor=actor),
    )


@router.delete(
    "/carts/{cart_id}/coupons/{code}", response_model=CartOut, responses=responses(404, 409)
)
def remove_coupon(
    cart_id: str,
    code: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("carts:write"),
):
    """Take a coupon code off the cart."""
    return _change(
        platform,
        actor,
        idempotency_key,
        f"remove_cart_coupon:{cart_id}:{code}",
        None,
        lambda s: service.remove_coupon(s, cart_id=cart_id, code=code, actor=actor),
    )
