"""Locations, channels and availability near a customer."""

from __future__ import annotations

from sqlalchemy import select

from omnicanal.platform.actors import ChannelKind
from omnicanal.platform.auth import create_api_key
from omnicanal.platform.events import OutboxEvent
from tests.builders import auth, make_key, make_location, make_product, receive

LYON = (45.7640, 4.8357)
VILLEURBANNE = (45.7719, 4.8902)
PARIS = (48.8566, 2.3522)


def admin_key(platform):  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        from omnicanal.network.service import ensure_default_channels

        ensure_default_channels(session)
        _, token = create_api_key(
            session, channel=ChannelKind.web, name="ops", scopes=["network:write", "network:read"]
        )
    return token


def test_a_store_is_opened_with_its_capabilities_and_channels(platform, client):
    token = admin_key(platform)
    body = {
        "code": "LYON-01",
        "name": "Lyon Presqu'île",
        "kind": "store",
        "address": {
            "line1": "12 rue de la République",
            "postcode": "69002",
            "city": "Lyon",
            "country": "fr",
            "latitude": LYON[0],
            "longitude": LYON[1],
        },
        "capabilities": {
            "sells_in_store": True,
            "click_and_collect": True,
            "accepts_returns": True,
        },
        "channels": ["store", "web"],
    }

    created = client.post("/v1/locations", json=body, headers=auth(token))

    assert created.status_code == 201, created.text
    shown = client.get("/v1/locations/LYON-01", headers=auth(token)).json()
    assert shown["address"] == {
        "name": "",
        "line1": "12 rue de la République",
        "line2": "",
        "postcode": "69002",
        "city": "Lyon",
        "region": "",
        "country": "FR",
        "latitude": LYON[0],
        "longitude": LYON[1],
    }
    assert shown["capabilities"] == {
        "sells_in_store": True,
        "ships": False,
        "click_and_collect": True,
        "accepts_returns": True,
    }
    assert sorted(shown["channels"]) == ["store", "web"]
    channels = {
        c["code"]: c["locations"] for c in client.get("/v1/channels", headers=auth(token)).json()
    }
    assert channels["web"] == ["LYON-01"]


def test_the_flat_address_fields_of_earlier_releases_still_open_and_change_a_location(
    platform, client
):
    """Deprecated input is read into ``address``; a PATCH changes the address fields it
    gives and keeps the others; both shapes at once, a line2 (no column keeps it) or an
    address without coordinates are refused and write nothing."""
    token = admin_key(platform)
    flat = {"code": "LYON-01", "name": "Lyon", "kind": "store", "city": "Lyon"}
    created = client.post(
        "/v1/locations",
        json={**flat, "address_line": "1 rue Mercière", "latitude": LYON[0], "longitude": LYON[1]},
        headers=auth(token),
    )
    moved = client.patch(
        "/v1/locations/LYON-01",
        json={"address": {"line1": "3 rue de la Poulaillerie", "postcode": "69002"}},
        headers=auth(token),
    )
    renamed = client.patch(
        "/v1/locations/LYON-01", json={"address_line": "5 quai Saint-Antoine"}, headers=auth(token)
    )
    refusals = [
        client.post(
            "/v1/locations", json={**flat, "code": "X", **body}, headers=auth(token)
        ).status_code
        for body in (
            {"address": {"city": "Lyon", "latitude": 1, "longitude": 2}, "postcode": "69002"},
            {"address": {"line2": "Bât. B", "latitude": 1, "longitude": 2}},
            {"address": {"city": "Lyon"}},
            {"address": {"country": "France", "latitude": 1, "longitude": 2}},
        )
    ]
    refused_patch = client.patch(
        "/v1/locations/LYON-01", json={"address": {"region": "Rhône"}}, headers=auth(token)
    )

    assert created.status_code == 201, created.text
    assert moved.json()["address"] == {
        **created.json()["address"],
        "line1": "3 rue de la Poulaillerie",
        "postcode": "69002",
    }
    assert renamed.json()["address"]["line1"] == "5 quai Saint-Antoine"
    assert renamed.json()["address"]["city"] == "Lyon"
    assert (refusals, refused_patch.status_code) == ([422, 422, 422, 422], 422)
    with platform.db.reading() as session:
        updates = session.scalars(
            select(OutboxEvent.data)
            .where(OutboxEvent.type == "network.location_updated")
            .order_by(OutboxEvent.seq)
        ).all()
    assert [(update["changed"], update["address"]["line1"]) for update in updates] == [
        (["address_line", "postcode"], "3 rue de la Poulaillerie"),
        (["address_line"], "5 quai Saint-Antoine"),
    ]
    page = client.get("/v1/locations", headers=auth(token)).json()["items"]
    assert [(item["code"], item["address"]["line1"]) for item in page] == [
        ("LYON-01", "5 quai Saint-Antoine")
    ]


