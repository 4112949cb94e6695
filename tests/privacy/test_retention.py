"""Retention periods: the job removes or anonymises what is past its period and keeps the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from omnicanal.customers.models import Profile
from omnicanal.orders.models import Order
from omnicanal.platform import audit
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.config import Settings
from omnicanal.platform.events import OutboxEvent, ProcessedEvent
from omnicanal.platform.idempotency import IdempotencyRecord
from omnicanal.privacy.retention import RetentionPeriods, sweep
from omnicanal.staff.models import StaffSession
from omnicanal.staff.service import Role, create_staff
from omnicanal.staff.sessions import sign_in
from omnicanal.tracking.models import TrackingMessage
from tests.customers.support import make_source, send
from tests.privacy.test_rights import build_scene, hits


def counts(platform) -> dict[str, int]:  # type: ignore[no-untyped-def]
    tables = {
        "tracking": TrackingMessage,
        "profiles": Profile,
        "answers": IdempotencyRecord,
        "outbox": OutboxEvent,
        "processed": ProcessedEvent,
    }
    with platform.db.reading() as session:
        found = {
            name: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in tables.items()
        }
        found["identified_orders"] = int(
            session.scalar(
                select(func.count()).select_from(Order).where(Order.customer_ref.is_not(None))
            )
            or 0
        )
    return found


def test_the_default_periods_are_the_french_ones():
    """13 months of tracking, 3 years after the last contact, 10 years of accounts."""
    periods = RetentionPeriods.from_settings(Settings())
    now = datetime(2027, 1, 1, tzinfo=UTC)

    cutoffs = periods.cutoffs(now)

    assert cutoffs["tracking"] == now - timedelta(days=395)
    assert cutoffs["anonymous_profiles"] == now - timedelta(days=395)
    assert cutoffs["customers"] == now - timedelta(days=1095)
    assert cutoffs["order_identity"] == now - timedelta(days=3653)
    assert cutoffs["idempotency"] == now - timedelta(days=7)
    assert cutoffs["event_log"] == now - timedelta(days=30)


def test_rows_within_their_period_are_kept(platform, client):
    """A day later nothing is past its period: nothing goes."""
    build_scene(platform, client)
    before = counts(platform)

    done = sweep(platform.db, settings=platform.settings, now=utcnow() + timedelta(days=1))

    assert set(done.values()) == {0}
    assert counts(platform) == before


def test_after_13_months_tracking_data_and_anonymous_visitors_go_customers_stay(platform, client):
    """Messages, browsing history, anonymous visitors, old answers and the published event
    log are past their period; recognised customers and their orders are not."""
    build_scene(platform, client)
    send(
        client,
        make_source(platform, "web"),
        {"type": "page", "name": "Accueil", "anonymousId": "visitor-42", "messageId": "v-1"},
    )
    before = counts(platform)
    assert before["answers"] and before["outbox"]

    sweep(platform.db, settings=platform.settings, now=utcnow() + timedelta(days=400))
    platform.erase_from_bus()

    after = counts(platform)
    assert after["tracking"] == 0
    assert after["answers"] == 0
    assert after["processed"] == 0
    assert hits(platform, ("visitor-42",)) == []
    assert after["identified_orders"] == before["identified_orders"]
    assert hits(platform, ("camille.durand@exemple.fr", "zoe.martin@exemple.fr")) != []


def test_after_three_years_without_contact_customers_are_erased(platform, client):
    """Three years after their last contact, Zoé and Camille are forgotten; their orders stay,
    without them."""
    build_scene(platform, client)
    orders_before = counts(platform)["identified_orders"]

    done = sweep(platform.db, settings=platform.settings, now=utcnow() + timedelta(days=1100))
    platform.erase_from_bus()

    assert done["customers"] == 2
    assert hits(platform, ("camille.durand", "zoe.martin", "Camille Durand", "Zoé")) == []
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 3
    assert orders_before == 3 and counts(platform)["identified_orders"] == 0


def test_after_ten_years_orders_lose_the_identity_of_a_guest(platform, client):
    """An order whose customer has no profile still loses the name and street after its
    accounting period."""
    scene = build_scene(platform, client)
    with platform.db.transaction() as session:
        session.get(Order, scene.order_ids[2]).customer_ref = "guest-without-profile"

    sweep(platform.db, settings=platform.settings, now=utcnow() + timedelta(days=3660))
    platform.erase_from_bus()

    assert hits(platform, ("guest-without-profile", "2 quai Arloing")) == []


def test_the_audit_log_keeps_a_year_and_staff_sessions_end_with_their_expiry(platform):
    """An audit entry older than a year and a session that has expired go; a recent entry and
    a live session stay."""
    now = utcnow()
    with platform.db.transaction() as session:
        create_staff(
            session,
            email="clerc@exemple.fr",
            password="une phrase de passe longue",
            role=Role.head_office,
        )
        for at in (now - timedelta(days=400), now - timedelta(days=10)):
            audit.record(session, actor=OPERATOR, operation="create_location:LYON-01", at=at)
    with platform.db.transaction() as session:
        for at in (now, now - timedelta(days=2)):
            sign_in(
                session,
                email="clerc@exemple.fr",
                password="une phrase de passe longue",
                address="127.0.0.1",
                now=at,
            )

    done = sweep(platform.db, settings=platform.settings, now=now)

    assert done["audit_entries"] == 1
    assert done["staff_sessions"] == 1
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(audit.AuditEntry)) == 1
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 1
