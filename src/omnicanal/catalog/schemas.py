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

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "ROBE-LIN",
                    "name": "Robe en lin",
                    "category": "Robes",
                    "brand": "Maison Lumière",
                    "description": "Robe midi en lin lavé.",
                    "variants": [
                        {
                            "sku": "ROBE-LIN-S",
                            "gtin": "3761234500014",
                            "size": "S",
                            "colour": "écru",
                            "price_minor": 8900,
                        },
                        {
                            "sku": "ROBE-LIN-M",
                            "gtin": "3761234500021",
                            "size": "M",
                            "colour": "écru",
                            "price_minor": 8900,
                        },
                    ],
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01JTA7PB1C2D3E4F5G6H7J8K9M",
                    "code": "ROBE-LIN",
                    "name": "Robe en lin",
                    "category": "Robes",
                    "brand": "Maison Lumière",
                    "description": "Robe midi en lin lavé.",
                    "created_at": "2026-05-04T09:11:00Z",
                    "updated_at": "2026-05-04T09:11:00Z",
                    "variants": [
                        {
                            "sku": "ROBE-LIN-S",
                            "gtin": "3761234500014",
                            "size": "S",
                            "colour": "écru",
                            "active": True,
                            "price_minor": 8900,
                            "currency": "EUR",
                        },
                        {
                            "sku": "ROBE-LIN-M",
                            "gtin": "3761234500021",
                            "size": "M",
                            "colour": "écru",
                            "active": True,
                            "price_minor": 8900,
                            "currency": "EUR",
                        },
                    ],
                }
            ]
        }
    )

    id: str
    code: str
    name: str
    category: str
    brand: str
    description: str
    created_at: datetime
    updated_at: datetime = Field(
        description="When the product or one of its variants last changed (not its prices: "
        "GET /v1/prices syncs those)"
    )
    variants: list[VariantOut]


class VariantItemOut(BaseModel):
    """A variant (SKU) with its product's code and name, as the variants list shows it."""

    id: str
    sku: str
    gtin: str | None
    product_code: str
    product_name: str
    size: str
    colour: str
    active: bool
    created_at: datetime
    updated_at: datetime = Field(description="When the variant's own fields last changed")


class SkuOut(VariantItemOut):
    """A variant found by its SKU or a scanned GTIN, with its list price when it has one."""

    price_minor: int | None = None
    currency: str | None = None
