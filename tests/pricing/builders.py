"""Builders for pricing and carts tests: priced SKUs, promotions, overrides, keys."""

from __future__ import annotations

from typing import Any

from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.network import service as network
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from omnicanal.pricing import overrides, promotions
from omnicanal.pricing import products as priced
from omnicanal.pricing.schemas import OverrideIn, OverrideOut, PromotionIn, PromotionOut
from tests.builders import make_key

BACK_OFFICE_SCOPES = ["pricing:read", "pricing:write", "carts:read", "carts:write"]


def make_sku(
    platform: Platform, sku: str, price_minor: int | None = 4990, *, category: str = "Robes"
) -> str:
    """A product with one SKU at ``price_minor`` (no list price when None); returns the SKU."""
    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
        priced.create_priced_products(
            session,
            products=[
                ProductIn(
                    code=f"P-{sku}",
                    name=f"Produit {sku}",
                    category=category,
                    variants=[VariantIn(sku=sku, price_minor=price_minor)],
                )
            ],
            actor=OPERATOR,
            currency="EUR",
        )
    return sku


def make_promotion(platform: Platform, code: str, kind: str, **fields: Any) -> PromotionOut:
    """A promotion created through the service (name defaults to the code)."""
    data = PromotionIn(code=code, name=fields.pop("name", code), kind=kind, **fields)
    with platform.db.transaction() as session:
        return promotions.create_promotion(session, data=data, actor=OPERATOR)


def set_override(
    platform: Platform, sku: str, channel: str, price_minor: int, **fields: Any
) -> OverrideOut:
    """A channel price override through the service."""
    data = OverrideIn(
        sku=sku,
        channel=channel,
        price_minor=price_minor,
        reason=fields.pop("reason", "test override"),
        **fields,
    )
    with platform.db.transaction() as session:
        return overrides.set_override(session, data=data, currency="EUR", actor=OPERATOR)


def back_office_key(platform: Platform) -> str:
    """A web key that may also set overrides and create promotions."""
    return make_key(platform, "web", scopes=BACK_OFFICE_SCOPES)
