"""Operating fulfilments over HTTP: transitions, store scoping, rejected lines, cancellation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from omnicanal.fulfilment.errors import InvalidTransition
from omnicanal.fulfilment.schemas import ActionIn
from omnicanal.fulfilment.states import Action
from omnicanal.orders import service as orders
from tests.builders import auth, snapshot
from tests.orders.builders import WEB, line, make_shop, place


def _stock(client, key, sku):  # type: ignore[no-untyped-def]
    rows = client.get(f"/v1/inventory/{sku}", headers=auth(key)).json()["locations"]
    return {row["location"]: (row["on_hand"], row["reserved"]) for row in rows}


def test_an_invalid_transition_is_refused_with_409_and_changes_nothing(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    fulfilment_id = order.fulfilments[0].id
    before = snapshot(platform)
    for verb in ("collect", "ship", "check-in", "buy", "deliver"):
        response = client.post(f"/v1/fulfilments/{fulfilment_id}/{verb}", headers=auth(shop.lyon))
        assert response.status_code == 409, verb
        problem = response.json()
        assert problem["code"] == "invalid_transition"
        assert problem["current_status"] == "allocated"
        assert problem["allowed"] == ["pick", "cancel", "reject"]
    assert snapshot(platform) == before


def test_the_generic_transition_endpoint_applies_any_action(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    path = f"/v1/fulfilments/{order.fulfilments[0].id}/transitions"
    moved = client.post(path, json={"action": "pick"}, headers=auth(shop.lyon))
    assert moved.status_code == 200
    assert moved.json()["allowed_actions"] == ["ready", "cancel", "reject"]
    unknown = client.post(path, json={"action": "teleport"}, headers=auth(shop.lyon))
    assert unknown.status_code == 422


def test_a_store_key_acts_on_its_own_stores_fulfilments_only(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    before = snapshot(platform)
    response = client.post(
        f"/v1/fulfilments/{order.fulfilments[0].id}/pick", headers=auth(shop.paris)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "location_forbidden"
    assert snapshot(platform) == before


def test_a_key_without_the_fulfilment_scope_cannot_move_a_fulfilment(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    response = client.post(
        f"/v1/fulfilments/{order.fulfilments[0].id}/pick", headers=auth(shop.web)
    )
    assert response.status_code == 403
    assert response.json()["required_scope"] == "fulfilment:write"


def test_a_store_sees_its_own_queue(platform, client):
    shop = make_shop(platform)
    place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    place(platform, line(shop.jean, 1, "pickup", location="PARIS-01"))
    queue = client.get("/v1/fulfilments", headers=auth(shop.lyon)).json()["items"]
    assert [(f["location"], f["order_status"]) for f in queue] == [("LYON-01", "allocated")]
    everyone = client.get("/v1/fulfilments?method=pickup", headers=auth(shop.web)).json()["items"]
    assert sorted(f["location"] for f in everyone) == ["LYON-01", "PARIS-01"]


def test_shipping_takes_the_units_out_of_stock_and_delivery_completes_the_order(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.pull, 2))
    (fulfilment,) = order.fulfilments
    assert fulfilment.location == "PARIS-01"
    path = f"/v1/fulfilments/{fulfilment.id}"
    assert client.post(f"{path}/pick", headers=auth(shop.paris)).status_code == 200
    assert client.post(f"{path}/pack", headers=auth(shop.paris)).status_code == 200
    shipped = client.post(
        f"{path}/ship",
        json={"carrier": "Colissimo", "tracking_reference": "6A123456789"},
        headers=auth(shop.paris),
    ).json()
    assert (shipped["status"], shipped["order_status"]) == ("shipped", "fulfilled")
    assert shipped["tracking_reference"] == "6A123456789"
    assert _stock(client, shop.web, shop.pull)["PARIS-01"] == (6, 0)
    delivered = client.post(f"{path}/deliver", headers=auth(shop.paris)).json()
    assert (delivered["status"], delivered["order_status"]) == ("delivered", "completed")


def test_a_rejected_line_is_sourced_again_elsewhere(platform, client):
    """Lyon cannot find the jacket: its units go back and Paris ships it instead."""
    shop = make_shop(platform)
    order = place(platform, line(shop.jean, 1))
    (fulfilment,) = order.fulfilments
    assert fulfilment.location == "LYON-01"
    response = client.post(
        f"/v1/fulfilments/{fulfilment.id}/reject-line",
        json={"line_id": fulfilment.lines[0].id, "reason": "damaged"},
        headers=auth(shop.lyon),
    )
    assert response.status_code == 200, response.text
    after = response.json()
    rejected, replacement = after["fulfilments"]
    assert (rejected["location"], rejected["status"]) == ("LYON-01", "rejected")
    assert rejected["lines"][0]["reason"] == "damaged"
    assert (replacement["location"], replacement["status"]) == ("PARIS-01", "allocated")
    assert replacement["replaces"] == rejected["id"]
    assert after["status"] == "allocated"
    assert after["lines"][0]["cancelled_quantity"] == 0
    stock = _stock(client, shop.web, shop.jean)
    assert (stock["LYON-01"][1], stock["PARIS-01"][1]) == (0, 1)


def test_a_line_no_other_location_can_fulfil_is_cancelled_and_so_is_the_order(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.jean, 4))
    (fulfilment,) = order.fulfilments
    response = client.post(
        f"/v1/fulfilments/{fulfilment.id}/reject-line",
        json={"line_id": fulfilment.lines[0].id, "reason": "not found"},
        headers=auth(shop.lyon),
    )
    after = response.json()
    assert after["status"] == "cancelled"
    assert after["lines"][0]["cancelled_quantity"] == 4
    assert _stock(client, shop.web, shop.jean)["LYON-01"] == (6, 0)


def test_a_rejected_pickup_line_is_cancelled_not_moved_to_another_store(platform, client):
    shop = make_shop(platform)
    order = place(
        platform,
        line(shop.robe, 1, "pickup", location="LYON-01"),
        line(shop.jean, 1, "pickup", location="LYON-01"),
    )
    (fulfilment,) = order.fulfilments
    robe_line = next(item for item in fulfilment.lines if item.sku == shop.robe)
    after = client.post(
        f"/v1/fulfilments/{fulfilment.id}/reject-line",
        json={"line_id": robe_line.id, "reason": "damaged"},
        headers=auth(shop.lyon),
    ).json()
    assert [f["status"] for f in after["fulfilments"]] == ["allocated"]
    assert [line_["cancelled_quantity"] for line_ in after["lines"]] == [1, 0]
    assert after["status"] == "allocated"


def test_rejecting_a_packed_parcel_is_too_late(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.pull))
    (fulfilment,) = order.fulfilments
    for action in (Action.pick, Action.pack):
        with platform.db.transaction() as session:
            orders.act(session, fulfilment_id=fulfilment.id, action=action, actor=WEB)
    before = snapshot(platform)
    response = client.post(
        f"/v1/fulfilments/{fulfilment.id}/reject-line",
        json={"line_id": fulfilment.lines[0].id, "reason": "damaged"},
        headers=auth(shop.paris),
    )
    assert response.json()["code"] == "invalid_transition"
    assert snapshot(platform) == before


def test_cancelling_an_order_releases_every_reservation(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 2), line(shop.jean, 1, "pickup", location="PARIS-01"))
    response = client.post(
        f"/v1/orders/{order.id}/cancel",
        json={"reason": "customer changed her mind"},
        headers=auth(shop.web),
    )
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "cancelled"
    assert {f["status"] for f in cancelled["fulfilments"]} == {"cancelled"}
    assert [line_["cancelled_quantity"] for line_ in cancelled["lines"]] == [2, 1]
    assert cancelled["history"][-1]["reason"] == "customer changed her mind"
    assert all(reserved == 0 for _, reserved in _stock(client, shop.web, shop.robe).values())
    assert all(reserved == 0 for _, reserved in _stock(client, shop.web, shop.jean).values())


def test_an_order_that_has_shipped_cannot_be_cancelled(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.pull))
    for action in (Action.pick, Action.pack, Action.ship):
        with platform.db.transaction() as session:
            orders.act(session, fulfilment_id=order.fulfilments[0].id, action=action, actor=WEB)
    before = snapshot(platform)
    response = client.post(f"/v1/orders/{order.id}/cancel", headers=auth(shop.web))
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert snapshot(platform) == before


def test_a_store_key_cancels_only_orders_placed_at_its_store(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe))
    response = client.post(f"/v1/orders/{order.id}/cancel", headers=auth(shop.lyon))
    assert response.json()["code"] == "order_forbidden"


def test_a_held_item_bought_in_store_records_the_payment_and_completes(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.jean, 1, "reserve_and_try", location="PARIS-01"))
    path = f"/v1/fulfilments/{order.fulfilments[0].id}"
    assert client.post(f"{path}/try-on", headers=auth(shop.paris)).json()["status"] == "tried"
    bought = client.post(
        f"{path}/buy",
        json={"payment": {"provider": "adyen-pos", "reference": "pos_77", "status": "captured"}},
        headers=auth(shop.paris),
    ).json()
    assert (bought["status"], bought["order_status"]) == ("bought", "completed")
    view = client.get(f"/v1/orders/{order.id}", headers=auth(shop.web)).json()
    assert view["payment"] == {"provider": "adyen-pos", "reference": "pos_77", "status": "captured"}
    assert _stock(client, shop.web, shop.jean)["PARIS-01"] == (3, 0)


def test_a_held_item_the_customer_does_not_take_is_released(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.jean, 1, "reserve_and_try", location="PARIS-01"))
    path = f"/v1/fulfilments/{order.fulfilments[0].id}"
    client.post(f"{path}/try-on", headers=auth(shop.paris))
    released = client.post(f"{path}/release", headers=auth(shop.paris)).json()
    assert (released["status"], released["order_status"]) == ("released", "cancelled")
    view = client.get(f"/v1/orders/{order.id}", headers=auth(shop.web)).json()
    assert view["lines"][0]["cancelled_quantity"] == 1
    assert _stock(client, shop.web, shop.jean)["PARIS-01"] == (4, 0)


def test_payment_updates_follow_the_providers_lifecycle(platform, client):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe))
    path = f"/v1/orders/{order.id}/payment"
    captured = client.post(path, json={"status": "captured"}, headers=auth(shop.web))
    assert captured.json()["payment"]["status"] == "captured"
    refunded = client.post(
        path, json={"status": "refunded", "reference": "rf_1"}, headers=auth(shop.web)
    )
    assert refunded.json()["payment"] == {
        "provider": "adyen",
        "reference": "rf_1",
        "status": "refunded",
    }
    again = client.post(path, json={"status": "captured"}, headers=auth(shop.web))
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_payment_change"


def test_two_clerks_collecting_at_once_hand_over_once(platform):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    fulfilment_id = order.fulfilments[0].id
    for action in (Action.pick, Action.ready):
        with platform.db.transaction() as session:
            orders.act(session, fulfilment_id=fulfilment_id, action=action, actor=WEB)
    start = Barrier(6)

    def collect(_: int) -> str:
        start.wait()
        try:
            with platform.db.transaction() as session:
                orders.act(
                    session,
                    fulfilment_id=fulfilment_id,
                    action=Action.collect,
                    actor=WEB,
                    data=ActionIn(pickup_code=order.fulfilments[0].pickup_code),
                )
        except InvalidTransition:
            return "refused"
        return "collected"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(collect, range(6)))
    assert outcomes == ["collected"] + ["refused"] * 5
    with platform.db.reading() as session:
        view = orders.get_order(session, order_id=order.id)
    assert [h.to_status for h in view.history].count("collected") == 1


def test_orders_are_listed_newest_first_by_page(platform, client):
    shop = make_shop(platform)
    placed = [place(platform, line(shop.robe), customer_ref="CUST-5").id for _ in range(3)]
    place(platform, line(shop.robe), customer_ref="CUST-6")
    first = client.get("/v1/orders?customer_ref=CUST-5&limit=2", headers=auth(shop.app)).json()
    assert [item["id"] for item in first["items"]] == placed[::-1][:2]
    assert first["has_more"] is True
    rest = client.get(
        f"/v1/orders?customer_ref=CUST-5&limit=2&starting_after={first['next_cursor']}",
        headers=auth(shop.app),
    ).json()
    assert [item["id"] for item in rest["items"]] == placed[:1]
    assert (rest["has_more"], rest["next_cursor"]) == (False, None)


def test_an_unknown_order_or_fulfilment_is_404(platform, client):
    shop = make_shop(platform)
    assert client.get("/v1/orders/NOPE", headers=auth(shop.web)).json()["code"] == "unknown_order"
    response = client.get("/v1/fulfilments/NOPE", headers=auth(shop.web))
    assert response.json()["code"] == "unknown_fulfilment"


def test_cancelling_one_fulfilment_cancels_its_units_and_keeps_the_rest_of_the_order(
    platform, client
):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1), line(shop.jean, 1, "pickup", location="PARIS-01"))
    pickup = next(f for f in order.fulfilments if f.method == "pickup")
    cancelled = client.post(
        f"/v1/fulfilments/{pickup.id}/cancel",
        json={"reason": "store closed for inventory"},
        headers=auth(shop.paris),
    ).json()
    assert (cancelled["status"], cancelled["order_status"]) == ("cancelled", "allocated")
    view = client.get(f"/v1/orders/{order.id}", headers=auth(shop.web)).json()
    assert [line_["cancelled_quantity"] for line_ in view["lines"]] == [0, 1]
    assert _stock(client, shop.web, shop.jean)["PARIS-01"] == (4, 0)
