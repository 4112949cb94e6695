"""The events of the catalog module (``catalog.*``)."""

from __future__ import annotations

from omnicanal.platform.events import DomainEvent

__all__ = ["ProductCreated", "ProductUpdated"]


class ProductCreated(DomainEvent):
    """A product (style) was added to the catalogue with its variants."""

    type = "catalog.product_created"
    example = {"code": "ROBE-LIN", "skus": ["ROBE-LIN-36", "ROBE-LIN-38"]}

    code: str
    skus: list[str]

    @property
    def subject(self) -> str:
        return f"products/{self.code}"


class ProductUpdated(DomainEvent):
    """A product's own fields changed, sizes were added to it, or its variants changed (an
    import that upserts the catalogue); list prices have their own events."""

    type = "catalog.product_updated"
    example = {
        "code": "ROBE-LIN",
        "fields": ["name"],
        "added_skus": ["ROBE-LIN-40"],
        "updated_skus": ["ROBE-LIN-36"],
    }

    code: str
    fields: list[str]
    """The product's own fields that changed (name, category, brand, description)."""
    added_skus: list[str]
    """The variants (sizes, colours) added to the product."""
    updated_skus: list[str]
    """The variants whose GTIN, size or colour changed."""

    @property
    def subject(self) -> str:
        return f"products/{self.code}"
