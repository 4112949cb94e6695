"""What the policy is told, read from a real database: the retailer's rules, and a person's
consents, facts, sent messages, time zone and addresses, live and replayed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from omnicanal.engagement import consents
from omnicanal.engagement.facts import record_fact
from omnicanal.engagement.models import PolicySettings
from omnicanal.engagement.policy import Candidate, Cap, FactView, Rules, SentView
from omnicanal.engagement.situation import rules_of, situation_for
from omnicanal.network import service as network
from omnicanal.network.schemas import LocationIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.address import Address
from omnicanal.platform.clock import as_utc
from tests.engagement.fact_builders import add_message, make_person

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LONG_AGO = datetime(2025, 12, 1, tzinfo=UTC)


def candidate(person: str | None, *, channel: str = "email", subject: str = "carts/C1"):
    return Candidate(
        kind="abandoned_cart",
        purpose="marketing",
        channel=channel,
        subject=subject,
        profile_id=person,
        reason_since=NOON - timedelta(hours=3),
        due_at=NOON,
    )


def situation(platform, person, **options):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return situation_for(
            session,
            profile_id=person,
            candidate=options.pop("candidate", None) or candidate(person),
            now=options.pop("now", NOON),
            **options,
        )


# The rules -------------------------------------------------------------------------------


def test_without_settings_the_rules_are_the_defaults(platform):
    with platform.db.reading() as session:
        assert rules_of(session) == Rules.default()


def test_the_retailer_s_settings_are_the_rules(platform):
    with platform.db.transaction() as session:
        session.add(
            PolicySettings(
                code="default",
                frequency_caps={"email": {"count": 1, "days": 2}, "sms": {"count": 0, "days": 3}},
                quiet_start="22:30",
                quiet_end="07:15",
                suppression_days={"returned": 3, "complaint": "forever"},
            )
        )
    with platform.db.reading() as session:
        rules = rules_of(session)
    assert rules.frequency_caps == {"email": Cap(1, 2)}
    assert (rules.quiet_start, rules.quiet_end) == (time(22, 30), time(7, 15))
    assert rules.suppression_days == {"returned": 3}


def test_a_setting_that_does_not_parse_keeps_its_default(platform):
    with platform.db.transaction() as session:
        session.add(
            PolicySettings(
                code="default",
                frequency_caps={},
                quiet_start="25:00",
                quiet_end="soon",
                suppression_days={},
            )
        )
    with platform.db.reading() as session:
        rules = rules_of(session)
    assert (rules.quiet_start, rules.quiet_end) == (time(21, 0), time(8, 0))
    assert rules.frequency_caps == {}


# Addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifiers", "reachable"),
    [
        ({}, {"email": True, "sms": False, "push": False, "post": False}),
        ({"phone": "06 12 34 56 78"}, {"email": True, "sms": True, "push": False, "post": False}),
        ({"device": "ios-5f2a"}, {"email": True, "sms": False, "push": True, "post": False}),
        (
            {"traits": {"address": {"street": "3 rue Mercière", "city": "Lyon"}}},
            {"email": True, "sms": False, "push": False, "post": True},
        ),
    ],
)
def test_a_channel_reaches_a_person_with_an_address_for_it(platform, identifiers, reachable):
    person = make_person(platform, **identifiers)
    found = {
        channel: situation(platform, person, candidate=candidate(person, channel=channel)).reachable
        for channel in reachable
    }
    assert found == reachable


def test_nobody_and_a_profile_that_does_not_exist_are_reached_by_nothing(platform):
    assert situation(platform, None).reachable is False
    assert situation(platform, "01JQ7Z0000000000000000NOPE").reachable is False


# Time zones ------------------------------------------------------------------------------


def test_the_person_s_own_time_zone_comes_first(platform):
    person = make_person(platform, traits={"timezone": "America/Montreal"})
    assert situation(platform, person, location_code="LYON-01").time_zone == "America/Montreal"


def test_else_the_store_s_then_the_business_s(platform):
    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
        network.create_location(
            session,
            data=LocationIn(
                code="FDF-01",
                name="Fort-de-France",
                kind="store",
                address=Address(latitude=14.6, longitude=-61.07),
                timezone="America/Martinique",
            ),
            actor=OPERATOR,
        )
    person = make_person(platform, traits={"timezone": "Mars/Olympus"})
    assert situation(platform, person, location_code="FDF-01").time_zone == "America/Martinique"
    assert situation(platform, person, location_code="NOWHERE").time_zone == "Europe/Paris"
    assert situation(platform, person, business_time_zone="Asia/Tokyo").time_zone == "Asia/Tokyo"


# Consents and facts, live and replayed ---------------------------------------------------


def test_live_the_consents_stand_as_now_and_replayed_as_they_were(platform):
    person = make_person(platform)
    with platform.db.transaction() as session:
        for granted, when in ((True, LONG_AGO), (False, NOON + timedelta(hours=1))):
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
    assert situation(platform, person).consents == {("marketing", "email"): False}
    assert situation(platform, person, replay=True).consents == {("marketing", "email"): True}


def test_live_every_fact_recorded_counts_and_replayed_those_that_had_happened(platform):
    person = make_person(platform)
    with platform.db.transaction() as session:
        for kind, occurred in (
            ("returned", NOON - timedelta(hours=2)),
            ("complaint", NOON + timedelta(hours=2)),
        ):
            record_fact(
                session,
                profile_id=person,
                kind=kind,
                occurred_at=occurred,
                recorded_at=NOON + timedelta(hours=10),
                subject="orders/O1",
                channel="store",
            )
        record_fact(
            session,
            profile_id=None,
            kind="cart_closed",
            occurred_at=NOON - timedelta(minutes=5),
            subject="carts/C1",
        )
        record_fact(
            session, profile_id=None, kind="cart_closed", occurred_at=NOON, subject="carts/C2"
        )

    live = situation(platform, person)
    assert sorted(f.kind for f in live.facts) == ["cart_closed", "complaint", "returned"]
    replayed = situation(platform, person, replay=True)
    assert sorted(f.kind for f in replayed.facts) == ["cart_closed", "returned"]
    returned = next(f for f in replayed.facts if f.kind == "returned")
    assert (returned.subject, returned.channel, returned.occurred_at) == (
        "orders/O1",
        "store",
        NOON - timedelta(hours=2),
    )


def test_the_caller_s_live_facts_are_added_and_replay_keeps_only_those_that_had_happened(
    platform,
):
    person = make_person(platform)
    now_fact = FactView("cart_closed", NOON - timedelta(minutes=1), "carts/C1")
    later = FactView("cart_closed", NOON + timedelta(minutes=1), "carts/C1")
    live = situation(platform, person, live_facts=(now_fact, later))
    assert live.facts == [now_fact, later]
    assert situation(platform, person, live_facts=(now_fact, later), replay=True).facts == [
        now_fact
    ]


# Messages sent ---------------------------------------------------------------------------


def test_the_messages_sent_within_the_longest_cap_s_window_are_told(platform):
    person = make_person(platform)
    other = make_person(platform, "zoe@example.fr")
    for days, whom in ((1, person), (6, person), (8, person), (1, other)):
        add_message(
            platform,
            profile_id=whom,
            status="sent",
            reason_since=LONG_AGO,
            sent_at=NOON - timedelta(days=days),
        )
    add_message(
        platform, profile_id=person, status="withheld", reason_since=LONG_AGO, decided_at=NOON
    )
    found = situation(platform, person).sent
    assert sorted(found, key=lambda s: s.sent_at) == [
        SentView("email", "marketing", NOON - timedelta(days=6)),
        SentView("email", "marketing", NOON - timedelta(days=1)),
    ]
    wider = Rules(
        frequency_caps={"email": Cap(3, 10)},
        quiet_start=time(21),
        quiet_end=time(8),
        suppression_days={},
    )
    assert len(situation(platform, person, rules=wider).sent) == 3


def test_a_replayed_message_is_not_among_the_messages_it_follows(platform):
    person = make_person(platform)
    first = add_message(
        platform, profile_id=person, status="sent", reason_since=LONG_AGO, sent_at=NOON
    )
    second = add_message(
        platform, profile_id=person, status="sent", reason_since=LONG_AGO, sent_at=NOON
    )
    earlier, later = sorted((first, second))
    assert situation(platform, person, replay=True, message_id=earlier).sent == []
    (seen,) = situation(platform, person, replay=True, message_id=later).sent
    assert as_utc(seen.sent_at) == NOON
