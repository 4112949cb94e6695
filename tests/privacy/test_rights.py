"""A customer's rights: everything held about her exported by any identifier, and erased in
every table and the event log, her orders kept in the accounts without her."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnicanal.orders.models import Order
from omnicanal.platform.db import Base
from omnicanal.platform.wiring import Platform
from tests.builders import auth, make_key, snapshot
from tests.customers.support import make_source, send
from tests.orders.builders import Shop, line, make_shop

ZOE_NEEDLES = (
    "zoe.martin@exemple.fr",
    "+33612345678",
    "06 12 34 56 78",
    "zoe.martin",
    "web-zoe-cookie",
    "till-zoe-visit",
    "C-LYON-ZM01",
    "FID-20931",
    "FID20931",
    "Zoé",
    "ZOE",
    "Martin",
    "14 rue Mercière",
)
CAMILLE_EMAIL = "camille.durand@exemple.fr"
ZOE_ADDRESS = {
    "name": "Zoé Martin",
    "line1": "14 rue Mercière",
    "postcode": "69002",
    "city": "Lyon",
    "latitude": 45.76,
    "longitude": 4.83,
}
PAID = {"provider": "adyen", "reference": "psp_zm_1", "status": "authorised"}


@dataclass(frozen=True)
class Scene:
    shop: Shop
    privacy: str
    zoe: str
    camille: str
    order_ids: list[str]


def _messages() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    till = [
        {
            "type": "identify",
            "anonymousId": "till-zoe-visit",
            "traits": {
                "first_name": "ZOE",
                "last_name": "MARTIN",
                "phone": "06 12 34 56 78",
                "postal_code": "69002",
                "customer_number": "C-LYON-ZM01",
                "loyalty_card": "FID-20931",
            },
            "messageId": "till-1",
        },
        {
            "type": "track",
            "event": "Order Completed",
            "anonymousId": "till-zoe-visit",
            "properties": {"order_id": "ZM-T1", "total": 89.0, "currency": "EUR"},
            "messageId": "till-2",
        },
    ]
    web = [
        {
            "type": "identify",
            "userId": "zoe.martin",
            "anonymousId": "web-zoe-cookie",
            "traits": {
                "email": "zoe.martin@exemple.fr",
                "phone": "+33 6 12 34 56 78",
                "first_name": "Zoé",
                "last_name": "Martin",
                "address": {"street": "14 rue Mercière", "postal_code": "69002", "city": "Lyon"},
            },
            "messageId": "web-1",
        },
        {
            "type": "page",
            "name": "Robes",
            "anonymousId": "web-zoe-cookie",
            "properties": {"url": "https://boutique.example/robes?email=zoe.martin@exemple.fr"},
            "messageId": "web-2",
        },
        {
            "type": "identify",
            "userId": "camille.durand",
            "traits": {"email": CAMILLE_EMAIL, "first_name": "Camille", "last_name": "Durand"},
            "messageId": "web-3",
        },
    ]
    return till, web


def _checkout(client: TestClient, key: str, body: dict[str, Any], idem: str) -> str:
    response = client.post("/v1/orders", json=body, headers=auth(key, **{"Idempotency-Key": idem}))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _profile_id(client: TestClient, key: str, **identifier: str) -> str:
    response = client.get("/v1/privacy/export", params=identifier, headers=auth(key))
    assert response.status_code == 200, response.text
    return str(response.json()["person"]["profile_id"])


@pytest.fixture
def scene(platform: Platform, client: TestClient) -> Scene:
    """Zoé: a till visit, web sign-in and browsing, two web orders (one for pickup, holding
    a reservation), an open cart; Camille, another customer, who must stay as she is."""
    return build_scene(platform, client)


def build_scene(platform: Platform, client: TestClient) -> Scene:
    shop = make_shop(platform)
    till, web = _messages()
    send(client, make_source(platform, "store"), *till)
    send(client, make_source(platform, "web"), *web)
    delivered = {
        "customer_ref": "zoe.martin",
        "lines": [line(shop.robe)],
        "delivery_address": ZOE_ADDRESS,
        "payment": PAID,
    }
    pickup = {
        "customer_ref": "email:zoe.martin@exemple.fr",
        "lines": [line(shop.jean, 1, "pickup", location="LYON-01")],
        "payment": PAID,
    }
    camille = {
        "customer_ref": "camille.durand",
        "lines": [line(shop.robe)],
        "delivery_address": {**ZOE_ADDRESS, "name": "Camille Durand", "line1": "2 quai Arloing"},
        "payment": PAID,
    }
    order_ids = [
        _checkout(client, shop.web, delivered, "zm-order-1"),
        _checkout(client, shop.web, pickup, "zm-order-2"),
        _checkout(client, shop.web, camille, "cd-order-1"),
    ]
    cart = client.post(
        "/v1/carts",
        json={"customer_ref": "zoe.martin", "lines": [{"sku": shop.pull, "quantity": 1}]},
        headers=auth(shop.web),
    )
    assert cart.status_code == 201, cart.text
    platform.relay().drain()
    privacy = make_key(platform, "call_centre", scopes=["privacy:export", "privacy:erase"])
    return Scene(
        shop=shop,
        privacy=privacy,
        zoe=_profile_id(client, privacy, email="zoe.martin@exemple.fr"),
        camille=_profile_id(client, privacy, email=CAMILLE_EMAIL),
        order_ids=order_ids,
    )


def mentions(text: str, needles: tuple[str, ...]) -> list[str]:
    """The needles ``text`` holds, in any case, each as a whole (not inside a longer word or
    number): "ZOE" is her name in a till's record, not three letters of a random key."""
    folded = text.casefold()
    return [
        needle
        for needle in needles
        if re.search(rf"(?<![0-9a-z]){re.escape(needle.casefold())}(?![0-9a-z])", folded)
    ]


