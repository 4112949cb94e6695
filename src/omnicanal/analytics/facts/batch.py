"""One batch of events' facts: read in one query per table, changed in memory by the
handlers, written back in one multi-row statement per table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Executable, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from omnicanal.analytics.models import (
    NONE,
    BusinessFact,
    CartFact,
    CostFact,
    DailyMeasure,
    FulfilmentFact,
    LocationFact,
    MomentFact,
    OrderFact,
    StockFact,
)
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import dialect_insert
from omnicanal.platform.events import Event

__all__ = [
    "ANONYMOUS",
    "NONE",
    "RECOGNISED",
    "STORE_KINDS",
    "Batch",
    "Keeping",
    "Measure",
    "Moment",
    "Names",
    "Place",
    "load_batch",
    "note_business",
    "segment_of",
    "source_location",
    "write_batch",
    "zone_named",
]

RECOGNISED, ANONYMOUS = "recognised", "anonymous"
STORE_KINDS = frozenset({"store", "outlet"})
"""The kinds of location that are shops: a parcel sent from one is shipped from a store."""


class Measure(StrEnum):
    """The additive measures of ``kpi_daily``; money in minor units of the business's
    currency, durations in milliseconds."""

    orders = "orders"
    units = "units"
    sales_minor = "sales_minor"
    sales_orders = "sales_orders"
    """Orders in the business's currency: the average basket's denominator."""
    cancelled_orders = "cancelled_orders"
    cancelled_units = "cancelled_units"
    cancelled_minor = "cancelled_minor"
    click_and_collect_orders = "click_and_collect_orders"
    home_delivery_orders = "home_delivery_orders"
    ship_from_store_orders = "ship_from_store_orders"
    cart_orders = "cart_orders"
    cross_channel_orders = "cross_channel_orders"
    store_sales = "store_sales"
    """Orders placed at a till or a counter."""
    till_sync_ms = "till_sync_ms"
    till_syncs = "till_syncs"
    pickup_lead_ms = "pickup_lead_ms"
    pickup_leads = "pickup_leads"
    pickup_wait_ms = "pickup_wait_ms"
    pickup_waits = "pickup_waits"
    units_sold = "units_sold"
    reservations = "reservations"
    reservations_expired = "reservations_expired"
    reservations_released = "reservations_released"
    reservations_confirmed = "reservations_confirmed"
    lines_rejected = "lines_rejected"
    returned_units = "returned_units"
    returned_orders = "returned_orders"
    refunds = "refunds"
    refunded_minor = "refunded_minor"
    exchanges = "exchanges"
    return_answers = "return_answers"
    return_satisfied = "return_satisfied"
    messages_decided = "messages_decided"
    messages_situation_changed = "messages_situation_changed"


class Moment(StrEnum):
    """The kinds of ``kpi_moments`` row."""

    reservation_expired = "reservation_expired"
    line_rejected = "line_rejected"
    till_sync = "till_sync"


def segment_of(customer_ref: str | None) -> str:
    """``recognised`` when a customer is named, else ``anonymous``."""
    return RECOGNISED if customer_ref else ANONYMOUS


@dataclass(frozen=True)
class Keeping:
    """What the facts are kept with: the business's zone and currency, and when each event
    was received (None: now, as the consumer handles it; a rebuild says when it was)."""

    zone: ZoneInfo
    currency: str
    received: Callable[[Event], datetime] | None = None


@dataclass
class Place:
    """A location as a batch credits to it: its time zone and its kind."""

    zone: ZoneInfo
    kind: str


DayKey = tuple[date, str, str, str, str]


@dataclass
class Batch:
    """The facts one batch of events reads and changes."""

    session: Session
    keeping: Keeping
    now: datetime
    places: dict[str, Place]
    orders: dict[str, OrderFact]
    fulfilments: dict[str, FulfilmentFact]
    carts: dict[str, str]
    costs: dict[str, tuple[str, int]]
    sums: Counter[DayKey] = field(default_factory=Counter)
    stock: dict[tuple[str, str], tuple[int, datetime]] = field(default_factory=dict)
    new_carts: list[dict[str, Any]] = field(default_factory=list)
    new_costs: dict[str, dict[str, Any]] = field(default_factory=dict)
    moments: list[dict[str, Any]] = field(default_factory=list)

    def zone(self, store: str) -> ZoneInfo:
        place = self.places.get(store)
        return place.zone if place is not None else self.keeping.zone

    def day(self, moment: datetime, store: str) -> date:
        """The local day of ``moment`` where ``store`` is (the business's without one)."""
        return moment.astimezone(self.zone(store)).date()

    def is_store(self, code: str) -> bool:
        place = self.places.get(code)
        return place is not None and place.kind in STORE_KINDS

    def add(
        self, day: date, store: str, channel: str, segment: str, measure: Measure, value: int = 1
    ) -> None:
        if value:
            self.sums[(day, store, channel, segment, measure.value)] += value

    def add_to_order(self, order: OrderFact, measure: Measure, value: int = 1) -> None:
        """Credit ``measure`` to the day and dimensions of the order."""
        self.add(order.day, order.store, order.channel, order.segment, measure, value)

    def moment(
        self, event: Event, kind: Moment, location: str, seconds: float | None = None
    ) -> None:
        self.moments.append(
            {
                "event_id": event.id,
                "kind": kind.value,
                "location": location,
                "at": event.time,
                "seconds": seconds,
            }
        )


@dataclass(frozen=True)
class Names:
    """What a batch's events name: the facts to read before handling them."""

    orders: set[str] = field(default_factory=set)
    fulfilments: set[str] = field(default_factory=set)
    carts: set[str] = field(default_factory=set)
    skus: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)


