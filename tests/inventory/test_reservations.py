"""Reservations through the HTTP API: hold, confirm, release, expire, retry safely."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from omnicanal.inventory import service as inventory
from omnicanal.inventory.errors import InsufficientStock
from omnicanal.inventory.models import Reservation, StockLevel, StockMovement
from omnicanal.inventory.schemas import ReservationIn
from omnicanal.network import service as network
from omnicanal.network.schemas import ChannelIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import OutboxEvent
from tests.builders import auth, make_key, make_location, make_product, receive


def given_a_store_with_stock(platform, quantity=5):  # type: ignore[no-untyped-def]
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "ROBE-ALMA")
    receive(platform, sku, "LYON-01", quantity)
    return sku


def available(client, token, sku, channel="web"):  # type: ignore[no-untyped-def]
    response = client.get(
        "/v1/availability", params={"sku": sku, "channel": channel}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    return response.json()["items"][0]["available"]


def test_a_reservation_holds_units_until_it_is_confirmed(platform, client):
    """Reserving takes units out of availability; confirming takes them out of on-hand."""
    sku = given_a_store_with_stock(platform, 5)
    web = make_key(platform, "web")

    created = client.post("/v1/reservations", json={"sku": sku, "quantity": 2}, headers=auth(web))
    assert created.status_code == 201, created.text
    reservation = created.json()
    assert (reservation["location"], reservation["status"]) == ("LYON-01", "active")
    assert available(client, web, sku) == 3

    confirmed = client.post(f"/v1/reservations/{reservation['id']}/confirm", headers=auth(web))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    stock = client.get(f"/v1/inventory/{sku}", headers=auth(web)).json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (3, 0, 3)


def test_a_released_reservation_gives_its_units_back(platform, client):
    sku = given_a_store_with_stock(platform, 5)
    app_key = make_key(platform, "app")
    reservation = client.post(
        "/v1/reservations", json={"sku": sku, "quantity": 5}, headers=auth(app_key)
    ).json()
    assert available(client, app_key, sku, "app") == 0

    released = client.post(f"/v1/reservations/{reservation['id']}/release", headers=auth(app_key))

    assert released.json()["status"] == "released"
    assert available(client, app_key, sku, "app") == 5


def test_reserving_more_than_available_is_refused_and_changes_nothing(platform, client):
    sku = given_a_store_with_stock(platform, 2)
    web = make_key(platform, "web")
    with platform.db.reading() as session:
        events_before = session.scalar(select(func.count()).select_from(OutboxEvent))

    response = client.post("/v1/reservations", json={"sku": sku, "quantity": 3}, headers=auth(web))

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "insufficient_stock"
    assert problem["available"] == 2
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Reservation)) == 0
        assert session.scalar(select(StockLevel.reserved)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == events_before


def test_a_refusal_counts_the_free_units_of_every_store_serving_the_channel(platform, client):
    """The 409 says what the channel could have had: the free units of each store serving
    it, a store whose safety stock exceeds its units counting none (not fewer than none)."""
    sku = given_a_store_with_stock(platform, 2)
    make_location(platform, "PARIS-01")
    receive(platform, sku, "PARIS-01", 1)
    admin, web = make_key(platform, "web", scopes=["admin"]), make_key(platform, "web")
    settings = client.put(
        f"/v1/inventory/{sku}/locations/PARIS-01/settings",
        json={"safety_stock": 3},
        headers=auth(admin),
    )
    assert settings.status_code == 204, settings.text

    response = client.post("/v1/reservations", json={"sku": sku, "quantity": 5}, headers=auth(web))

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["available"]) == ("insufficient_stock", 2)
    with platform.db.reading() as session:
        assert session.scalar(select(func.sum(StockLevel.reserved))) == 0


def test_a_retried_reservation_with_the_same_idempotency_key_reserves_once(platform, client):
    sku = given_a_store_with_stock(platform, 5)
    web = make_key(platform, "web")
    headers = auth(web, **{"Idempotency-Key": "checkout-42-line-1"})

    first = client.post("/v1/reservations", json={"sku": sku, "quantity": 2}, headers=headers)
    again = client.post("/v1/reservations", json={"sku": sku, "quantity": 2}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert available(client, web, sku) == 3
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Reservation)) == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(platform, client):
    sku = given_a_store_with_stock(platform, 5)
    web = make_key(platform, "web")
    headers = auth(web, **{"Idempotency-Key": "k-1"})
    client.post("/v1/reservations", json={"sku": sku, "quantity": 1}, headers=headers)

    response = client.post("/v1/reservations", json={"sku": sku, "quantity": 3}, headers=headers)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert available(client, web, sku) == 4


def test_an_expired_reservation_frees_its_stock_for_reads_and_for_the_sweeper(platform, client):
    sku = given_a_store_with_stock(platform, 3)
    web = make_key(platform, "web")
    reservation = client.post(
        "/v1/reservations", json={"sku": sku, "quantity": 3}, headers=auth(web)
    ).json()
    assert available(client, web, sku) == 0
    with platform.db.transaction() as session:
        session.get(Reservation, reservation["id"]).expires_at = utcnow() - timedelta(seconds=1)

    assert available(client, web, sku) == 3
    assert platform.sweep_expired() == 1
    with platform.db.reading() as session:
        assert session.get(Reservation, reservation["id"]).status == "expired"
        assert session.scalar(select(StockLevel.reserved)) == 0
    confirm = client.post(f"/v1/reservations/{reservation['id']}/confirm", headers=auth(web))
    assert confirm.status_code == 409
    assert confirm.json()["code"] == "reservation_not_active"


def test_confirming_an_expired_reservation_is_refused_and_moves_no_stock(platform, client):
    sku = given_a_store_with_stock(platform, 3)
    web = make_key(platform, "web")
    reservation = client.post(
        "/v1/reservations", json={"sku": sku, "quantity": 1}, headers=auth(web)
    ).json()
    with platform.db.transaction() as session:
        session.get(Reservation, reservation["id"]).expires_at = utcnow() - timedelta(seconds=1)

    response = client.post(f"/v1/reservations/{reservation['id']}/confirm", headers=auth(web))

    assert response.status_code == 409
    assert response.json()["code"] == "reservation_expired"
    with platform.db.reading() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(StockMovement).where(StockMovement.kind == "sale")
            )
            == 0
        )


def test_a_new_reservation_sweeps_the_expired_ones_of_its_sku(platform, client):
    sku = given_a_store_with_stock(platform, 2)
    web = make_key(platform, "web")
    old = client.post(
        "/v1/reservations", json={"sku": sku, "quantity": 2}, headers=auth(web)
    ).json()
    with platform.db.transaction() as session:
        session.get(Reservation, old["id"]).expires_at = utcnow() - timedelta(seconds=1)

    fresh = client.post("/v1/reservations", json={"sku": sku, "quantity": 2}, headers=auth(web))

    assert fresh.status_code == 201, fresh.text
    with platform.db.reading() as session:
        assert session.get(Reservation, old["id"]).status == "expired"
        assert session.scalar(select(StockLevel.reserved)) == 2


def test_a_channel_moved_to_another_store_reserves_there_at_the_next_request(platform, client):
    """The process keeps channels and the stores serving them in memory; a change made
    through the API shows at the very next reservation, not when the cache expires."""
    sku = given_a_store_with_stock(platform, 5)
    make_location(platform, "PARIS-01", channels=())
    receive(platform, sku, "PARIS-01", 3)
    web, admin = make_key(platform, "web"), make_key(platform, "web", scopes=["admin"])
    first = client.post("/v1/reservations", json={"sku": sku, "quantity": 1}, headers=auth(web))

    moved = client.put("/v1/channels/web/locations", json=["PARIS-01"], headers=auth(admin))
    second = client.post("/v1/reservations", json={"sku": sku, "quantity": 1}, headers=auth(web))

    assert moved.status_code == 200, moved.text
    assert (first.json()["location"], second.json()["location"]) == ("LYON-01", "PARIS-01")


def test_a_channel_served_by_two_stores_reserves_at_the_second_when_the_first_runs_out(
    platform, client
):
    """With several candidate stores the stock UPDATE comes first, at each in turn."""
    sku = given_a_store_with_stock(platform, 1)
    make_location(platform, "PARIS-01", channels=("web",))
    receive(platform, sku, "PARIS-01", 1)
    web = make_key(platform, "web")

    places = [
        client.post("/v1/reservations", json={"sku": sku, "quantity": 1}, headers=auth(web))
        for _ in range(3)
    ]

    assert [p.status_code for p in places] == [201, 201, 409]
    assert [p.json().get("location") for p in places[:2]] == ["LYON-01", "PARIS-01"]
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Reservation)) == 2
        assert session.scalar(select(func.sum(StockLevel.reserved))) == 2


def test_a_reservation_refused_in_a_savepoint_keeps_the_events_recorded_before_it(platform):
    """A checkout retries its reservations in a savepoint: a refusal there takes back its
    own writes only, not the events its transaction recorded before."""
    sku = given_a_store_with_stock(platform, 1)
    with platform.db.transaction() as session:
        network.create_channel(
            session,
            data=ChannelIn(code="zalando", name="Zalando", kind="marketplace"),
            actor=OPERATOR,
        )
        with pytest.raises(InsufficientStock), session.begin_nested():
            inventory.reserve(
                session,
                data=ReservationIn(sku=sku, quantity=2, location="LYON-01", channel="web"),
                actor=OPERATOR,
                default_ttl_seconds=900,
            )

    with platform.db.reading() as session:
        types = session.scalars(select(OutboxEvent.type)).all()
        assert session.scalar(select(func.count()).select_from(Reservation)) == 0
    assert "network.channel_created" in types
    assert "inventory.reserved" not in types