def test_a_location_with_an_unknown_timezone_or_channel_is_refused(platform, client):
    token = admin_key(platform)
    body = {
        "code": "X-1",
        "name": "X",
        "kind": "store",
        "latitude": 0,
        "longitude": 0,
        "timezone": "Europe/Lyon",
    }
    assert (
        client.post("/v1/locations", json=body, headers=auth(token)).json()["code"]
        == "validation_error"
    )
    body.update(timezone="Europe/Paris", channels=["teleshopping"])
    assert (
        client.post("/v1/locations", json=body, headers=auth(token)).json()["code"]
        == "unknown_channel"
    )
    assert client.get("/v1/locations", headers=auth(token)).json()["items"] == []


def test_bulk_availability_lists_the_nearest_stores_with_their_distance(platform, client):
    """A SKU lists the nearest locations holding it; include_empty lists the others too."""
    make_location(platform, "LYON-01", latitude=LYON[0], longitude=LYON[1])
    make_location(platform, "VILLEURBANNE-01", latitude=VILLEURBANNE[0], longitude=VILLEURBANNE[1])
    make_location(platform, "PARIS-01", latitude=PARIS[0], longitude=PARIS[1], city="Paris")
    skus = make_product(platform, "CHINO-ARNO", sizes=("40", "42"))
    receive(platform, skus[0], "VILLEURBANNE-01", 2)
    receive(platform, skus[0], "PARIS-01", 9)
    receive(platform, skus[1], "LYON-01", 1)
    query = {"skus": skus, "near": {"latitude": LYON[0], "longitude": LYON[1], "limit": 2}}
    web = make_key(platform, "web")

    body = client.post("/v1/availability", json=query, headers=auth(web)).json()
    every = client.post(
        "/v1/availability", params={"include_empty": "true"}, json=query, headers=auth(web)
    ).json()

    assert body["locations"] == every["locations"] == ["LYON-01", "VILLEURBANNE-01"]
    first, second = body["items"]
    assert (first["sku"], first["available"]) == (skus[0], 2)
    assert [(row["location"], row["available"]) for row in first["locations"]] == [
        ("VILLEURBANNE-01", 2)
    ]
    assert 4.0 < first["locations"][0]["distance_km"] < 5.0
    assert (second["available"], second["locations"]) == (
        1,
        [{"location": "LYON-01", "available": 1, "distance_km": 0.0}],
    )
    assert [(row["location"], row["available"]) for row in every["items"][0]["locations"]] == [
        ("LYON-01", 0),
        ("VILLEURBANNE-01", 2),
    ]
    assert every["items"][0]["locations"][0]["distance_km"] == 0.0


def test_channel_availability_counts_only_the_locations_that_fulfil_it(platform, client):
    make_location(platform, "ENTREPOT-SARAN", kind="warehouse", channels=("web", "marketplace"))
    make_location(platform, "LYON-01", channels=("store",))
    (sku,) = make_product(platform, "SAC-LINA")
    receive(platform, sku, "ENTREPOT-SARAN", 30)
    receive(platform, sku, "LYON-01", 4)
    web = make_key(platform, "web")

    def available(channel: str) -> int:
        return client.get(
            "/v1/availability", params={"sku": sku, "channel": channel}, headers=auth(web)
        ).json()["items"][0]["available"]

    assert (available("web"), available("store"), available("marketplace")) == (30, 4, 30)
    assert (
        client.get("/v1/availability", params={"sku": sku}, headers=auth(web)).json()["items"][0][
            "available"
        ]
        == 34
    )
