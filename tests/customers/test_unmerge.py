"""Unmerge: a profile split back into the originals, identifiers, traits and events exactly."""

from __future__ import annotations

from tests.customers.support import make_source, profile_by, profiles_key, send

STABLE_IDENTIFIER_FIELDS = ("kind", "value", "anchor", "source", "first_seen_at", "home_profile_id")


def _view(client, headers, profile_id):
    response = client.get(
        f"/v1/profiles/{profile_id}", params={"timeline_limit": 200}, headers=headers
    )
    assert response.status_code == 200, response.text
    profile = response.json()
    return {
        "id": profile["id"],
        "recognised": profile["recognised"],
        "identifiers": sorted(
            tuple(i[f] for f in STABLE_IDENTIFIER_FIELDS) for i in profile["identifiers"]
        ),
        "traits": sorted((t["name"], str(t["value"]), t["source"]) for t in profile["traits"]),
        "events": sorted(e["id"] for e in profile["timeline"]["items"]),
        "first_seen_at": profile["first_seen_at"],
        "merged": profile["merged_profile_ids"],
    }


def _two_people(platform, client):
    web, app = make_source(platform, "web", trust="app_login"), make_source(platform, "app")
    send(
        client,
        web,
        {"type": "page", "anonymousId": "cookie-anne", "name": "Accueil"},
        {
            "type": "identify",
            "userId": "anne",
            "anonymousId": "cookie-anne",
            "traits": {"email": "anne@example.fr", "first_name": "Anne"},
            "timestamp": "2026-01-10T10:00:00Z",
        },
        {"type": "track", "userId": "anne", "event": "Wishlist Added"},
    )
    send(
        client,
        app,
        {
            "type": "identify",
            "anonymousId": "install-b",
            "traits": {"loyalty_card": "FID5005", "last_name": "Martin"},
            "context": {"device": {"id": "PHONE-B"}},
            "timestamp": "2026-01-11T10:00:00Z",
        },
        {"type": "screen", "anonymousId": "install-b", "name": "Carte"},
    )
    return web, app


