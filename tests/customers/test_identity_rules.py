"""The deterministic identity rules, on the graph in memory (no database)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.customers.identifiers import IdentifierKind, make_identifier
from omnicanal.customers.identity.graph import IdentityGraph, Observation, Outcome
from omnicanal.customers.identity.rules import RULES, MergeRule

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Story:
    """A graph fed one message at a time, with readable ids and times."""

    def __init__(self) -> None:
        counter = itertools.count(1)
        self.graph = IdentityGraph(make_id=lambda: f"ID{next(counter):03d}")
        self.clock = itertools.count()

    def see(self, *pairs: tuple[str, str]) -> Outcome:
        minute = next(self.clock)
        identifiers = tuple(make_identifier(kind, value) for kind, value in pairs)
        return self.graph.observe(
            Observation(
                identifiers=identifiers,
                at=T0 + timedelta(minutes=minute),
                source="test",
                event_ref=f"E{minute}",
            )
        )

    def profile_of(self, kind: str, value: str) -> str:
        identifier = make_identifier(kind, value)
        return self.graph.root(self.graph.identifiers[identifier.key].profile_id)

    def shared(self, kind: str, value: str) -> bool:
        return self.graph.identifiers[make_identifier(kind, value).key].shared

    def people(self) -> set[str]:
        return {p.id for p in self.graph.profiles.values() if p.merged_into is None}


def test_a_first_cookie_starts_an_anonymous_profile():
    story = Story()

    outcome = story.see(("anonymous_id", "cookie-1"))

    assert outcome.created is True
    assert outcome.profile_id is not None
    assert story.graph.is_recognised(outcome.profile_id) is False


def test_an_anonymous_visitor_who_logs_in_keeps_one_profile_and_becomes_recognised():
    story = Story()
    visitor = story.see(("anonymous_id", "cookie-1")).profile_id

    login = story.see(("anonymous_id", "cookie-1"), ("user_id", "u-1"))

    assert login.profile_id == visitor
    assert login.identified is True
    assert login.merges == []
    assert story.graph.is_recognised(visitor)
    assert story.graph.identified == [(visitor, ["cookie-1"])]


def test_the_anonymous_activity_of_a_second_device_joins_the_person_when_they_log_in_there():
    story = Story()
    laptop = story.see(("anonymous_id", "cookie-laptop")).profile_id
    story.see(("anonymous_id", "cookie-laptop"), ("user_id", "u-1"))
    phone = story.see(("anonymous_id", "cookie-phone")).profile_id

    login = story.see(("anonymous_id", "cookie-phone"), ("user_id", "u-1"))

    assert login.profile_id == laptop
    [merge] = login.merges
    assert (merge.survivor_id, merge.absorbed_id) == (laptop, phone)
    assert merge.rule == MergeRule.anonymous_activity
    assert merge.identifier == make_identifier("anonymous_id", "cookie-phone")
    assert merge.event_ref == "E3"


def test_one_person_at_the_till_on_the_web_and_in_the_app_is_one_profile():
    story = Story()
    till = story.see(("external_id", "POS-42"), ("phone", "06 12 34 56 78")).profile_id
    web = story.see(("email", "jean.dupont@example.fr"), ("phone", "+33612345678")).profile_id
    app = story.see(("loyalty_card", "FID 0001 2345"), ("email", "Jean.Dupont@example.fr"))

    assert web == till
    assert app.profile_id == till
    assert story.people() == {till}
    assert story.graph.profiles[till].anchors == {
        IdentifierKind.external_id: {"POS-42"},
        IdentifierKind.phone: {"+33612345678"},
        IdentifierKind.email: {"jean.dupont@example.fr"},
        IdentifierKind.loyalty_card: {"FID00012345"},
    }


def test_two_profiles_sharing_an_email_merge_into_the_older_with_the_rule_recorded():
    story = Story()
    card = story.see(("loyalty_card", "FID111")).profile_id
    login = story.see(("user_id", "u-1"), ("email", "marie@example.fr")).profile_id

    outcome = story.see(("loyalty_card", "FID111"), ("email", "marie@example.fr"))

    assert outcome.profile_id == card
    [merge] = outcome.merges
    assert (merge.survivor_id, merge.absorbed_id) == (card, login)
    assert merge.rule == MergeRule.shared_identifier
    assert merge.identifier == make_identifier("email", "marie@example.fr")
    assert story.profile_of("user_id", "u-1") == card


def test_two_different_loyalty_cards_never_merge_silently_they_go_to_review():
    story = Story()
    first = story.see(("loyalty_card", "FID111"), ("email", "a@example.fr")).profile_id
    second = story.see(("loyalty_card", "FID222"), ("user_id", "u-2")).profile_id

    outcome = story.see(("loyalty_card", "FID222"), ("email", "a@example.fr"))

    assert outcome.merges == []
    assert story.people() == {first, second}
    [conflict] = outcome.conflicts
    assert conflict.reason == "loyalty_card_conflict"
    assert {conflict.profile_a, conflict.profile_b} == {first, second}
    assert {str(i) for i in conflict.identifiers} >= {
        "loyalty_card:FID111",
        "loyalty_card:FID222",
        "email:a@example.fr",
    }


def test_the_same_conflict_seen_again_opens_no_second_review():
    story = Story()
    story.see(("user_id", "u-1"), ("external_id", "POS-1"))
    story.see(("user_id", "u-2"), ("external_id", "POS-2"))

    story.see(("user_id", "u-1"), ("external_id", "POS-2"))
    story.see(("user_id", "u-1"), ("external_id", "POS-2"))

    assert [c.reason for c in story.graph.conflicts] == ["user_id_conflict"]


def test_a_second_login_for_a_known_email_is_its_own_person_and_the_email_is_shared():
    story = Story()
    husband = story.see(("user_id", "u-paul"), ("email", "famille.martin@example.fr")).profile_id

    wife = story.see(("user_id", "u-julie"), ("email", "famille.martin@example.fr"))

    assert wife.profile_id != husband
    assert story.profile_of("user_id", "u-julie") == wife.profile_id
    assert [c.reason for c in wife.conflicts] == ["user_id_conflict"]
    assert story.shared("email", "famille.martin@example.fr")
    assert wife.flagged == [make_identifier("email", "famille.martin@example.fr")]


def test_a_shared_store_tablet_merges_nobody():
    story = Story()
    customers = [
        story.see(("device_id", "TABLET-LYON"), ("loyalty_card", f"FID{n:03d}")).profile_id
        for n in range(5)
    ]

    assert len(set(customers)) == 5
    assert story.graph.merges == []
    assert story.shared("device_id", "TABLET-LYON")
    assert story.graph.households == []


def test_a_tablet_seen_with_two_people_stops_linking_anonymous_browsing():
    story = Story()
    story.see(("device_id", "TABLET"), ("email", "a@example.fr"))
    story.see(("device_id", "TABLET"), ("email", "b@example.fr"))

    browsing = story.see(("device_id", "TABLET"))

    assert browsing.profile_id is None
    assert browsing.ignored_shared == [make_identifier("device_id", "TABLET")]


def test_a_household_landline_merges_nobody_and_links_a_household():
    story = Story()
    mother = story.see(("external_id", "POS-1"), ("phone", "04 78 12 34 56")).profile_id
    son = story.see(("external_id", "POS-2"), ("phone", "04.78.12.34.56")).profile_id

    assert mother != son
    assert story.graph.merges == []
    assert story.shared("phone", "0478123456")
    [household] = story.graph.households
    assert set(household.profile_ids) == {mother, son}
    assert household.reason == "shared_phone"


def test_a_landline_brings_anonymous_till_activity_to_its_only_person():
    story = Story()
    person = story.see(("external_id", "POS-1"), ("phone", "04 78 12 34 56")).profile_id

    lookup = story.see(("phone", "04 78 12 34 56"))

    assert lookup.profile_id == person


def test_a_family_computer_cookie_seen_with_two_logins_is_shared_and_merges_nobody():
    story = Story()
    story.see(("anonymous_id", "family-pc"))
    dad = story.see(("anonymous_id", "family-pc"), ("user_id", "u-dad")).profile_id

    kid = story.see(("anonymous_id", "family-pc"), ("user_id", "u-kid")).profile_id

    assert kid != dad
    assert story.graph.merges == []
    assert story.shared("anonymous_id", "family-pc")
    assert story.graph.conflicts == []


def test_a_shared_identifier_keeps_its_sightings_up_to_date():
    story = Story()
    story.see(("device_id", "T"), ("email", "a@example.fr"))
    story.see(("device_id", "T"), ("email", "b@example.fr"))
    state = story.graph.identifiers[make_identifier("device_id", "T").key]

    story.see(("device_id", "T"))

    assert state.last_seen_at == T0 + timedelta(minutes=2)
    assert len(state.seen_with) == 2


def test_too_many_emails_for_one_person_go_to_review():
    story = Story()
    person = story.see(("user_id", "u-1")).profile_id
    limit = RULES[IdentifierKind.email].per_profile
    for n in range(limit):
        story.see(("user_id", "u-1"), ("email", f"n{n}@example.fr"))

    outcome = story.see(("user_id", "u-1"), ("email", "one.more@example.fr"))

    assert outcome.profile_id == person
    assert story.profile_of("email", "one.more@example.fr") != person
    assert [c.reason for c in outcome.conflicts] == ["email_limit"]


def test_profiles_a_reviewer_kept_apart_are_not_merged_again():
    counter = itertools.count(1)
    graph = IdentityGraph(make_id=lambda: f"ID{next(counter):03d}")
    first = graph.observe(
        Observation((make_identifier("email", "a@example.fr"),), T0, "t", "E1")
    ).profile_id
    second = graph.observe(
        Observation((make_identifier("loyalty_card", "FID9"),), T0, "t", "E2")
    ).profile_id
    assert first and second
    graph.keep_apart(first, second)

    outcome = graph.observe(
        Observation(
            (make_identifier("email", "a@example.fr"), make_identifier("loyalty_card", "FID9")),
            T0,
            "t",
            "E3",
        )
    )

    assert outcome.merges == []
    assert outcome.conflicts == []


def test_a_message_with_only_new_devices_and_cookies_starts_one_anonymous_profile():
    story = Story()

    outcome = story.see(("anonymous_id", "c1"), ("device_id", "d1"))

    assert story.profile_of("anonymous_id", "c1") == outcome.profile_id
    assert story.profile_of("device_id", "d1") == outcome.profile_id


def test_two_anonymous_profiles_seen_together_become_one():
    story = Story()
    cookie = story.see(("anonymous_id", "c1")).profile_id
    device = story.see(("device_id", "d1")).profile_id

    outcome = story.see(("anonymous_id", "c1"), ("device_id", "d1"))

    assert outcome.profile_id in {cookie, device}
    assert len(story.people()) == 1
    assert outcome.merges[0].rule == MergeRule.anonymous_activity


def test_an_anonymous_profile_joins_the_known_person_its_device_belongs_to():
    story = Story()
    person = story.see(("device_id", "phone-1"), ("user_id", "u-1")).profile_id
    story.see(("anonymous_id", "web-cookie"))

    outcome = story.see(("anonymous_id", "web-cookie"), ("device_id", "phone-1"))

    assert outcome.profile_id == person
    assert outcome.identified is True
    assert len(story.people()) == 1


def test_each_identifier_remembers_what_it_came_with():
    story = Story()
    story.see(("user_id", "u-1"), ("email", "a@example.fr"))

    email = story.graph.identifiers[make_identifier("email", "a@example.fr").key]
    login = story.graph.identifiers[make_identifier("user_id", "u-1").key]

    assert email.linked_by == "user_id:u-1"
    assert login.linked_by is None
    assert email.first_event_ref == "E0"


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_the_same_three_messages_in_any_order_make_one_profile(order):
    messages = [
        (("external_id", "POS-7"), ("phone", "06 98 76 54 32")),
        (("email", "zoe@example.fr"), ("phone", "06.98.76.54.32")),
        (("loyalty_card", "FID777"), ("email", "zoe@example.fr")),
    ]
    story = Story()
    for index in order:
        story.see(*messages[index])

    assert len(story.people()) == 1
    assert story.graph.conflicts == []


UNIVERSE = {
    "user_id": ["u1", "u2", "u3"],
    "loyalty_card": ["FID1", "FID2", "FID3"],
    "email": ["a@ex.fr", "b@ex.fr", "c@ex.fr", "d@ex.fr"],
    "phone": ["0612345678", "0698765432", "0478123456"],
    "device_id": ["dev-1", "dev-2"],
    "anonymous_id": ["c1", "c2", "c3", "c4"],
}
_pairs = st.sampled_from([(kind, value) for kind, values in UNIVERSE.items() for value in values])
_messages = st.lists(st.lists(_pairs, min_size=1, max_size=4), min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(_messages)
def test_whatever_arrives_no_profile_ever_holds_two_logins_or_two_cards(messages):
    story = Story()
    for message in messages:
        story.see(*message)

    for profile_id in story.people():
        anchors = story.graph.profiles[profile_id].anchors
        for kind, values in anchors.items():
            assert len(values) <= RULES[kind].per_profile, (kind, values)
    for state in story.graph.identifiers.values():
        assert story.graph.root(state.profile_id) in story.people()


@settings(max_examples=200, deadline=None)
@given(_messages)
def test_the_same_messages_always_make_the_same_people(messages):
    def partition():
        story = Story()
        for message in messages:
            story.see(*message)
        groups: dict[str, set[tuple[str, str]]] = {}
        for key, state in story.graph.identifiers.items():
            groups.setdefault(story.graph.root(state.profile_id), set()).add(key)
        return sorted(sorted(group) for group in groups.values())

    assert partition() == partition()


@settings(max_examples=300, deadline=None)
@given(_messages)
def test_devices_and_cookies_alone_never_join_two_known_people(messages):
    story = Story()
    for message in messages:
        before = {p: story.graph.is_recognised(p) for p in story.people()}
        outcome = story.see(*message)
        for merge in outcome.merges:
            if merge.rule == MergeRule.anonymous_activity:
                assert not (before.get(merge.survivor_id) and before.get(merge.absorbed_id))
