"""Conflict-aware linking through the tracking API, on a real database: an identifier two
people of one household share links neither to the other, a placeholder links nobody, and
the merges made through an identifier later seen with another person are looked at again."""

from __future__ import annotations

from sqlalchemy import func, select

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import make_identifier
from omnicanal.customers.identity.rules import MergeRule, ReviewReason
from omnicanal.customers.models import (
    HouseholdMember,
    IdentityMerge,
    IdentityReview,
    Profile,
    ProfileIdentifier,
)
from omnicanal.platform.actors import Actor
from tests.customers.support import make_source, profile_by, profiles_key, relay_and_match, send

STAFF = Actor(key_id=None, channel="back_office", name="test", scopes=frozenset({"*"}))


def _people(platform) -> int:
    with platform.db.reading() as session:
        return session.scalar(
            select(func.count()).select_from(Profile).where(Profile.root_id == Profile.id)
        )


def _counts(platform) -> tuple[int, int, int]:
    """People, merges still standing, open reviews."""
    with platform.db.reading() as session:
        merges = session.scalar(
            select(func.count())
            .select_from(IdentityMerge)
            .where(IdentityMerge.unmerged_at.is_(None))
        )
        reviews = session.scalar(
            select(func.count()).select_from(IdentityReview).where(IdentityReview.status == "open")
        )
    return _people(platform), merges, reviews


def _trait(profile: dict, name: str):
    return next((t["value"] for t in profile["traits"] if t["name"] == name), None)


def _identify(anonymous_id: str, **traits) -> dict:
    return {"type": "identify", "anonymousId": anonymous_id, "traits": traits}


def _profile_of_anonymous(client, headers, anonymous_id: str) -> dict:
    return profile_by(client, headers, anonymous_id=anonymous_id)


def test_a_household_member_on_the_family_landline_gets_a_profile_of_their_own(platform, client):
    """Grégoire then Cédric Morin on one landline: two people in one household, and
    Grégoire's first name intact."""
    till = make_source(platform, "store")
    headers = profiles_key(platform)

    send(
        client,
        till,
        _identify(
            "till-1",
            first_name="Grégoire",
            last_name="Morin",
            email="gregoire.morin@orange.fr",
            phone="03 49 24 65 76",
            birthday="1971-02-03",
        ),
    )
    send(
        client,
        till,
        _identify(
            "till-2",
            first_name="Cédric",
            last_name="Morin",
            phone="03.49.24.65.76",
            birthday="1999-03-11",
        ),
    )

    gregoire = profile_by(client, headers, email="gregoire.morin@orange.fr")
    cedric = _profile_of_anonymous(client, headers, "till-2")
    assert gregoire["id"] != cedric["id"]
    assert _trait(gregoire, "first_name") == "Grégoire"
    assert _trait(gregoire, "birthday") == "1971-02-03"
    assert _trait(cedric, "first_name") == "Cédric"
    assert gregoire["household"] is not None
    assert gregoire["household"]["id"] == cedric["household"]["id"]
    assert {m["profile_id"] for m in gregoire["household"]["members"]} == {
        gregoire["id"],
        cedric["id"],
    }
    assert _counts(platform)[1] == 0


def test_the_next_message_on_a_shared_landline_goes_to_the_member_it_names(platform, client):
    """Once the landline is known to be a household's, Cédric's next record finds Cédric."""
    till = make_source(platform, "store")
    headers = profiles_key(platform)
    send(
        client,
        till,
        _identify("t1", first_name="Grégoire", phone="0349246576", birthday="1971-02-03"),
        _identify("t2", first_name="Cédric", phone="0349246576", birthday="1999-03-11"),
    )
    cedric = _profile_of_anonymous(client, headers, "t2")

    send(client, till, _identify("t3", first_name="Cedric", phone="03 49 24 65 76"))

    assert _profile_of_anonymous(client, headers, "t3")["id"] == cedric["id"]
    assert _people(platform) == 2


def test_two_people_on_one_family_e_mail_stay_two_people_in_one_household(platform, client):
    """A family e-mail given by the mother then the son links neither to the other."""
    till = make_source(platform, "store")
    headers = profiles_key(platform)

    send(
        client,
        till,
        _identify(
            "t1",
            first_name="Sylvie",
            email="famille.roux@free.fr",
            phone="06 11 22 33 44",
            birthday="1968-05-02",
        ),
        _identify(
            "t2",
            first_name="Théo",
            email="famille.roux@free.fr",
            phone="07 55 66 77 88",
            birthday="2001-09-30",
        ),
    )

    sylvie = profile_by(client, headers, phone="06 11 22 33 44")
    theo = profile_by(client, headers, phone="07 55 66 77 88")
    assert sylvie["id"] != theo["id"]
    assert _trait(sylvie, "first_name") == "Sylvie"
    assert sylvie["household"]["id"] == theo["household"]["id"]
    assert _counts(platform)[1] == 0
    shared = client.get(
        "/v1/profiles/lookup", params={"email": "famille.roux@free.fr"}, headers=headers
    )
    assert shared.status_code == 409


