"""HTTP routes of the pricing module: quotes, overrides, the consistency audit, promotions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from omnicanal.catalog import service as catalog
from omnicanal.catalog.schemas import ProductIn, ProductOut, SkuOut, VariantItemOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import Paging
from omnicanal.platform.http.problems import responses
from omnicanal.platform.paging import Page
from omnicanal.pricing import costs, overrides, products, promotions, service
from omnicanal.pricing.schemas import (
    ConsistencyOut,
    ListPriceOut,
    OverrideEndIn,
    OverrideIn,
    OverrideOut,
    PricedCart,
    PromotionIn,
    PromotionOut,
    PurchaseCostIn,
    PurchaseCostOut,
    QuoteIn,
)

router = APIRouter(prefix="/v1", tags=["pricing"])
products_router = APIRouter(prefix="/v1", tags=["catalog"])
"""The catalog's product routes: a product is served with its list prices, so creating and
reading one is a pricing use case over the catalog (``pricing.products``)."""


@router.post("/pricing/quote", response_model=PricedCart, responses=responses(404, 409))
def quote_prices(
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
def price_consistency(
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


@router.get("/prices", response_model=Page[ListPriceOut], responses=responses())
def list_list_prices(
    session: ReadSession,
    platform: PlatformDep,
    paging: Paging,
    currency: str | None = None,
    sku: Annotated[str | None, Query(max_length=60)] = None,
    actor: Actor = scope("pricing:read"),
):
    """The list prices of a currency (default: the platform's), newest SKU first; with
    ``updated_since``, those set or changed from then: how a connector syncs prices."""
    return products.list_price_page(
        session,
        currency=service.checked_currency(currency or platform.settings.default_currency),
        sku=sku,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@router.put("/prices/{sku}/cost", response_model=PurchaseCostOut, responses=responses(404, 409))
def set_purchase_cost(
    sku: Annotated[str, Path(max_length=60)],
    body: PurchaseCostIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("pricing:write"),
):
    """Set what one unit of a SKU costs the retailer (head office); records
    ``pricing.purchase_cost_changed`` when it changes. The contribution margin uses it."""
    currency = service.checked_currency(body.currency or platform.settings.default_currency)
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"set_purchase_cost:{sku}",
        payload=body,
        action=lambda s: costs.set_purchase_cost(
            s, sku=sku, currency=currency, cost_minor=body.cost_minor, actor=actor
        ),
    )


@router.get("/prices/{sku}/cost", response_model=PurchaseCostOut, responses=responses(404))
def get_purchase_cost(
    sku: Annotated[str, Path(max_length=60)],
    session: ReadSession,
    platform: PlatformDep,
    currency: str | None = None,
    actor: Actor = scope("pricing:write"),
):
    """A SKU's purchase cost: head-office data, read with ``pricing:write`` only."""
    return costs.get_purchase_cost(
        session,
        sku=sku,
        currency=service.checked_currency(currency or platform.settings.default_currency),
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


@products_router.get("/products", response_model=Page[ProductOut], responses=responses())
def list_products(
    session: ReadSession,
    platform: PlatformDep,
    paging: Paging,
    q: Annotated[
        str | None, Query(max_length=300, description="The code or the name contains it")
    ] = None,
    actor: Actor = scope("catalog:read"),
):
    """Products with their variants and list prices, newest first. ``updated_since`` reads
    when a product or one of its variants changed; prices sync through ``GET /v1/prices``."""
    return products.priced_product_page(
        session,
        currency=platform.settings.default_currency,
        q=q,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@products_router.get("/variants", response_model=Page[VariantItemOut], responses=responses())
def list_variants(
    session: ReadSession,
    paging: Paging,
    product: Annotated[str | None, Query(max_length=60, description="A product code")] = None,
    actor: Actor = scope("catalog:read"),
):
    """Every variant (SKU) with its product's code, newest first; ``updated_since`` reads
    when the variant itself changed."""
    return catalog.variant_page(
        session,
        product=product,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@products_router.get("/products/{code}", response_model=ProductOut, responses=responses(404))
def get_product(
    code: str, session: ReadSession, platform: PlatformDep, actor: Actor = scope("catalog:read")
):
    """A product with its variants and list prices."""
    return products.get_priced_product(
        session, code=code, currency=platform.settings.default_currency
    )


@products_router.get("/skus/{code}", response_model=SkuOut, responses=responses(404))
def get_sku(
    code: str, session: ReadSession, platform: PlatformDep, actor: Actor = scope("catalog:read")
):
    """The variant of a SKU or of a scanned GTIN, with its product and list price (the whole
    product: ``GET /v1/products/{product_code}``)."""
    return products.priced_sku(session, code=code, currency=platform.settings.default_currency)