def hits(platform: Platform, needles: tuple[str, ...]) -> list[tuple[str, str]]:
    """Every (table, needle) where a row of any table of the schema contains the needle."""
    found = []
    with platform.db.reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                values = [str(value) for value in row]
                text = json.dumps(values, ensure_ascii=False, default=str)
                escaped = json.dumps(values, default=str)
                found += [
                    (table.name, needle)
                    for needle in needles
                    if mentions(text, (needle,)) or mentions(escaped, (needle,))
                ]
    return found


def totals(platform: Platform) -> list[tuple[str, int, int, str]]:
    with platform.db.reading() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(
                    Order.id, Order.total_minor, Order.subtotal_minor, Order.payment_status
                ).order_by(Order.id)
            )
        ]


# --- export -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    [
        {"phone": "06.12.34.56.78"},
        {"phone": "+33 6 12 34 56 78"},
        {"email": " Zoe.Martin@exemple.fr "},
        {"loyalty_card": "FID-20931"},
        {"user_id": "zoe.martin"},
        {"anonymous_id": "till-zoe-visit"},
    ],
)
def test_any_identifier_finds_the_same_person_to_export(scene, client, identifier):
    """A phone in any French format, an e-mail, a loyalty card, a login or a cookie all
    designate Zoé."""
    assert _profile_id(client, scene.privacy, **identifier) == scene.zoe


