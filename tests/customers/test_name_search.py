"""Finding a person by name at the counter: accents, case, typos, a surname alone."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime

from sqlalchemy import Boolean, String, column, delete, insert, table

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.models import ProfileSearchName, ProfileTrait
from omnicanal.customers.service.search import rank_names
from omnicanal.platform import migrate
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.db import Database
from omnicanal.platform.types import UtcDateTime
from tests.customers.support import make_source, profiles_key, send

TRAIT_COLUMNS = ("id", "profile_id", "home_profile_id", "name", "value", "observed_at")
PROFILES_AT_0005 = table(
    "profiles",
    column("id", String),
    column("root_id", String),
    column("merged_into_id", String),
    column("recognised", Boolean),
    column("created_at", UtcDateTime()),
)
"""The profiles table as migration 0005 left it (the model has columns added since)."""


def _migration(name):
    path = migrate.MIGRATIONS / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


backfill = _migration("0006_profile_search_names").backfill

PEOPLE = {
    "p1": "Zoé Martin",
    "p2": "Jean-Baptiste Martin",
    "p3": "Hélène Lefèvre",
    "p4": "Zoe Marchand",
    "p5": "Paul Durand",
}


def test_an_accentless_lower_case_name_finds_the_accented_one_first():
    matches = rank_names("zoe martin", PEOPLE)

    assert matches[0].profile_id == "p1"
    assert matches[0].score == 100


def test_a_surname_alone_finds_every_person_of_that_name():
    matches = rank_names("MARTIN", PEOPLE)

    assert {match.profile_id for match in matches[:2]} == {"p1", "p2"}
    assert "p5" not in {match.profile_id for match in matches}


def test_a_typo_still_finds_the_person():
    matches = rank_names("helene lefevbre", PEOPLE)

    assert [match.profile_id for match in matches] == ["p3"]


def test_a_name_nobody_has_finds_nobody():
    assert rank_names("Kowalczyk", PEOPLE) == []
    assert rank_names("z", PEOPLE) == []


def test_the_ranking_finds_the_one_name_among_twenty_thousand():
    """The right person comes first among 20,000 names (its speed is bench.names's job)."""
    first = ["Zoé", "Jean", "Hélène", "Paul", "Camille", "Louis", "Inès", "Hugo", "Léa", "Nina"]
    last = [f"Nom{index}" for index in range(2000)]
    names = {f"p{i}": f"{first[i % 10]} {last[i // 10]}" for i in range(20_000)}

    matches = rank_names("lea nom1234", names)

    assert matches[0].name == "Léa Nom1234"


def test_profiles_are_found_by_the_name_their_traits_carry(platform, client):
    write_key = make_source(platform, "web")
    send(
        client,
        write_key,
        {
            "type": "identify",
            "userId": "u-zoe",
            "traits": {"first_name": "Zoé", "last_name": "Martin"},
            "timestamp": "2026-02-02T11:00:00Z",
        },
        {
            "type": "identify",
            "userId": "u-paul",
            "traits": {"name": "Paul Durand"},
            "timestamp": "2026-02-02T11:00:00Z",
        },
    )

    with platform.db.reading() as session:
        zoe = customers.find_profiles_by_name(session, query="zoe martin")
        paul = customers.find_profiles_by_name(session, query="durand")

    assert [match.name for match in zoe] == ["Zoé Martin"]
    assert [match.name for match in paul] == ["Paul Durand"]


def _identify(client, write_key, user_id, traits, timestamp="2026-02-02T11:00:00Z"):
    send(
        client,
        write_key,
        {"type": "identify", "userId": user_id, "traits": traits, "timestamp": timestamp},
    )


def _search(platform, query):
    with platform.db.reading() as session:
        return [
            (match.profile_id, match.name)
            for match in customers.find_profiles_by_name(session, query=query)
        ]


def _profile_of(platform, value, kind=IdentifierKind.user_id):
    with platform.db.reading() as session:
        return customers.find_profile_id(session, kind=kind, value=value, region="FR")


def test_a_name_changed_later_is_found_under_the_new_name_and_not_the_old(platform, client):
    write_key = make_source(platform, "web")
    _identify(client, write_key, "u-zoe", {"first_name": "Zoé", "last_name": "Martin"})
    _identify(client, write_key, "u-zoe", {"last_name": "Durand"}, timestamp="2026-03-01T09:00:00Z")
    # An older message arriving late does not bring the old name back.
    _identify(client, write_key, "u-zoe", {"last_name": "Martin"}, timestamp="2026-01-01T09:00:00Z")
    zoe = _profile_of(platform, "u-zoe")

    assert _search(platform, "zoe durand") == [(zoe, "Zoé Durand")]
    assert _search(platform, "martin") == []


def test_a_merge_leaves_only_the_surviving_profile_and_an_unmerge_brings_both_back(
    platform, client
):
    web = make_source(platform, "web", trust="app_login")
    headers = profiles_key(platform)
    _identify(client, web, "u-helene", {"first_name": "Hélène", "last_name": "Lefèvre"})
    send(
        client,
        web,
        {
            "type": "identify",
            "anonymousId": "cookie-card",
            "traits": {"loyalty_card": "FID7007", "name": "Helene Lefevre"},
            "timestamp": "2026-02-03T11:00:00Z",
        },
    )
    helene = _profile_of(platform, "u-helene")
    card = _profile_of(platform, "FID7007", kind=IdentifierKind.loyalty_card)
    assert {profile_id for profile_id, _ in _search(platform, "lefevre")} == {helene, card}

    # One message names both: the identity graph merges them, the older profile survives
    # and its first and last names win over the other's full name.
    _identify(client, web, "u-helene", {"loyalty_card": "FID7007"})
    merged = _search(platform, "helene lefevre")

    assert merged == [(helene, "Hélène Lefèvre")]

    response = client.post(f"/v1/profiles/{helene}/unmerge", headers=headers)
    assert response.status_code == 200, response.text

    assert sorted(_search(platform, "lefevre")) == sorted(
        [(helene, "Hélène Lefèvre"), (card, "Helene Lefevre")]
    )


def test_a_decided_merge_and_its_undoing_keep_the_names_right(platform, client):
    """The same through ``merge_profiles`` (a reviewer's or the matcher's decision)."""
    web = make_source(platform, "web")
    _identify(client, web, "u-paul", {"first_name": "Paul", "last_name": "Durand"})
    _identify(
        client,
        web,
        "u-pol",
        {"first_name": "Pol", "last_name": "Durand"},
        timestamp="2026-02-04T11:00:00Z",
    )
    paul, pol = _profile_of(platform, "u-paul"), _profile_of(platform, "u-pol")

    with platform.db.transaction() as session:
        customers.merge_profiles(session, profile_ids=(pol, paul), rule="review", actor=OPERATOR)
    merged = _search(platform, "durand")
    with platform.db.transaction() as session:
        customers.unmerge(session, profile_id=paul, actor=OPERATOR)
    split = _search(platform, "durand")

    # One person now: the latest first name of the two wins.
    assert merged == [(paul, "Pol Durand")]
    assert sorted(split) == sorted([(paul, "Paul Durand"), (pol, "Pol Durand")])


def test_a_typo_in_the_first_letter_still_finds_the_person(platform, client):
    write_key = make_source(platform, "web")
    _identify(client, write_key, "u-helene", {"first_name": "Hélène", "last_name": "Lefèvre"})
    _identify(client, write_key, "u-paul", {"first_name": "Paul", "last_name": "Durand"})
    helene = _profile_of(platform, "u-helene")

    assert _search(platform, "kefevre") == [(helene, "Hélène Lefèvre")]
    assert _search(platform, "jelene lefevre") == [(helene, "Hélène Lefèvre")]


def test_typos_in_the_first_two_letters_still_find_the_person_by_ranking_every_name(
    platform, client
):
    """No stored word starts or goes on like "kwfebvre": every name is ranked instead."""
    write_key = make_source(platform, "web")
    _identify(client, write_key, "u-helene", {"first_name": "Hélène", "last_name": "Lefebvre"})
    _identify(client, write_key, "u-paul", {"first_name": "Paul", "last_name": "Durand"})
    helene = _profile_of(platform, "u-helene")

    assert _search(platform, "kwfebvre") == [(helene, "Hélène Lefebvre")]


def test_rebuilding_gives_every_existing_profile_its_search_name(platform, client):
    """The migration's backfill: names written before the search names existed are found."""
    write_key = make_source(platform, "web")
    _identify(client, write_key, "u-zoe", {"first_name": "Zoé", "last_name": "Martin"})
    _identify(client, write_key, "u-paul", {"name": "Paul Durand"})
    _identify(client, write_key, "u-nobody", {"email": "nobody@example.fr"})
    with platform.db.transaction() as session:
        session.execute(delete(ProfileSearchName))
    assert _search(platform, "zoe martin") == []

    with platform.db.transaction() as session:
        rebuilt = backfill(session.connection())

    assert rebuilt == 2
    assert _search(platform, "zoe martin") == [(_profile_of(platform, "u-zoe"), "Zoé Martin")]
    assert _search(platform, "durand") == [(_profile_of(platform, "u-paul"), "Paul Durand")]


def test_the_migration_backfills_profiles_that_existed_before_it(tmp_path):
    """Upgrading a database holding people (one merged into another) names the roots only."""
    db = Database(f"sqlite:///{tmp_path / 'before.db'}")
    migrate.upgrade(db, "0005")
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    later = datetime(2026, 2, 5, 9, tzinfo=UTC)
    profiles = [
        {"id": "P1", "root_id": "P1", "merged_into_id": None, "created_at": at},
        {"id": "P2", "root_id": "P1", "merged_into_id": "P1", "created_at": later},
        {"id": "P3", "root_id": "P3", "merged_into_id": None, "created_at": at},
    ]
    traits = [
        ("T1", "P1", "P1", "first_name", "Zoé", at),
        ("T2", "P1", "P1", "last_name", "Martin", at),
        ("T3", "P1", "P2", "last_name", "Marchand", later),
        ("T4", "P3", "P3", "name", "Paul Durand", at),
    ]
    with db.write_engine.begin() as connection:
        connection.execute(insert(PROFILES_AT_0005), [{"recognised": True, **p} for p in profiles])
        connection.execute(
            insert(ProfileTrait.__table__),
            [dict(zip(TRAIT_COLUMNS, row, strict=True)) | {"source": "test"} for row in traits],
        )

    migrate.upgrade(db)
    with db.reading() as session:
        zoe = customers.find_profiles_by_name(session, query="zoe")
        paul = customers.find_profiles_by_name(session, query="paul durand")
    db.dispose()

    assert [(match.profile_id, match.name) for match in zoe] == [("P1", "Zoé Marchand")]
    assert [(match.profile_id, match.name) for match in paul] == [("P3", "Paul Durand")]
