"""Input and output shapes of the network module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from omnicanal.network.hours import check_opening_hours
from omnicanal.platform.bounds import RequestModel

OPENING_HOURS = (
    'Local opening hours by weekday (mon..sun), up to 3 ranges a day: {"mon": [["10:00", '
    '"19:00"]], "sat": [["10:00", "12:30"], ["14:00", "19:00"]], "sun": []}. A day left out '
    "is closed; null: not known."
)


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
    opening_hours: dict[str, list[list[str]]] | None = Field(
        default=None, description=OPENING_HOURS
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @field_validator("opening_hours")
    @classmethod
    def _sensible_hours(
        cls, value: dict[str, list[list[str]]] | None
    ) -> dict[str, list[list[str]]] | None:
        return None if value is None else check_opening_hours(value)


def known_timezone(value: str) -> str:
    """``value`` if it names an IANA time zone, else ``ValueError``."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown IANA timezone {value!r}") from error
    return value


class LocationUpdateIn(RequestModel):
    """What changes about a location: its name, address, time zone or opening hours. A field
    left out keeps its value; ``opening_hours: null`` forgets the hours."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address_line: str | None = Field(default=None, max_length=300)
    postcode: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, max_length=64)
    opening_hours: dict[str, list[list[str]]] | None = Field(
        default=None, description=OPENING_HOURS
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        return None if value is None else known_timezone(value)

    @field_validator("opening_hours")
    @classmethod
    def _sensible_hours(
        cls, value: dict[str, list[list[str]]] | None
    ) -> dict[str, list[list[str]]] | None:
        return None if value is None else check_opening_hours(value)


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
    opening_hours: dict[str, list[list[str]]] | None = Field(
        default=None, description=OPENING_HOURS
    )
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
