"""Input and output shapes of the network module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from omnicanal.platform.bounds import RequestModel


class LocationKind(StrEnum):
    store = "store"
    warehouse = "warehouse"
    dark_store = "dark_store"
    pickup_point = "pickup_point"
    outlet = "outlet"


class Capabilities(RequestModel):
    sells_in_store: bool = False
    ships: bool = False
    click_and_collect: bool = False
    accepts_returns: bool = False


class LocationIn(RequestModel):
    """A location to create."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: LocationKind
    address_line: str = Field(default="", max_length=300)
    postcode: str = Field(default="", max_length=20)
    city: str = Field(default="", max_length=100)
    country: str = Field(default="FR", min_length=2, max_length=2)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    capabilities: Capabilities = Capabilities()
    channels: list[str] = Field(
        default_factory=list, description="Channel codes whose orders this location fulfils."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA timezone {value!r}") from error
        return value


class LocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    kind: str
    address_line: str
    postcode: str
    city: str
    country: str
    latitude: float
    longitude: float
    timezone: str
    capabilities: Capabilities
    channels: list[str]
    active: bool
    created_at: datetime


class ChannelIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern=r"^(web|app|store|call_centre|marketplace)$")


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str
    locations: list[str]
