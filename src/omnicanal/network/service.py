"""Use cases of the network module: locations, channels and who fulfils what."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.network.errors import ChannelExists, LocationExists, UnknownChannel, UnknownLocation
from omnicanal.network.models import Channel, ChannelLocation, Location
from omnicanal.network.schemas import (
    Capabilities,
    ChannelIn,
    ChannelOut,
    LocationIn,
    LocationOut,
)
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.events import record_event

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
        session,
        type="network.channel_created",
        subject=f"channels/{data.code}",
        data=data.model_dump(),
        actor=actor,
    )
    return ChannelOut(code=data.code, name=data.name, kind=data.kind, locations=[])


def get_channel(session: Session, code: str) -> Channel:
    channel = session.get(Channel, code)
    if channel is None:
        raise UnknownChannel(f"No channel has the code {code!r}.", field="channel")
    return channel


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
        address_line=data.address_line,
        postcode=data.postcode,
        city=data.city,
        country=data.country.upper(),
        latitude=data.latitude,
        longitude=data.longitude,
        timezone=data.timezone,
        **data.capabilities.model_dump(),
    )
    session.add(location)
    session.flush()
    for code in data.channels:
        session.add(ChannelLocation(channel_code=code, location_id=location.id))
    session.flush()
    out = location_out(location, data.channels)
    record_event(
        session,
        type="network.location_opened",
        subject=f"locations/{location.code}",
        data=out.model_dump(mode="json"),
        actor=actor,
    )
    return out


def location_out(location: Location, channels: list[str]) -> LocationOut:
    return LocationOut(
        id=location.id,
        code=location.code,
        name=location.name,
        kind=location.kind,
        address_line=location.address_line,
        postcode=location.postcode,
        city=location.city,
        country=location.country,
        latitude=location.latitude,
        longitude=location.longitude,
        timezone=location.timezone,
        capabilities=Capabilities(
            sells_in_store=location.sells_in_store,
            ships=location.ships,
            click_and_collect=location.click_and_collect,
            accepts_returns=location.accepts_returns,
        ),
        channels=channels,
        active=location.active,
        created_at=location.created_at,
    )


def get_location(session: Session, code: str) -> Location:
    """The location with this code, or :class:`UnknownLocation`."""
    location = session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise UnknownLocation(f"No location has the code {code!r}.", field="location")
    return location


def locations_by_code(session: Session, codes: Iterable[str]) -> dict[str, Location]:
    """The locations with these codes; raises for the first unknown one."""
    wanted = sorted(set(codes))
    found = {
        location.code: location
        for location in session.scalars(select(Location).where(Location.code.in_(wanted)))
    }
    missing = [code for code in wanted if code not in found]
    if missing:
        raise UnknownLocation(
            f"No location has the code {missing[0]!r}.", field="location", unknown=missing
        )
    return found


def list_locations(session: Session) -> list[Location]:
    return list(session.scalars(select(Location).order_by(Location.code)))


def channels_by_location(session: Session) -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    for link in session.scalars(select(ChannelLocation).order_by(ChannelLocation.channel_code)):
        mapping.setdefault(link.location_id, []).append(link.channel_code)
    return mapping


def list_location_views(session: Session) -> list[LocationOut]:
    channels = channels_by_location(session)
    return [location_out(loc, channels.get(loc.id, [])) for loc in list_locations(session)]


def fulfilling_locations(session: Session, channel_code: str) -> list[Location]:
    """Active locations whose stock the channel may sell, preferred first."""
    get_channel(session, channel_code)
    return list(
        session.scalars(
            select(Location)
            .join(ChannelLocation, ChannelLocation.location_id == Location.id)
            .where(ChannelLocation.channel_code == channel_code, Location.active.is_(True))
            .order_by(ChannelLocation.priority, Location.code)
        )
    )


def serving_locations(session: Session, channel_code: str) -> tuple[Channel, list[tuple[str, str]]]:
    """A channel and the (id, code) of the active locations that fulfil it, preferred first."""
    channel = get_channel(session, channel_code)
    rows = session.execute(
        select(Location.id, Location.code)
        .join(ChannelLocation, ChannelLocation.location_id == Location.id)
        .where(ChannelLocation.channel_code == channel_code, Location.active.is_(True))
        .order_by(ChannelLocation.priority, Location.code)
    )
    return channel, [(location_id, code) for location_id, code in rows]


def set_channel_locations(
    session: Session, *, channel_code: str, location_codes: list[str], actor: Actor
) -> ChannelOut:
    """Replace the set of locations that fulfil a channel (order = preference)."""
    channel = get_channel(session, channel_code)
    locations = locations_by_code(session, location_codes)
    for link in session.scalars(
        select(ChannelLocation).where(ChannelLocation.channel_code == channel_code)
    ):
        session.delete(link)
    session.flush()
    for priority, code in enumerate(location_codes):
        session.add(
            ChannelLocation(
                channel_code=channel_code, location_id=locations[code].id, priority=priority
            )
        )
    session.flush()
    record_event(
        session,
        type="network.channel_locations_set",
        subject=f"channels/{channel_code}",
        data={"locations": location_codes},
        actor=actor,
    )
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
