"""Stock watches: a customer waiting for a SKU to be back at a store.

A channel asks on the customer's behalf (the web shop or the app for its logged-in
customer, a clerk or the call centre for anyone; a store at its own store). When the SKU
comes back at that store (``inventory.back_in_stock``), the ``back_in_stock`` trigger plans
a message for each active watch; once it is sent the watch has done its work and ends. A
message withdrawn because the stock ran out again leaves the watch active, for the next
time. A person watches a SKU at a store once: asking again returns the same watch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicanal.catalog import lookups as catalog
from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement import access
from omnicanal.engagement.errors import UnknownCustomer, UnknownStockWatch
from omnicanal.engagement.models import StockWatch
from omnicanal.engagement.schemas import StockWatchIn, StockWatchOut
from omnicanal.network import lookups as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.db import NO_SYNC

__all__ = [
    "MAX_LISTED",
    "WatchRef",
    "end_watch",
    "get_watch",
    "list_watches",
    "mark_notified",
    "watch_stock",
    "watchers",
]

MAX_LISTED = 500


@dataclass(frozen=True)
class WatchRef:
    """An active watch as the journeys read it."""

    id: str
    profile_id: str
    sku: str
    location_code: str
    created_at: datetime


def watch_out(row: StockWatch) -> StockWatchOut:
    return StockWatchOut(
        id=row.id,
        profile_id=row.profile_id,
        sku=row.sku,
        location=row.location_code,
        channel=row.channel,
        active=row.active,
        created_at=as_utc(row.created_at),
        notified_at=as_utc(row.notified_at) if row.notified_at else None,
    )


def _person(
    session: Session, *, profile_id: str | None, customer_ref: str | None, region: str
) -> str:
    """The person (their profile as it is now) a request names."""
    if profile_id is not None:
        try:
            return customers.profile_root(session, profile_id).id
        except UnknownProfile:
            raise UnknownCustomer(
                f"No profile has the id {profile_id!r}.", field="profile_id"
            ) from None
    assert customer_ref is not None
    found = customers.referenced_profile_id(session, customer_ref=customer_ref, region=region)
    if found is None:
        raise UnknownCustomer(
            "No known customer is filed under this reference.", field="customer_ref"
        )
    return found


def watch_stock(
    session: Session, *, data: StockWatchIn, actor: Actor, region: str, now: datetime | None = None
) -> StockWatchOut:
    """Watch a SKU at a store for a customer (a store key: at its own store); the watch
    they already have there when they asked before."""
    location = access.watch_location(actor, data.location)
    network.get_location(session, location)
    catalog.get_variant(session, data.sku)
    profile_id = _person(
        session, profile_id=data.profile_id, customer_ref=data.customer_ref, region=region
    )
    existing = session.scalar(
        select(StockWatch).where(
            StockWatch.profile_id == profile_id,
            StockWatch.sku == data.sku,
            StockWatch.location_code == location,
            StockWatch.active.is_(True),
        )
    )
    if existing is not None:
        return watch_out(existing)
    row = StockWatch(
        profile_id=profile_id,
        sku=data.sku,
        location_code=location,
        channel=actor.channel[:50],
        active=True,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return watch_out(row)


def list_watches(
    session: Session,
    *,
    actor: Actor,
    region: str,
    profile_id: str | None = None,
    customer_ref: str | None = None,
    sku: str | None = None,
    location: str | None = None,
    active: bool | None = True,
    limit: int = 100,
) -> list[StockWatchOut]:
    """Watches, newest first: a customer's (the web shop and the app: their customer's
    only), of a SKU, at a store (a store key: its own store's)."""
    names_customer = profile_id is not None or customer_ref is not None
    own_store = access.watch_listing(actor, names_customer=names_customer)
    query = select(StockWatch)
    if names_customer:
        person = _person(session, profile_id=profile_id, customer_ref=customer_ref, region=region)
        # The person's watches under any profile merged into them.
        references = customers.customer_references(session, profile_id=person)
        query = query.where(StockWatch.profile_id.in_([person, *references]))
    if own_store is not None:
        if location is not None and location != own_store:
            return []
        location = own_store
    if location is not None:
        query = query.where(StockWatch.location_code == location)
    if sku is not None:
        query = query.where(StockWatch.sku == sku)
    if active is not None:
        query = query.where(StockWatch.active.is_(active))
    rows = session.scalars(
        query.order_by(StockWatch.created_at.desc(), StockWatch.id.desc()).limit(
            max(1, min(limit, MAX_LISTED))
        )
    )
    return [watch_out(row) for row in rows]


def _load(session: Session, watch_id: str) -> StockWatch:
    row = session.get(StockWatch, watch_id)
    if row is None:
        raise UnknownStockWatch(f"No stock watch has the id {watch_id!r}.", field="id")
    return row


def get_watch(session: Session, *, watch_id: str, actor: Actor) -> StockWatchOut:
    """One watch (a store key: one at its store)."""
    row = _load(session, watch_id)
    access.check_watch(actor, access.WatchFacts(id=row.id, location_code=row.location_code))
    return watch_out(row)


def end_watch(session: Session, *, watch_id: str, actor: Actor) -> StockWatchOut:
    """The customer no longer waits: the watch ends (ending it twice changes nothing)."""
    row = _load(session, watch_id)
    access.check_watch(actor, access.WatchFacts(id=row.id, location_code=row.location_code))
    row.active = False
    session.flush()
    return watch_out(row)


def watchers(session: Session, *, sku: str, location_code: str) -> list[WatchRef]:
    """The active watches of a SKU at a store, oldest first."""
    rows = session.scalars(
        select(StockWatch)
        .where(
            StockWatch.sku == sku,
            StockWatch.location_code == location_code,
            StockWatch.active.is_(True),
        )
        .order_by(StockWatch.created_at, StockWatch.id)
    )
    return [
        WatchRef(
            id=row.id,
            profile_id=row.profile_id,
            sku=row.sku,
            location_code=row.location_code,
            created_at=as_utc(row.created_at),
        )
        for row in rows
    ]


def mark_notified(session: Session, *, watch_id: str, now: datetime) -> None:
    """The customer was told the SKU is back: the watch has done its work."""
    session.execute(
        update(StockWatch)
        .where(StockWatch.id == watch_id, StockWatch.active.is_(True))
        .values(active=False, notified_at=now)
        .execution_options(**NO_SYNC)
    )
