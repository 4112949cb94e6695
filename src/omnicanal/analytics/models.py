"""Tables of the analytics module.

Every table here is written by the module's own consumers from the events (and rebuilt from
the event log by ``omnicanal kpi rebuild``); no other module writes them, and the measures
read nothing else but the public functions of the modules that own a state (ADR 0039).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.db import Base
from omnicanal.platform.types import UtcDateTime

NONE = ""
"""The value of a dimension (store, channel, segment) that does not apply to a fact: an
online order credits no store. A key column cannot be NULL, so it is the empty string."""


class DailyEventCount(Base):
    """How many events of a type each channel produced on a day (UTC)."""

    __tablename__ = "daily_event_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class DailyMeasure(Base):
    """An additive measure of a day, for one store, channel and customer segment: the
    consumers add to it as the events arrive (one upsert per key and batch), and every ratio
    metric is a sum of one measure over a sum of another."""

    __tablename__ = "kpi_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    """The local day where it happened: the store's time zone, else the business's."""
    store: Mapped[str] = mapped_column(String(50), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    segment: Mapped[str] = mapped_column(String(20), primary_key=True)
    measure: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_kpi_daily_measure_day", "measure", "day"),)


class OrderFact(Base):
    """One order as the measures need it: when, where, who, how much; kept up to date by its
    later events (cancelled, completed, returned, refunded, shipped from a store)."""

    __tablename__ = "kpi_orders"

    order_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(50))
    store: Mapped[str] = mapped_column(String(50), default=NONE)
    """The store credited: the till's or counter's store, or the store the customer chose to
    collect or try on in; none for a home delivery ordered online."""
    segment: Mapped[str] = mapped_column(String(20))
    """``recognised`` (the order names a customer) or ``anonymous``."""
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    units: Mapped[int] = mapped_column(Integer)
    lines: Mapped[int] = mapped_column(Integer)
    click_and_collect: Mapped[bool] = mapped_column(Boolean, default=False)
    """A line is collected or tried on in a store (pickup, reserve and try)."""
    endless_aisle: Mapped[bool] = mapped_column(Boolean, default=False)
    ship_from_store: Mapped[bool] = mapped_column(Boolean, default=False)
    cart_channel: Mapped[str | None] = mapped_column(String(50))
    """The channel the cart was started on, when the order came from a cart."""
    cost_minor: Mapped[int | None] = mapped_column(BigInteger)
    """What its units cost the retailer, when every SKU has a known purchase cost."""
    status: Mapped[str] = mapped_column(String(30))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    returned_units: Mapped[int] = mapped_column(Integer, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    cancelled_units: Mapped[int] = mapped_column(Integer, default=0)
    """Units of its lines cancelled (none could be fulfilled, or the order was cancelled)."""
    cancelled_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """What those cancelled units were to be paid, given back."""

    __table_args__ = (
        Index("ix_kpi_orders_day", "day"),
        Index("ix_kpi_orders_customer", "customer_ref", "placed_at"),
    )


class FulfilmentFact(Base):
    """One fulfilment's milestones: the pickup lead time and wait, the no-shows, the lines a
    store could not find."""

    __tablename__ = "kpi_fulfilments"

    fulfilment_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(26))
    method: Mapped[str] = mapped_column(String(30))
    location: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(30))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    collected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    """From the customer's check-in at the store to the handover (none without a
    check-in: the customer was not waiting at the counter)."""
    lead_seconds: Mapped[float | None] = mapped_column(Float)
    """From the order to the moment it was ready to collect."""
    rejected_units: Mapped[int] = mapped_column(Integer, default=0)
    """Units of its lines its location could not fulfil (they do not leave from here)."""
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When its units left our hands (shipped, collected, bought, carried out): they count
    as sold there once, then."""

    __table_args__ = (
        Index("ix_kpi_fulfilments_location_status", "location", "status"),
        Index("ix_kpi_fulfilments_order", "order_id"),
    )


class StockFact(Base):
    """The units on hand of a SKU at a location, as its last stock event told it."""

    __tablename__ = "kpi_stock"

    sku: Mapped[str] = mapped_column(String(60), primary_key=True)
    location: Mapped[str] = mapped_column(String(50), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_kpi_stock_location", "location"),)


class LocationFact(Base):
    """A location as the measures show and compare it: its kind, zone and place."""

    __tablename__ = "kpi_locations"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    timezone: Mapped[str] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CartFact(Base):
    """Where a cart was started, to tell a cross-channel purchase."""

    __tablename__ = "kpi_carts"

    cart_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CostFact(Base):
    """A SKU's purchase cost, as the pricing module's events tell it."""

    __tablename__ = "kpi_costs"

    sku: Mapped[str] = mapped_column(String(60), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    cost_minor: Mapped[int] = mapped_column(BigInteger)


class MomentFact(Base):
    """One operational moment the live view counts by the hour: a reservation that ran out,
    a line a store could not find, a till sale reaching the customer records (with its
    delay). Keyed by the event that told it, so a replay writes it once."""

    __tablename__ = "kpi_moments"

    event_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    location: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    seconds: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_kpi_moments_kind_at", "kind", "at"),)


class BusinessFact(Base):
    """The business's time zone and currency as the consumer kept the facts with them (one
    row): the measures read the money figures' currency and the business's day from it."""

    __tablename__ = "kpi_business"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
