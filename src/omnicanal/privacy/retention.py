"""Retention periods per kind of data, and the job that enforces them.

The periods (settings ``OMNICANAL_RETENTION_*_DAYS``) default to what a French retailer is
held to: 13 months for tracking data and anonymous visitors (CNIL, cookies and trackers),
3 years after the last contact for a customer, 10 years for the orders' accounting records
(Code de commerce, art. L123-22) after which the customer's identity is removed from them,
and short technical periods for idempotent answers and the event log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from omnicanal.customers.service import privacy as people
from omnicanal.fulfilment import privacy as fulfilment
from omnicanal.orders import privacy as orders
from omnicanal.platform import audit
from omnicanal.platform import erasure as platform
from omnicanal.platform.actors import Actor
from omnicanal.platform.config import Settings
from omnicanal.platform.db import Database
from omnicanal.privacy.service import erase_person
from omnicanal.staff import sessions as staff_sessions
from omnicanal.tracking import privacy as tracking

__all__ = ["RetentionPeriods", "sweep"]

RETENTION = Actor(key_id=None, channel="system", name="retention", scopes=frozenset({"*"}))
Report = Callable[[str, int], None]


@dataclass(frozen=True)
class RetentionPeriods:
    """How long each kind of data is kept."""

    tracking: timedelta
    anonymous_profiles: timedelta
    customers: timedelta
    order_identity: timedelta
    idempotency: timedelta
    event_log: timedelta
    audit: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPeriods:
        return cls(
            tracking=timedelta(days=settings.retention_tracking_days),
            anonymous_profiles=timedelta(days=settings.retention_anonymous_profile_days),
            customers=timedelta(days=settings.retention_customer_days),
            order_identity=timedelta(days=settings.retention_order_identity_days),
            idempotency=timedelta(days=settings.retention_idempotency_days),
            event_log=timedelta(days=settings.retention_event_log_days),
            audit=timedelta(days=settings.retention_audit_days),
        )

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        """For each kind, the moment before which its data is past its period."""
        return {name: now - period for name, period in self.__dict__.items()}


def _until_done(db: Database, step: Callable[[Session], int], batch: int) -> int:
    total = 0
    while True:
        with db.transaction() as session:
            done = step(session)
        total += done
        if done < batch:
            return total


def sweep(
    db: Database,
    *,
    settings: Settings,
    now: datetime,
    report: Report | None = None,
) -> dict[str, int]:
    """Delete or anonymise every row past its retention period; how many per kind."""
    cut = RetentionPeriods.from_settings(settings).cutoffs(now)
    done: dict[str, int] = {}

    def note(kind: str, count: int) -> None:
        done[kind] = done.get(kind, 0) + count
        if report is not None:
            report(kind, count)

    note(
        "tracking_messages",
        _until_done(
            db, lambda s: tracking.purge_messages(s, before=cut["tracking"], limit=5000), 5000
        ),
    )
    note(
        "timeline_entries",
        _until_done(
            db,
            lambda s: len(people.purge_behaviour_events(s, before=cut["tracking"], limit=5000)),
            5000,
        ),
    )
    while True:
        with db.reading() as session:
            anonymous, recognised = people.stale_profiles(
                session,
                anonymous_before=cut["anonymous_profiles"],
                recognised_before=cut["customers"],
                limit=200,
            )
        for profile_id in [*anonymous, *recognised]:
            with db.transaction() as session:
                erase_person(session, profile_id=profile_id, actor=RETENTION, reason="retention")
        note("anonymous_profiles", len(anonymous))
        note("customers", len(recognised))
        if len(anonymous) < 200 and len(recognised) < 200:
            break

    def anonymise(session: Session) -> int:
        ids = orders.identified_orders_before(session, before=cut["order_identity"], limit=500)
        fulfilment.anonymise_deliveries(session, order_ids=ids, keep=orders.anonymised_address)
        return orders.anonymise_orders(session, order_ids=ids)

    note("orders_anonymised", _until_done(db, anonymise, 500))
    with db.transaction() as session:
        note("idempotent_answers", platform.purge_answers(session, before=cut["idempotency"]))
        note("outbox_events", platform.purge_published(session, before=cut["event_log"]))
        note("processed_event_ids", platform.purge_processed(session, before=cut["event_log"]))
        note("audit_entries", audit.purge_entries(session, before=cut["audit"]))
        # A staff session is worth nothing once it has ended or expired.
        note("staff_sessions", staff_sessions.purge_sessions(session, before=now))
    return done
