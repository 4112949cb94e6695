"""The messages' measures over a hand-built week: counts by reason and per local day, the
unjust messages found by replaying the policy (worked out by hand below), and the
till-to-policy delay per channel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from omnicanal.engagement import consents
from omnicanal.engagement.facts import record_fact
from omnicanal.engagement.measures import measures, nearest_rank
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from tests.engagement.fact_builders import add_message, make_person

PARIS = "Europe/Paris"
SINCE = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # 1 March, midnight in Paris
UNTIL = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)  # 8 March, midnight in Paris
LONG_AGO = datetime(2025, 12, 1, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of March 2026, in UTC."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def consent(platform: Platform, person: str, granted: bool, when: datetime) -> None:
    with platform.db.transaction() as session:
        consents.record_consent(
            session,
            profile_id=person,
            purpose="marketing",
            channel="email",
            granted=granted,
            source="web_form",
            actor=OPERATOR,
            occurred_at=when,
        )


def fact(
    platform: Platform,
    kind: str,
    *,
    occurred: datetime,
    recorded: datetime,
    channel: str,
    person: str | None = None,
    subject: str | None = None,
    location: str | None = None,
) -> None:
    with platform.db.transaction() as session:
        record_fact(
            session,
            profile_id=person,
            kind=kind,
            occurred_at=occurred,
            recorded_at=recorded,
            subject=subject,
            channel=channel,
            location_code=location,
        )


@pytest.fixture
def week(platform) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Inès, Zoé and Léa, all opted in to marketing e-mails since January, and their week.

    Inès: a win-back on the 2nd (just); returned at the Lyon till on the 5th at 08:00, which
    the policy learned at 22:00 (the nightly sync); a promotion at 15:00 that day went out
    (unjust: returned_recently); her refund confirmation on the 6th (just: transactional).
    Zoé: a promotion on the 4th at 11:59 (just); she withdrew her consent at 12:00; another
    at 13:00 (unjust: consent_withdrawn); a pickup SMS at 22:30 in Paris on the 3rd (unjust:
    quiet_hours). Léa: four promotions on the 2nd, the fourth over the weekly cap of three
    (unjust: frequency_cap).
    """
    ines = make_person(platform, "ines@example.fr")
    zoe = make_person(platform, "zoe@example.fr")
    lea = make_person(platform, "lea@example.fr")
    january = datetime(2026, 1, 2, tzinfo=UTC)
    for person in (ines, zoe, lea):
        consent(platform, person, True, january)
    consent(platform, zoe, False, at(4, 12))

    def sent(person: str, when: datetime, **more: object) -> str:
        return add_message(
            platform,
            profile_id=person,
            status="sent",
            reason_since=LONG_AGO,
            sent_at=when,
            **more,  # type: ignore[arg-type]
        )

    ids = {
        "ines_before": sent(ines, at(2, 10)),
        "ines_after_return": sent(ines, at(5, 15)),
        "ines_refund": sent(
            ines, at(6, 9), kind="return_refunded", purpose="transactional", subject="returns/R1"
        ),
        "zoe_before": sent(zoe, at(4, 11, 59)),
        "zoe_after": sent(zoe, at(4, 13)),
        "zoe_night_sms": sent(
            zoe,
            at(3, 21, 30),
            kind="pickup_ready",
            purpose="transactional",
            channel="sms",
            subject="fulfilments/F1",
        ),
        **{f"lea_{n}": sent(lea, at(2, 8, 10 * n)) for n in range(4)},
        "before_the_week": sent(ines, datetime(2026, 2, 27, 10, tzinfo=UTC)),
    }
    fact(
        platform,
        "returned",
        occurred=at(5, 8),
        recorded=at(5, 22),
        channel="store",
        person=ines,
        subject="orders/O1",
        location="LYON-01",
    )
    fact(platform, "purchased", occurred=at(2, 9), recorded=at(2, 9, 2), channel="store")
    fact(platform, "purchased", occurred=at(3, 10), recorded=at(3, 10, 0, 30), channel="store")
    fact(platform, "purchased", occurred=at(4, 12), recorded=at(4, 12, 0, 5), channel="web")
    fact(
        platform,
        "purchased",
        occurred=datetime(2026, 2, 1, tzinfo=UTC),
        recorded=datetime(2026, 2, 20, tzinfo=UTC),
        channel="store",
    )

    def ended(status: str, reason: str, when: datetime, person: str = ines) -> str:
        return add_message(
            platform,
            profile_id=person,
            status=status,
            reason=reason,
            reason_since=LONG_AGO,
            decided_at=when,
        )

    ids |= {
        "withheld_return": ended("withheld", "returned_recently", at(6, 10)),
        "withheld_consent": ended("withheld", "consent_withdrawn", at(5, 10), zoe),
        "withheld_late_evening": ended("withheld", "no_consent", at(7, 22, 30), lea),
        "withheld_after_the_week": ended("withheld", "no_consent", at(7, 23, 30), lea),
        "withdrawn_cart": ended("withdrawn", "cart_bought", at(2, 12)),
    }
    return ids


