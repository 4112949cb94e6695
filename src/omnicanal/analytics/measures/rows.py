"""The order and location facts other modules' figures read (customer value, the pages'
maps)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.models import LocationFact, OrderFact
from omnicanal.platform.clock import as_utc

__all__ = ["Place", "Purchase", "places", "purchases"]


@dataclass(frozen=True)
class Purchase:
    """A recognised customer's order that was not cancelled."""

    customer_ref: str
    placed_at: datetime
    day: date
    total_minor: int
    currency: str
    store: str
    channel: str


def purchases(session: Session, scope: Scope) -> list[Purchase]:
    """The recognised, not cancelled orders placed on the scope's days, at its stores and on
    its channels (none given: all), oldest first."""
    order = OrderFact
    query = select(
        order.customer_ref,
        order.placed_at,
        order.day,
        order.total_minor,
        order.currency,
        order.store,
        order.channel,
    ).where(
        order.day.between(scope.start, scope.end),
        order.customer_ref.is_not(None),
        order.cancelled_at.is_(None),
    )
    if scope.stores:
        query = query.where(order.store.in_(scope.stores))
    if scope.channels:
        query = query.where(order.channel.in_(scope.channels))
    query = query.order_by(order.placed_at, order.order_id)
    return [
        Purchase(
            customer_ref=row.customer_ref,
            placed_at=as_utc(row.placed_at),
            day=row.day,
            total_minor=row.total_minor,
            currency=row.currency,
            store=row.store,
            channel=row.channel,
        )
        for row in session.execute(query)
    ]


@dataclass(frozen=True)
class Place:
    """A location as the measures compare it."""

    code: str
    name: str
    kind: str
    timezone: str
    city: str | None
    latitude: float | None
    longitude: float | None


def places(session: Session) -> list[Place]:
    """Every location the facts know, by code."""
    return [
        Place(
            code=row.code,
            name=row.name,
            kind=row.kind,
            timezone=row.timezone,
            city=row.city,
            latitude=row.latitude,
            longitude=row.longitude,
        )
        for row in session.scalars(select(LocationFact).order_by(LocationFact.code))
    ]
