"""Conflict-aware linking, blocked values and source trust on the graph in memory (no
database): the rules that keep a household's members and strangers apart."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.customers.identifiers import IdentifierKind, make_identifier
from omnicanal.customers.identity.blocked import Blocklist, default_blocklist
from omnicanal.customers.identity.graph import IdentityGraph, Observation, Outcome
from omnicanal.customers.identity.person import PersonFacts
from omnicanal.customers.identity.rules import ReviewReason

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GREGOIRE = PersonFacts.of(["Grégoire"], ["1971-02-03"])
CEDRIC = PersonFacts.of(["Cédric"], ["1999-03-11"])


class Story:
    """A graph fed one message at a time, with readable ids and times."""

    def __init__(self, blocklist: Blocklist | None = None) -> None:
        counter = itertools.count(1)
        self.graph = IdentityGraph(make_id=lambda: f"ID{next(counter):03d}", blocklist=blocklist)
        self.clock = itertools.count()

    def see(
        self,
        *pairs: tuple[str, str],
        person: PersonFacts | None = None,
        trusted: bool = True,
    ) -> Outcome:
        minute = next(self.clock)
        return self.graph.observe(
            Observation(
                identifiers=tuple(make_identifier(kind, value) for kind, value in pairs),
                at=T0 + timedelta(minutes=minute),
                source="test",
                event_ref=f"E{minute}",
                person=person or PersonFacts(),
                trusted=trusted,
            )
        )

    def root(self, profile_id: str | None) -> str:
        assert profile_id is not None
        return self.graph.root(profile_id)


def test_a_landline_with_another_first_name_and_birth_date_starts_a_household():
    """Cédric on Grégoire's landline: his own profile, the landline shared, one household."""
    story = Story()
    gregoire = story.see(
        ("email", "gregoire.morin@orange.fr"), ("phone", "03 49 24 65 76"), person=GREGOIRE
    )

    cedric = story.see(("phone", "03.49.24.65.76"), person=CEDRIC)

    assert cedric.profile_id != gregoire.profile_id
    assert cedric.created
    assert cedric.refused == [make_identifier("phone", "0349246576")]
    assert story.graph.identifiers[("phone", "+33349246576")].shared
    assert [h.reason for h in story.graph.households] == ["shared_phone"]
    assert set(story.graph.households[0].profile_ids) == {gregoire.profile_id, cedric.profile_id}
    assert story.graph.profiles[gregoire.profile_id].facts == GREGOIRE


def test_a_family_e_mail_with_another_first_name_is_not_followed():
    """The son's message on his mother's e-mail goes to his own profile, not hers."""
    story = Story()
    mother = story.see(("email", "famille@free.fr"), person=PersonFacts.of(["Sylvie"]))

    son = story.see(
        ("email", "famille@free.fr"), ("phone", "07 55 66 77 88"), person=PersonFacts.of(["Théo"])
    )

    assert son.profile_id != mother.profile_id
    assert story.graph.profiles[son.profile_id].anchors == {IdentifierKind.phone: {"+33755667788"}}
    assert [h.reason for h in story.graph.households] == ["shared_email"]


def test_a_message_without_a_name_follows_the_identifier_as_before():
    """No given name, no birth date: nothing to disagree with, the e-mail links."""
    story = Story()
    first = story.see(("email", "famille@free.fr"), person=PersonFacts.of(["Sylvie"]))

    second = story.see(("email", "famille@free.fr"), ("phone", "07 55 66 77 88"))

    assert second.profile_id == first.profile_id


def test_a_login_is_followed_whatever_the_name():
    """A userId names an account: a new first name on it is the account holder's."""
    story = Story()
    first = story.see(("user_id", "u-1"), person=PersonFacts.of(["Sylvie"]))

    second = story.see(("user_id", "u-1"), person=PersonFacts.of(["Théo"]))

    assert second.profile_id == first.profile_id
    assert second.refused == []


