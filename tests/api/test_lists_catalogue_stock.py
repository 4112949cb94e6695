"""The lists a connector syncs the catalogue, the network and the stock from: each item once
across pages, exactly what changed since a moment, and only what the key may read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from omnicanal.catalog import service as catalog
from omnicanal.catalog.schemas import VariantIn
from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import MovementIn, MovementKind, StockSettingsIn
from omnicanal.network import service as network
from omnicanal.network.schemas import LocationUpdateIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.pricing import service as pricing
from tests.builders import auth, make_key, make_location, make_product, receive


def read_all(client, path: str, token: str, **params: Any) -> tuple[list[dict[str, Any]], int]:  # type: ignore[no-untyped-def]
    """Every item of a list, following next_cursor; and how many pages it took."""
    items: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        query = {**params, **({"starting_after": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=auth(token))
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        pages += 1
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return items, pages
        cursor = page["next_cursor"]


def refused(client, path: str, token: str, **params: Any) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    response = client.get(path, params=params, headers=auth(token))
    return response.status_code, response.json()["code"]


def test_products_variants_and_prices_page_once_each_and_sync_what_changed(platform, client):
    """A new size moves its product and shows as a new variant; a new price is a price."""
    make_product(platform, "ROBE-ALMA", sizes=("S", "M"))
    make_product(platform, "JUPE-IRIS")
    make_product(platform, "PULL-NOE")
    token = make_key(platform, "web")

    products, pages = read_all(client, "/v1/products", token, limit=2)
    variants, _ = read_all(client, "/v1/variants", token, limit=3)

    assert ([p["code"] for p in products], pages) == (["PULL-NOE", "JUPE-IRIS", "ROBE-ALMA"], 2)
    assert products[2]["variants"][0]["price_minor"] == 4990
    assert sorted(v["sku"] for v in variants) == [
        "JUPE-IRIS-M",
        "PULL-NOE-M",
        "ROBE-ALMA-M",
        "ROBE-ALMA-S",
    ]
    found, _ = read_all(client, "/v1/products", token, q="iris")
    assert [p["code"] for p in found] == ["JUPE-IRIS"]
    gtin = next(v["gtin"] for v in variants if v["sku"] == "ROBE-ALMA-S")
    scanned = client.get(f"/v1/skus/{gtin}", headers=auth(token)).json()
    assert (scanned["sku"], scanned["product_code"], scanned["price_minor"]) == (
        "ROBE-ALMA-S",
        "ROBE-ALMA",
        4990,
    )
    assert refused(client, "/v1/skus/0000000000000", token) == (404, "unknown_sku")

    since = utcnow()
    with platform.db.transaction() as session:
        catalog.change_product(
            session,
            code="ROBE-ALMA",
            fields={},
            add=[VariantIn(sku="ROBE-ALMA-L", size="L")],
            actor=OPERATOR,
        )
        pricing.change_list_prices(
            session, currency="EUR", prices={"PULL-NOE-M": 3990}, actor=OPERATOR
        )
    changed, _ = read_all(client, "/v1/products", token, updated_since=since.isoformat())
    new, _ = read_all(client, "/v1/variants", token, updated_since=since.isoformat())
    prices, _ = read_all(client, "/v1/prices", token, updated_since=since.isoformat())

    assert [(p["code"], len(p["variants"])) for p in changed] == [("ROBE-ALMA", 3)]
    assert [v["sku"] for v in new] == ["ROBE-ALMA-L"]
    assert [(p["sku"], p["price_minor"]) for p in prices] == [("PULL-NOE-M", 3990)]
    only, _ = read_all(client, "/v1/variants", token, product="JUPE-IRIS")
    assert [v["sku"] for v in only] == ["JUPE-IRIS-M"]
    garbage = {"starting_after": "n'importe quoi!", "updated_since": since.isoformat()}
    assert refused(client, "/v1/products", token, **garbage) == (
        422,
        "invalid_cursor",
    )


def test_locations_page_once_each_and_a_rename_or_a_new_channel_moves_them(platform, client):
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01", city="Paris")
    make_location(platform, "ENTREPOT-SARAN", kind="warehouse", channels=("web",))
    token = make_key(platform, "web")

    locations, pages = read_all(client, "/v1/locations", token, limit=2)
    warehouses, _ = read_all(client, "/v1/locations", token, kind="warehouse")

    assert ([row["code"] for row in locations], pages) == (
        ["ENTREPOT-SARAN", "PARIS-01", "LYON-01"],
        2,
    )
    assert [row["code"] for row in warehouses] == ["ENTREPOT-SARAN"]
    assert read_all(client, "/v1/locations", token, active="false")[0] == []

    since = utcnow()
    with platform.db.transaction() as session:
        network.update_location(
            session, code="LYON-01", data=LocationUpdateIn(name="Lyon Part-Dieu"), actor=OPERATOR
        )
    with platform.db.transaction() as session:
        network.set_channel_locations(
            session, channel_code="marketplace", location_codes=["PARIS-01"], actor=OPERATOR
        )
    changed, _ = read_all(client, "/v1/locations", token, updated_since=since.isoformat())

    assert [(row["code"], row["name"]) for row in changed] == [
        ("LYON-01", "Lyon Part-Dieu"),
        ("PARIS-01", "Store PARIS-01"),
    ]
    assert changed[1]["channels"] == ["app", "marketplace", "store", "web"]
    assert refused(client, "/v1/locations", token, kind="moon_base")[0] == 422


def test_stock_levels_page_once_each_and_a_store_key_lists_its_own_store_only(platform, client):
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01", city="Paris")
    skus = make_product(platform, "CHINO-ARNO", sizes=("40", "42"))
    for sku in skus:
        receive(platform, sku, "LYON-01", 5)
        receive(platform, sku, "PARIS-01", 3)
    web = make_key(platform, "web")
    lyon = make_key(platform, "store", location="LYON-01")

    levels, pages = read_all(client, "/v1/stock-levels", web, limit=3)
    own, _ = read_all(client, "/v1/stock-levels", lyon)
    asked, _ = read_all(client, "/v1/stock-levels", web, location="paris-01", sku=skus[0])

    assert pages == 2
    assert sorted((row["sku"], row["location"], row["on_hand"]) for row in levels) == [
        (skus[0], "LYON-01", 5),
        (skus[0], "PARIS-01", 3),
        (skus[1], "LYON-01", 5),
        (skus[1], "PARIS-01", 3),
    ]
    assert {row["location"] for row in own} == {"LYON-01"} and len(own) == 2
    assert [(row["sku"], row["location"], row["available"]) for row in asked] == [
        (skus[0], "PARIS-01", 3)
    ]
    assert refused(client, "/v1/stock-levels", lyon, location="PARIS-01") == (
        403,
        "location_forbidden",
    )

    since = utcnow()
    receive(platform, skus[1], "PARIS-01", 2)
    with platform.db.transaction() as session:
        inventory.update_stock_settings(
            session,
            sku=skus[0],
            location_code="LYON-01",
            data=StockSettingsIn(safety_stock=1),
            actor=OPERATOR,
        )
    changed, _ = read_all(client, "/v1/stock-levels", web, updated_since=since.isoformat())

    assert [(row["sku"], row["location"], row["on_hand"], row["available"]) for row in changed] == [
        (skus[1], "PARIS-01", 5, 5),
        (skus[0], "LYON-01", 5, 4),
    ]
    assert refused(client, "/v1/stock-levels", web, starting_after=levels[0]["sku"]) == (
        422,
        "invalid_cursor",
    )


def test_the_ledger_pages_every_sku_and_a_store_key_reads_its_own_store_only(platform, client):
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01", city="Paris")
    (jean,) = make_product(platform, "JEAN-BRUT")
    (tote,) = make_product(platform, "TOTE-IRIS")
    receive(platform, jean, "LYON-01", 4)
    receive(platform, jean, "PARIS-01", 2)
    receive(platform, tote, "LYON-01", 1)
    web = make_key(platform, "web")
    lyon = make_key(platform, "store", location="LYON-01")

    ledger, pages = read_all(client, "/v1/inventory/movements", web, limit=2)
    own, _ = read_all(client, "/v1/inventory/movements", lyon)
    of_jean, jean_pages = read_all(client, f"/v1/inventory/{jean}/movements", web, limit=1)

    assert ([(row["sku"], row["location"]) for row in ledger], pages) == (
        [(tote, "LYON-01"), (jean, "PARIS-01"), (jean, "LYON-01")],
        2,
    )
    assert [(row["sku"], row["location"]) for row in own] == [(tote, "LYON-01"), (jean, "LYON-01")]
    assert ([row["location"] for row in of_jean], jean_pages) == (["PARIS-01", "LYON-01"], 2)
    assert refused(client, "/v1/inventory/movements", lyon, location="PARIS-01") == (
        403,
        "location_forbidden",
    )

    since = utcnow()
    with platform.db.transaction() as session:
        inventory.record_movement(
            session,
            data=MovementIn(
                sku=jean,
                location="LYON-01",
                to_location="PARIS-01",
                kind=MovementKind.transfer,
                quantity=1,
            ),
            actor=OPERATOR,
        )
    recorded, _ = read_all(client, "/v1/inventory/movements", web, updated_since=since.isoformat())
    arrivals, _ = read_all(client, "/v1/inventory/movements", web, kind="transfer_in")

    assert [(row["kind"], row["location"]) for row in recorded] == [
        ("transfer_out", "LYON-01"),
        ("transfer_in", "PARIS-01"),
    ]
    assert recorded[0]["updated_at"] == recorded[0]["occurred_at"]
    assert [row["location"] for row in arrivals] == ["PARIS-01"]
    assert refused(client, "/v1/inventory/movements", web, kind="theft")[0] == 422


def test_reservations_are_listed_to_their_own_channel_and_sync_when_they_end(platform, client):
    """A key lists its channel's reservations only; a release and an expiry move them."""
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "CABAS-LIN")
    receive(platform, sku, "LYON-01", 10)
    web, app = make_key(platform, "web"), make_key(platform, "app")
    lyon = make_key(platform, "store", location="LYON-01")
    made = [
        client.post(
            "/v1/reservations",
            json={"sku": sku, "quantity": 1, "location": "LYON-01", "reference": f"cart-{n}"},
            headers=auth(key),
        ).json()["id"]
        for n, key in enumerate((web, web, web, app))
    ]

    listed, pages = read_all(client, "/v1/reservations", web, limit=2)
    by_app, _ = read_all(client, "/v1/reservations", app)
    by_store, _ = read_all(client, "/v1/reservations", lyon)
    one, _ = read_all(client, "/v1/reservations", web, reference="cart-1", sku=sku)

    assert ([row["id"] for row in listed], pages) == (made[2::-1], 2)
    assert [row["id"] for row in by_app] == [made[3]]
    assert by_store == []
    assert [row["id"] for row in one] == [made[1]]

    since = utcnow()
    released = client.post(f"/v1/reservations/{made[0]}/release", headers=auth(web))
    assert released.status_code == 200, released.text
    ended, _ = read_all(client, "/v1/reservations", web, updated_since=since.isoformat())
    assert [(row["id"], row["status"]) for row in ended] == [(made[0], "released")]

    later = utcnow()
    with platform.db.transaction() as session:
        inventory.release_expired(session, actor=OPERATOR, now=later + timedelta(days=1))
    lapsed, _ = read_all(client, "/v1/reservations", web, updated_since=later.isoformat())
    active, _ = read_all(client, "/v1/reservations", app, status="active")

    assert sorted(row["id"] for row in lapsed) == sorted(made[1:3])
    assert {row["status"] for row in lapsed} == {"expired"}
    assert active == []
    assert refused(client, "/v1/reservations", web, starting_after="c.e30") == (
        422,
        "invalid_cursor",
    )
