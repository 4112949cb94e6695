"""Probabilistic matching wired to profiles: person records in; merges, reviews and
household links out; in real time for a new record and as a batch."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from typer.testing import CliRunner

from omnicanal.customers.matching import Matcher, MatchScore
from omnicanal.customers.models import IdentityMerge, IdentityReview
from omnicanal.customers.service.matching import apply_matches, person_records
from omnicanal.platform.actors import OPERATOR
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
TILL_JEAN = {
    "type": "identify",
    "anonymousId": "till-visit-1",
    "traits": {
        "customer_number": "POS-LYO-1",
        "first_name": "J.",
        "last_name": "DUPONT",
        "birthday": "1980-03-04",
        "street": "12 RUE VICTOR HUGO",
        "postal_code": "69002",
        "city": "LYON",
        "phone": "06 12 34 56 78",
    },
}
TILL_MARIE = {
    "type": "identify",
    "anonymousId": "till-visit-2",
    "traits": {
        "customer_number": "POS-LYO-2",
        "first_name": "MARIE",
        "last_name": "DUPONT",
        "birthday": "1983-11-20",
        "street": "12 rue Victor Hugo",
        "postal_code": "69002",
        "city": "Lyon",
        "phone": "04 78 12 34 56",
    },
}


def _score(decision: str, probability: float = 0.995) -> MatchScore:
    return MatchScore(weight=30.0, probability=probability, decision=decision, reasons=["test"])


def test_person_records_read_names_birth_dates_addresses_and_contacts(platform, client):
    send(client, make_source(platform, "store"), TILL_JEAN, TILL_MARIE)

    with platform.db.reading() as session:
        records = {r.given_name: r for r in person_records(session)}

    jean, marie = records["J."], records["MARIE"]
    assert (jean.family_name, jean.birth_date, jean.postcode) == (
        "DUPONT",
        date(1980, 3, 4),
        "69002",
    )
    assert (jean.street, jean.city, jean.phone) == ("12 RUE VICTOR HUGO", "LYON", "+33612345678")
    assert jean.phone_is_landline is False
    assert marie.phone == "+33478123456"
    assert marie.phone_is_landline is True


def test_a_merge_decision_merges_the_two_profiles_with_its_reasons(platform, client):
    send(client, make_source(platform, "web"), WEB_JEAN)
    send(client, make_source(platform, "store"), TILL_JEAN)
    with platform.db.reading() as session:
        web, till = sorted(person_records(session), key=lambda r: r.given_name)

    with platform.db.transaction() as session:
        run = apply_matches(session, matches=[(web, till, _score("merge"))], actor=OPERATOR)

    assert run.merged == 1
    headers = profiles_key(platform)
    assert (
        profile_by(client, headers, external_id="POS-LYO-1")["id"]
        == (profile_by(client, headers, user_id="jean-web")["id"])
    )
    with platform.db.reading() as session:
        merge = session.scalar(select(IdentityMerge))
    assert merge.rule == "probabilistic_match"
    assert merge.detail["reasons"] == ["test"]


def test_a_review_decision_queues_the_pair_once(platform, client):
    send(client, make_source(platform, "web"), WEB_JEAN)
    send(client, make_source(platform, "store"), TILL_JEAN)
    with platform.db.reading() as session:
        a, b = person_records(session)

    for _ in range(2):
        with platform.db.transaction() as session:
            apply_matches(session, matches=[(a, b, _score("review", 0.95))], actor=OPERATOR)

    reviews = client.get("/v1/identity-reviews", headers=profiles_key(platform)).json()["items"]
    assert [(r["kind"], r["reason"], r["probability"]) for r in reviews] == [
        ("match", "probable_match", 0.95)
    ]


def test_a_household_decision_links_never_merges(platform, client):
    send(client, make_source(platform, "store"), TILL_JEAN, TILL_MARIE)
    with platform.db.reading() as session:
        a, b = person_records(session)

    with platform.db.transaction() as session:
        run = apply_matches(session, matches=[(a, b, _score("household", 0.01))], actor=OPERATOR)

    headers = profiles_key(platform)
    jean = profile_by(client, headers, external_id="POS-LYO-1")
    marie = profile_by(client, headers, external_id="POS-LYO-2")
    assert run.households == 1
    assert jean["id"] != marie["id"]
    assert jean["household"]["id"] == marie["household"]["id"]


def test_a_merge_the_deterministic_rules_forbid_becomes_a_review(platform, client):
    send(
        client,
        make_source(platform, "app"),
        {**WEB_JEAN, "traits": {**WEB_JEAN["traits"], "loyalty_card": "FID1"}},
        {**TILL_JEAN, "traits": {**TILL_JEAN["traits"], "loyalty_card": "FID2"}},
    )
    with platform.db.reading() as session:
        a, b = person_records(session)

    with platform.db.transaction() as session:
        run = apply_matches(session, matches=[(a, b, _score("merge"))], actor=OPERATOR)

    assert (run.merged, run.reviews) == (0, 1)
    with platform.db.reading() as session:
        assert session.scalar(select(IdentityReview.reason)) == "loyalty_card_conflict"


def test_a_new_till_record_is_matched_in_real_time_with_the_web_account(platform, client):
    send(client, make_source(platform, "web"), WEB_JEAN)
    relay_and_match(platform)

    send(client, make_source(platform, "store"), TILL_JEAN)
    relay_and_match(platform)

    headers = profiles_key(platform)
    till = profile_by(client, headers, external_id="POS-LYO-1")
    assert till["id"] == profile_by(client, headers, user_id="jean-web")["id"]
    story = client.get(f"/v1/profiles/{till['id']}/explain", headers=headers).json()
    assert [m["rule"] for m in story["merges"]] == ["probabilistic_match"]


def test_a_household_member_arriving_at_the_till_is_linked_in_real_time(platform, client):
    send(client, make_source(platform, "store"), TILL_JEAN)
    relay_and_match(platform)

    send(client, make_source(platform, "store"), TILL_MARIE)
    relay_and_match(platform)

    headers = profiles_key(platform)
    marie = profile_by(client, headers, external_id="POS-LYO-2")
    jean = profile_by(client, headers, external_id="POS-LYO-1")
    assert marie["id"] != jean["id"]
    assert marie["household"] is not None
    assert marie["household"]["id"] == jean["household"]["id"]


def test_the_batch_command_merges_the_obvious_duplicate(platform, client, monkeypatch):
    send(client, make_source(platform, "web"), WEB_JEAN)
    send(client, make_source(platform, "store"), TILL_JEAN, TILL_MARIE)
    monkeypatch.setenv("OMNICANAL_DATABASE_URL", platform.db.url.render_as_string(False))
    from omnicanal.cli.main import app

    result = CliRunner().invoke(app, ["customers", "match"])

    assert result.exit_code == 0, result.output
    assert "profiles merged" in result.output
    headers = profiles_key(platform)
    assert (
        profile_by(client, headers, external_id="POS-LYO-1")["id"]
        == (profile_by(client, headers, user_id="jean-web")["id"])
    )
    assert profile_by(client, headers, external_id="POS-LYO-2")["household"] is not None


def test_the_batch_run_leaves_its_index_to_real_time_matching(platform, client, monkeypatch):
    send(client, make_source(platform, "web"), WEB_JEAN)
    send(client, make_source(platform, "store"), TILL_MARIE)
    monkeypatch.setenv("OMNICANAL_DATABASE_URL", platform.db.url.render_as_string(False))
    from omnicanal.cli.main import app
    from omnicanal.customers.models import MatcherModel, PersonKey

    result = CliRunner().invoke(app, ["customers", "match"])
    assert result.exit_code == 0, result.output
    assert "the matcher's defaults" in result.output
    with platform.db.reading() as session:
        assert session.scalar(select(MatcherModel.id)) is None
        assert len(set(session.scalars(select(PersonKey.profile_id)))) == 2

    send(client, make_source(platform, "store"), TILL_JEAN)
    relay_and_match(platform)

    headers = profiles_key(platform)
    assert (
        profile_by(client, headers, external_id="POS-LYO-1")["id"]
        == (profile_by(client, headers, user_id="jean-web")["id"])
    )


def test_real_time_matching_scores_with_the_weights_the_batch_run_saved(platform):
    from omnicanal.customers.matching import Matcher, PersonRecord
    from omnicanal.customers.service.matching import latest_model_id, load_model, save_model

    rng = __import__("random").Random(7)
    people = [
        PersonRecord(
            record_id=f"r{n}",
            given_name=rng.choice(["Jean", "Marie", "Paul", "Léa", "Zoé", "Hugo"]),
            family_name=rng.choice(["Dupont", "Martin", "Bernard", "Petit", "Roux"]),
            birth_date=date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28)),
            postcode=rng.choice(["69002", "75011", "13001"]),
        )
        for n in range(300)
    ]
    fitted = Matcher().fit(people)

    with platform.db.transaction() as session:
        save_model(session, matcher=fitted, records=len(people))
    with platform.db.reading() as session:
        restored = Matcher(model=load_model(session, latest_model_id(session)))

    pair = (people[0], people[1])
    assert restored.score(*pair) == fitted.score(*pair)


def _martin_thomas(number: str, birthday: str | None = None) -> dict[str, object]:
    """A till's identify of a Martin Thomas of one family's address."""
    traits: dict[str, object] = {
        "customer_number": number,
        "first_name": "Martin",
        "last_name": "Thomas",
        "address": {"street": "19 place Marques", "postal_code": "69100", "city": "Villeurbanne"},
    }
    if birthday is not None:
        traits["birthday"] = birthday
    return {"type": "identify", "anonymousId": f"visit-{number}", "traits": traits}


def test_a_record_that_fits_two_namesakes_is_merged_with_neither(platform, client):
    """A name and the family's address match the father and his namesake son: both merges
    wait for a person, and the two stay apart."""
    send(
        client,
        make_source(platform, "store"),
        _martin_thomas("POS-1", "1964-12-03"),
        _martin_thomas("POS-2", "2002-04-28"),
        _martin_thomas("POS-3"),
    )
    with platform.db.reading() as session:
        records = {(r.birth_date.year if r.birth_date else 0): r for r in person_records(session)}
    father, son, web = records[1964], records[2002], records[0]

    with platform.db.transaction() as session:
        run = apply_matches(
            session,
            matches=[(web, father, _score("merge")), (web, son, _score("merge"))],
            actor=OPERATOR,
            conflicts=Matcher().conflicts,
        )

    assert (run.merged, run.reviews) == (0, 2)
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(IdentityMerge)) == 0
        assert set(session.scalars(select(IdentityReview.reason))) == {"person_conflict"}


def test_a_known_profile_that_gives_its_address_is_matched_again_in_real_time(platform, client):
    """The web account had only a name when the till record arrived; once it gives its
    address, the real-time matcher finds the till record it now matches."""
    web = make_source(platform, "web")
    account = {"type": "identify", "userId": "martin-web", "traits": {"email": "mt@example.fr"}}
    send(client, web, {**account, "traits": {**account["traits"], "first_name": "Martin",
                                              "last_name": "Thomas"}})  # fmt: skip
    relay_and_match(platform)
    send(client, make_source(platform, "store"), _martin_thomas("POS-1"))
    relay_and_match(platform)
    headers = profiles_key(platform)
    assert (
        profile_by(client, headers, user_id="martin-web")["id"]
        != (profile_by(client, headers, external_id="POS-1")["id"])
    )

    home = _martin_thomas("POS-1")["traits"]["address"]  # type: ignore[index]
    send(client, web, {**account, "traits": {**account["traits"], "address": home}})
    relay_and_match(platform)

    assert (
        profile_by(client, headers, user_id="martin-web")["id"]
        == (profile_by(client, headers, external_id="POS-1")["id"])
    )