def test_two_profiles_whose_names_disagree_are_not_merged_by_one_message():
    """A message carrying Grégoire's e-mail and Cédric's mobile goes to review."""
    story = Story()
    gregoire = story.see(("email", "gregoire.morin@orange.fr"), person=GREGOIRE)
    cedric = story.see(("phone", "06 98 76 54 32"), person=CEDRIC)

    both = story.see(("email", "gregoire.morin@orange.fr"), ("phone", "06 98 76 54 32"))

    assert both.merges == []
    assert [c.reason for c in both.conflicts] == [ReviewReason.person_conflict]
    assert story.root(gregoire.profile_id) != story.root(cedric.profile_id)


def test_an_untrusted_message_never_merges_two_known_profiles():
    """The public web key's message naming two people records a conflict and merges none."""
    story = Story()
    alice = story.see(("email", "alice@orange.fr"))
    bob = story.see(("phone", "06 45 45 67 67"))

    attack = story.see(("email", "alice@orange.fr"), ("phone", "06 45 45 67 67"), trusted=False)

    assert attack.merges == []
    assert [c.reason for c in attack.conflicts] == [ReviewReason.untrusted_source]
    assert attack.profile_id == alice.profile_id
    assert story.root(bob.profile_id) == bob.profile_id
    assert not story.graph.identifiers[("phone", "+33645456767")].shared


def test_an_untrusted_message_may_identify_its_own_anonymous_visitor():
    """A web visitor typing a known e-mail joins its person: the visitor was anonymous."""
    story = Story()
    alice = story.see(("email", "alice@orange.fr"))
    visitor = story.see(("anonymous_id", "browser-1"))

    identify = story.see(("anonymous_id", "browser-1"), ("email", "alice@orange.fr"), trusted=False)

    assert len(identify.merges) == 1
    assert story.root(visitor.profile_id) == alice.profile_id


def test_an_untrusted_message_leaves_no_shared_flag():
    """A different first name sent with the web key is not evidence enough to block an
    e-mail."""
    story = Story()
    story.see(("email", "alice@orange.fr"), person=PersonFacts.of(["Alice"]))

    story.see(("email", "alice@orange.fr"), person=PersonFacts.of(["Mallory"]), trusted=False)

    assert not story.graph.identifiers[("email", "alice@orange.fr")].shared
    assert story.graph.households == []


def test_a_placeholder_value_is_set_aside_and_links_nobody():
    """'06 00 00 00 00' on two messages: two people, no identifier stored."""
    story = Story()
    first = story.see(("email", "a@orange.fr"), ("phone", "06 00 00 00 00"))

    second = story.see(("email", "b@orange.fr"), ("phone", "0600000000"))

    assert second.profile_id != first.profile_id
    assert second.blocked == [make_identifier("phone", "0600000000")]
    assert ("phone", "+33600000000") not in story.graph.identifiers


def test_a_stored_value_later_listed_is_shared_from_its_next_sighting():
    """A retailer lists its store's address: the next message flags it for re-examination."""
    story = Story()
    story.see(("email", "accueil.lyon@ma-boutique.fr"))
    story.graph.blocklist = Blocklist.with_defaults(["email:accueil.lyon@ma-boutique.fr"])

    outcome = story.see(("email", "accueil.lyon@ma-boutique.fr"))

    assert outcome.profile_id is None
    assert outcome.flagged == [make_identifier("email", "accueil.lyon@ma-boutique.fr")]
    assert story.graph.identifiers[("email", "accueil.lyon@ma-boutique.fr")].shared


def test_a_message_on_a_shared_landline_finds_the_member_it_names():
    """The third message on the Morins' landline, from Cédric, is Cédric's."""
    story = Story()
    story.see(("phone", "03 49 24 65 76"), ("anonymous_id", "t1"), person=GREGOIRE)
    cedric = story.see(("phone", "03 49 24 65 76"), ("anonymous_id", "t2"), person=CEDRIC)

    again = story.see(("phone", "03 49 24 65 76"), person=PersonFacts.of(["Cedric"]))

    assert again.profile_id == cedric.profile_id
    assert not again.created


