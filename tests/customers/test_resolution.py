"""Identity resolution through the tracking API, on a real database: who becomes one."""

from __future__ import annotations

from sqlalchemy import event, func, select

from omnicanal.customers.models import IdentityMerge, IdentityReview, Profile
from tests.customers.support import make_source, profile_by, profiles_key, send


def _people(platform) -> int:
    with platform.db.reading() as session:
        return session.scalar(
            select(func.count()).select_from(Profile).where(Profile.root_id == Profile.id)
        )


def test_one_person_at_the_till_on_the_web_and_in_the_app_is_one_profile(platform, client):
    till, web, app = (make_source(platform, kind) for kind in ("store", "web", "app"))
    headers = profiles_key(platform)

    send(
        client,
        till,
        {
            "type": "identify",
            "userId": None,
            "anonymousId": "till-session-1",
            "traits": {
                "customer_number": "POS-000123",
                "phone": "06 12 34 56 78",
                "last_name": "DUPONT",
            },
        },
        {"type": "track", "event": "Till Sale", "anonymousId": "till-session-1"},
    )
    send(
        client,
        web,
        {
            "type": "identify",
            "userId": "jdupont",
            "anonymousId": "cookie-77",
            "traits": {"email": "Jean.Dupont@example.fr", "phone": "+33 6 12 34 56 78"},
        },
    )
    send(
        client,
        app,
        {
            "type": "identify",
            "anonymousId": "app-install-5",
            "traits": {"loyalty_card": "FID 7777 0001", "email": "jean.dupont@example.fr"},
        },
        {"type": "screen", "anonymousId": "app-install-5", "name": "Carte fidélité"},
    )

    by_phone = profile_by(client, headers, phone="06 12 34 56 78")
    assert profile_by(client, headers, phone="06.12.34.56.78")["id"] == by_phone["id"]
    assert profile_by(client, headers, email="jean.dupont@example.fr")["id"] == by_phone["id"]
    assert profile_by(client, headers, loyalty_card="FID77770001")["id"] == by_phone["id"]
    assert _people(platform) == 1
    assert {c["channel"] for c in by_phone["channels"]} == {"store", "web", "app"}
    assert by_phone["timeline"]["items"][0]["name"] == "Carte fidélité"
    assert len(by_phone["timeline"]["items"]) == 5


def test_a_shared_store_tablet_merges_nobody(platform, client):
    store = make_source(platform, "store")
    headers = profiles_key(platform)

    for n in range(4):
        send(
            client,
            store,
            {
                "type": "identify",
                "anonymousId": f"visit-{n}",
                "traits": {"loyalty_card": f"FID-TAB-{n}", "email": f"client{n}@example.fr"},
                "context": {"device": {"id": "TABLETTE-LYON-01"}},
            },
        )

    ids = {profile_by(client, headers, loyalty_card=f"FIDTAB{n}")["id"] for n in range(4)}
    assert len(ids) == 4
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(IdentityMerge)) == 0
    shared = client.get(
        "/v1/profiles/lookup", params={"device_id": "TABLETTE-LYON-01"}, headers=headers
    )
    assert shared.status_code == 409
    assert shared.json()["code"] == "identifier_shared"
    assert set(shared.json()["profile_ids"]) <= ids


def test_a_shared_household_landline_merges_nobody_and_makes_a_household(platform, client):
    till = make_source(platform, "store")
    headers = profiles_key(platform)

    send(
        client,
        till,
        {
            "type": "identify",
            "anonymousId": "t1",
            "traits": {"customer_number": "POS-1", "phone": "04 78 12 34 56", "first_name": "Anne"},
        },
        {
            "type": "identify",
            "anonymousId": "t2",
            "traits": {"customer_number": "POS-2", "phone": "0478123456", "first_name": "Luc"},
        },
    )

    anne = profile_by(client, headers, external_id="POS-1")
    luc = profile_by(client, headers, external_id="POS-2")
    assert anne["id"] != luc["id"]
    assert anne["household"] is not None
    assert anne["household"]["id"] == luc["household"]["id"]
    assert {m["profile_id"] for m in anne["household"]["members"]} == {anne["id"], luc["id"]}
    landline = client.get(
        "/v1/profiles/lookup", params={"phone": "04 78 12 34 56"}, headers=headers
    )
    assert landline.status_code == 409
    assert sorted(landline.json()["profile_ids"]) == sorted([anne["id"], luc["id"]])


