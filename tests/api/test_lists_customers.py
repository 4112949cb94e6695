"""The lists about customers: the people (``/v1/profiles``, one lookup moved to
``/v1/profiles/lookup``), the identity review queue, a profile's timeline, product reviews
and the loyalty ledger and redemptions. One pagination: each item once across pages, what
changed since a moment, the old cursor parameters still read, a foreign cursor refused."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from omnicanal.platform.clock import utcnow
from tests.builders import auth, make_key, make_product
from tests.customers.support import make_source, profiles_key, send
from tests.loyalty.builders import admin_key, enrol_directly, give_points, hold, make_programme
from tests.reviews.builders import DRESS, JACKET, decide, head_office_key, make_customer, submit


def read_all(
    client: TestClient, path: str, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every item of a list, two a page, following ``next_cursor`` while ``has_more``."""
    items: list[dict[str, Any]] = []
    params = {"limit": 2, **params}
    while True:
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        items += page["items"]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return items
        params["starting_after"] = page["next_cursor"]


def identify(client: TestClient, source: str, **message: Any) -> None:
    send(client, source, {"type": "identify", **message})


def test_the_people_are_paged_once_each_and_a_sync_meets_new_traits_and_merges(platform, client):
    """Four people, each once over two pages; after a moment, the one whose name changed and
    the one a visitor merged into come back, oldest change first, and the visitor is no
    longer a person of their own; an identifier narrows the list to its carrier."""
    web = make_source(platform, "web")
    for n in range(3):
        identify(client, web, userId=f"p{n}", traits={"email": f"p{n}@example.fr"})
    send(client, web, {"type": "page", "anonymousId": "visitor", "name": "Accueil"})
    headers = profiles_key(platform)

    people = read_all(client, "/v1/profiles", headers)
    assert len(people) == len({person["id"] for person in people}) == 4
    recognised = read_all(client, "/v1/profiles", headers, recognised=True)
    assert sorted(person["email"] for person in recognised) == [
        "p0@example.fr",
        "p1@example.fr",
        "p2@example.fr",
    ]
    [visitor] = read_all(client, "/v1/profiles", headers, recognised=False)
    [p1] = read_all(client, "/v1/profiles", headers, email="P1@example.fr ")
    assert (p1["user_id"], p1["first_name"], p1["merged_profile_ids"]) == ("p1", None, [])
    assert read_all(client, "/v1/profiles", headers, email="nobody@example.fr") == []

    moment = utcnow()
    identify(client, web, userId="p1", traits={"first_name": "Zoé", "last_name": "Roux"})
    identify(client, web, userId="p2", anonymousId="visitor")

    changed = read_all(client, "/v1/profiles", headers, updated_since=moment.isoformat())
    assert [person["email"] for person in changed] == ["p1@example.fr", "p2@example.fr"]
    assert (changed[0]["first_name"], changed[0]["last_name"]) == ("Zoé", "Roux")
    assert changed[1]["merged_profile_ids"] == [visitor["id"]]
    assert changed[0]["updated_at"] <= changed[1]["updated_at"]
    assert visitor["id"] not in {
        person["id"] for person in read_all(client, "/v1/profiles", headers)
    }


def test_the_lookup_moved_and_a_shared_identifier_still_designates_nobody(platform, client):
    """``/v1/profiles/lookup`` answers one person's 360° view, 409 ``identifier_shared`` for a
    tablet two people used; the list answers nobody for it; a key without ``profiles:read``
    reads neither."""
    store = make_source(platform, "store")
    for n in range(2):
        identify(
            client,
            store,
            anonymousId=f"visit-{n}",
            traits={"email": f"client{n}@example.fr"},
            context={"device": {"id": "TABLETTE-LYON-01"}},
        )
    headers = profiles_key(platform)
    outsider = auth(make_key(platform, "call_centre", scopes=["orders:read"]))

    found = client.get(
        "/v1/profiles/lookup", params={"email": "client0@example.fr"}, headers=headers
    )
    shared = client.get(
        "/v1/profiles/lookup", params={"device_id": "TABLETTE-LYON-01"}, headers=headers
    )

    assert found.status_code == 200 and found.json()["timeline"]["has_more"] is False
    assert (shared.status_code, shared.json()["code"]) == (409, "identifier_shared")
    assert read_all(client, "/v1/profiles", headers, device_id="TABLETTE-LYON-01") == []
    assert client.get("/v1/profiles", headers=outsider).status_code == 403
    assert (
        client.get("/v1/profiles/lookup", params={"email": "x@y.fr"}, headers=outsider).status_code
        == 403
    )
    garbage = client.get("/v1/profiles", params={"starting_after": "c.nope"}, headers=headers)
    assert (garbage.status_code, garbage.json()["code"]) == (422, "invalid_cursor")