def test_an_unmerge_restores_the_original_profiles_exactly(platform, client):
    headers = profiles_key(platform)
    web, _ = _two_people(platform, client)
    anne_id = profile_by(client, headers, email="anne@example.fr")["id"]
    other_id = profile_by(client, headers, loyalty_card="FID5005")["id"]
    anne_before = _view(client, headers, anne_id)
    other_before = _view(client, headers, other_id)

    send(
        client,
        web,
        {
            "type": "identify",
            "userId": "anne",
            "traits": {"loyalty_card": "FID5005", "first_name": "Anne-Marie"},
        },
    )
    merged = profile_by(client, headers, loyalty_card="FID5005")
    assert merged["id"] == anne_id
    assert merged["merged_profile_ids"] == [other_id]

    response = client.post(f"/v1/profiles/{anne_id}/unmerge", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["restored_profile_ids"] == [other_id]
    assert _view(client, headers, other_id) == other_before
    anne_after = _view(client, headers, anne_id)
    merge_event = set(anne_after["events"]) - set(anne_before["events"])
    assert len(merge_event) == 1  # the identify that merged them stays with Anne
    assert anne_after["identifiers"] == anne_before["identifiers"]
    assert {k: v for k, v in anne_after.items() if k not in ("events", "traits")} == {
        k: v for k, v in anne_before.items() if k not in ("events", "traits")
    }
    assert ("first_name", "Anne-Marie", "web/test web") in anne_after["traits"]


def test_an_unmerged_pair_is_not_merged_again_by_the_same_evidence(platform, client):
    headers = profiles_key(platform)
    web, _ = _two_people(platform, client)
    merge = {"type": "identify", "userId": "anne", "traits": {"loyalty_card": "FID5005"}}
    send(client, web, merge)
    anne_id = profile_by(client, headers, user_id="anne")["id"]
    client.post(f"/v1/profiles/{anne_id}/unmerge", headers=headers)

    send(client, web, merge)

    assert profile_by(client, headers, loyalty_card="FID5005")["id"] != anne_id


def test_a_profile_made_of_three_splits_back_into_three(platform, client):
    headers = profiles_key(platform)
    web = make_source(platform, "web", trust="app_login")
    for n in range(3):
        send(
            client,
            web,
            {"type": "identify", "anonymousId": f"c{n}", "traits": {"email": f"p{n}@ex.fr"}},
        )
    send(
        client,
        web,
        {"type": "identify", "userId": "u", "traits": {"email": "p0@ex.fr"}},
        {"type": "identify", "userId": "u", "traits": {"email": "p1@ex.fr"}},
        {"type": "identify", "userId": "u", "traits": {"email": "p2@ex.fr"}},
    )
    one = profile_by(client, headers, user_id="u")
    assert len(one["merged_profile_ids"]) == 2

    answer = client.post(f"/v1/profiles/{one['id']}/unmerge", headers=headers).json()

    assert len(answer["restored_profile_ids"]) == 2
    ids = {profile_by(client, headers, email=f"p{n}@ex.fr")["id"] for n in range(3)}
    assert len(ids) == 3
    for n in range(3):
        profile = profile_by(client, headers, email=f"p{n}@ex.fr")
        assert profile["merged_profile_ids"] == []
        assert f"c{n}" in {i["value"] for i in profile["identifiers"]}


def test_one_merge_can_be_undone_alone(platform, client):
    headers = profiles_key(platform)
    web = make_source(platform, "web", trust="app_login")
    for n in range(3):
        send(
            client,
            web,
            {"type": "identify", "anonymousId": f"c{n}", "traits": {"email": f"p{n}@ex.fr"}},
        )
    send(
        client,
        web,
        {"type": "identify", "userId": "u", "traits": {"email": "p0@ex.fr"}},
        {"type": "identify", "userId": "u", "traits": {"email": "p1@ex.fr"}},
        {"type": "identify", "userId": "u", "traits": {"email": "p2@ex.fr"}},
    )
    one = profile_by(client, headers, user_id="u")
    explained = client.get(f"/v1/profiles/{one['id']}/explain", headers=headers).json()
    last = explained["merges"][-1]

    answer = client.post(
        f"/v1/profiles/{one['id']}/unmerge", json={"merge_id": last["id"]}, headers=headers
    )

    assert answer.json()["undone_merge_ids"] == [last["id"]]
    assert len(profile_by(client, headers, user_id="u")["merged_profile_ids"]) == 1


def test_unmerging_a_profile_never_merged_is_a_409(platform, client):
    headers = profiles_key(platform)
    send(client, make_source(platform), {"type": "page", "anonymousId": "c"})
    profile_id = profile_by(client, headers, anonymous_id="c")["id"]

    response = client.post(f"/v1/profiles/{profile_id}/unmerge", headers=headers)

    assert response.status_code == 409
    assert response.json()["code"] == "nothing_to_unmerge"


def test_the_explanation_tells_the_merge_and_the_unmerge(platform, client):
    headers = profiles_key(platform)
    web, _ = _two_people(platform, client)
    send(client, web, {"type": "identify", "userId": "anne", "traits": {"loyalty_card": "FID5005"}})
    anne_id = profile_by(client, headers, user_id="anne")["id"]
    client.post(f"/v1/profiles/{anne_id}/unmerge", headers=headers)

    story = client.get(f"/v1/profiles/{anne_id}/explain", headers=headers).json()

    [merge] = story["merges"]
    assert merge["rule"] == "shared_identifier"
    assert merge["identifier"] == "loyalty_card FID5005"
    assert merge["unmerged_at"] is not None
    assert any("split from" in line for line in story["story"])
    assert any(
        "email anne@example.fr came in the same message as user_id:anne" in line
        for line in story["story"]
    )
