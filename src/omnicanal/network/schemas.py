"""Input and output shapes of the network module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from omnicanal.network.hours import check_opening_hours
from omnicanal.platform.address import Address
from omnicanal.platform.bounds import RequestModel

OPENING_HOURS = (
    'Local opening hours by weekday (mon..sun), up to 3 ranges a day: {"mon": [["10:00", '
    '"19:00"]], "sat": [["10:00", "12:30"], ["14:00", "19:00"]], "sun": []}. A day left out '
    "is closed; null: not known."
)
LOCATION_ADDRESS = (
    "Where the location stands: line1, postcode, city, country (ISO 3166-1 alpha-2) and its "
    "coordinates, which sourcing measures distances from. A location keeps no name, line2 or "
    "region in its address (its name is the location's own)."
)
FLAT_ADDRESS = {
    "address_line": "line1",
    "postcode": "postcode",
    "city": "city",
    "country": "country",
    "latitude": "latitude",
    "longitude": "longitude",
}
"""The flat address fields of earlier releases, and where each goes in ``address``."""
UNSTORED = ("name", "line2", "region")
"""Address fields a location has no column for: refused rather than silently dropped."""


def nested_address(data: Any) -> Any:
    """A request body with the deprecated flat fields (``address_line``, ``postcode``,
    ``city``, ``country``, ``latitude``, ``longitude``) moved into ``address``: accepted for
    one more release so that existing clients keep working; a null one is left out."""
    if not isinstance(data, dict):
        return data
    flat = [key for key in FLAT_ADDRESS if key in data]
    if not flat:
        return data
    if data.get("address") is not None:
        raise ValueError(
            "give the address in `address` only, not also as the deprecated " + ", ".join(flat)
        )
    moved = {FLAT_ADDRESS[key]: data[key] for key in flat if data[key] is not None}
    rest = {key: value for key, value in data.items() if key not in FLAT_ADDRESS}
    return {**rest, "address": moved}


def check_location_address(address: Address) -> Address:
    """``address`` unless it carries what a location does not keep (``ValueError``)."""
    unstored = [field for field in UNSTORED if getattr(address, field)]
    if unstored:
        raise ValueError(
            "a location's address keeps line1, postcode, city, country and coordinates; "
            f"leave out {', '.join(unstored)}"
        )
    return address


def location_address(
    *,
    address_line: str,
    postcode: str,
    city: str,
    country: str,
    latitude: float,
    longitude: float,
) -> Address:
    """A location's stored address fields in the one address shape."""
    return Address.stored(
        {
            "line1": address_line,
            "postcode": postcode,
            "city": city,
            "country": country,
            "latitude": latitude,
            "longitude": longitude,
        }
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
    """A location to create. Its address comes in ``address``; the flat ``address_line``,
    ``postcode``, ``city``, ``country``, ``latitude`` and ``longitude`` of earlier releases
    are still read into it (deprecated, removed in the next release)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "LYON-01",
                    "name": "Lyon République",
                    "kind": "store",
                    "address": {
                        "line1": "12 rue de la République",
                        "postcode": "69002",
                        "city": "Lyon",
                        "country": "FR",
                        "latitude": 45.7623,
                        "longitude": 4.8361,
                    },
                    "timezone": "Europe/Paris",
                    "capabilities": {
                        "sells_in_store": True,
                        "ships": True,
                        "click_and_collect": True,
                        "accepts_returns": True,
                    },
                    "channels": ["web", "app", "store"],
                    "opening_hours": {"mon": [["10:00", "19:00"]], "sat": [["10:00", "19:30"]]},
                }
            ]
        },
    )

    code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: LocationKind
    address: Address = Field(description=LOCATION_ADDRESS)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    capabilities: Capabilities = Capabilities()
    channels: list[str] = Field(
        default_factory=list, description="Channel codes whose orders this location fulfils."
    )
    opening_hours: dict[str, list[list[str]]] | None = Field(
        default=None, description=OPENING_HOURS
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_address(cls, data: Any) -> Any:
        return nested_address(data)

    @field_validator("address")
    @classmethod
    def _placed(cls, value: Address) -> Address:
        if value.coordinates is None:
            raise ValueError("a location's address needs its latitude and longitude")
        return check_location_address(value)

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
    left out keeps its value, within ``address`` too; ``opening_hours: null`` forgets the
    hours. The flat ``address_line``, ``postcode`` and ``city`` of earlier releases are still
    read into ``address`` (deprecated, removed in the next release)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: Address | None = Field(
        default=None,
        description="The address fields given change (coordinates: both or neither); "
        "the others keep their value",
    )
    timezone: str | None = Field(default=None, max_length=64)
    opening_hours: dict[str, list[list[str]]] | None = Field(
        default=None, description=OPENING_HOURS
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_address(cls, data: Any) -> Any:
        return nested_address(data)

    @field_validator("address")
    @classmethod
    def _storable(cls, value: Address | None) -> Address | None:
        return None if value is None else check_location_address(value)

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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "01JTA7P9X2Y3Z4A5B6C7D8E9F0",
                    "code": "LYON-01",
                    "name": "Lyon République",
                    "kind": "store",
                    "address": {
                        "name": "",
                        "line1": "12 rue de la République",
                        "line2": "",
                        "postcode": "69002",
                        "city": "Lyon",
                        "region": "",
                        "country": "FR",
                        "latitude": 45.7623,
                        "longitude": 4.8361,
                    },
                    "timezone": "Europe/Paris",
                    "capabilities": {
                        "sells_in_store": True,
                        "ships": True,
                        "click_and_collect": True,
                        "accepts_returns": True,
                    },
                    "channels": ["web", "app", "store"],
                    "active": True,
                    "opening_hours": {"mon": [["10:00", "19:00"]], "sat": [["10:00", "19:30"]]},
                    "created_at": "2026-05-04T09:10:00Z",
                    "updated_at": "2026-05-04T09:10:00Z",
                }
            ]
        },
    )

    id: str
    code: str
    name: str
    kind: str
    address: Address = Field(description=LOCATION_ADDRESS)
    timezone: str
    capabilities: Capabilities
    channels: list[str]
    active: bool
    opening_hours: dict[str, list[list[str]]] | None = Field(
        default=None, description=OPENING_HOURS
    )
    created_at: datetime
    updated_at: datetime = Field(
        description="When the location, its capabilities or its channels last changed"
    )


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