def test_the_review_queue_and_the_timeline_page_with_the_one_cursor(platform, client):
    """Three loyalty card conflicts over two pages, the one decided since a moment found by
    change time; a timeline pages by ``starting_after`` and still by ``cursor``."""
    app = make_source(platform, "app")
    for n in range(3):
        identify(client, app, userId=f"u{n}", traits={"loyalty_card": f"FID{n}A"})
        identify(client, app, userId=f"u{n}", traits={"loyalty_card": f"FID{n}B"})
    send(client, app, *({"type": "track", "userId": "u0", "event": f"Vu {n}"} for n in range(3)))
    headers = profiles_key(platform)

    queue = read_all(client, "/v1/identity-reviews", headers)
    assert len({review["id"] for review in queue}) == 3
    moment = utcnow()
    decided = client.post(
        f"/v1/identity-reviews/{queue[1]['id']}/decision",
        json={"decision": "keep_apart"},
        headers=headers,
    )
    assert decided.status_code == 200, decided.text
    since = {"updated_since": moment.isoformat(), "status": "kept_apart"}
    assert [r["id"] for r in read_all(client, "/v1/identity-reviews", headers, **since)] == [
        queue[1]["id"]
    ]

    profile = client.get("/v1/profiles/lookup", params={"user_id": "u0"}, headers=headers)
    events = f"/v1/profiles/{profile.json()['id']}/events"
    first = client.get(events, params={"limit": 1}, headers=headers).json()
    assert first["has_more"] is True
    by_name = client.get(
        events, params={"limit": 1, "starting_after": first["next_cursor"]}, headers=headers
    ).json()
    by_alias = client.get(
        events, params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert by_name == by_alias and by_name["items"][0]["id"] != first["items"][0]["id"]
    assert client.get(events, params={"starting_after": "x"}, headers=headers).json()["code"] == (
        "invalid_cursor"
    )


def test_product_reviews_page_and_sync_after_moderation(platform, client):
    """Three waiting reviews over two pages for head office; the one published since a moment
    comes back by change time, and a channel key sees it among the published ones."""
    make_product(platform, DRESS)
    make_product(platform, JACKET)
    make_customer(platform, client)
    make_customer(platform, client, user_id="zoe", email="zoe@example.fr")
    boss, web = head_office_key(platform), make_key(platform, "web")
    sent = [
        submit(client, boss, product=DRESS),
        submit(client, boss, product=JACKET, rating=2),
        submit(client, boss, product=DRESS, customer_ref="email:zoe@example.fr"),
    ]

    waiting = read_all(client, "/v1/reviews", auth(boss), status="pending")
    assert [review["id"] for review in waiting] == [review["id"] for review in sent[::-1]]
    moment = utcnow()
    decide(client, boss, sent[1]["id"])

    since = {"updated_since": moment.isoformat(), "status": "all"}
    [changed] = read_all(client, "/v1/reviews", auth(boss), **since)
    assert (changed["id"], changed["status"]) == (sent[1]["id"], "published")
    assert [r["id"] for r in read_all(client, "/v1/reviews", auth(web))] == [sent[1]["id"]]
    offset = client.get("/v1/reviews", params={"starting_after": "c.eA"}, headers=auth(web))
    assert (offset.status_code, offset.json()["code"]) == (422, "invalid_cursor")


def test_the_loyalty_ledger_and_redemptions_take_starting_after(platform, client):
    """The ledger and the redemptions page by ``starting_after`` with ``has_more``; the
    ledger's old ``after`` reads the same page."""
    make_customer(platform, client)
    make_programme(platform)
    member_id = enrol_directly(platform)
    for points in (100, 200, 300):
        give_points(platform, member_id, points)
    key = admin_key(platform)
    for _ in range(3):
        assert hold(client, key, member_id, points=10).status_code == 201

    ledger = read_all(client, f"/v1/loyalty/members/{member_id}/ledger", auth(key))
    redemptions = read_all(client, "/v1/loyalty/redemptions", auth(key), member_id=member_id)
    assert len({entry["id"] for entry in ledger}) == len(ledger) == 6
    assert len({item["id"] for item in redemptions}) == 3
    path = f"/v1/loyalty/members/{member_id}/ledger"
    first = client.get(path, params={"limit": 4}, headers=auth(key)).json()
    by_alias = client.get(
        path, params={"limit": 4, "after": first["next_cursor"]}, headers=auth(key)
    ).json()
    assert [entry["id"] for entry in first["items"] + by_alias["items"]] == [
        entry["id"] for entry in ledger
    ]
    assert by_alias["has_more"] is False
