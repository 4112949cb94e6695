"""A product's sizes and colours with where their units are now: the counter basket's other
sizes and the customer page's exchange suggestion read them the same way."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.network.lookups import LocationRef
from omnicanal.orders import service as orders

__all__ = ["VariantStock", "with_stock"]


@dataclass(frozen=True)
class VariantStock:
    """A size or colour of a product, and where its units are now."""

    variant: catalog.VariantRef
    stock: orders.LineStock | None

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.variant.size, self.variant.colour) if part)


def with_stock(
    session: Session, variants: list[catalog.VariantRef], here: LocationRef | None
) -> list[VariantStock]:
    """Each variant with its units here, in the nearest store holding one, and online (one
    bulk read for them all)."""
    stock = orders.cart_stock(session, lines=[(v.sku, 1) for v in variants], here=here)
    return [VariantStock(variant, stock.lines.get(variant.sku)) for variant in variants]