def test_the_shipped_blocklist_knows_placeholders_and_shop_addresses():
    """Repeated digits, 01 23 45 67 89, contact@…, noreply@…, test@…, a card of zeros."""
    blocked = default_blocklist()
    for kind, value in [
        ("phone", "06 00 00 00 00"),
        ("phone", "07 77 77 77 77"),
        ("phone", "06 06 06 06 06"),
        ("phone", "01 23 45 67 89"),
        ("phone", "01 11 11 11 11"),
        ("email", "contact@magasin.fr"),
        ("email", "noreply@boutique.com"),
        ("email", "no-reply@enseigne.fr"),
        ("email", "test@gmail.com"),
        ("email", "info@magasin.fr"),
        ("email", "jean@test.fr"),
        ("loyalty_card", "0000 0000"),
        ("loyalty_card", "1234"),
    ]:
        assert blocked.reason(make_identifier(kind, value)) is not None, (kind, value)
    for kind, value in [
        ("phone", "06 12 34 56 78"),
        ("phone", "03 49 24 65 76"),
        ("email", "contact.dupont@gmail.com"),
        ("email", "jean.dupont@example.fr"),
        ("loyalty_card", "FID 4242"),
    ]:
        assert blocked.reason(make_identifier(kind, value)) is None, (kind, value)


def test_a_listed_value_typed_any_way_is_blocked():
    """A retailer's value is normalised as customers' are: '04.72.00.00.01' is '+33472000001'."""
    blocked = Blocklist.with_defaults(["phone:04.72.00.00.01", "email: Accueil@Boutique.fr "])

    assert blocked.reason(make_identifier("phone", "+33 4 72 00 00 01")) == "listed"
    assert blocked.reason(make_identifier("email", "accueil@boutique.fr")) == "listed"


# -- never a household glued together ------------------------------------------------------

PEOPLE = [
    PersonFacts.of(["Grégoire"], ["1971-02-03"]),
    PersonFacts.of(["Cédric"], ["1999-03-11"]),
    PersonFacts.of(["Sylvie"], ["1968-05-20"]),
    PersonFacts.of(["Marc-Antoine"], ["1985-11-30"]),
    PersonFacts.of(["Zoé"], ["2004-08-14"]),
]
SHARED_POOL = [
    ("phone", "03 49 24 65 76"),
    ("phone", "04 78 12 34 56"),
    ("phone", "06 45 45 67 67"),
    ("phone", "07 55 66 77 88"),
    ("email", "famille.morin@free.fr"),
    ("email", "maison@orange.fr"),
    ("loyalty_card", "FID 4242"),
    ("loyalty_card", "FID 9191"),
    ("anonymous_id", "tablette-magasin"),
    ("device_id", "PHONE-FAMILLE"),
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(PEOPLE) - 1),
            st.lists(st.sampled_from(SHARED_POOL), min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_messages_that_name_their_person_never_make_two_people_one(messages):
    """Whatever identifiers five people share, when every message states its given name and
    birth date, no profile ends up holding two of them."""
    story = Story()
    whose: list[tuple[str, int]] = []
    for person, pairs in messages:
        outcome = story.see(*pairs, person=PEOPLE[person])
        assert outcome.profile_id is not None
        whose.append((outcome.profile_id, person))

    people_of: dict[str, set[int]] = {}
    for profile_id, person in whose:
        people_of.setdefault(story.root(profile_id), set()).add(person)
    assert all(len(people) == 1 for people in people_of.values()), people_of


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(SHARED_POOL[:4]), min_size=2, max_size=12))
def test_an_untrusted_source_never_merges(pairs):
    """Messages of the public web key, whatever identifiers they pair, never merge."""
    story = Story()
    for pair in pairs:
        story.see(pair)
    before = len(story.graph.merges)
    for a, b in itertools.pairwise(pairs):
        story.see(a, b, trusted=False)

    recognised = [
        m for m in story.graph.merges[before:] if story.graph.profiles[m.absorbed_id].anchors
    ]
    assert recognised == []
