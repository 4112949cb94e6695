"""The identity graph's counts behind the match rates and the time-to-unification, from
messages sent through the tracking API and sightings recorded as domain events make them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import IdentifierKind, normalise
from omnicanal.customers.measures import (
    IdentityCounts,
    identity_counts,
    identity_counts_by_window,
)
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from tests.customers.support import make_source, send

DAY = datetime(2025, 3, 10, tzinfo=UTC)
"""The window of the tests: this UTC day (a local day in Paris holds it from 06:00 to 15:00)."""


def _at(hour: int, minute: int = 0) -> str:
    return (DAY + timedelta(hours=hour, minutes=minute)).isoformat()


def send_identity_history(platform: Platform, client: TestClient) -> None:
    """Two till customers (one with a phone), two card holders (one with an e-mail), a web
    visitor who logs in, a web visitor merged into an app login four hours after their first
    page, an anonymous visitor, and a cookie seen the day before."""
    till, web, app = (make_source(platform, kind) for kind in ("store", "web", "app"))

    def identify(anonymous: str | None, at: str, **traits: str) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "identify", "timestamp": at, "traits": traits}
        if anonymous is not None:
            message["anonymousId"] = anonymous
        return message

    def page(anonymous: str, at: str) -> dict[str, Any]:
        return {"type": "page", "anonymousId": anonymous, "timestamp": at, "name": "Accueil"}

    send(
        client,
        till,
        identify("till-1", _at(9), customer_number="POS-1", phone="06 12 34 56 78"),
        identify("till-2", _at(10), customer_number="POS-2"),
    )
    send(
        client,
        app,
        identify("app-3", _at(11), loyalty_card="FID-0003", email="c@example.fr"),
        identify("app-4", _at(11, 30), loyalty_card="FID-0004"),
        {"type": "identify", "userId": "u-6", "timestamp": _at(7)},
    )
    send(
        client,
        web,
        page("cookie-old", (DAY - timedelta(days=1)).isoformat()),
        page("cookie-5", _at(8)),
        page("cookie-6", _at(9)),
        page("cookie-9", _at(14)),
        {"type": "identify", "userId": "u-5", "anonymousId": "cookie-5", "timestamp": _at(12)},
        {"type": "identify", "userId": "u-6", "anonymousId": "cookie-6", "timestamp": _at(13)},
    )


def _counts(platform: Platform, **where: Any) -> IdentityCounts:
    with platform.db.reading() as session:
        return identity_counts(
            session, start=DAY, end=DAY + timedelta(days=1), stores=where.get("stores", ())
        )


def test_the_counts_of_a_day_are_the_hand_counted_ones(platform, client):
    """Seven people seen (six recognised), two card holders of whom one has an e-mail, two
    till customers of whom one has a phone, five web and app cookies first seen that day of
    which two reached a login, one merge made 4 hours after the absorbed visitor's first
    page: counted by hand from the messages."""
    send_identity_history(platform, client)

    counts = _counts(platform)

    assert counts == IdentityCounts(
        profiles=7,
        recognised=6,
        members=2,
        members_with_email=1,
        till_records=2,
        till_records_with_phone=1,
        cookies=5,
        cookies_with_login=2,
        unifications=1,
        unification_seconds=4 * 3600.0,
    )


def test_a_day_without_activity_counts_nothing(platform, client):
    """The day before the history holds only the old cookie's visitor, anonymous; the day
    after holds nothing."""
    send_identity_history(platform, client)

    with platform.db.reading() as session:
        before = identity_counts(session, start=DAY - timedelta(days=1), end=DAY)
        after = identity_counts(session, start=DAY + timedelta(days=1), end=DAY + timedelta(days=2))

    assert (before.profiles, before.recognised, before.cookies) == (1, 0, 1)
    assert after == IdentityCounts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0)


def test_the_counts_of_several_days_read_at_once_are_each_day_s_own(platform, client):
    """A series reads its days' counts in one pass: each day's counts are those asked alone,
    whatever order the days are given in, and the afternoon's half day holds the afternoon's
    cookie and merge only."""
    send_identity_history(platform, client)
    noon = DAY + timedelta(hours=12)
    windows = [
        (DAY, noon),
        (DAY - timedelta(days=1), DAY),
        (noon, DAY + timedelta(days=1)),
        (DAY + timedelta(days=1), DAY + timedelta(days=2)),
    ]

    with platform.db.reading() as session:
        together = identity_counts_by_window(session, windows=windows)
        alone = [identity_counts(session, start=start, end=end) for start, end in windows]

    assert together == alone
    assert (together[2].cookies, together[2].unifications) == (1, 1)


def test_an_undone_merge_is_no_unification(platform, client):
    """A merge a reviewer undid leaves the day's unifications."""
    send_identity_history(platform, client)
    with platform.db.transaction() as session:
        survivor = customers.find_profile_id(
            session, kind=IdentifierKind.user_id, value="u-6", region="FR"
        )
        [merge] = customers.list_merges(session, profile_id=survivor)
        customers.unmerge(session, profile_id=survivor, merge_id=merge.id, actor=OPERATOR)

    counts = _counts(platform)

    assert (counts.unifications, counts.unification_seconds) == (0, 0.0)


