"""HTTP routes of the catalog module."""

from __future__ import annotations

from fastapi import APIRouter

from omnicanal.api.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.api.problems import responses
from omnicanal.catalog import service
from omnicanal.catalog.schemas import ProductIn, ProductOut
from omnicanal.platform.actors import Actor

router = APIRouter(prefix="/v1", tags=["catalog"])


@router.post("/products", status_code=201, response_model=ProductOut, responses=responses(409))
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
        action=lambda s: service.create_products(
            s, products=[body], actor=actor, currency=currency
        )[0],
    )


@router.get("/products/{code}", response_model=ProductOut, responses=responses(404))
def get_product(
    code: str, session: ReadSession, platform: PlatformDep, actor: Actor = scope("catalog:read")
):
    """A product with its variants and list prices."""
    return service.get_product(session, code=code, currency=platform.settings.default_currency)


@router.get("/skus/{code}", response_model=ProductOut, responses=responses(404))
def find_sku(
    code: str, session: ReadSession, platform: PlatformDep, actor: Actor = scope("catalog:read")
):
    """The product of a SKU or of a scanned GTIN."""
    variant = service.find_variant(session, code)
    product = service.get_product_by_id(session, product_id=variant.product_id)
    return service.get_product(
        session, code=product.code, currency=platform.settings.default_currency
    )
