"""Use cases of the network module: locations, channels and who fulfils what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicanal.network.errors import ChannelExists, LocationExists, UnknownLocation
from omnicanal.network.events import (
    ChannelCreated,
    ChannelLocationsSet,
    LocationOpened,
    LocationUpdated,
)

# What other modules read of the network (frozen refs, batch lookups), re-exported here.
from omnicanal.network.lookups import ChannelRef as ChannelRef
from omnicanal.network.lookups import LocationRef as LocationRef
from omnicanal.network.lookups import find_location as find_location
from omnicanal.network.lookups import fulfilling_locations as fulfilling_locations
from omnicanal.network.lookups import get_channel as get_channel
from omnicanal.network.lookups import get_location as get_location
from omnicanal.network.lookups import list_locations as list_locations
from omnicanal.network.lookups import locations_by_code as locations_by_code
from omnicanal.network.lookups import locations_by_id as locations_by_id
from omnicanal.network.lookups import reference_changed
from omnicanal.network.lookups import serving_locations as serving_locations
from omnicanal.network.models import Channel, ChannelLocation, Location
from omnicanal.network.schemas import (
    Capabilities,
    ChannelIn,
    ChannelOut,
    LocationIn,
    LocationOut,
    LocationUpdateIn,
    location_address,
)
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.address import Address
from omnicanal.platform.auth import require_location
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import record_event
from omnicanal.platform.paging import DEFAULT_LIMIT, Page, page_of

DEFAULT_CHANNELS = {
    ChannelKind.web: "Web shop",
    ChannelKind.app: "Mobile app",
    ChannelKind.store: "Store tills",
    ChannelKind.call_centre: "Call centre",
    ChannelKind.marketplace: "Marketplaces",
}


def ensure_default_channels(session: Session) -> None:
    """Create the five standard channels if they are missing."""
    existing = set(session.scalars(select(Channel.code)))
    for kind, name in DEFAULT_CHANNELS.items():
        if kind.value not in existing:
            session.add(Channel(code=kind.value, name=name, kind=kind.value))
    session.flush()


def create_channel(session: Session, *, data: ChannelIn, actor: Actor) -> ChannelOut:
    """Declare a channel (a marketplace, a second web shop...)."""
    if session.get(Channel, data.code) is not None:
        raise ChannelExists(f"Channel {data.code!r} already exists.", field="code")
    session.add(Channel(code=data.code, name=data.name, kind=data.kind))
    session.flush()
    record_event(
        session, ChannelCreated(code=data.code, name=data.name, kind=data.kind), actor=actor
    )
    reference_changed(session)
    return ChannelOut(code=data.code, name=data.name, kind=data.kind, locations=[])


def channel_kind(session: Session, code: str) -> str | None:
    """The kind of the channel ``code`` (web, store, marketplace...), None if unknown."""
    return session.scalar(select(Channel.kind).where(Channel.code == code))


def create_location(session: Session, *, data: LocationIn, actor: Actor) -> LocationOut:
    """Open a location and attach it to the channels it fulfils."""
    if session.scalar(select(Location.id).where(Location.code == data.code)) is not None:
        raise LocationExists(f"Location {data.code!r} already exists.", field="code")
    for code in data.channels:
        get_channel(session, code)
    location = Location(
        code=data.code,
        name=data.name,
        kind=data.kind.value,
        address_line=data.address.line1,
        postcode=data.address.postcode,
        city=data.address.city,
        country=data.address.country,
        # LocationIn refuses an address without coordinates.
        latitude=data.address.latitude,
        longitude=data.address.longitude,
        timezone=data.timezone,
        opening_hours=data.opening_hours,
        **data.capabilities.model_dump(),
    )
    session.add(location)
    session.flush()
    for code in data.channels:
        session.add(ChannelLocation(channel_code=code, location_id=location.id))
    session.flush()
    out = location_out(location, data.channels)
    # The hours are written to the event only when the location opened with some.
    opened = out.model_dump(
        exclude={"updated_at", "opening_hours"} if out.opening_hours is None else {"updated_at"}
    )
    record_event(
        session, LocationOpened.model_validate({**opened, **_flat(out.address)}), actor=actor
    )
    reference_changed(session)  # the channels it fulfils serve it from now on
    return out


ADDRESS_COLUMNS = {
    "line1": "address_line",
    "postcode": "postcode",
    "city": "city",
    "country": "country",
    "latitude": "latitude",
    "longitude": "longitude",
}
"""The fields of a location's address and the columns that keep them."""
_DESCRIBED = ("name", *ADDRESS_COLUMNS.values(), "timezone", "opening_hours")


def _flat(address: Address) -> dict[str, Any]:
    """The flat address fields the location events carried before ``address``, kept for
    the subscribers that read them."""
    return {column: getattr(address, field) for field, column in ADDRESS_COLUMNS.items()}


