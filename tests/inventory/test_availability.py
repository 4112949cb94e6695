"""Bulk availability through the HTTP API: which locations a SKU lists, and in what order."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from omnicanal.inventory.models import Reservation
from omnicanal.network.models import Location
from omnicanal.platform.clock import utcnow
from tests.builders import auth, make_key, make_location, make_product, receive


def listed(answer):  # type: ignore[no-untyped-def]
    return [
        (
            item["sku"],
            item["available"],
            [(r["location"], r["available"]) for r in item["locations"]],
        )
        for item in answer["items"]
    ]


def test_a_sku_lists_the_locations_holding_it_unless_every_location_is_asked_for(platform, client):
    """Given locations in the asked order; a held-out or unstocked location shows with
    include_empty only, as 0; ``locations`` names all of them either way."""
    for code in ("LYON-01", "NANTES-01", "PARIS-01"):
        make_location(platform, code)
    (sku,) = make_product(platform, "GILET-IRIS")
    receive(platform, sku, "PARIS-01", 4)
    receive(platform, sku, "LYON-01", 2)
    web = make_key(platform, "web")
    client.post(
        "/v1/reservations",
        json={"sku": sku, "quantity": 2, "location": "LYON-01"},
        headers=auth(web),
    ).raise_for_status()
    params = {"sku": sku, "location": ["PARIS-01", "LYON-01", "NANTES-01"]}

    stocked = client.get("/v1/availability", params=params, headers=auth(web))
    every = client.get(
        "/v1/availability", params={**params, "include_empty": "true"}, headers=auth(web)
    )

    assert stocked.status_code == every.status_code == 200
    assert stocked.headers["content-type"] == "application/json"
    assert stocked.json() == {
        "channel": None,
        "locations": ["PARIS-01", "LYON-01", "NANTES-01"],
        "items": [
            {
                "sku": sku,
                "available": 4,
                "locations": [{"location": "PARIS-01", "available": 4, "distance_km": None}],
            }
        ],
    }
    assert listed(every.json()) == [(sku, 4, [("PARIS-01", 4), ("LYON-01", 0), ("NANTES-01", 0)])]


def test_an_expired_hold_is_free_again_in_a_read_of_every_location(platform, client):
    """Every active location, by code: the units of a lapsed, unswept hold count as free."""
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01")
    sizes = make_product(platform, "JUPE-ROSE", sizes=("36", "38"))
    receive(platform, sizes[0], "PARIS-01", 3)
    receive(platform, sizes[1], "LYON-01", 1)
    web = make_key(platform, "web")
    held = client.post(
        "/v1/reservations",
        json={"sku": sizes[0], "quantity": 3, "location": "PARIS-01"},
        headers=auth(web),
    ).json()
    query = {"skus": [sizes[1], sizes[0], sizes[1]]}

    before = client.post("/v1/availability", json=query, headers=auth(web)).json()
    with platform.db.transaction() as session:
        session.get(Reservation, held["id"]).expires_at = utcnow() - timedelta(seconds=1)
    after = client.post("/v1/availability", json=query, headers=auth(web)).json()

    assert before["locations"] == after["locations"] == ["LYON-01", "PARIS-01"]
    assert listed(before) == [(sizes[1], 1, [("LYON-01", 1)]), (sizes[0], 0, [])]
    assert listed(after) == [(sizes[1], 1, [("LYON-01", 1)]), (sizes[0], 3, [("PARIS-01", 3)])]


def test_given_locations_answer_a_closed_one_too_and_name_an_unknown_one(platform, client):
    """Given location codes are found among the open locations the process keeps, and a
    closed one is looked up: it still answers for the stock it holds. An unknown code is a
    problem that names it."""
    for code in ("LYON-01", "PARIS-01"):
        make_location(platform, code)
    (sku,) = make_product(platform, "GILET-IRIS")
    receive(platform, sku, "PARIS-01", 4)
    receive(platform, sku, "LYON-01", 2)
    with platform.db.transaction() as session:
        session.execute(update(Location).where(Location.code == "PARIS-01").values(active=False))
    web = make_key(platform, "web")

    every = client.get("/v1/availability", params={"sku": sku}, headers=auth(web))
    given = client.get(
        "/v1/availability",
        params={"sku": sku, "location": ["PARIS-01", "LYON-01"]},
        headers=auth(web),
    )
    unknown = client.get(
        "/v1/availability",
        params={"sku": sku, "location": ["LYON-01", "NANTES-99"]},
        headers=auth(web),
    )

    assert listed(every.json()) == [(sku, 2, [("LYON-01", 2)])]
    assert listed(given.json()) == [(sku, 6, [("PARIS-01", 4), ("LYON-01", 2)])]
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["code"] == "unknown_location"
    assert "NANTES-99" in unknown.json()["detail"]
