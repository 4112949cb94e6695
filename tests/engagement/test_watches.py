"""Stock watches: a customer waits for a SKU at a store (the web shop and the app for their
logged-in customer, a store at its own store, the call centre for anyone); when it comes
back there she is told once, unless it ran out again before the message left."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import as_utc
from tests.builders import auth, make_key, receive, snapshot
from tests.engagement.journey_builders import (
    INES,
    consent,
    decisions_of,
    drain,
    make_person,
    messages,
    noon_after,
    run_send_due,
    smtp_platform,
)
from tests.mail_server import Inbox, smtp_server
from tests.returns.builders import make_shop

CUSTOMER = f"email:{INES}"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture
def platform(backend, tmp_path, request, inbox):  # type: ignore[no-untyped-def]
    platform = smtp_platform(backend, tmp_path, request, inbox)
    yield platform
    platform.close()


@pytest.fixture
def shop(platform):  # type: ignore[no-untyped-def]
    return make_shop(platform)


@pytest.fixture
def ines(platform):  # type: ignore[no-untyped-def]
    profile_id = make_person(platform, INES)
    consent(platform, profile_id)
    return profile_id


def _watch(client, key, sku, location="PARIS-01", **who):  # type: ignore[no-untyped-def]
    body = {"sku": sku, "location": location, **(who or {"customer_ref": CUSTOMER})}
    return client.post("/v1/stock-watches", json=body, headers=auth(key))


def _sell_out(platform, sku: str, location: str, quantity: int) -> None:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        inventory.record_movement(
            session,
            data=MovementIn(sku=sku, location=location, kind=MovementKind.sale, quantity=quantity),
            actor=OPERATOR,
        )


def test_the_web_shop_watches_a_sku_for_its_customer_once(platform, client, shop, ines):
    first = _watch(client, shop.web, shop.robe_m)
    again = _watch(client, shop.app, shop.robe_m, profile_id=ines)

    assert first.status_code == 201, first.text
    watch = first.json()
    assert (watch["profile_id"], watch["sku"], watch["location"], watch["channel"]) == (
        ines,
        shop.robe_m,
        "PARIS-01",
        "web",
    )
    assert again.status_code == 201, again.text
    assert again.json()["id"] == watch["id"]
    listed = client.get(
        "/v1/stock-watches", params={"customer_ref": CUSTOMER}, headers=auth(shop.app)
    )
    assert [row["id"] for row in listed.json()] == [watch["id"]]


def test_she_is_told_once_when_the_sku_is_back_at_her_store(platform, client, inbox, shop, ines):
    watch = _watch(client, shop.web, shop.robe_m).json()

    receive(platform, shop.robe_m, "PARIS-01", 5)
    drain(platform)

    [message] = messages(platform, kind="back_in_stock")
    assert message.subject == f"stock/{shop.robe_m}@PARIS-01"
    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 1
    [(recipients, _)] = inbox.wait_for(1)
    assert recipients == [INES]
    ended = client.get(f"/v1/stock-watches/{watch['id']}", headers=auth(shop.web)).json()
    assert ended["active"] is False and ended["notified_at"] is not None

    _sell_out(platform, shop.robe_m, "PARIS-01", 5)
    receive(platform, shop.robe_m, "PARIS-01", 5)
    drain(platform)
    assert len(messages(platform, kind="back_in_stock")) == 1


def test_stock_gone_again_before_the_message_left_withdraws_it(platform, client, inbox, shop, ines):
    """Back, then sold out before the message's time: the message is withdrawn as the bus
    brings the news, and the watch waits for the next time."""
    watch = _watch(client, shop.web, shop.robe_m).json()
    receive(platform, shop.robe_m, "PARIS-01", 5)
    drain(platform)
    _sell_out(platform, shop.robe_m, "PARIS-01", 5)
    drain(platform)

    [message] = messages(platform, kind="back_in_stock")
    assert (message.status, message.reason) == ("withdrawn", "stock_ran_out_again")
    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 0
    assert inbox.messages == []
    still = client.get(f"/v1/stock-watches/{watch['id']}", headers=auth(shop.web)).json()
    assert still["active"] is True


def test_stock_gone_again_is_seen_at_sending_time_even_before_the_bus_says_so(
    platform, client, inbox, shop, ines
):
    _watch(client, shop.web, shop.robe_m)
    receive(platform, shop.robe_m, "PARIS-01", 5)
    drain(platform)
    _sell_out(platform, shop.robe_m, "PARIS-01", 5)
    [message] = messages(platform, kind="back_in_stock")

    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 0

    [withdrawn] = messages(platform, kind="back_in_stock")
    assert (withdrawn.status, withdrawn.reason) == ("withdrawn", "stock_ran_out_again")
    assert decisions_of(platform, message.id)[-1] == ("send", "withdraw", "stock_ran_out_again")
    assert inbox.messages == []


def test_an_ended_watch_is_told_nothing(platform, client, shop, ines):
    watch = _watch(client, shop.web, shop.robe_m).json()
    ended = client.delete(f"/v1/stock-watches/{watch['id']}", headers=auth(shop.web))
    assert ended.status_code == 200, ended.text
    assert ended.json()["active"] is False

    receive(platform, shop.robe_m, "PARIS-01", 5)
    drain(platform)

    assert messages(platform, kind="back_in_stock") == []


def test_a_store_watches_at_its_own_store_only(platform, client, shop, ines):
    before = snapshot(platform)
    elsewhere = _watch(client, shop.lyon, shop.robe_m, location="PARIS-01")
    assert elsewhere.status_code == 403, elsewhere.text
    assert elsewhere.json()["code"] == "location_forbidden"
    assert snapshot(platform) == before

    paris = _watch(client, shop.paris, shop.robe_m, location="PARIS-01").json()
    assert (
        client.get(f"/v1/stock-watches/{paris['id']}", headers=auth(shop.lyon)).status_code == 404
    )
    assert (
        client.delete(f"/v1/stock-watches/{paris['id']}", headers=auth(shop.lyon)).status_code
        == 404
    )
    lyon_list = client.get("/v1/stock-watches", headers=auth(shop.lyon)).json()
    paris_list = client.get("/v1/stock-watches", headers=auth(shop.paris)).json()
    assert (lyon_list, [row["id"] for row in paris_list]) == ([], [paris["id"]])
    everyone = client.get("/v1/stock-watches", headers=auth(shop.call_centre)).json()
    assert [row["id"] for row in everyone] == [paris["id"]]


def test_the_web_shop_lists_only_a_named_customers_watches(platform, client, shop, ines):
    _watch(client, shop.web, shop.robe_m)

    response = client.get("/v1/stock-watches", headers=auth(shop.web))

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "engagement_forbidden"


def test_a_marketplace_watches_nothing(platform, client, shop, ines):
    key = make_key(platform, "marketplace", scopes=["watches:write"])
    before = snapshot(platform)

    response = _watch(client, key, shop.robe_m)

    assert response.status_code == 403, response.text
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        (
            {"sku": "NO-SUCH-SKU", "location": "PARIS-01", "customer_ref": CUSTOMER},
            404,
            "unknown_sku",
        ),
        (
            {"sku": "{robe}", "location": "NOWHERE", "customer_ref": CUSTOMER},
            404,
            "unknown_location",
        ),
        (
            {"sku": "{robe}", "location": "PARIS-01", "customer_ref": "email:x@y.fr"},
            422,
            "unknown_customer",
        ),
        ({"sku": "{robe}", "location": "PARIS-01"}, 422, "validation_error"),
        (
            {"sku": "{robe}", "location": "PARIS-01", "profile_id": "0" * 26},
            422,
            "unknown_customer",
        ),
        (
            {"sku": "x" * 61, "location": "PARIS-01", "customer_ref": CUSTOMER},
            422,
            "validation_error",
        ),
        (
            {"sku": "a\x00b", "location": "PARIS-01", "customer_ref": CUSTOMER},
            422,
            "validation_error",
        ),
        (
            {"sku": "{robe}", "location": "PARIS-01", "customer_ref": CUSTOMER, "x": 1},
            422,
            "validation_error",
        ),
    ],
)
def test_a_bad_watch_is_refused_and_changes_nothing(
    platform, client, shop, ines, body, status, problem
):
    body = {
        key: value.replace("{robe}", shop.robe_m) if isinstance(value, str) else value
        for key, value in body.items()
    }
    before = snapshot(platform)

    response = client.post("/v1/stock-watches", json=body, headers=auth(shop.web))

    assert response.status_code == status, response.text
    assert response.json()["code"] == problem
    assert snapshot(platform) == before