def update_location(
    session: Session, *, code: str, data: LocationUpdateIn, actor: Actor
) -> LocationOut:
    """Change a location's name, address, time zone or opening hours (a store key: its own
    store's only); a field left out keeps its value."""
    location = session.scalar(select(Location).where(Location.code == code).with_for_update())
    if location is None:
        raise UnknownLocation(f"No location has the code {code!r}.", field="location")
    require_location(actor, location.id, location.code)
    given: dict[str, Any] = {
        name: getattr(data, name)
        for name in ("name", "timezone", "opening_hours")
        if name in data.model_fields_set
    }
    if data.address is not None:  # the address fields given, the others kept
        for field in data.address.model_fields_set & ADDRESS_COLUMNS.keys():
            given[ADDRESS_COLUMNS[field]] = getattr(data.address, field)
    changed: list[str] = []
    for name in _DESCRIBED:
        if name not in given:
            continue
        value = given[name]
        if value is None and name != "opening_hours":
            continue  # null for a name or an address keeps it: only the hours can be unknown
        if getattr(location, name) != value:
            setattr(location, name, value)
            changed.append(name)
    session.flush()
    if changed:
        reference_changed(session)
        address = address_of(location)
        record_event(
            session,
            LocationUpdated(
                code=location.code,
                name=location.name,
                address_line=location.address_line,
                postcode=location.postcode,
                city=location.city,
                address=address,
                timezone=location.timezone,
                opening_hours=location.opening_hours,
                changed=changed,
            ),
            actor=actor,
        )
    return get_location_view(session, code)


def address_of(location: Location) -> Address:
    """A location's address columns in the one address shape."""
    return location_address(
        address_line=location.address_line,
        postcode=location.postcode,
        city=location.city,
        country=location.country,
        latitude=location.latitude,
        longitude=location.longitude,
    )


def location_out(location: Location, channels: list[str]) -> LocationOut:
    return LocationOut(
        id=location.id,
        code=location.code,
        name=location.name,
        kind=location.kind,
        address=address_of(location),
        timezone=location.timezone,
        capabilities=Capabilities(
            sells_in_store=location.sells_in_store,
            ships=location.ships,
            click_and_collect=location.click_and_collect,
            accepts_returns=location.accepts_returns,
        ),
        channels=channels,
        active=location.active,
        opening_hours=location.opening_hours,
        created_at=location.created_at,
        updated_at=location.updated_at,
    )


def location_page(
    session: Session,
    *,
    kind: str | None = None,
    active: bool | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
) -> Page[LocationOut]:
    """One page of locations with their channels, newest first (or by change time with
    ``updated_since``); ``kind`` and ``active`` narrow it."""
    query = select(Location)
    if kind is not None:
        query = query.where(Location.kind == kind)
    if active is not None:
        query = query.where(Location.active.is_(active))
    paged = page_of(
        session,
        query,
        key=Location.id,
        changed=Location.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    channels: dict[str, list[str]] = {location.id: [] for location in paged.rows}
    if channels:
        for location_id, code in session.execute(
            select(ChannelLocation.location_id, ChannelLocation.channel_code)
            .where(ChannelLocation.location_id.in_(list(channels)))
            .order_by(ChannelLocation.channel_code)
        ):
            channels[location_id].append(code)
    return paged.page([location_out(location, channels[location.id]) for location in paged.rows])


def get_location_view(session: Session, code: str) -> LocationOut:
    """One location with its channels, or :class:`UnknownLocation`."""
    location = session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise UnknownLocation(f"No location has the code {code!r}.", field="location")
    channels = session.scalars(
        select(ChannelLocation.channel_code)
        .where(ChannelLocation.location_id == location.id)
        .order_by(ChannelLocation.channel_code)
    )
    return location_out(location, list(channels))


def set_channel_locations(
    session: Session, *, channel_code: str, location_codes: list[str], actor: Actor
) -> ChannelOut:
    """Replace the set of locations that fulfil a channel (order = preference)."""
    channel = get_channel(session, channel_code)
    locations = locations_by_code(session, location_codes)
    before: set[str] = set()
    for link in session.scalars(
        select(ChannelLocation).where(ChannelLocation.channel_code == channel_code)
    ):
        before.add(link.location_id)
        session.delete(link)
    session.flush()
    # A location shows its channels: one that leaves or joins this one changed for a sync.
    touched = before ^ {location.id for location in locations.values()}
    if touched:
        session.execute(
            update(Location).where(Location.id.in_(sorted(touched))).values(updated_at=utcnow())
        )
    for priority, code in enumerate(location_codes):
        session.add(
            ChannelLocation(
                channel_code=channel_code, location_id=locations[code].id, priority=priority
            )
        )
    session.flush()
    record_event(
        session, ChannelLocationsSet(channel=channel_code, locations=location_codes), actor=actor
    )
    reference_changed(session)
    return ChannelOut(
        code=channel.code, name=channel.name, kind=channel.kind, locations=location_codes
    )


def list_channels(session: Session) -> list[ChannelOut]:
    links: dict[str, list[str]] = {}
    rows = session.execute(
        select(ChannelLocation.channel_code, Location.code)
        .join(Location, Location.id == ChannelLocation.location_id)
        .order_by(ChannelLocation.channel_code, ChannelLocation.priority, Location.code)
    )
    for channel_code, location_code in rows:
        links.setdefault(channel_code, []).append(location_code)
    return [
        ChannelOut(code=c.code, name=c.name, kind=c.kind, locations=links.get(c.code, []))
        for c in session.scalars(select(Channel).order_by(Channel.code))
    ]