def test_the_json_export_holds_her_profile_timeline_carts_orders_and_reservations(scene, client):
    """Everything held about Zoé, and nothing about Camille."""
    response = client.get(
        f"/v1/profiles/{scene.zoe}/export", params={"format": "json"}, headers=auth(scene.privacy)
    )

    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    export = response.json()
    values = {row["value"] for row in export["identifiers"]}
    assert {"zoe.martin@exemple.fr", "+33612345678", "zoe.martin", "FID20931"} <= values
    assert all(row["source"] and row["first_seen_at"] for row in export["identifiers"])
    assert export["profiles"][0]["id"] == scene.zoe
    assert {trait["name"] for trait in export["traits"]} >= {"first_name", "last_name"}
    assert {message["message_id"] for message in export["tracking_messages"]} >= {
        "till-1",
        "till-2",
        "web-1",
        "web-2",
    }
    assert sorted(order["id"] for order in export["orders"]) == sorted(scene.order_ids[:2])
    delivered = next(o for o in export["orders"] if o["delivery_address"])
    assert delivered["delivery_address"]["line1"] == "14 rue Mercière"
    assert delivered["payment"]["reference"] == "psp_zm_1"
    assert delivered["lines"] and delivered["history"]
    assert [cart["status"] for cart in export["carts"]] == ["open"]
    assert export["carts"][0]["lines"][0]["sku"] == scene.shop.pull
    assert {r["reference"] for r in export["reservations"]} == set(scene.order_ids[:2])
    assert export["computed_traits"][0]["orders"] >= 1
    assert CAMILLE_EMAIL not in json.dumps(export)


