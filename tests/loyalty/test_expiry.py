"""Time and points: an expired point is never spendable, a hold nobody uses gives its
points back, and a tier follows the points of the rolling period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.errors import InsufficientPoints
from omnicanal.loyalty.models import LedgerEntry, PointLot
from omnicanal.loyalty.rules import PricedLine
from omnicanal.loyalty.schemas import RedemptionIn
from omnicanal.loyalty.service.common import load_member
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import OutboxEvent
from tests.builders import auth, make_key
from tests.loyalty.builders import (
    balance,
    enrol_directly,
    give_points,
    hold,
    make_programme,
    member,
)


def _hold(platform, member_id: str, points: int, *, now=None):
    with platform.db.transaction() as session:
        return loyalty.hold_points(
            session, data=RedemptionIn(member_id=member_id, points=points), actor=OPERATOR, now=now
        )


def test_an_expired_point_is_never_spendable_even_before_the_expiry_job_runs(platform, client):
    """100 points given 13 months ago in a 12-month programme, 50 given today: 50 are
    shown, 60 cannot be held, and holding 50 expires the old ones on the way."""
    make_programme(platform, expiry_months=12)
    web = make_key(platform, "web")
    member_id = enrol_directly(platform)
    give_points(platform, member_id, 100, now=utcnow() - timedelta(days=400))
    give_points(platform, member_id, 50)

    assert balance(client, web, member_id)["available"] == 50
    refused = hold(client, web, member_id, points=60)
    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_points"
    with platform.db.reading() as session:
        assert session.scalars(select(LedgerEntry.kind)).all().count("expire") == 0

    assert hold(client, web, member_id, points=50).status_code == 201

    with platform.db.reading() as session:
        kinds = [
            kind for (kind,) in session.execute(select(LedgerEntry.kind).order_by(LedgerEntry.at))
        ]
        lots = sorted(session.scalars(select(PointLot.remaining)).all())
    assert kinds.count("expire") == 1
    assert lots == [0, 0]
    assert balance(client, web, member_id)["available"] == 0


def test_the_expiry_job_expires_what_is_left_of_the_lots_whose_time_is_up(platform, client):
    make_programme(platform, expiry_months=12)
    web = make_key(platform, "web")
    member_id = enrol_directly(platform)
    give_points(platform, member_id, 100)
    _hold(platform, member_id, 30)
    assert member(client, web, member_id)["next_expiry"]["points"] == 70

    with platform.db.transaction() as session:
        expired = loyalty.expire_points(session, now=utcnow() + timedelta(days=366))

    assert expired == 70
    with platform.db.reading() as session:
        [event] = session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "loyalty.points_expired")
        ).all()
    assert (event.data["points"], event.data["available"]) == (70, 0)
    with platform.db.transaction() as session:
        assert loyalty.expire_points(session, now=utcnow() + timedelta(days=366)) == 0


def test_a_released_hold_gives_its_points_back_to_the_lots_they_came_from(platform):
    """Holding and releasing never makes points younger: released after their date, they
    are expired at once."""
    make_programme(platform, expiry_months=12)
    member_id = enrol_directly(platform)
    give_points(platform, member_id, 100)
    held = _hold(platform, member_id, 100)
    later = utcnow() + timedelta(days=400)

    with platform.db.transaction() as session:
        assert loyalty.release_expired_holds(session, now=later) == 1
    with platform.db.transaction() as session, pytest.raises(InsufficientPoints):
        loyalty.hold_points(
            session, data=RedemptionIn(member_id=member_id, points=1), actor=OPERATOR, now=later
        )
    with platform.db.reading() as session:
        [lot] = session.scalars(select(PointLot)).all()
        assert lot.expires_at < later
    assert held.status == "held"


def test_a_hold_nobody_uses_is_released_when_its_time_is_up(platform, client):
    make_programme(platform, hold_minutes=15)
    web = make_key(platform, "web")
    member_id = enrol_directly(platform)
    give_points(platform, member_id, 100)
    held = hold(client, web, member_id, points=80).json()

    with platform.db.transaction() as session:
        assert loyalty.release_expired_holds(session, now=utcnow() + timedelta(minutes=14)) == 0
    with platform.db.transaction() as session:
        assert loyalty.release_expired_holds(session, now=utcnow() + timedelta(minutes=16)) == 1

    released = client.get(f"/v1/loyalty/redemptions/{held['id']}", headers=auth(web)).json()
    assert (released["status"], released["release_reason"]) == ("released", "hold_expired")
    assert balance(client, web, member_id)["available"] == 100


def test_a_tier_follows_the_points_of_the_rolling_period(platform, client):
    """Gold at 2,000 points earned over 12 months (a programme without a return window, a
    sale straight to the use case); a year later those points have left the period and the
    member is back to bronze."""
    make_programme(
        platform,
        pending_days=0,
        tiers=[
            {"code": "bronze", "name": "Bronze", "threshold": 0},
            {"code": "gold", "name": "Or", "threshold": 2000, "multiplier": "1.5"},
        ],
    )
    web = make_key(platform, "web")
    member_id = enrol_directly(platform)
    assert member(client, web, member_id)["tier"]["code"] == "bronze"
    with platform.db.transaction() as session:
        sale = loyalty.Sale(
            order_id="01JQ7Z0000000000000000ORDR",
            channel="web",
            channel_kind="web",
            location_code=None,
            currency="EUR",
            placed_at=utcnow(),
            lines=(PricedLine("L1", 1, 210_000, "Robes"),),
        )
        loyalty.earn_for_sale(session, member=load_member(session, member_id), sale=sale)

    assert member(client, web, member_id)["tier"]["code"] == "gold"
    with platform.db.transaction() as session:
        assert loyalty.review_tiers(session, now=utcnow() + timedelta(days=380)) == 1
    assert member(client, web, member_id)["tier"]["code"] == "bronze"
    with platform.db.reading() as session:
        changes = session.scalars(
            select(OutboxEvent.data)
            .where(OutboxEvent.type == "loyalty.tier_changed")
            .order_by(OutboxEvent.seq)
        ).all()
    assert [(c["from_tier"], c["tier"]) for c in changes] == [
        (None, "bronze"),
        ("bronze", "gold"),
        ("gold", "bronze"),
    ]


def test_the_platform_runs_the_loyalty_jobs_in_their_own_lane(platform, client):
    """The composition root gives the platform loyalty's consumer and jobs: the lane
    releases a hold whose time is up."""
    from omnicanal.loyalty.wiring import LOYALTY_POINTS

    make_programme(platform, hold_minutes=1)
    web = make_key(platform, "web")
    member_id = enrol_directly(platform)
    give_points(platform, member_id, 100)
    _hold(platform, member_id, 60, now=utcnow() - timedelta(minutes=2))

    lanes = dict(platform.lanes())
    released = platform.run_group(LOYALTY_POINTS)

    assert [job.name for job in lanes[f"{LOYALTY_POINTS}-jobs"]] == [
        "loyalty.release_holds",
        "loyalty.confirm_points",
        "loyalty.expire_points",
        "loyalty.review_tiers",
    ]
    assert "loyalty.ledger" in {consumer.name for consumer in platform.consumers}
    assert released >= 1
    assert balance(client, web, member_id) | {"held": 0} == {
        "available": 100,
        "pending": 0,
        "held": 0,
        "available_value_minor": 100,
        "currency": "EUR",
    }
