"""Who may take, read and change a return: every key against every other's returns."""

from __future__ import annotations

import pytest

from tests.builders import auth, make_key, snapshot
from tests.returns.builders import make_shop, return_body, web_order


@pytest.fixture
def shop(platform):  # type: ignore[no-untyped-def]
    return make_shop(platform)


def test_another_stores_key_neither_sees_nor_handles_a_return_taken_at_lyon(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    taken = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon)).json()
    before = snapshot(platform)

    seen = client.get(f"/v1/returns/{taken['id']}", headers=auth(shop.paris))
    inspected = client.post(f"/v1/returns/{taken['id']}/inspect", headers=auth(shop.paris))
    cancelled = client.post(f"/v1/returns/{taken['id']}/cancel", headers=auth(shop.paris))
    listed = client.get("/v1/returns", headers=auth(shop.paris)).json()

    assert seen.status_code == 404
    assert seen.json()["code"] == "unknown_return"
    assert inspected.status_code == 404
    assert cancelled.status_code == 404
    assert listed["items"] == []
    assert snapshot(platform) == before
    assert client.get(f"/v1/returns/{taken['id']}", headers=auth(shop.lyon)).status_code == 200


def test_a_store_key_takes_returns_at_its_own_counter_only(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    before = snapshot(platform)

    elsewhere = client.post(
        "/v1/returns", json=return_body(order, location="PARIS-01"), headers=auth(shop.lyon)
    )

    assert elsewhere.status_code == 403
    assert elsewhere.json()["code"] == "location_forbidden"
    assert snapshot(platform) == before


def test_a_postal_return_received_at_the_warehouse_is_handled_there_only(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    postal = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.web)
    ).json()
    token = postal["authorisation"]["token"]

    by_web = client.post("/v1/returns", json={"token": token}, headers=auth(shop.web))
    assert by_web.status_code == 403
    assert by_web.json()["code"] == "return_forbidden"
    client.post("/v1/returns", json={"token": token}, headers=auth(shop.warehouse))

    by_lyon = client.post(f"/v1/returns/{postal['id']}/inspect", headers=auth(shop.lyon))
    by_web_inspect = client.post(f"/v1/returns/{postal['id']}/inspect", headers=auth(shop.web))
    assert by_lyon.status_code == 404
    assert by_web_inspect.status_code == 403
    assert by_web_inspect.json()["code"] == "return_forbidden"
    assert client.get(f"/v1/returns/{postal['id']}", headers=auth(shop.web)).status_code == 200


def test_a_channel_authorises_postal_returns_of_its_own_orders(platform, client, shop):
    """The app cannot authorise (nor see) a return of a web order; customer service can."""
    order = web_order(client, platform, shop.web, (shop.robe_m, 2))
    before = snapshot(platform)

    by_app = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.app)
    )

    assert by_app.status_code == 403
    assert by_app.json()["code"] == "return_forbidden"
    assert snapshot(platform) == before
    by_call_centre = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.call_centre)
    )
    assert by_call_centre.status_code == 201, by_call_centre.text
    returned = by_call_centre.json()["id"]
    assert client.get(f"/v1/returns/{returned}", headers=auth(shop.app)).status_code == 404
    assert client.get(f"/v1/returns/{returned}", headers=auth(shop.web)).status_code == 200
    assert client.get("/v1/returns", headers=auth(shop.app)).json()["items"] == []


def test_only_a_store_key_takes_a_return_at_a_counter(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))

    refused = client.post(
        "/v1/returns", json=return_body(order, method="counter"), headers=auth(shop.web)
    )

    assert refused.status_code == 403
    assert refused.json()["code"] == "return_forbidden"


def test_a_marketplace_returns_its_own_orders_only(platform, client, shop):
    order = web_order(client, platform, shop.marketplace, (shop.robe_m, 1))
    before = snapshot(platform)

    by_other = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.other_marketplace)
    )
    assert by_other.status_code == 404
    assert by_other.json()["code"] == "unknown_order"
    assert snapshot(platform) == before

    own = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.marketplace)
    )
    assert own.status_code == 201, own.text
    returned = own.json()["id"]
    other = auth(shop.other_marketplace)
    assert client.get(f"/v1/returns/{returned}", headers=other).status_code == 404
    assert client.get("/v1/returns", headers=other).json()["items"] == []
    assert client.get(f"/v1/returns/{returned}/label.svg", headers=other).status_code == 404
    mine = client.get("/v1/returns", headers=auth(shop.marketplace)).json()["items"]
    assert [item["id"] for item in mine] == [returned]
    assert client.get(f"/v1/returns/{returned}", headers=auth(shop.web)).status_code == 404


def test_a_web_key_cannot_return_a_marketplace_order(platform, client, shop):
    order = web_order(client, platform, shop.marketplace, (shop.robe_m, 1))

    refused = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.web)
    )

    assert refused.status_code == 403
    assert refused.json()["code"] == "return_forbidden"


def test_a_marketplace_reads_no_store_credit(platform, client, shop):
    refused = client.get(
        "/v1/returns/store-credit",
        params={"customer_ref": "email:ines@example.fr"},
        headers=auth(shop.marketplace),
    )

    assert refused.status_code == 403


def test_a_key_without_the_returns_scopes_is_refused(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    orders_only = make_key(platform, "web", scopes=["orders:read", "orders:write"])

    listed = client.get("/v1/returns", headers=auth(orders_only))
    opened = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(orders_only)
    )

    assert listed.status_code == 403
    assert opened.status_code == 403
    assert opened.json()["required_scope"] == "returns:write"


def test_reviewing_needs_the_review_scope(platform, client, shop):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    body = return_body(order)
    body["lines"][0]["condition"] = "worn"
    pending = client.post("/v1/returns", json=body, headers=auth(shop.lyon)).json()

    for key in (shop.web, shop.call_centre, shop.lyon):
        refused = client.post(
            f"/v1/returns/{pending['id']}/review",
            json={"decision": "refuse"},
            headers=auth(key),
        )
        assert refused.status_code == 403
        assert refused.json()["required_scope"] == "returns:review"
    reviewer_list = client.get("/v1/returns", headers=auth(shop.reviewer)).json()
    assert [item["id"] for item in reviewer_list["items"]] == [pending["id"]]