def test_the_csv_export_is_a_zip_with_one_file_per_kind(scene, client):
    """Spreadsheet-ready: profiles, identifiers, orders, order lines... each its own CSV."""
    response = client.get(
        "/v1/privacy/export",
        params={"email": "zoe.martin@exemple.fr", "format": "csv"},
        headers=auth(scene.privacy),
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {
        "person.csv",
        "profiles.csv",
        "identifiers.csv",
        "traits.csv",
        "timeline.csv",
        "tracking_messages.csv",
        "carts.csv",
        "carts_lines.csv",
        "orders.csv",
        "orders_lines.csv",
        "orders_fulfilments.csv",
        "orders_history.csv",
        "reservations.csv",
    } <= names
    rows = list(csv.DictReader(io.StringIO(archive.read("identifiers.csv").decode("utf-8-sig"))))
    assert "zoe.martin@exemple.fr" in {row["value"] for row in rows}
    orders = list(csv.DictReader(io.StringIO(archive.read("orders.csv").decode("utf-8-sig"))))
    assert sorted(row["id"] for row in orders) == sorted(scene.order_ids[:2])
    assert "14 rue Mercière" in archive.read("orders.csv").decode("utf-8-sig")


# --- erasure ------------------------------------------------------------------------------------


def test_erasing_zoe_leaves_none_of_her_identifiers_or_names_in_any_table(scene, platform, client):
    """After the erasure, every text and JSON column of every table is searched for each of
    her identifiers and names: 0 hits; her orders still sum to the same amounts."""
    assert hits(platform, ZOE_NEEDLES)  # the search finds her before
    before = totals(platform)

    response = client.post(f"/v1/profiles/{scene.zoe}/erase", headers=auth(scene.privacy))
    platform.relay().drain()
    platform.erase_from_bus()

    assert response.status_code == 200, response.text
    erasure = response.json()
    assert scene.zoe in erasure["profile_ids"]
    assert erasure["counts"]["orders_anonymised"] == 2
    assert hits(platform, ZOE_NEEDLES) == []
    assert totals(platform) == before
    after = client.get(f"/v1/orders/{scene.order_ids[0]}", headers=auth(scene.shop.web)).json()
    assert after["customer_ref"] is None
    assert after["delivery_address"] == {
        "name": "",
        "line1": "",
        "line2": "",
        "postcode": "69002",
        "city": "Lyon",
        "region": "",
        "country": "FR",
        "latitude": None,
        "longitude": None,
    }
    assert _profile_id(client, scene.privacy, email=CAMILLE_EMAIL) == scene.camille
    camille = client.get(f"/v1/orders/{scene.order_ids[2]}", headers=auth(scene.shop.web)).json()
    assert camille["customer_ref"] == "camille.durand"
    assert camille["delivery_address"]["name"] == "Camille Durand"


def test_the_erasure_is_published_as_an_event_without_personal_data(scene, platform, client):
    """``customer.erased`` carries the erasure id and the profile ids, nothing else."""
    from omnicanal.platform.events import OutboxEvent

    erasure = client.post(f"/v1/profiles/{scene.zoe}/erase", headers=auth(scene.privacy)).json()

    with platform.db.reading() as session:
        event = session.scalar(select(OutboxEvent).where(OutboxEvent.type == "customer.erased"))
    assert event is not None
    assert event.data == {
        "erasure_id": erasure["id"],
        "profile_ids": erasure["profile_ids"],
        "reason": "request",
    }
    listed = client.get("/v1/privacy/erasures", headers=auth(scene.privacy)).json()
    assert [row["id"] for row in listed] == [erasure["id"]]


def test_her_cart_and_reservation_go_but_the_pickup_order_still_holds_its_stock(
    scene, platform, client
):
    """The erasure deletes carts; stock held for her order stays held for the order."""
    stock_before = snapshot(platform)["stock"]

    client.post(f"/v1/profiles/{scene.zoe}/erase", headers=auth(scene.privacy))

    assert snapshot(platform)["stock"] == stock_before
    gone = client.get(
        "/v1/privacy/export", params={"user_id": "zoe.martin"}, headers=auth(scene.privacy)
    )
    assert gone.status_code == 404
    assert gone.json()["code"] == "unknown_identifier"


# --- refusals -----------------------------------------------------------------------------------


def test_an_unknown_person_is_refused_and_nothing_changes(scene, platform, client):
    """404 for a profile id nobody has; nothing is erased."""
    before = snapshot(platform)

    response = client.post(
        "/v1/profiles/01ARZ3NDEKTSV4RRFFQ69G5FAV/erase", headers=auth(scene.privacy)
    )

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_profile"
    assert snapshot(platform) == before


def test_a_key_without_the_erase_scope_cannot_erase_and_nothing_changes(scene, platform, client):
    """Even a key reading profiles may not erase or export: 403, nothing changed."""
    reader = make_key(platform, "call_centre", scopes=["profiles:read", "profiles:write"])
    before = snapshot(platform)

    erase = client.post(f"/v1/profiles/{scene.zoe}/erase", headers=auth(reader))
    export = client.get(f"/v1/profiles/{scene.zoe}/export", headers=auth(reader))

    assert erase.status_code == export.status_code == 403
    assert snapshot(platform) == before


def test_a_person_is_designated_by_exactly_one_identifier(scene, client):
    """Two identifiers, none, or an unknown format: 422 with a code."""
    none = client.get("/v1/privacy/export", headers=auth(scene.privacy))
    two = client.get(
        "/v1/privacy/export",
        params={"email": "zoe.martin@exemple.fr", "user_id": "zoe.martin"},
        headers=auth(scene.privacy),
    )
    bad = client.get(
        f"/v1/profiles/{scene.zoe}/export", params={"format": "xml"}, headers=auth(scene.privacy)
    )

    assert none.status_code == two.status_code == 422
    assert none.json()["code"] == two.json()["code"] == "person_not_designated"
    assert bad.status_code == 422


def test_the_default_channel_keys_hold_no_privacy_scope():
    """Exporting or erasing a person is a back-office act, granted key by key."""
    from omnicanal.platform.auth import DEFAULT_SCOPES

    granted = {scope for scopes in DEFAULT_SCOPES.values() for scope in scopes}
    assert not granted & {"privacy:export", "privacy:erase"}


def test_counting_rows_still_works_after_an_erasure(scene, platform, client):
    """The order count by channel is the same before and after: orders are kept."""
    with platform.db.reading() as session:
        before = session.scalar(select(func.count()).select_from(Order))
    client.post(f"/v1/profiles/{scene.zoe}/erase", headers=auth(scene.privacy))
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == before
