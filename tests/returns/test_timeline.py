"""A return's events reach its customer's timeline through the bus, with what they carry."""

from __future__ import annotations

from sqlalchemy import select

from omnicanal.platform.events import OutboxEvent
from omnicanal.returns.events import ReturnRequested
from tests.builders import auth
from tests.customers.support import make_source, profile_by, profiles_key, send
from tests.returns.builders import make_shop, return_body, web_order


def test_a_return_and_its_refund_join_the_customers_timeline(platform, client):
    """Bought on the web, brought back to Lyon, refunded: the person's timeline shows it."""
    shop = make_shop(platform)
    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "userId": "u-1", "traits": {"email": "ines@example.fr"}},
    )
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    returned = client.post(
        "/v1/returns", json=return_body(order, satisfaction=5), headers=auth(shop.lyon)
    ).json()
    client.post(f"/v1/returns/{returned['id']}/inspect", headers=auth(shop.lyon))
    client.post(
        f"/v1/returns/{returned['id']}/refund",
        json={"method": "store_credit"},
        headers=auth(shop.lyon),
    )

    platform.relay().drain()

    profile = profile_by(client, profiles_key(platform), email="ines@example.fr")
    returns = [e for e in profile["timeline"]["items"] if e["name"].startswith("return.")]
    assert [e["name"] for e in returns] == [
        "return.refunded",
        "return.inspected",
        "return.requested",
    ]
    assert {e["channel"] for e in returns} == {"store"}
    assert {e["properties"]["order_id"] for e in returns} == {order["id"]}
    assert returns[-1]["properties"]["satisfaction"] == 5


def test_every_return_event_carries_the_order_the_channels_the_lines_and_the_score(
    platform, client
):
    shop = make_shop(platform)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    returned = client.post(
        "/v1/returns", json=return_body(order, satisfaction=2), headers=auth(shop.lyon)
    ).json()

    with platform.db.reading() as session:
        [event] = session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == ReturnRequested.type)
        ).all()
        envelope = event.to_event()

    assert envelope.subject == f"returns/{returned['id']}"
    assert envelope.source == "/channels/store/locations/LYON-01"
    assert envelope.data == {
        "return_id": returned["id"],
        "order_id": order["id"],
        "customer_ref": "email:ines@example.fr",
        "purchase_channel": "web",
        "return_channel": "store",
        "return_location": "LYON-01",
        "status": "received",
        "lines": [
            {
                "order_line_id": order["lines"][0]["id"],
                "sku": shop.robe_m,
                "quantity": 1,
                "reason": "too_small",
                "condition": "unworn",
            }
        ],
        "reason_codes": ["too_small"],
        "satisfaction": 2,
        "method": "counter",
        "value_minor": returned["value_minor"],
        "currency": "EUR",
    }
    assert isinstance(envelope.payload, ReturnRequested)


def test_a_return_without_a_score_carries_none(platform, client):
    shop = make_shop(platform)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon))

    with platform.db.reading() as session:
        data = session.scalar(
            select(OutboxEvent.data).where(OutboxEvent.type == ReturnRequested.type)
        )

    assert data is not None
    assert "satisfaction" not in data
