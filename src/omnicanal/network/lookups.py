"""What other modules read of the network: frozen read models and batch lookups.

Other modules never see the network's tables or ORM rows. They look locations and channels
up here (one query for a whole batch), keep the ids to query their own tables, and map ids
back to codes with the same refs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from omnicanal.network.errors import UnknownChannel, UnknownLocation
from omnicanal.network.models import Channel, ChannelLocation, Location

__all__ = [
    "ChannelRef",
    "LocationRef",
    "find_location",
    "fulfilling_locations",
    "get_channel",
    "get_location",
    "list_locations",
    "locations_by_code",
    "locations_by_id",
    "serving_locations",
]

CHUNK = 500


@dataclass(frozen=True, slots=True)
class LocationRef:
    """A store, warehouse or pickup point as other modules read it."""

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
    sells_in_store: bool
    ships: bool
    click_and_collect: bool
    accepts_returns: bool
    active: bool
    opening_hours: dict[str, list[list[str]]] | None = None
    """Local opening hours by weekday (``network/hours.py``); None when not known."""


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A sales channel as other modules read it."""

    code: str
    name: str
    kind: str


def _locations() -> Select[*tuple[Any, ...]]:
    return select(
        Location.id,
        Location.code,
        Location.name,
        Location.kind,
        Location.address_line,
        Location.postcode,
        Location.city,
        Location.country,
        Location.latitude,
        Location.longitude,
        Location.timezone,
        Location.sells_in_store,
        Location.ships,
        Location.click_and_collect,
        Location.accepts_returns,
        Location.active,
        Location.opening_hours,
    )


def get_channel(session: Session, code: str) -> ChannelRef:
    """The channel with this code, or :class:`UnknownChannel`."""
    row = session.execute(
        select(Channel.code, Channel.name, Channel.kind).where(Channel.code == code)
    ).first()
    if row is None:
        raise UnknownChannel(f"No channel has the code {code!r}.", field="channel")
    return ChannelRef(*row)


def get_location(session: Session, code: str) -> LocationRef:
    """The location with this code, or :class:`UnknownLocation`."""
    row = session.execute(_locations().where(Location.code == code)).first()
    if row is None:
        raise UnknownLocation(f"No location has the code {code!r}.", field="location")
    return LocationRef(*row)


def find_location(session: Session, code: str) -> LocationRef | None:
    """The location whose code is ``code`` in any case (the exact code first), or None: a
    list filtered by a location code typed by a person."""
    row = session.execute(
        _locations()
        .where(func.lower(Location.code) == code.lower())
        .order_by((Location.code == code).desc(), Location.code)
        .limit(1)
    ).first()
    return LocationRef(*row) if row is not None else None


def locations_by_code(session: Session, codes: Iterable[str]) -> dict[str, LocationRef]:
    """The locations with these codes; raises for the first unknown one."""
    wanted = sorted(set(codes))
    found: dict[str, LocationRef] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in session.execute(_locations().where(Location.code.in_(chunk))):
            location = LocationRef(*row)
            found[location.code] = location
    missing = [code for code in wanted if code not in found]
    if missing:
        raise UnknownLocation(
            f"No location has the code {missing[0]!r}.", field="location", unknown=missing
        )
    return found


def locations_by_id(session: Session, location_ids: Iterable[str]) -> dict[str, LocationRef]:
    """The locations with these ids (ids held by other modules' rows), by id."""
    wanted = sorted(set(location_ids))
    found: dict[str, LocationRef] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in session.execute(_locations().where(Location.id.in_(chunk))):
            location = LocationRef(*row)
            found[location.id] = location
    return found


def list_locations(session: Session) -> list[LocationRef]:
    """Every location, by code."""
    return [LocationRef(*row) for row in session.execute(_locations().order_by(Location.code))]


def fulfilling_locations(session: Session, channel_code: str) -> list[LocationRef]:
    """Active locations whose stock the channel may sell, preferred first."""
    get_channel(session, channel_code)
    rows = session.execute(
        _locations()
        .join(ChannelLocation, ChannelLocation.location_id == Location.id)
        .where(ChannelLocation.channel_code == channel_code, Location.active.is_(True))
        .order_by(ChannelLocation.priority, Location.code)
    )
    return [LocationRef(*row) for row in rows]


def serving_locations(
    session: Session, channel_code: str
) -> tuple[ChannelRef, list[tuple[str, str]]]:
    """A channel and the (id, code) of the active locations that fulfil it, preferred first."""
    channel = get_channel(session, channel_code)
    rows = session.execute(
        select(Location.id, Location.code)
        .join(ChannelLocation, ChannelLocation.location_id == Location.id)
        .where(ChannelLocation.channel_code == channel_code, Location.active.is_(True))
        .order_by(ChannelLocation.priority, Location.code)
    )
    return channel, [(location_id, code) for location_id, code in rows]
