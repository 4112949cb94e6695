"""Who may do what with loyalty: the retailer's own channels only, a store at its own store,
head office for programmes and adjustments."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from omnicanal.platform.audit import AuditEntry
from tests.builders import auth, make_key
from tests.loyalty.builders import admin_key, enrol, give_points, hold, make_programme
from tests.returns.builders import make_shop


@pytest.fixture
def shop(platform):
    made = make_shop(platform)
    make_programme(platform)
    return made


def test_a_marketplace_key_sees_nothing_of_loyalty_even_with_its_scopes(platform, client, shop):
    member = enrol(client, shop.web)
    default = auth(shop.marketplace)
    scoped = auth(make_key(platform, "marketplace", scopes=["loyalty:read", "loyalty:write"]))

    assert client.get("/v1/loyalty/programmes", headers=default).status_code == 403
    for headers in (scoped,):
        reads = [
            client.get("/v1/loyalty/programmes", headers=headers),
            client.get(f"/v1/loyalty/members/{member['id']}", headers=headers),
            client.get("/v1/loyalty/redemptions", headers=headers),
        ]
        writes = [
            client.post(
                "/v1/loyalty/redemptions",
                json={"member_id": member["id"], "points": 1},
                headers=headers,
            ),
            client.post(
                "/v1/loyalty/members",
                json={"programme": "CLUB", "customer_ref": "email:autre@example.fr"},
                headers=headers,
            ),
        ]
        assert {(r.status_code, r.json()["code"]) for r in reads + writes} == {
            (403, "loyalty_forbidden")
        }


def test_a_store_key_holds_points_at_its_own_store_only(platform, client, shop):
    member = enrol(client, shop.web)
    give_points(platform, member["id"], 100)

    elsewhere = client.post(
        "/v1/loyalty/redemptions",
        json={"member_id": member["id"], "points": 10, "location": "LYON-01"},
        headers=auth(shop.paris),
    )
    at_home = hold(client, shop.lyon, member["id"], points=10)

    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "location_forbidden")
    assert at_home.status_code == 201
    assert at_home.json()["location"] == "LYON-01"


def test_a_store_reads_its_own_redemptions_and_only_their_channel_releases_a_hold(
    platform, client, shop
):
    member = enrol(client, shop.web)
    give_points(platform, member["id"], 100)
    held = hold(client, shop.lyon, member["id"], points=10).json()
    path = f"/v1/loyalty/redemptions/{held['id']}"

    assert client.get(path, headers=auth(shop.paris)).status_code == 404
    assert client.get(path, headers=auth(shop.call_centre)).status_code == 200
    assert [
        r["id"]
        for r in client.get("/v1/loyalty/redemptions", headers=auth(shop.paris)).json()["items"]
    ] == []
    refused = client.post(f"{path}/release", headers=auth(shop.web))
    assert (refused.status_code, refused.json()["code"]) == (403, "loyalty_forbidden")
    released = client.post(f"{path}/release", headers=auth(shop.lyon))
    assert released.status_code == 200
    again = client.post(f"{path}/release", headers=auth(shop.lyon))
    assert (again.status_code, again.json()["code"]) == (409, "redemption_not_held")


def test_programmes_and_adjustments_are_head_office_work_and_adjustments_are_audited(
    platform, client, shop
):
    member = enrol(client, shop.web)
    body = {"points": 50, "reason": "geste commercial"}
    path = f"/v1/loyalty/members/{member['id']}/adjustments"

    by_till = client.post(path, json=body, headers=auth(shop.lyon))
    new_programme = client.post(
        "/v1/loyalty/programmes",
        json={"code": "CLUB2", "name": "Club 2"},
        headers=auth(shop.call_centre),
    )
    assert (by_till.status_code, new_programme.status_code) == (403, 403)

    admin = admin_key(platform)
    adjusted = client.post(path, json=body, headers=auth(admin))
    created = client.post(
        "/v1/loyalty/programmes", json={"code": "CLUB2", "name": "Club 2"}, headers=auth(admin)
    )
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["balance"]["available"] == 50
    assert created.status_code == 201
    with platform.db.reading() as session:
        entries = session.execute(
            select(AuditEntry.operation, AuditEntry.resource_type, AuditEntry.resource_id)
        ).all()
    assert (f"loyalty_adjust:{member['id']}", "loyalty_member", member["id"]) in entries
    assert ("loyalty_programme", "loyalty_programme", created.json()["id"]) in entries
