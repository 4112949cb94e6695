"""Click & collect from end to end: one status and one history for every channel."""

from __future__ import annotations

from datetime import timedelta

from omnicanal.fulfilment.handover import IdentityDocument
from omnicanal.fulfilment.schemas import ActionIn
from omnicanal.fulfilment.states import Action
from omnicanal.orders import service as orders
from omnicanal.platform.clock import utcnow
from tests.builders import auth, receive
from tests.orders.builders import WEB, checkout_body, line, make_shop, place


def test_a_click_and_collect_order_is_reserved_at_the_store_and_collected_there(platform, client):
    """Reserved at X, ready, checked in, collected; the wait is reported; all channels agree."""
    shop = make_shop(platform)
    response = client.post(
        "/v1/orders",
        json=checkout_body(line(shop.robe, 1, "pickup", location="LYON-01")),
        headers=auth(shop.web),
    )
    assert response.status_code == 201, response.text
    order = response.json()
    (fulfilment,) = order["fulfilments"]
    assert (fulfilment["method"], fulfilment["location"]) == ("pickup", "LYON-01")
    stock = client.get(f"/v1/inventory/{shop.robe}", headers=auth(shop.web)).json()
    reserved = {row["location"]: row["reserved"] for row in stock["locations"]}
    assert reserved == {"LYON-01": 1, "WH-CENTRE": 0}

    path = f"/v1/fulfilments/{fulfilment['id']}"
    for verb, status in (
        ("pick", "picking"),
        ("ready", "ready_for_pickup"),
        ("check-in", "checked_in"),
        ("collect", "collected"),
    ):
        # Handing over asks for the code the customer shows (typed in any case, with spaces).
        body = {"pickup_code": fulfilment["pickup_code"].lower()} if verb == "collect" else None
        moved = client.post(f"{path}/{verb}", json=body, headers=auth(shop.lyon))
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status

    collected = client.get(path, headers=auth(shop.lyon)).json()
    assert collected["order_status"] == "completed"
    assert collected["pickup_wait_seconds"] >= 0
    stock = client.get(f"/v1/inventory/{shop.robe}", headers=auth(shop.web)).json()
    lyon = next(row for row in stock["locations"] if row["location"] == "LYON-01")
    assert (lyon["on_hand"], lyon["reserved"]) == (4, 0)

    waits = client.get("/v1/fulfilment/pickup-waits", headers=auth(shop.web)).json()
    (store,) = waits["stores"]
    assert (store["location"], store["collected"], store["measured"]) == ("LYON-01", 1, 1)
    assert store["p50_seconds"] == store["p90_seconds"] == collected["pickup_wait_seconds"]

    views = [
        client.get(f"/v1/orders/{order['id']}", headers=auth(key)).json()
        for key in (shop.web, shop.app, shop.call_centre, shop.lyon, shop.paris)
    ]
    assert all(view == views[0] for view in views)
    assert views[0]["status"] == "completed"
    assert [(h["subject"], h["from_status"], h["to_status"]) for h in views[0]["history"]] == [
        ("order", None, "placed"),
        ("fulfilment", None, "allocated"),
        ("order", "placed", "allocated"),
        ("fulfilment", "allocated", "picking"),
        ("fulfilment", "picking", "ready_for_pickup"),
        ("fulfilment", "ready_for_pickup", "checked_in"),
        ("fulfilment", "checked_in", "collected"),
        ("order", "allocated", "completed"),
    ]
    store_key_id = views[0]["history"][3]["actor"]
    assert store_key_id.startswith("key:")
    assert {h["channel"] for h in views[0]["history"][3:7]} == {"store"}


def test_every_transition_writes_its_event_with_actor_and_time(platform):
    from sqlalchemy import select

    from omnicanal.platform.events import OutboxEvent

    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    fulfilment_id = order.fulfilments[0].id
    handover = ActionIn(pickup_code=order.fulfilments[0].pickup_code)
    for action in (Action.pick, Action.ready, Action.check_in, Action.collect):
        with platform.db.transaction() as session:
            orders.act(
                session,
                fulfilment_id=fulfilment_id,
                action=action,
                actor=WEB,
                data=handover if action is Action.collect else None,
            )
    with platform.db.reading() as session:
        events = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type.like("order.%") | OutboxEvent.type.like("fulfilment.%"))
            .order_by(OutboxEvent.seq)
        ).all()
    assert [event.type for event in events] == [
        "order.placed",
        "fulfilment.allocated",
        "order.allocated",
        "fulfilment.picking",
        "fulfilment.ready_for_pickup",
        "fulfilment.checked_in",
        "fulfilment.collected",
        "order.completed",
    ]
    assert all(event.actor == "operator:test web" and event.time for event in events)
    assert events[6].data["pickup_wait_seconds"] >= 0
    assert events[4].data["collect_by"]


def test_pickup_waits_are_reported_per_store_with_their_percentiles(platform):
    """Ten pickups at Lyon waiting 1..10 minutes, one at Paris collected without check-in."""
    shop = make_shop(platform)
    receive(platform, shop.robe, "LYON-01", 10)
    start = utcnow() - timedelta(days=1)
    for minutes in range(1, 11):
        order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"), now=start)
        fulfilment_id = order.fulfilments[0].id
        handover = ActionIn(pickup_code=order.fulfilments[0].pickup_code)
        at = start
        for action, wait in (
            (Action.pick, 5),
            (Action.ready, 30),
            (Action.check_in, 600),
            (Action.collect, minutes * 60),
        ):
            at += timedelta(seconds=wait)
            with platform.db.transaction() as session:
                orders.act(
                    session,
                    fulfilment_id=fulfilment_id,
                    action=action,
                    actor=WEB,
                    now=at,
                    data=handover if action is Action.collect else None,
                )
    paris = place(platform, line(shop.jean, 1, "pickup", location="PARIS-01"))
    for action in (Action.pick, Action.ready, Action.collect):
        with platform.db.transaction() as session:
            orders.act(
                session,
                fulfilment_id=paris.fulfilments[0].id,
                action=action,
                actor=WEB,
                data=ActionIn(identity_checked=IdentityDocument.passport),
            )
    from omnicanal.fulfilment import queries

    with platform.db.reading() as session:
        waits = queries.pickup_waits(session)
    lyon, paris_waits = waits.stores
    assert (lyon.location, lyon.collected, lyon.measured) == ("LYON-01", 10, 10)
    assert lyon.p50_seconds == 330.0
    assert lyon.p90_seconds == 546.0
    assert lyon.max_seconds == 600.0
    assert (paris_waits.collected, paris_waits.measured, paris_waits.p50_seconds) == (1, 0, None)
    assert (waits.overall.collected, waits.overall.measured) == (11, 10)
