"""Household members told apart by their family names at ingest, and the shared values a
person was refused by kept as matching evidence (a real database through the HTTP API)."""

from __future__ import annotations

from omnicanal.customers.service.matching import person_records
from tests.customers.support import make_source, profile_by, profiles_key, send


def _identify(anonymous_id: str, **traits) -> dict:
    return {"type": "identify", "anonymousId": anonymous_id, "traits": traits}


def test_namesakes_of_two_families_on_one_landline_stay_two_people(platform, client):
    """Alice Dumont then Alice Paris on one landline: two profiles in one household, and
    Alice Dumont's family name intact."""
    till = make_source(platform, "store")
    headers = profiles_key(platform)
    send(
        client,
        till,
        _identify(
            "till-1",
            first_name="Alice",
            last_name="Dumont",
            email="alice.dumont@orange.fr",
            phone="03 49 24 65 76",
        ),
    )

    send(
        client, till, _identify("till-2", first_name="ALICE", last_name="PARIS", phone="0349246576")
    )

    dumont = profile_by(client, headers, email="alice.dumont@orange.fr")
    paris = profile_by(client, headers, anonymous_id="till-2")
    assert dumont["id"] != paris["id"]
    assert {t["name"]: t["value"] for t in dumont["traits"]}["last_name"] == "Dumont"
    assert dumont["household"] is not None
    assert dumont["household"]["id"] == paris["household"]["id"]


def test_a_family_name_written_with_its_particles_still_links(platform, client):
    """ "DE LA FONTAINE" at the till and "Delafontaine" on the web: one person."""
    till = make_source(platform, "store")
    headers = profiles_key(platform)
    send(
        client,
        till,
        _identify(
            "till-1", first_name="Claire", last_name="DE LA FONTAINE", email="claire.f@gmail.com"
        ),
    )

    send(
        client,
        till,
        _identify(
            "till-2", first_name="Claire", last_name="Delafontaine", email="claire.f@gmail.com"
        ),
    )

    assert (
        profile_by(client, headers, anonymous_id="till-1")["id"]
        == profile_by(client, headers, anonymous_id="till-2")["id"]
    )


def test_a_shared_e_mail_refused_to_a_person_is_still_their_matching_evidence(platform, client):
    """Théo Giraud refused the Gaudins' family e-mail: not linked by it, but his record for the
    matcher carries it."""
    till = make_source(platform, "store")
    headers = profiles_key(platform)
    send(
        client,
        till,
        _identify(
            "till-1",
            first_name="Sylvie",
            last_name="Gaudin",
            email="famille.gaudin@free.fr",
            postal_code="69002",
        ),
    )

    send(
        client,
        till,
        _identify(
            "till-2",
            first_name="Théo",
            last_name="Giraud",
            email="famille.gaudin@free.fr",
            postal_code="69002",
        ),
    )

    sylvie = profile_by(client, headers, anonymous_id="till-1")
    theo = profile_by(client, headers, anonymous_id="till-2")
    assert theo["id"] != sylvie["id"]
    assert "famille.gaudin@free.fr" not in {i["value"] for i in theo["identifiers"]}
    with platform.db.reading() as session:
        records = {r.record_id: r for r in person_records(session)}
        asked = person_records(session, profile_ids=[theo["id"]])
    assert records[theo["id"]].email == "famille.gaudin@free.fr"
    assert records[sylvie["id"]].email == "famille.gaudin@free.fr"
    assert [r.email for r in asked] == ["famille.gaudin@free.fr"]


def test_every_spelling_a_person_was_given_counts_not_only_the_last(platform, client):
    """Aimé Pruvost, then a web record with a slip (« Ptuvost »), then the app with another
    slip (« Pryvost ») and his own e-mail and mobile: one typo from a name he was given, so
    the app's record is his, although it is two letters from the last spelling stored."""
    till = make_source(platform, "store")
    web = make_source(platform, "web")
    headers = profiles_key(platform)
    send(
        client,
        till,
        _identify(
            "till-1",
            first_name="Aimé",
            last_name="Pruvost",
            email="a.pruvost@gmail.com",
            phone="+33 6 53 08 87 01",
            birthday="1969-10-02",
        ),
    )
    send(client, web, _identify("web-1", first_name="Aimé", last_name="Ptuvost",
                                email="a.pruvost@gmail.com"))  # fmt: skip
    send(client, till, _identify("app-1", first_name="Aimé", last_name="Pryvost",
                                 email="a.pruvost@gmail.com", phone="06 53 08 87 01"))  # fmt: skip

    first = profile_by(client, headers, anonymous_id="till-1")
    assert profile_by(client, headers, anonymous_id="web-1")["id"] == first["id"]
    assert profile_by(client, headers, anonymous_id="app-1")["id"] == first["id"]
