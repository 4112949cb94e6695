"""One postal address shape for every module: where an order ships, where a return goes
back to, where a location stands.

Orders, fulfilments, returns and locations all speak of an address; before this class each
had its own fields (a location's flat ``address_line``, an untyped delivery dictionary), and
a client had to learn three shapes for one idea. The coordinates are optional: a delivery
address may come without them, a location always has them (its module checks that).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from omnicanal.platform.bounds import RequestModel

__all__ = ["Address"]


class Address(RequestModel):
    """A postal address, with coordinates when they are known (sourcing measures distances
    from them)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=200, description="Who receives it")
    line1: str = Field(default="", max_length=300, description="Number and street")
    line2: str = Field(default="", max_length=300, description="Building, floor, company, c/o")
    postcode: str = Field(default="", max_length=20)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100, description="State, province or county")
    country: str = Field(
        default="FR",
        min_length=2,
        max_length=2,
        description="ISO 3166-1 alpha-2 code, upper-case (fr is read as FR)",
    )
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        if not (value.isascii() and value.isalpha()):
            raise ValueError("an ISO 3166-1 alpha-2 country code is two letters, e.g. FR")
        return value.upper()

    @model_validator(mode="after")
    def _both_coordinates(self) -> Address:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self

    @property
    def coordinates(self) -> tuple[float, float] | None:
        """(latitude, longitude), or None when the address came without them."""
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    @classmethod
    def stored(cls, data: dict[str, Any]) -> Address:
        """An address as a table keeps it (checked when it was given, perhaps anonymised
        since): read back as it is, not validated again."""
        return cls.model_construct(**data)
