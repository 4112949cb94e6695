"""The events of the network module (``network.*``): channels and locations."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from omnicanal.platform.address import Address
from omnicanal.platform.events import DomainEvent

__all__ = [
    "ChannelCreated",
    "ChannelLocationsSet",
    "LocationCapabilities",
    "LocationOpened",
    "LocationUpdated",
]

_HOURS = {
    "mon": [["10:00", "19:00"]],
    "tue": [["10:00", "19:00"]],
    "wed": [["10:00", "19:00"]],
    "thu": [["10:00", "19:00"]],
    "fri": [["10:00", "19:00"]],
    "sat": [["10:00", "12:30"], ["14:00", "19:00"]],
    "sun": [],
}
_ADDRESS = {
    "name": "",
    "line1": "12 rue de la République",
    "line2": "",
    "postcode": "69002",
    "city": "Lyon",
    "region": "",
    "country": "FR",
    "latitude": 45.7640,
    "longitude": 4.8357,
}


class ChannelCreated(DomainEvent):
    """A sales channel (a second web shop, a marketplace...) was declared."""

    type = "network.channel_created"
    example = {"code": "zalando", "name": "Zalando", "kind": "marketplace"}

    code: str
    name: str
    kind: str

    @property
    def subject(self) -> str:
        return f"channels/{self.code}"


class LocationCapabilities(BaseModel):
    """What a location does: sell over the counter, ship, hand over click & collect orders,
    take returns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sells_in_store: bool
    ships: bool
    click_and_collect: bool
    accepts_returns: bool


class LocationOpened(DomainEvent):
    """A store, warehouse or pickup point opened, attached to the channels it fulfils."""

    type = "network.location_opened"
    example = {
        "id": "01JQ7Z0000000000000000LYON",
        "code": "LYON-01",
        "name": "Lyon Presqu'île",
        "kind": "store",
        "address_line": "12 rue de la République",
        "postcode": "69002",
        "city": "Lyon",
        "country": "FR",
        "latitude": 45.7640,
        "longitude": 4.8357,
        "address": _ADDRESS,
        "timezone": "Europe/Paris",
        "capabilities": {
            "sells_in_store": True,
            "ships": False,
            "click_and_collect": True,
            "accepts_returns": True,
        },
        "channels": ["store", "web"],
        "active": True,
        "opening_hours": _HOURS,
        "created_at": "2025-03-01T08:00:00Z",
    }

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
    capabilities: LocationCapabilities
    channels: list[str]
    active: bool
    created_at: datetime
    opening_hours: dict[str, list[list[str]]] | None = None
    """Given when the location opened with its hours: local ranges by weekday (mon..sun)."""
    address: Address | None = None
    """The address in the shape every module uses (the flat fields above say the same)."""

    @property
    def subject(self) -> str:
        return f"locations/{self.code}"


class LocationUpdated(DomainEvent):
    """A location's name, address, time zone or opening hours changed: what it is now, and
    which of those fields changed."""

    type = "network.location_updated"
    example = {
        "code": "LYON-01",
        "name": "Lyon Presqu'île",
        "address_line": "12 rue de la République",
        "postcode": "69002",
        "city": "Lyon",
        "address": _ADDRESS,
        "timezone": "Europe/Paris",
        "opening_hours": _HOURS,
        "changed": ["opening_hours"],
    }

    code: str
    name: str
    address_line: str
    postcode: str
    city: str
    timezone: str
    opening_hours: dict[str, list[list[str]]] | None
    changed: list[str]
    address: Address | None = None
    """The address in the shape every module uses, coordinates included (``changed`` names
    the columns: address_line, postcode, city, country, latitude, longitude)."""

    @property
    def subject(self) -> str:
        return f"locations/{self.code}"


class ChannelLocationsSet(DomainEvent):
    """The locations that fulfil a channel were replaced, in order of preference."""

    type = "network.channel_locations_set"
    example = {"channel": "web", "locations": ["ENTREPOT-SARAN", "LYON-01"]}

    channel: str
    locations: list[str]

    @property
    def subject(self) -> str:
        return f"channels/{self.channel}"