def _sighting(store: str, at: datetime, *identifiers: tuple[IdentifierKind, str]):
    """A till sale's domain event at ``store``, as the timeline consumer records it (received
    now: a history replayed today)."""
    return customers.Sighting(
        identifiers=tuple(normalise(kind, value) for kind, value in identifiers),
        kind="domain",
        name="order.placed",
        occurred_at=at,
        received_at=utcnow(),
        source=f"/channels/store/locations/{store}",
        channel="store",
        message_ref=f"{store}-{at.isoformat()}",
    )


def test_with_a_store_only_what_the_data_ties_to_it_counts(platform):
    """With stores, only timeline entries and merges from keys bound to them count."""
    # At LYON_1 a sale names a phone at 8:00, another a card at 10:00, a third both at
    # 11:00: one person, the card's record unified an hour after its first sale. PARIS-1's
    # sale (a card, no phone) counts for Paris only; "LYONX1" must not match "LYON_1".
    with platform.db.transaction() as session:
        customers.record_sightings(
            session,
            sightings=[
                _sighting("LYON_1", DAY + timedelta(hours=8), (IdentifierKind.phone, "0611223344")),
                _sighting(
                    "LYON_1", DAY + timedelta(hours=10), (IdentifierKind.loyalty_card, "FID-L1")
                ),
                _sighting(
                    "LYON_1",
                    DAY + timedelta(hours=11),
                    (IdentifierKind.loyalty_card, "FID-L1"),
                    (IdentifierKind.phone, "0611223344"),
                ),
                _sighting(
                    "PARIS-1", DAY + timedelta(hours=9), (IdentifierKind.loyalty_card, "FID-P1")
                ),
            ],
            actor=OPERATOR,
        )

    lyon = _counts(platform, stores=("LYON_1",))
    paris = _counts(platform, stores=("PARIS-1",))
    wildcard = _counts(platform, stores=("LYONX1",))

    assert (lyon.profiles, lyon.members, lyon.till_records, lyon.till_records_with_phone) == (
        1,
        1,
        1,
        1,
    )
    assert (lyon.unifications, lyon.unification_seconds) == (1, 3600.0)
    assert (paris.profiles, paris.members, paris.till_records_with_phone) == (1, 1, 0)
    assert (paris.unifications, wildcard.profiles, wildcard.unifications) == (0, 0, 0)


def test_a_merge_is_dated_by_its_message_not_by_its_writing(platform, client):
    """The history is received now; the merge counts on the day its message happened, with
    the delay the messages give, whatever the day it was written."""
    send_identity_history(platform, client)

    with platform.db.reading() as session:
        today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        written = identity_counts(session, start=today, end=today + timedelta(days=1))

    assert (written.unifications, written.profiles) == (0, 0)
    assert _counts(platform).unification_seconds == 4 * 3600.0
