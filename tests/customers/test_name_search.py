"""Finding a person by name at the counter: accents, case, typos, a surname alone."""

from __future__ import annotations

import time

from omnicanal.customers import service as customers
from omnicanal.customers.service.search import rank_names
from tests.customers.support import make_source, send

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


def test_the_ranking_stays_fast_on_twenty_thousand_names():
    """Ranking 20,000 names takes well under a second (a guard, not a benchmark)."""
    first = ["Zoé", "Jean", "Hélène", "Paul", "Camille", "Louis", "Inès", "Hugo", "Léa", "Nina"]
    last = [f"Nom{index}" for index in range(2000)]
    names = {f"p{i}": f"{first[i % 10]} {last[i // 10]}" for i in range(20_000)}
    started = time.perf_counter()

    matches = rank_names("lea nom1234", names)

    assert matches[0].name == "Léa Nom1234"
    assert time.perf_counter() - started < 2


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
