"""Tables of the network module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime


class Location(Base):
    """A place that holds stock or serves customers: a store, a warehouse, a pickup point."""

    __tablename__ = "locations"
    __table_args__ = (Index("ix_locations_changed", "updated_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    address_line: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    sells_in_store: Mapped[bool] = mapped_column(default=False)
    ships: Mapped[bool] = mapped_column(default=False)
    click_and_collect: Mapped[bool] = mapped_column(default=False)
    accepts_returns: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    opening_hours: Mapped[dict[str, list[list[str]]] | None] = mapped_column(JSON, nullable=True)
    """Local opening hours by weekday: ``{"mon": [["10:00", "19:00"]], "sun": []}``."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Channel(Base):
    """A sales channel: the web shop, the app, the stores' tills, a marketplace..."""

    __tablename__ = "channels"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ChannelLocation(Base):
    """A location whose stock a channel may sell; lower priority numbers are preferred."""

    __tablename__ = "channel_locations"
    __table_args__ = (UniqueConstraint("channel_code", "location_id"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    channel_code: Mapped[str] = mapped_column(ForeignKey("channels.code"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), index=True)
    priority: Mapped[int] = mapped_column(default=100)
