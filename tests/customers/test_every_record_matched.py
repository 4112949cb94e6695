"""Every person record is matched: a till record with only a name, an address and a landline
(no e-mail, mobile or card) enters blocking and the matchers like any other; a bare cookie
does not."""

from __future__ import annotations

from datetime import date

from omnicanal.customers.matching import Matcher, PersonRecord
from omnicanal.customers.service.matching import person_records
from tests.customers.support import (
    make_source,
    profile_by,
    profiles_key,
    relay_and_match,
    send,
)

WEB_JEAN = {
    "type": "identify",
    "userId": "jean-web",
    "traits": {
        "email": "jean.dupont@example.fr",
        "first_name": "Jean",
        "last_name": "Dupont",
        "birthday": "1980-03-04",
        "address": {"street": "12 rue Victor Hugo", "postal_code": "69002", "city": "Lyon"},
    },
}
# What a till sends for a customer who gave no e-mail, mobile or card: names, an address, the
# home landline.
TILL_JEAN_LANDLINE_ONLY = {
    "type": "identify",
    "anonymousId": "till-visit-9",
    "traits": {
        "first_name": "JEAN",
        "last_name": "DUPONT",
        "birthday": "1980-03-04",
        "street": "12, R. VICTOR-HUGO",
        "postal_code": "69002",
        "city": "LYON",
        "phone": "04.78.12.34.56",
    },
}
TILL_JEAN_NAME_AND_ADDRESS = {
    "type": "identify",
    "anonymousId": "till-visit-10",
    "traits": {
        "first_name": "Jean",
        "last_name": "DUPONT",
        "birthday": "1980-03-04",
        "address": {"street": "12 r Victor Hugo", "postal_code": "69002", "city": "Lyon 2e"},
    },
}
BARE_COOKIE = {"type": "page", "anonymousId": "cookie-1", "name": "home"}


def test_a_named_record_without_email_mobile_or_card_is_a_person_record(platform, client):
    """Finding 2: name + address + landline records are read for the batch matcher."""
    send(client, make_source(platform, "store"), TILL_JEAN_LANDLINE_ONLY)
    send(client, make_source(platform, "web"), BARE_COOKIE)

    with platform.db.reading() as session:
        records = person_records(session)

    assert [(r.given_name, r.family_name, r.phone, r.phone_is_landline) for r in records] == [
        ("JEAN", "DUPONT", "+33478123456", True)
    ]
    assert records[0].postcode == "69002"


def test_a_bare_cookie_is_not_a_person_record(platform, client):
    """A visitor with no name is not given to the matcher, even when asked for by id."""
    send(client, make_source(platform, "web"), BARE_COOKIE)
    headers = profiles_key(platform)
    cookie = profile_by(client, headers, anonymous_id="cookie-1")

    with platform.db.reading() as session:
        assert person_records(session) == []
        assert person_records(session, profile_ids=[cookie["id"]]) == []


def test_a_name_without_address_or_phone_is_not_a_person_record(platform, client):
    """A first name alone (a newsletter pop-up) gives the matcher nothing to go on."""
    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "anonymousId": "popup-1", "traits": {"first_name": "Jean"}},
    )

    with platform.db.reading() as session:
        assert person_records(session) == []


def test_a_landline_only_till_record_is_matched_in_real_time_with_the_web_account(platform, client):
    """Finding 2: the real-time matcher runs for an anonymous record with name and landline."""
    send(client, make_source(platform, "web"), WEB_JEAN)
    relay_and_match(platform)

    send(client, make_source(platform, "store"), TILL_JEAN_LANDLINE_ONLY)
    relay_and_match(platform)

    headers = profiles_key(platform)
    till = profile_by(client, headers, anonymous_id="till-visit-9")
    assert till["id"] == profile_by(client, headers, user_id="jean-web")["id"]
    story = client.get(f"/v1/profiles/{till['id']}/explain", headers=headers).json()
    assert [m["rule"] for m in story["merges"]] == ["probabilistic_match"]


def test_a_name_and_address_record_is_matched_in_real_time(platform, client):
    """A till record with no identifier but a cookie joins the web account it spells."""
    send(client, make_source(platform, "web"), WEB_JEAN)
    relay_and_match(platform)

    send(client, make_source(platform, "store"), TILL_JEAN_NAME_AND_ADDRESS)
    relay_and_match(platform)

    headers = profiles_key(platform)
    till = profile_by(client, headers, anonymous_id="till-visit-10")
    assert till["id"] == profile_by(client, headers, user_id="jean-web")["id"]


def test_two_anonymous_till_records_of_one_person_are_matched_in_real_time(platform, client):
    """Neither record carries an anchor; they still meet through blocking."""
    send(client, make_source(platform, "store"), TILL_JEAN_LANDLINE_ONLY)
    relay_and_match(platform)

    send(client, make_source(platform, "store"), TILL_JEAN_NAME_AND_ADDRESS)
    relay_and_match(platform)

    headers = profiles_key(platform)
    assert (
        profile_by(client, headers, anonymous_id="till-visit-9")["id"]
        == profile_by(client, headers, anonymous_id="till-visit-10")["id"]
    )


def test_a_person_record_needs_a_name_and_something_to_find_it_by():
    """The pure rule: a name and an address, a phone, an e-mail or a birth date."""
    named = PersonRecord("a", given_name="Jean", family_name="Dupont")
    assert not named.is_person
    assert PersonRecord("a", family_name="Dupont", postcode="69002").is_person
    assert PersonRecord("a", given_name="Jean", phone="+33478123456").is_person
    assert PersonRecord("a", family_name="Dupont", street="12 rue Victor Hugo").is_person
    assert PersonRecord("a", given_name="Jean", birth_date=date(1980, 3, 4)).is_person
    assert not PersonRecord("a", postcode="69002", phone="+33478123456").is_person
    assert Matcher().blocking_keys(PersonRecord("a", family_name="Dupont", postcode="69002"))