def test_a_typo_in_the_first_name_still_links_through_the_e_mail(platform, client):
    """'Gregoire' and 'Grégorie' are one person's spellings: the e-mail links them."""
    till, app = make_source(platform, "store"), make_source(platform, "app")
    headers = profiles_key(platform)
    send(client, till, _identify("t1", first_name="Grégoire", email="g.morin@orange.fr"))

    send(client, app, _identify("a1", first_name="Gregorie", email="g.morin@orange.fr"))

    assert _people(platform) == 1
    assert (
        _profile_of_anonymous(client, headers, "a1")["id"]
        == (profile_by(client, headers, email="g.morin@orange.fr")["id"])
    )


def test_a_placeholder_mobile_links_nobody_even_once(platform, client):
    """'06 00 00 00 00' typed at a till for two customers merges neither into the other."""
    till = make_source(platform, "store")

    send(
        client,
        till,
        _identify("t1", first_name="Anne", email="anne@orange.fr", phone="06 00 00 00 00"),
        _identify("t2", last_name="Durand", email="paul.durand@sfr.fr", phone="0600000000"),
        _identify("t3", phone="06 00 00 00 00"),
    )

    assert _counts(platform)[:2] == (3, 0)
    with platform.db.reading() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(ProfileIdentifier)
                .where(ProfileIdentifier.value == "+33600000000")
            )
            == 0
        )


def test_a_shop_generic_e_mail_links_nobody(platform, client):
    """'contact@magasin.fr' given for two customers is set aside: two people."""
    till = make_source(platform, "store")

    send(
        client,
        till,
        _identify("t1", last_name="Petit", phone="06 12 12 34 34", email="contact@magasin.fr"),
        _identify("t2", last_name="Blanc", phone="06 98 76 54 32", email="contact@magasin.fr"),
    )

    assert _counts(platform)[:2] == (2, 0)


def test_a_value_the_retailer_lists_links_nobody(platform, client, monkeypatch):
    """A store's own address, added to the blocked values in the settings, links nobody."""
    monkeypatch.setattr(
        platform.settings, "identity_blocked_values", ["email:accueil.lyon@ma-boutique.fr"]
    )
    till = make_source(platform, "store")

    send(
        client,
        till,
        _identify("t1", last_name="Petit", email="accueil.lyon@ma-boutique.fr"),
        _identify("t2", last_name="Blanc", email="accueil.lyon@ma-boutique.fr"),
    )

    assert _counts(platform)[:2] == (2, 0)


def test_a_loyalty_card_reused_by_another_person_joins_neither_profile(platform, client):
    """A clerk's card scanned for a second customer: the second keeps their own profile."""
    till = make_source(platform, "store")
    headers = profiles_key(platform)

    send(
        client,
        till,
        _identify("t1", first_name="Julie", loyalty_card="FID 4242", phone="06 21 21 43 43"),
        _identify("t2", first_name="Marc", loyalty_card="FID4242", phone="06 87 65 43 21"),
    )

    julie = profile_by(client, headers, phone="06 21 21 43 43")
    marc = profile_by(client, headers, phone="06 87 65 43 21")
    assert julie["id"] != marc["id"]
    assert _trait(julie, "first_name") == "Julie"
    assert _counts(platform)[1] == 0


def _merged_through_family_e_mail(platform, client) -> tuple[str, str]:
    """Sylvie and Théo merged through their family e-mail, as resolution did before names
    were compared (the merge log names the e-mail)."""
    till = make_source(platform, "store")
    send(
        client,
        till,
        _identify("t1", first_name="Sylvie", phone="06 11 22 33 44", birthday="1968-05-02"),
        _identify("t2", first_name="Théo", phone="07 55 66 77 88", birthday="2001-09-30"),
        _identify("t3", email="famille.roux@free.fr", phone="06 11 22 33 44"),
    )
    headers = profiles_key(platform)
    sylvie = profile_by(client, headers, phone="06 11 22 33 44")["id"]
    theo = profile_by(client, headers, phone="07 55 66 77 88")["id"]
    with platform.db.transaction() as session:
        customers.merge_profiles(
            session,
            profile_ids=(sylvie, theo),
            rule=MergeRule.shared_identifier,
            actor=STAFF,
            identifier=make_identifier("email", "famille.roux@free.fr"),
        )
    return sylvie, theo


