"""The consent ledger: every answer kept, the latest one (by when it was given) what the
person accepts, read as of any moment; ``consent.changed`` only when that changes; hostile
answers refused with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from omnicanal.customers.errors import UnknownProfile
from omnicanal.customers.service import merge_profiles
from omnicanal.engagement import consents
from omnicanal.engagement.consent_answers import MAX_PROOF_BYTES, ConsentAnswer
from omnicanal.engagement.errors import InvalidConsent, InvalidCursor
from omnicanal.engagement.models import CHANNELS
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from tests.builders import snapshot
from tests.engagement.consent_builders import (
    answer,
    consent_events,
    ledger_rows,
    make_person,
    states_of,
)


@pytest.fixture
def zoe(platform, client) -> str:  # type: ignore[no-untyped-def]
    return make_person(platform, client)


def test_the_latest_answer_is_what_she_accepts_and_every_answer_stays(platform, zoe):
    now = utcnow()
    answer(platform, zoe, granted=True, at=now - timedelta(days=3))
    answer(platform, zoe, granted=False, at=now - timedelta(days=1))

    assert states_of(platform, zoe) == {("marketing", "email"): False}
    rows = ledger_rows(platform)
    assert [(row.granted, row.source, row.profile_id) for row in rows] == [
        (True, "api", zoe),
        (False, "api", zoe),
    ]
    with platform.db.reading() as session:
        page = consents.history(session, zoe, limit=10)
    assert [entry.granted for entry in page.entries] == [False, True]  # newest first
    assert page.next_cursor is None


def test_an_answer_given_before_the_latest_is_kept_but_changes_nothing(platform, zoe):
    """A till's answer of last week arriving after this morning's refusal on the web."""
    now = utcnow()
    answer(platform, zoe, granted=False, at=now - timedelta(hours=2))
    answer(platform, zoe, granted=True, at=now - timedelta(days=7), source="till")

    assert states_of(platform, zoe) == {("marketing", "email"): False}
    assert len(ledger_rows(platform)) == 2
    assert [event["granted"] for event in consent_events(platform)] == [False]


def test_the_state_is_read_as_of_any_moment(platform, zoe):
    now = utcnow()
    answer(platform, zoe, granted=True, at=now - timedelta(days=10))
    answer(platform, zoe, granted=False, at=now - timedelta(days=5))
    answer(platform, zoe, "marketing", "sms", granted=True, at=now - timedelta(days=1))

    assert states_of(platform, zoe, at=now - timedelta(days=20)) == {}
    assert states_of(platform, zoe, at=now - timedelta(days=7)) == {("marketing", "email"): True}
    assert states_of(platform, zoe, at=now - timedelta(days=5)) == {("marketing", "email"): False}
    assert states_of(platform, zoe, at=now) == {
        ("marketing", "email"): False,
        ("marketing", "sms"): True,
    }


def test_consent_changed_is_published_when_what_she_accepts_changes_only(platform, zoe):
    now = utcnow()
    answer(platform, zoe, granted=True, at=now - timedelta(minutes=30))
    answer(platform, zoe, granted=True, at=now - timedelta(minutes=20))  # the same again
    answer(platform, zoe, granted=False, at=now - timedelta(minutes=10), location_code="LYON")

    events = consent_events(platform)
    assert [(event["granted"], event["location_code"]) for event in events] == [
        (True, None),
        (False, "LYON"),
    ]
    assert events[1] == {
        "profile_id": zoe,
        "purpose": "marketing",
        "channel": "email",
        "granted": False,
        "source": "api",
        "lawful_basis": "consent",
        "location_code": "LYON",
    }
    assert len(ledger_rows(platform)) == 3


def test_an_answer_dated_in_the_future_is_held_to_the_time_it_is_recorded(platform, zoe):
    before = utcnow()
    answer(platform, zoe, granted=True, at=before + timedelta(days=365))

    [row] = ledger_rows(platform)
    assert before <= row.occurred_at <= utcnow()


def test_a_few_minutes_of_clock_skew_are_kept_as_given(platform, zoe):
    ahead = utcnow() + timedelta(minutes=3)
    answer(platform, zoe, granted=True, at=ahead)

    [row] = ledger_rows(platform)
    assert row.occurred_at == ahead


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": "newsletter"}, "answers[0].purpose"),
        ({"channel": "fax"}, "answers[0].channel"),
        ({"lawful_basis": "because"}, "answers[0].lawful_basis"),
        ({"source": "rumour"}, "source"),
        ({"location_code": "X" * 51}, "location"),
        ({"proof": {"scan": "x" * (MAX_PROOF_BYTES + 1)}}, "proof"),
        ({"proof": {"text": "nul\x00"}}, "proof"),
    ],
)
def test_a_hostile_answer_is_refused_and_nothing_is_written(platform, zoe, change, field):
    values = {
        "purpose": "marketing",
        "channel": "email",
        "granted": True,
        "source": "api",
        "lawful_basis": "consent",
        **change,
    }
    before = snapshot(platform)
    with pytest.raises(InvalidConsent) as refused, platform.db.transaction() as session:
        consents.record_consent(
            session, profile_id=zoe, actor=OPERATOR, occurred_at=utcnow(), **values
        )
    assert refused.value.field == field
    assert snapshot(platform) == before


def test_a_date_outside_the_sane_years_is_refused(platform, zoe):
    with pytest.raises(InvalidConsent) as refused, platform.db.transaction() as session:
        consents.record_consent(
            session,
            profile_id=zoe,
            purpose="marketing",
            channel="email",
            granted=True,
            source="api",
            actor=OPERATOR,
            occurred_at=utcnow().replace(year=1850),
        )
    assert refused.value.field == "occurred_at"
    assert ledger_rows(platform) == []


def test_one_answer_per_purpose_and_channel_in_one_request(platform, zoe):
    with pytest.raises(InvalidConsent), platform.db.transaction() as session:
        consents.record_answers(
            session,
            profile_id=zoe,
            answers=[
                ConsentAnswer("marketing", "email", True),
                ConsentAnswer("marketing", "email", False),
            ],
            source="api",
            actor=OPERATOR,
            occurred_at=utcnow(),
        )
    assert ledger_rows(platform) == []


def test_nobody_has_no_consent_and_cannot_answer(platform):
    with platform.db.reading() as session:
        assert consents.current_consents(session, "01JQ7Z000000000000000NOBODY") == {}
    with pytest.raises(UnknownProfile), platform.db.transaction() as session:
        consents.record_consent(
            session,
            profile_id="01JQ7Z000000000000000NOBODY",
            purpose="marketing",
            channel="email",
            granted=True,
            source="api",
            actor=OPERATOR,
            occurred_at=utcnow(),
        )
    assert ledger_rows(platform) == []


def test_a_merged_persons_answers_are_read_from_all_their_profiles(platform, client, zoe):
    other = make_person(platform, client, user_id="zoe-web", email="zoe.m@example.fr")
    now = utcnow()
    answer(platform, zoe, "marketing", "email", granted=True, at=now - timedelta(days=2))
    answer(platform, other, "marketing", "email", granted=False, at=now - timedelta(days=1))
    answer(platform, other, "marketing", "sms", granted=True, at=now - timedelta(days=1))
    with platform.db.transaction() as session:
        merge_profiles(session, profile_ids=(zoe, other), rule="test", actor=OPERATOR)

    expected = {("marketing", "email"): False, ("marketing", "sms"): True}
    assert states_of(platform, zoe) == expected
    assert states_of(platform, other) == expected
    with platform.db.reading() as session:
        assert len(consents.history(session, other).entries) == 3


def test_unsubscribing_refuses_marketing_and_offers_everywhere_once(platform, zoe):
    now = utcnow()
    answer(platform, zoe, "marketing", "email", granted=True, at=now - timedelta(days=1))
    answer(platform, zoe, "personalised_offers", "sms", granted=False, at=now - timedelta(days=1))
    answer(platform, zoe, "transactional", "sms", granted=True, at=now - timedelta(days=1))

    with platform.db.transaction() as session:
        first = consents.unsubscribe_everywhere(
            session, profile_id=zoe, source="unsubscribe_link", actor=OPERATOR, occurred_at=now
        )
    with platform.db.transaction() as session:
        second = consents.unsubscribe_everywhere(
            session, profile_id=zoe, source="unsubscribe_link", actor=OPERATOR, occurred_at=now
        )

    assert (first, second) == (2 * len(CHANNELS) - 1, 0)
    states = states_of(platform, zoe)
    for purpose in consents.OPT_OUT_PURPOSES:
        for channel in CHANNELS:
            assert states[(purpose, channel)] is False
    assert states[("transactional", "sms")] is True


def test_the_ledger_pages_with_a_cursor_and_refuses_one_it_did_not_give(platform, zoe):
    now = utcnow()
    for days in range(5):
        answer(platform, zoe, granted=days % 2 == 0, at=now - timedelta(days=days))
    with platform.db.reading() as session:
        first = consents.history(session, zoe, limit=2)
        second = consents.history(session, zoe, limit=2, starting_after=first.next_cursor)
        third = consents.history(session, zoe, limit=2, starting_after=second.next_cursor)
        with pytest.raises(InvalidCursor):
            consents.history(session, zoe, starting_after="not-ours")

    seen = [entry.id for page in (first, second, third) for entry in page.entries]
    assert len(seen) == len(set(seen)) == 5
    assert third.next_cursor is None
    moments = [entry.occurred_at for page in (first, second, third) for entry in page.entries]
    assert moments == sorted(moments, reverse=True)


def test_what_may_reach_her_on_a_channel(platform, zoe):
    answer(platform, zoe, "transactional", "sms", granted=False)
    answer(platform, zoe, "marketing", "push", granted=True)
    with platform.db.reading() as session:
        states = consents.current_consents(session, zoe)

    assert consents.may_contact(states, "transactional", "email") is True  # the contract
    assert consents.may_contact(states, "transactional", "sms") is False  # refused
    assert consents.may_contact(states, "marketing", "email") is False  # never granted
    assert consents.may_contact(states, "marketing", "push") is True
    assert consents.offers_answer(states) is None


def test_one_refusal_of_personalised_offers_anywhere_is_a_refusal(platform, zoe):
    answer(platform, zoe, "personalised_offers", "email", granted=True)
    with platform.db.reading() as session:
        assert consents.offers_answer(consents.current_consents(session, zoe)) is True
    answer(platform, zoe, "personalised_offers", "sms", granted=False)
    with platform.db.reading() as session:
        assert consents.offers_answer(consents.current_consents(session, zoe)) is False


def test_answers_recorded_at_once_for_one_person_publish_one_change(platform, zoe):
    """Eight tills record "yes" for the same never-asked channel at the same moment: eight
    ledger lines, one ``consent.changed`` (each answer knows what the one before it said)."""
    import threading

    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def record() -> None:
        try:
            start.wait()
            answer(platform, zoe, "marketing", "sms", granted=True, source="till")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=record) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(ledger_rows(platform)) == 8
    assert len(consent_events(platform)) == 1
