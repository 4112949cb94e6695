"""Two channels spending the same points at once never overspend (real threads, a real
server, SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.errors import InsufficientPoints, RedemptionNotHeld
from omnicanal.loyalty.models import Balance, LedgerEntry, PointLot, Redemption
from omnicanal.loyalty.schemas import RedemptionIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.ids import new_id
from tests.builders import auth, make_key, make_location
from tests.loyalty.builders import enrol_directly, give_points, make_programme


def _books(platform, member_id: str) -> dict[str, int]:
    """The balance, and what the ledger and the lots say it is."""
    with platform.db.reading() as session:
        available, pending = session.execute(
            select(Balance.available, Balance.pending).where(Balance.member_id == member_id)
        ).one()
        ledger, ledger_pending = session.execute(
            select(
                func.coalesce(func.sum(LedgerEntry.points), 0),
                func.coalesce(func.sum(LedgerEntry.pending_points), 0),
            ).where(LedgerEntry.member_id == member_id)
        ).one()
        lots = session.scalar(
            select(func.coalesce(func.sum(PointLot.remaining), 0)).where(
                PointLot.member_id == member_id
            )
        )
        held = session.scalar(
            select(func.coalesce(func.sum(Redemption.points), 0)).where(
                Redemption.member_id == member_id, Redemption.status == "held"
            )
        )
    return {
        "available": available,
        "pending": pending,
        "ledger": ledger,
        "ledger_pending": ledger_pending,
        "lots": lots,
        "held": held,
    }


def test_fifty_concurrent_redemptions_from_four_channels_never_overspend(platform, live_server):
    """1,000 points, 50 simultaneous requests for 30 points from the web, the app, the call
    centre and the Lyon counter: 33 holds, 17 refusals, the balance at 10, never below zero;
    captured, they add up to what the balance allowed."""
    make_location(platform, "LYON-01", channels=("web", "app", "store", "call_centre"))
    make_programme(platform)
    member_id = enrol_directly(platform)
    give_points(platform, member_id, 1000)
    keys = [
        make_key(platform, "web"),
        make_key(platform, "app"),
        make_key(platform, "call_centre"),
        make_key(platform, "store", location="LYON-01"),
    ]
    start = threading.Barrier(50)

    def redeem(n: int) -> tuple[int, str]:
        with httpx.Client(base_url=live_server.url, timeout=120) as http:
            start.wait()
            response = http.post(
                "/v1/loyalty/redemptions",
                json={"member_id": member_id, "points": 30},
                headers=auth(keys[n % 4]),
            )
            return response.status_code, response.json().get("code", "")

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = Counter(pool.map(redeem, range(50)))

    assert outcomes == {(201, ""): 33, (409, "insufficient_points"): 17}
    books = _books(platform, member_id)
    assert books == {
        "available": 10,
        "pending": 0,
        "ledger": 10,
        "ledger_pending": 0,
        "lots": 10,
        "held": 990,
    }
    with platform.db.reading() as session:
        held = session.execute(select(Redemption.id, Redemption.channel)).all()
    assert {channel for _, channel in held} == {"web", "app", "call_centre", "store"}
    with platform.db.transaction() as session:
        captured = loyalty.capture_tenders(
            session,
            order_id=new_id(),
            currency="EUR",
            tenders=[(redemption_id, 30) for redemption_id, _ in held],
        )
    assert captured == 33
    with platform.db.reading() as session:
        spent = session.scalar(
            select(func.sum(Redemption.points)).where(Redemption.status == "captured")
        )
    assert spent == 990 <= 1000


def test_holds_and_releases_racing_keep_the_books_exact(platform):
    """Eight threads holding and releasing at once: the balance, the ledger and the lots
    always agree, and no more is held than was there."""
    make_programme(platform)
    member_id = enrol_directly(platform)
    give_points(platform, member_id, 500)
    actor = Actor(key_id=None, channel="web", name="test", scopes=frozenset({"*"}))

    def churn(worker: int) -> int:
        kept = 0
        for round_ in range(12):
            try:
                with platform.db.transaction() as session:
                    held = loyalty.hold_points(
                        session,
                        data=RedemptionIn(member_id=member_id, points=20 + worker),
                        actor=actor,
                    )
            except InsufficientPoints:
                continue
            if (worker + round_) % 2:
                try:
                    with platform.db.transaction() as session:
                        loyalty.release_redemption(session, redemption_id=held.id, actor=actor)
                except RedemptionNotHeld:  # pragma: no cover - nobody else releases it
                    kept += held.points
            else:
                kept += held.points
        return kept

    with ThreadPoolExecutor(max_workers=8) as pool:
        kept = sum(pool.map(churn, range(8)))

    books = _books(platform, member_id)
    assert books["held"] == kept <= 500
    assert books["available"] == books["ledger"] == books["lots"] == 500 - kept