def test_a_merge_through_an_e_mail_later_seen_with_another_person_is_undone(platform, client):
    """When the family e-mail turns out shared, Sylvie and Théo (names and birth dates
    differ) are split back automatically and kept apart."""
    sylvie, theo = _merged_through_family_e_mail(platform, client)
    assert _people(platform) == 1
    till = make_source(platform, "store", name="second till")

    send(
        client,
        till,
        _identify("t9", first_name="Lucas", email="famille.roux@free.fr", birthday="2004-01-15"),
    )

    headers = profiles_key(platform)
    assert profile_by(client, headers, phone="06 11 22 33 44")["id"] == sylvie
    assert profile_by(client, headers, phone="07 55 66 77 88")["id"] == theo
    with platform.db.reading() as session:
        merge = session.scalar(select(IdentityMerge).where(IdentityMerge.absorbed_id == theo))
        assert merge.unmerged_at is not None
        assert session.scalar(select(func.count()).select_from(IdentityReview)) == 0
    assert _people(platform) == 3


def test_a_merge_the_evidence_does_not_settle_goes_to_review(platform, client):
    """A merge through the family e-mail of two profiles without birth dates waits for a
    person when the e-mail turns out shared; nothing is split."""
    till = make_source(platform, "store")
    send(
        client,
        till,
        _identify("t1", email="famille.roux@free.fr"),
        _identify("t2", first_name="Sylvie", phone="06 11 22 33 44"),
        _identify("t3", email="famille.roux@free.fr", phone="06 11 22 33 44"),
    )
    assert _counts(platform) == (1, 1, 0)

    send(client, till, _identify("t4", first_name="Théo", email="famille.roux@free.fr"))

    assert _counts(platform) == (2, 1, 1)
    headers = profiles_key(platform)
    review = client.get("/v1/identity-reviews", headers=headers).json()["items"][0]
    assert review["reason"] == ReviewReason.shared_identifier_merge
    assert "email:famille.roux@free.fr" in review["identifiers"]

    decided = client.post(
        f"/v1/identity-reviews/{review['id']}/decision",
        json={"decision": "keep_apart"},
        headers=headers,
    )

    assert decided.status_code == 200, decided.text
    assert _counts(platform)[1] == 0
    assert (
        profile_by(client, headers, phone="06 11 22 33 44")["id"]
        != profile_by(client, headers, anonymous_id="t1")["id"]
    )


def test_households_hold_the_members_a_shared_identifier_names(platform, client):
    """Three people on one landline: one household of three."""
    till = make_source(platform, "store")
    send(
        client,
        till,
        _identify("t1", first_name="Anne", phone="04 78 00 11 22", birthday="1970-01-01"),
        _identify("t2", first_name="Luc", phone="04 78 00 11 22", birthday="1972-06-06"),
        _identify("t3", first_name="Zoé", phone="04 78 00 11 22", birthday="2005-12-12"),
    )

    with platform.db.reading() as session:
        households = session.execute(
            select(HouseholdMember.household_id, func.count()).group_by(
                HouseholdMember.household_id
            )
        ).all()
    assert [count for _, count in households] == [3]


def test_michel_and_michele_on_one_family_e_mail_are_a_couple_not_a_typo(platform, client):
    """Michel then Michèle Dupont on the family e-mail and the landline: a masculine name and
    its feminine (Louis and Louise, Denis and Denise) are two people of one household, not one
    slip, even with no birth date to tell them apart; the matcher leaves them apart too."""
    till = make_source(platform, "store")
    headers = profiles_key(platform)
    for anonymous_id, first_name, last_name, phone in (
        ("till-1", "Michel", "Dupont", "03 49 24 65 76"),
        ("till-2", "Michèle", "DUPONT", "0349246576"),
    ):
        send(
            client,
            till,
            _identify(
                anonymous_id,
                first_name=first_name,
                last_name=last_name,
                email="famille.dupont@orange.fr",
                phone=phone,
            ),
        )
    relay_and_match(platform)

    michel = _profile_of_anonymous(client, headers, "till-1")
    michele = _profile_of_anonymous(client, headers, "till-2")
    assert michel["id"] != michele["id"]
    assert _trait(michel, "first_name") == "Michel"
    assert michel["household"] is not None
    assert michel["household"]["id"] == michele["household"]["id"]
