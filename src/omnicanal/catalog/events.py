"""The events of the catalog module (``catalog.*``)."""

from __future__ import annotations

from omnicanal.platform.events import DomainEvent

__all__ = ["ProductCreated"]


class ProductCreated(DomainEvent):
    """A product (style) was added to the catalogue with its variants."""

    type = "catalog.product_created"
    example = {"code": "ROBE-LIN", "skus": ["ROBE-LIN-36", "ROBE-LIN-38"]}

    code: str
    skus: list[str]

    @property
    def subject(self) -> str:
        return f"products/{self.code}"
