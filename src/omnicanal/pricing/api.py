"""HTTP routes of the pricing module: quotes, overrides, the consistency audit, promotions."""

from __future__ import annotations

from fastapi import APIRouter

from omnicanal.catalog import service as catalog
from omnicanal.catalog.schemas import ProductIn, ProductOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.problems import responses
from omnicanal.pricing import overrides, products, promotions, service
from omnicanal.pricing.schemas import (
    ConsistencyOut,
    OverrideEndIn,
    OverrideIn,
    OverrideOut,
    PricedCart,
    PromotionIn,
    PromotionOut,
    QuoteIn,
)

router = APIRouter(prefix="/v1", tags=["pricing"])
products_router = APIRouter(prefix="/v1", tags=["catalog"])
"""The catalog's product routes: a product is served with its list prices, so creating and
reading one is a pricing use case over the catalog (``pricing.products``)."""


@router.post("/pricing/quote", response_model=PricedCart, responses=responses(404, 409))
def quote(
    body: QuoteIn,
    session: ReadSession,
    platform: PlatformDep,
    actor: Actor = scope("pricing:read"),
):
    """Price an ad-hoc cart for the caller's channel, with one explanation line per promotion."""
    return service.price_cart(
        session,
        currency=body.currency or platform.settings.default_currency,
        channel=actor.channel,
        lines=[(line.sku, line.quantity) for line in body.lines],
        customer_ref=body.customer_ref,
        customer_attributes=body.customer_attributes,
        coupon_codes=body.coupons,
        shipping_minor=body.shipping_minor,
        at=body.at,
    )


@router.get("/pricing/consistency", response_model=ConsistencyOut, responses=responses())
def consistency(
    session: ReadSession,
    platform: PlatformDep,
    at: Moment | None = None,
    currency: str | None = None,
    actor: Actor = scope("pricing:read"),
):
    """Every SKU whose price differs between channels at ``at`` (default now), and why."""
    return overrides.consistency(
        session,
        currency=service.checked_currency(currency or platform.settings.default_currency),
        at=at,
    )


@router.post(
    "/pricing/overrides",
    status_code=201,
    response_model=OverrideOut,
    responses=responses(404, 409),
)
def set_override(
    body: OverrideIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("pricing:write"),
):
    """Give a channel its own price for a SKU over a period, with the reason (audited)."""
    currency = platform.settings.default_currency
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="set_price_override",
        payload=body,
        status_code=201,
        action=lambda s: overrides.set_override(s, data=body, currency=currency, actor=actor),
    )


@router.get("/pricing/overrides", response_model=list[OverrideOut], responses=responses())
def list_overrides(
    session: ReadSession,
    platform: PlatformDep,
    sku: str | None = None,
    channel: str | None = None,
    active_at: Moment | None = None,
    currency: str | None = None,
    actor: Actor = scope("pricing:read"),
):
    """Price overrides, newest first; ``active_at`` keeps those in force at that moment."""
    return overrides.list_overrides(
        session,
        currency=service.checked_currency(currency or platform.settings.default_currency),
        sku=sku,
        channel=channel,
        active_at=active_at,
    )


@router.post(
    "/pricing/overrides/{override_id}/end",
    response_model=OverrideOut,
    responses=responses(404, 409),
)
def end_override(
    override_id: str,
    platform: PlatformDep,
    body: OverrideEndIn | None = None,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("pricing:write"),
):
    """End an override (now, or at a later moment): the channel returns to the list price."""
    end = body or OverrideEndIn()
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"end_price_override:{override_id}",
        payload=end,
        action=lambda s: overrides.end_override(
            s, override_id=override_id, at=end.at, reason=end.reason, actor=actor
        ),
    )


@router.post(
    "/promotions", status_code=201, response_model=PromotionOut, responses=responses(404, 409)
)
def create_promotion(
    body: PromotionIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("pricing:write"),
):
    """Create a promotion; with ``requires_coupon`` its code is a coupon customers enter."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="create_promotion",
        payload=body,
        status_code=201,
        action=lambda s: promotions.create_promotion(s, data=body, actor=actor),
    )


@router.get("/promotions", response_model=list[PromotionOut], responses=responses())
def list_promotions(
    session: ReadSession,
    active_at: Moment | None = None,
    channel: str | None = None,
    actor: Actor = scope("pricing:read"),
):
    """Promotions by priority; ``active_at`` and ``channel`` keep those in force there."""
    return promotions.list_promotions(session, active_at=active_at, channel=channel)


@router.get("/promotions/{code}", response_model=PromotionOut, responses=responses(404))
def get_promotion(code: str, session: ReadSession, actor: Actor = scope("pricing:read")):
    """One promotion, with how many times its coupon has been used."""
    return promotions.get_promotion(session, code=code)


@products_router.post(
    "/products", status_code=201, response_model=ProductOut, responses=responses(409)
)
def create_product(
    body: ProductIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("catalog:write"),
):
    """Create a product with its variants (SKUs, GTINs) and their list prices."""
    currency = platform.settings.default_currency
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="create_product",
        payload=body,
        status_code=201,
        action=lambda s: products.create_priced_products(
            s, products=[body], actor=actor, currency=currency
        )[0],
    )


@products_router.get("/products/{code}", response_model=ProductOut, responses=responses(404))
def get_product(
    code: str, session: ReadSession, platform: PlatformDep, actor: Actor = scope("catalog:read")
):
    """A product with its variants and list prices."""
    return products.get_priced_product(
        session, code=code, currency=platform.settings.default_currency
    )


@products_router.get("/skus/{code}", response_model=ProductOut, responses=responses(404))
def find_sku(
    code: str, session: ReadSession, platform: PlatformDep, actor: Actor = scope("catalog:read")
):
    """The product of a SKU or of a scanned GTIN."""
    variant = catalog.find_variant(session, code)
    product = catalog.get_product_by_id(session, product_id=variant.product_id)
    return products.get_priced_product(
        session, code=product.code, currency=platform.settings.default_currency
    )
