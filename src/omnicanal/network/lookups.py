"""What other modules read of the network: frozen read models and batch lookups.

Other modules never see the network's tables or ORM rows. They look locations and channels
up here (one query for a whole batch), keep the ids to query their own tables, and map ids
back to codes with the same refs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from omnicanal.network.errors import UnknownChannel, UnknownLocation
from omnicanal.network.models import Channel, ChannelLocation, Location
from omnicanal.platform.cache import Cached

__all__ = [
    "ChannelRef",
    "LocationPoint",
    "LocationRef",
    "find_location",
    "fulfilling_locations",
    "get_channel",
    "get_location",
    "list_locations",
    "location_points",
    "locations_by_code",
    "locations_by_id",
    "reference_changed",
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


# Channels and locations kept in the process (platform/cache.py): a reservation reads its
# channel and the locations serving it without a round trip. A change made in this process
# shows at once (the use cases that record network.* events call reference_changed); one
# made by another process, within the TTL.
CHANNELS: Cached[str, ChannelRef] = Cached("network.channels", ttl_seconds=10)
SERVING: Cached[str, tuple[tuple[str, str], ...]] = Cached(
    "network.serving_locations", ttl_seconds=10
)
LOCATIONS_BY_CODE: Cached[str, LocationRef] = Cached("network.locations_by_code", ttl_seconds=10)
FULFILLING: Cached[str, tuple[LocationRef, ...]] = Cached(
    "network.fulfilling_locations", ttl_seconds=10
)


def reference_changed(session: Session) -> None:
    """``session`` changes channels or locations: the cached ones are dropped (now and at
    the end of its transaction) and it reads the database itself until then."""
    for cached in (CHANNELS, SERVING, LOCATIONS_BY_CODE, FULFILLING, POINTS):
        cached.changed(session)


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

    def load() -> ChannelRef | None:
        row = session.execute(
            select(Channel.code, Channel.name, Channel.kind).where(Channel.code == code)
        ).first()
        return ChannelRef(*row) if row is not None else None

    channel = CHANNELS.get(session, code, load)
    if channel is None:
        raise UnknownChannel(f"No channel has the code {code!r}.", field="channel")
    return channel


def get_location(session: Session, code: str) -> LocationRef:
    """The location with this code, or :class:`UnknownLocation`."""

    def load() -> LocationRef | None:
        row = session.execute(_locations().where(Location.code == code)).first()
        return LocationRef(*row) if row is not None else None

    location = LOCATIONS_BY_CODE.get(session, code, load)
    if location is None:
        raise UnknownLocation(f"No location has the code {code!r}.", field="location")
    return location


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

    def load() -> tuple[LocationRef, ...]:
        rows = session.execute(
            _locations()
            .join(ChannelLocation, ChannelLocation.location_id == Location.id)
            .where(ChannelLocation.channel_code == channel_code, Location.active.is_(True))
            .order_by(ChannelLocation.priority, Location.code)
        )
        return tuple(LocationRef(*row) for row in rows)

    return list(FULFILLING.get(session, channel_code, load) or ())


def serving_locations(
    session: Session, channel_code: str
) -> tuple[ChannelRef, list[tuple[str, str]]]:
    """A channel and the (id, code) of the active locations that fulfil it, preferred first."""
    channel = get_channel(session, channel_code)

    def load() -> tuple[tuple[str, str], ...]:
        rows = session.execute(
            select(Location.id, Location.code)
            .join(ChannelLocation, ChannelLocation.location_id == Location.id)
            .where(ChannelLocation.channel_code == channel_code, Location.active.is_(True))
            .order_by(ChannelLocation.priority, Location.code)
        )
        return tuple((location_id, code) for location_id, code in rows)

    serving = SERVING.get(session, channel_code, load)
    return channel, list(serving or ())


LocationPoint = tuple[str, str, float, float]
"""(id, code, latitude, longitude): what a read over hundreds of locations needs of each."""


def _point_statements() -> dict[str, Select[*tuple[Any, ...]]]:
    # Built once: on a read this hot, building the statement costs as much as running it.
    table, links = Location.__table__.c, ChannelLocation.__table__.c
    points = select(table.id, table.code, table.latitude, table.longitude)
    return {
        "codes": points.where(table.code.in_(bindparam("codes", expanding=True))),
        "channel": points.join(ChannelLocation, links.location_id == table.id)
        .where(links.channel_code == bindparam("channel"), table.active.is_(True))
        .order_by(links.priority, table.code),
        "active": points.where(table.active.is_(True)).order_by(table.code),
    }


_POINTS = _point_statements()
POINTS: Cached[str, tuple[LocationPoint, ...]] = Cached("network.location_points", ttl_seconds=10)
"""The points of every active location (key "") and of those fulfilling each channel."""


def location_points(
    session: Session, *, codes: Sequence[str] | None = None, channel_code: str | None = None
) -> list[LocationPoint]:
    """The locations with these codes (in that order, each once; raises for an unknown one),
    else those fulfilling the channel (as :func:`fulfilling_locations`), else every active
    one by code: four columns, no read model built per row."""
    connection = session.connection()

    def load(channel_code: str | None) -> tuple[LocationPoint, ...]:
        if channel_code is None:
            rows = connection.execute(_POINTS["active"])
        else:
            rows = connection.execute(_POINTS["channel"], {"channel": channel_code})
        return tuple((*row,) for row in rows)

    if codes is not None:
        wanted = list(dict.fromkeys(codes))
        # The active ones from the cached points; an inactive or unknown code is looked up.
        active = POINTS.get(session, "", lambda: load(None)) or ()
        found: dict[str, LocationPoint] = {row[1]: row for row in active}
        rest = [code for code in wanted if code not in found]
        for start in range(0, len(rest), CHUNK):
            chunk = {"codes": rest[start : start + CHUNK]}
            found.update((row[1], row) for row in connection.execute(_POINTS["codes"], chunk))
        missing = [code for code in sorted(wanted) if code not in found]
        if missing:
            raise UnknownLocation(
                f"No location has the code {missing[0]!r}.", field="location", unknown=missing
            )
        return [found[code] for code in wanted]
    if channel_code is not None:
        get_channel(session, channel_code)

    return list(POINTS.get(session, channel_code or "", lambda: load(channel_code)) or ())