def test_the_week_s_messages_are_counted_by_reason_and_by_local_day(platform, week):
    with platform.db.reading() as session:
        found = measures(session, since=SINCE, until=UNTIL, time_zone=PARIS)

    assert (found.sent, found.withheld, found.withdrawn) == (10, 3, 1)
    assert found.withheld_by_reason == {
        "consent_withdrawn": 1,
        "no_consent": 1,
        "returned_recently": 1,
    }
    assert found.withdrawn_by_reason == {"cart_bought": 1}
    assert [(d.day, d.sent, d.withheld, d.withdrawn) for d in found.days] == [
        (date(2026, 3, 1), 0, 0, 0),
        (date(2026, 3, 2), 5, 0, 1),
        (date(2026, 3, 3), 1, 0, 0),
        (date(2026, 3, 4), 2, 0, 0),
        (date(2026, 3, 5), 1, 1, 0),
        (date(2026, 3, 6), 1, 1, 0),
        (date(2026, 3, 7), 0, 1, 0),
    ]


def test_replaying_the_week_finds_exactly_the_unjust_messages_worked_out_by_hand(platform, week):
    with platform.db.reading() as session:
        found = measures(session, since=SINCE, until=UNTIL, time_zone=PARIS)

    assert found.unjust == 4
    assert {(m.message_id, m.outcome, m.reason) for m in found.unjust_messages} == {
        (week["ines_after_return"], "withhold", "returned_recently"),
        (week["zoe_after"], "withhold", "consent_withdrawn"),
        (week["zoe_night_sms"], "defer", "quiet_hours"),
        (week["lea_3"], "withhold", "frequency_cap"),
    }


def test_a_message_sent_before_the_till_s_return_happened_is_not_unjust(platform, week):
    """The return of the 5th, learned that night, does not make the win-back of the 2nd
    unjust: the replay weighs what had happened by each sending time."""
    with platform.db.reading() as session:
        found = measures(session, since=SINCE, until=at(5, 12), time_zone=PARIS)
    assert week["ines_before"] not in {m.message_id for m in found.unjust_messages}
    assert {m.reason for m in found.unjust_messages} == {
        "consent_withdrawn",
        "quiet_hours",
        "frequency_cap",
    }


def test_the_till_to_policy_delay_is_measured_per_channel_the_store_first(platform, week):
    with platform.db.reading() as session:
        found = measures(session, since=SINCE, until=UNTIL, time_zone=PARIS)

    assert [
        (d.channel, d.facts, d.p50_seconds, d.p95_seconds, d.max_seconds) for d in found.delays
    ] == [
        ("store", 3, 120.0, 50_400.0, 50_400.0),
        ("web", 1, 5.0, 5.0, 5.0),
    ]


def test_an_empty_period_measures_nothing_and_no_unjust_message(platform):
    with platform.db.reading() as session:
        found = measures(session, since=SINCE, until=SINCE + timedelta(days=1), time_zone=PARIS)
    assert (found.sent, found.withheld, found.withdrawn, found.unjust) == (0, 0, 0, 0)
    assert found.delays == []
    assert [d.day for d in found.days] == [date(2026, 3, 1)]


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        ([30, 120, 50_400], 0.5, 120),
        ([30, 120, 50_400], 0.95, 50_400),
        ([7], 0.5, 7),
        ([4, 1, 3, 2], 0.5, 2),
        ([4, 1, 3, 2], 0.75, 3),
    ],
)
def test_percentiles_are_nearest_rank(values, share, expected):
    assert nearest_rank(values, share) == expected