def test_two_loyalty_cards_for_one_email_wait_for_a_reviewer(platform, client):
    app = make_source(platform, "app")
    headers = profiles_key(platform)
    send(
        client,
        app,
        {
            "type": "identify",
            "userId": "u-a",
            "traits": {"loyalty_card": "FID1", "email": "x@ex.fr"},
        },
        {"type": "identify", "anonymousId": "c-b", "traits": {"loyalty_card": "FID2"}},
    )

    send(
        client,
        app,
        {
            "type": "identify",
            "anonymousId": "c",
            "traits": {"loyalty_card": "FID2", "email": "x@ex.fr"},
        },
    )

    reviews = client.get("/v1/identity-reviews", headers=headers).json()["items"]
    assert [r["reason"] for r in reviews] == ["loyalty_card_conflict"]
    assert _people(platform) == 2
    first = profile_by(client, headers, loyalty_card="FID1")["id"]
    second = profile_by(client, headers, loyalty_card="FID2")["id"]
    assert {reviews[0]["profile_a_id"], reviews[0]["profile_b_id"]} == {first, second}


def test_a_reviewer_merging_a_conflict_makes_one_profile(platform, client):
    app = make_source(platform, "app")
    headers = profiles_key(platform)
    send(
        client,
        app,
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID1"}},
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID2"}},
    )
    [review] = client.get("/v1/identity-reviews", headers=headers).json()["items"]

    decided = client.post(
        f"/v1/identity-reviews/{review['id']}/decision",
        json={"decision": "merge"},
        headers=headers,
    )

    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "merged"
    assert (
        profile_by(client, headers, loyalty_card="FID1")["id"]
        == (profile_by(client, headers, loyalty_card="FID2")["id"])
    )
    again = client.post(
        f"/v1/identity-reviews/{review['id']}/decision",
        json={"decision": "keep_apart"},
        headers=headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "review_already_decided"


def test_a_reviewer_keeping_a_pair_apart_closes_the_review_for_good(platform, client):
    app = make_source(platform, "app")
    headers = profiles_key(platform)
    send(
        client,
        app,
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID1"}},
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID2"}},
    )
    [review] = client.get("/v1/identity-reviews", headers=headers).json()["items"]

    client.post(
        f"/v1/identity-reviews/{review['id']}/decision",
        json={"decision": "keep_apart"},
        headers=headers,
    )
    send(client, app, {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID2"}})

    assert client.get("/v1/identity-reviews", headers=headers).json()["items"] == []
    with platform.db.reading() as session:
        statuses = session.scalars(select(IdentityReview.status)).all()
    assert statuses == ["kept_apart"]
    assert _people(platform) == 2


def test_profiles_need_the_profiles_scope(platform, client):
    from tests.builders import auth, make_key

    token = make_key(platform, "web", scopes=["catalog:read"])

    response = client.get("/v1/profiles/lookup", params={"email": "a@ex.fr"}, headers=auth(token))

    assert response.status_code == 403


def test_a_batch_moves_the_change_time_of_its_profiles_in_one_statement(platform, client):
    """Ten people identified, then given a trait and merged with a visitor each, in one
    batch: their change time moves with one UPDATE for the batch, not one per message or
    per step."""
    web = make_source(platform, "web")
    send(client, web, *({"type": "identify", "userId": f"p{n}"} for n in range(10)))
    send(client, web, *({"type": "page", "anonymousId": f"v{n}"} for n in range(10)))
    touches: list[str] = []

    def note(_conn, _cursor, statement: str, *_args) -> None:
        if statement.startswith("UPDATE profiles SET updated_at"):
            touches.append(statement)

    event.listen(platform.db.write_engine, "before_cursor_execute", note)
    try:
        send(
            client,
            web,
            *(
                {
                    "type": "identify",
                    "userId": f"p{n}",
                    "anonymousId": f"v{n}",
                    "traits": {"plan": "gold"},
                }
                for n in range(10)
            ),
        )
    finally:
        event.remove(platform.db.write_engine, "before_cursor_execute", note)

    assert len(touches) == 1
    assert _people(platform) == 10
