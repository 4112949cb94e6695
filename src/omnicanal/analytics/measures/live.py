"""The live operations view: pickups waiting now and their age, reservations and lines
failing in the last hour and today, the outbox backlog, the unification and till delays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.analytics.facts import Moment
from omnicanal.analytics.measures.sums import business_of, start_of
from omnicanal.analytics.models import FulfilmentFact, LocationFact, MomentFact
from omnicanal.customers.measures import identity_counts
from omnicanal.fulfilment.states import FulfilmentStatus, Method
from omnicanal.platform.clock import as_utc
from omnicanal.platform.relay import outbox_backlog

__all__ = ["HOUR", "WAITING_SHOWN", "Operations", "WaitingPickup", "operations"]

HOUR = timedelta(hours=1)
WAITING_SHOWN = 200
"""The most waiting pickups listed (the oldest first); ``pickups_waiting`` counts them all."""
_WAITING = (FulfilmentStatus.ready_for_pickup.value, FulfilmentStatus.checked_in.value)


@dataclass(frozen=True)
class WaitingPickup:
    """A click & collect order waiting for its customer at a store, and for how long."""

    fulfilment_id: str
    order_id: str
    store: str
    ready_since: datetime
    checked_in_at: datetime | None
    """When the customer said they had arrived (they wait at the counter since)."""
    age_seconds: float


@dataclass(frozen=True)
class Operations:
    """What the operations view shows now."""

    now: datetime
    pickups: list[WaitingPickup]
    """The pickups waiting now, the longest waiting first (at most ``WAITING_SHOWN``)."""
    pickups_waiting: int
    reservations_expired_last_hour: int
    reservations_expired_today: int
    lines_rejected_last_hour: int
    lines_rejected_today: int
    outbox_backlog: int
    outbox_oldest_age_seconds: float
    """0 when no event waits."""
    unification_delay_seconds: float | None
    """The mean time-to-unification of the merges of the last hour (None: none)."""
    till_crm_delay_seconds: float | None
    """The mean till → customer records delay of the last hour's till sales (None: none)."""


def _today_start(
    session: Session, now: datetime, stores: Sequence[str], zone: ZoneInfo
) -> datetime:
    """Midnight of today: the store's day for one store, else the business's."""
    if len(stores) == 1:
        known = session.scalar(select(LocationFact.timezone).where(LocationFact.code == stores[0]))
        if known:
            zone = ZoneInfo(known)
    return start_of(now.astimezone(zone).date(), zone)


def _moments(
    session: Session, kind: Moment, since: datetime, stores: Sequence[str]
) -> tuple[int, float | None]:
    query = select(func.count(), func.avg(MomentFact.seconds)).where(
        MomentFact.kind == kind.value, MomentFact.at >= since
    )
    if stores:
        query = query.where(MomentFact.location.in_(stores))
    count, mean = session.execute(query).one()
    return int(count), float(mean) if mean is not None else None


def operations(session: Session, *, now: datetime, stores: Sequence[str] = ()) -> Operations:
    """The live view at ``now``, for ``stores`` (none: the whole chain)."""
    now = as_utc(now)
    business = business_of(session)
    fulfilment = FulfilmentFact
    waiting = [
        fulfilment.method == Method.pickup.value,
        fulfilment.status.in_(_WAITING),
        fulfilment.ready_at.is_not(None),
    ]
    if stores:
        waiting.append(fulfilment.location.in_(stores))
    rows = session.scalars(
        select(fulfilment).where(*waiting).order_by(fulfilment.ready_at).limit(WAITING_SHOWN)
    )
    pickups = []
    for row in rows:
        ready = as_utc(row.ready_at) if row.ready_at is not None else now
        pickups.append(
            WaitingPickup(
                fulfilment_id=row.fulfilment_id,
                order_id=row.order_id,
                store=row.location,
                ready_since=ready,
                checked_in_at=as_utc(row.checked_in_at) if row.checked_in_at else None,
                age_seconds=max((now - ready).total_seconds(), 0.0),
            )
        )
    count = session.scalar(select(func.count()).select_from(fulfilment).where(*waiting))
    hour_ago = now - HOUR
    today = _today_start(session, now, stores, business.zone)
    expired_hour, _ = _moments(session, Moment.reservation_expired, hour_ago, stores)
    expired_today, _ = _moments(session, Moment.reservation_expired, today, stores)
    rejected_hour, _ = _moments(session, Moment.line_rejected, hour_ago, stores)
    rejected_today, _ = _moments(session, Moment.line_rejected, today, stores)
    _, till_delay = _moments(session, Moment.till_sync, hour_ago, stores)
    backlog = outbox_backlog(session)
    oldest = backlog.oldest_at
    unified = identity_counts(session, start=hour_ago, end=now, stores=stores)
    return Operations(
        now=now,
        pickups=pickups,
        pickups_waiting=int(count or 0),
        reservations_expired_last_hour=expired_hour,
        reservations_expired_today=expired_today,
        lines_rejected_last_hour=rejected_hour,
        lines_rejected_today=rejected_today,
        outbox_backlog=backlog.events,
        outbox_oldest_age_seconds=(
            max((now - as_utc(oldest)).total_seconds(), 0.0) if oldest is not None else 0.0
        ),
        unification_delay_seconds=(
            unified.unification_seconds / unified.unifications if unified.unifications else None
        ),
        till_crm_delay_seconds=till_delay,
    )
