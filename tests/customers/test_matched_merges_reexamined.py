"""What a message says belongs to the profile it came through, and a merge the matcher made
is undone when a later message shows two birth dates (docs/adr/0045).

The matcher joins two records on their names and where they live: a father and son of one
name at one address, before either birth date is known. When the father's next message, with
his own login, gives 1954 to a profile that said 2006, the two are split again."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from omnicanal.customers.identity.rules import MergeRule
from omnicanal.customers.service.merging import merge_profiles
from omnicanal.customers.service.realtime import MATCHER_ACTOR
from omnicanal.platform.events import OutboxEvent
from tests.customers.support import make_source, profile_by, profiles_key, send
from tests.customers.test_unmerge import _two_people

ADDRESS = {"street": "166 avenue Pagès", "postal_code": "06000", "city": "Nice"}


def _traits(client: Any, headers: dict[str, str], profile_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/profiles/{profile_id}", headers=headers)
    assert response.status_code == 200, response.text
    return {t["name"]: t["value"] for t in response.json()["traits"]}


def _timeline(client: Any, headers: dict[str, str], profile_id: str) -> list[str]:
    response = client.get(
        f"/v1/profiles/{profile_id}", params={"timeline_limit": 50}, headers=headers
    )
    return [event["name"] for event in response.json()["timeline"]["items"]]


def _recorded(platform: Any) -> Counter[str]:
    """How many times each profile was given to the matcher."""
    with platform.db.reading() as session:
        return Counter(
            row.data["profile_id"]
            for row in session.query(OutboxEvent).filter(
                OutboxEvent.type == "customer.person_recorded"
            )
        )


@pytest.fixture
def father_and_son(platform, client) -> tuple[str, str, str]:
    """Timothée Verdier the father (web login, no birth date yet) and his son (at the till,
    born 2006), merged by the matcher; returns the web key, the father's and the son's ids."""
    headers = profiles_key(platform)
    web = make_source(platform, "web", trust="app_login")
    store = make_source(platform, "store")
    send(
        client,
        web,
        {
            "type": "identify",
            "userId": "tverdier",
            "traits": {
                "first_name": "Timothée",
                "last_name": "Verdier",
                "email": "timothee_verdier@orange.fr",
                "address": ADDRESS,
            },
            "timestamp": "2026-07-24T10:00:00Z",
        },
    )
    send(
        client,
        store,
        {
            "type": "identify",
            "anonymousId": "till-7",
            "traits": {
                "first_name": "TIMOTHEE",
                "last_name": "VERDIER",
                "email": "timotheeverdier@gmail.com",
                "birthday": "2006-04-03",
                "address": ADDRESS,
            },
            "timestamp": "2026-08-18T10:00:00Z",
        },
    )
    father = profile_by(client, headers, user_id="tverdier")["id"]
    son = profile_by(client, headers, email="timotheeverdier@gmail.com")["id"]
    assert father != son
    with platform.db.transaction() as session:
        merge_profiles(
            session,
            profile_ids=(father, son),
            rule=MergeRule.probabilistic_match,
            actor=MATCHER_ACTOR,
            detail={"weight": 25.9},
        )
    assert profile_by(client, headers, user_id="tverdier")["merged_profile_ids"]
    return web, father, son


def _father_says(client: Any, web: str, birthday: str) -> None:
    send(
        client,
        web,
        {
            "type": "identify",
            "userId": "tverdier",
            "traits": {"first_name": "Timothée", "last_name": "Verdier", "birthday": birthday},
            "timestamp": "2026-10-18T10:00:00Z",
        },
        {"type": "track", "userId": "tverdier", "event": "Wishlist Added"},
    )


def test_a_birth_date_through_the_fathers_login_splits_the_matchers_merge(
    platform, client, father_and_son
):
    headers = profiles_key(platform)
    web, father, son = father_and_son
    recorded_before = _recorded(platform)

    _father_says(client, web, "1954-01-25")

    by_login = profile_by(client, headers, user_id="tverdier")
    by_email = profile_by(client, headers, email="timotheeverdier@gmail.com")
    assert by_login["id"] == father
    assert by_email["id"] == son
    assert by_login["merged_profile_ids"] == by_email["merged_profile_ids"] == []
    # Each keeps the birth date his own messages gave, and the father his activity.
    assert _traits(client, headers, father)["birthday"] == "1954-01-25"
    assert _traits(client, headers, son)["birthday"] == "2006-04-03"
    assert "Wishlist Added" in _timeline(client, headers, father)
    assert "Wishlist Added" not in _timeline(client, headers, son)
    explained = client.get(f"/v1/profiles/{son}/explain", headers=headers).json()
    [merge] = explained["merges"]
    assert merge["rule"] == "probabilistic_match"
    assert merge["unmerged_at"] is not None
    recorded = _recorded(platform)
    # Both are matched again (a household, now).
    assert recorded[father] > recorded_before[father]
    assert recorded[son] > recorded_before[son]


@pytest.mark.parametrize("birthday", ["2006-04-03", "2006-03-04"])
def test_a_birth_date_that_agrees_keeps_the_merge(platform, client, father_and_son, birthday):
    """The same date, or the day and month swapped: one person after all."""
    headers = profiles_key(platform)
    web, father, son = father_and_son

    _father_says(client, web, birthday)

    assert profile_by(client, headers, user_id="tverdier")["merged_profile_ids"] == [son]
    assert profile_by(client, headers, email="timotheeverdier@gmail.com")["id"] == father


def test_what_a_message_says_through_a_merged_profile_goes_back_with_it(platform, client):
    headers = profiles_key(platform)
    web, app = _two_people(platform, client)  # Anne's login; a card in the app
    send(client, web, {"type": "identify", "userId": "anne", "traits": {"loyalty_card": "FID5005"}})
    anne = profile_by(client, headers, user_id="anne")
    [other] = anne["merged_profile_ids"]

    # Through the card's profile, merged into Anne's: its own trait and its own event.
    send(
        client,
        app,
        {"type": "identify", "anonymousId": "install-b", "traits": {"favourite_store": "Lyon"}},
        {"type": "track", "anonymousId": "install-b", "event": "Store Chosen"},
    )
    assert _traits(client, headers, anne["id"])["favourite_store"] == "Lyon"

    client.post(f"/v1/profiles/{anne['id']}/unmerge", headers=headers)

    assert _traits(client, headers, other)["favourite_store"] == "Lyon"
    assert "favourite_store" not in _traits(client, headers, anne["id"])
    assert "Store Chosen" in _timeline(client, headers, other)
    assert "Store Chosen" not in _timeline(client, headers, anne["id"])
