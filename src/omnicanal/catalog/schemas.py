"""Input and output shapes of the catalog module."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omnicanal.platform.bounds import MAX_AMOUNT_MINOR, RequestModel

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$"


class VariantIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=60, pattern=SKU_PATTERN)
    gtin: str | None = Field(
        default=None, description="GTIN-8/12/13/14 (EAN), check digit verified"
    )
    size: str = Field(default="", max_length=30)
    colour: str = Field(default="", max_length=60)
    price_minor: int | None = Field(
        default=None,
        ge=0,
        le=MAX_AMOUNT_MINOR,
        description="List price in minor units (cents) of the price book",
    )


class ProductIn(RequestModel):
    """A product with its variants."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=60, pattern=SKU_PATTERN)
    name: str = Field(min_length=1, max_length=300)
    category: str = Field(min_length=1, max_length=200)
    brand: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=2000)
    variants: list[VariantIn] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _distinct_skus(self) -> ProductIn:
        skus = [variant.sku for variant in self.variants]
        if len(set(skus)) != len(skus):
            raise ValueError("each variant needs its own SKU")
        return self


class VariantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    gtin: str | None
    size: str
    colour: str
    active: bool
    price_minor: int | None = None
    currency: str | None = None


class ProductOut(BaseModel):
    id: str
    code: str
    name: str
    category: str
    brand: str
    description: str
    created_at: datetime
    variants: list[VariantOut]