def zone_named(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The IANA zone ``name``; ``default`` for none or a name no zone has."""
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def source_location(source: str) -> tuple[str, str | None]:
    """The channel and the store an event's source names (``/channels/store/locations/X``)."""
    parts = source.strip("/").split("/")
    channel = parts[1] if len(parts) >= 2 and parts[0] == "channels" else ""
    if len(parts) >= 4 and parts[2] == "locations" and parts[3]:
        return channel, parts[3]
    return channel, None


def load_batch(session: Session, keeping: Keeping, names: Names) -> Batch:
    """The facts the batch's events name, read in one query per table (none for a table it
    names nothing of)."""
    places: dict[str, Place] = {}
    if names.places:
        places = {
            row.code: Place(zone_named(row.timezone, keeping.zone), row.kind)
            for row in session.execute(
                select(LocationFact.code, LocationFact.timezone, LocationFact.kind).where(
                    LocationFact.code.in_(names.places)
                )
            )
        }
    orders: dict[str, OrderFact] = {}
    if names.orders:
        orders = {
            row.order_id: row
            for row in session.scalars(
                select(OrderFact).where(OrderFact.order_id.in_(names.orders))
            )
        }
    fulfilments: dict[str, FulfilmentFact] = {}
    if names.fulfilments:
        fulfilments = {
            row.fulfilment_id: row
            for row in session.scalars(
                select(FulfilmentFact).where(FulfilmentFact.fulfilment_id.in_(names.fulfilments))
            )
        }
    carts: dict[str, str] = {}
    if names.carts:
        carts = {
            row.cart_id: row.channel
            for row in session.execute(
                select(CartFact.cart_id, CartFact.channel).where(CartFact.cart_id.in_(names.carts))
            )
        }
    costs: dict[str, tuple[str, int]] = {}
    if names.skus:
        costs = {
            row.sku: (row.currency, row.cost_minor)
            for row in session.execute(
                select(CostFact.sku, CostFact.currency, CostFact.cost_minor).where(
                    CostFact.sku.in_(names.skus)
                )
            )
        }
    return Batch(session, keeping, utcnow(), places, orders, fulfilments, carts, costs)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


@cache
def _upserts(dialect: str) -> dict[str, Executable]:
    """The statements that write a batch, built once per database kind and run with the
    batch's rows (one compiled statement, however many rows)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    daily, stock = insert(_table(DailyMeasure)), insert(_table(StockFact))
    costs = insert(_table(CostFact))
    return {
        # Added to, never overwritten: two workers counting the same key add theirs.
        "daily": daily.on_conflict_do_update(
            index_elements=["day", "store", "channel", "segment", "measure"],
            set_={"value": daily.table.c.value + daily.excluded.value},
        ),
        "stock": stock.on_conflict_do_update(
            index_elements=["sku", "location"],
            set_={"on_hand": stock.excluded.on_hand, "updated_at": stock.excluded.updated_at},
            # An older level told late (a replay, a slow worker) does not undo a newer one.
            where=stock.table.c.updated_at <= stock.excluded.updated_at,
        ),
        "costs": costs.on_conflict_do_update(
            index_elements=["sku"],
            set_={"currency": costs.excluded.currency, "cost_minor": costs.excluded.cost_minor},
        ),
        "carts": insert(_table(CartFact)).on_conflict_do_nothing(),
        "moments": insert(_table(MomentFact)).on_conflict_do_nothing(),
    }


def write_batch(batch: Batch) -> None:
    """Write what the batch added up: one upsert per key, in key order (two workers adding
    to the same days lock their rows in the same order)."""
    session = batch.session
    upserts = _upserts(session.get_bind().dialect.name)
    rows: dict[str, list[dict[str, Any]]] = {
        "daily": [
            {
                "day": k[0],
                "store": k[1],
                "channel": k[2],
                "segment": k[3],
                "measure": k[4],
                "value": v,
            }
            for k, v in sorted(batch.sums.items())
            if v
        ],
        "stock": [
            {"sku": sku, "location": location, "on_hand": on_hand, "updated_at": at}
            for (sku, location), (on_hand, at) in sorted(batch.stock.items())
        ],
        "costs": [batch.new_costs[sku] for sku in sorted(batch.new_costs)],
        "carts": batch.new_carts,
        "moments": batch.moments,
    }
    for name, values in rows.items():
        if values:
            session.execute(upserts[name], values)


def note_business(session: Session, keeping: Keeping) -> None:
    """Record the zone and currency the facts are kept with (the measures read them)."""
    statement = dialect_insert(session)(BusinessFact).values(
        id=1, timezone=keeping.zone.key, currency=keeping.currency
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={"timezone": statement.excluded.timezone, "currency": statement.excluded.currency},
        )
    )
