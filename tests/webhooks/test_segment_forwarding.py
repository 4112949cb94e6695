"""Forwarding omnicanal's own commerce events to a Segment-compatible tracking API: the
mapping to Segment's e-commerce spec, the request (Basic auth with the write key, one
message a batch), the answers that give a message up at once, the endpoint's management,
and a till sale and its refunded return arriving, once each, in another omnicanal's tracking
API."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from sqlalchemy import update

from omnicanal import __version__
from omnicanal.orders.events import OrderedLine, OrderPlaced
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.events import record_event
from omnicanal.webhooks.models import WebhookDelivery
from omnicanal.webhooks.segment import (
    LineFacts,
    OrderFacts,
    ProductFacts,
    anonymous_id,
    track_message,
    track_name,
)
from tests.builders import auth, make_key, make_location, make_product, receive, snapshot
from tests.conftest import LiveServer, free_port, make_platform
from tests.customers.support import make_source, profiles_key
from tests.web.test_admin_pages import _csrf, _post
from tests.web.test_french_pages import english_words
from tests.webhooks.builders import clock, deliveries, endpoint_row, head_office_key, relay, send
from tests.webhooks.test_admin_page import PAGE, boss  # noqa: F401 (a fixture)
from tests.webhooks.test_cli import cli, run  # noqa: F401 (a fixture)

ORDER = "01JQ7Z0000000000000000ORDR"
TIME = "2026-12-06T10:31:02.114000+00:00"
LIBRARY = {"name": "omnicanal", "version": __version__}
CATALOGUE = {
    "ROBE-ALMA-M": ProductFacts("ROBE-ALMA-M", "ROBE-ALMA", "Robe Alma", "Robes", "M noir"),
    "VESTE-LIN-L": ProductFacts("VESTE-LIN-L", "VESTE-LIN", "Veste lin", "Vestes", "L écru"),
}
TILL_SALE = OrderFacts(
    id=ORDER,
    channel="store",
    location_code="LYON-01",
    customer_ref="u-1042",
    currency="EUR",
    total_minor=14970,
    lines=(
        LineFacts("LINE-1", "ROBE-ALMA-M", 2, 4990),
        LineFacts("LINE-2", "VESTE-LIN-L", 1, 4990),
    ),
)
FORWARDED = ["order.placed", "return.requested", "return.refunded"]


def _envelope(event_type: str, **data: Any) -> dict[str, Any]:
    return {"id": "01JQ7Z000000000000000EVENT", "type": event_type, "time": TIME, "data": data}


def _returned(**line: Any) -> dict[str, Any]:
    return {
        "order_line_id": "LINE-1",
        "sku": "ROBE-ALMA-M",
        "quantity": 1,
        "reason": "too_small",
        "condition": "unworn",
    } | line


# --- the mapping ------------------------------------------------------------------------------


def test_only_what_segment_calls_a_completed_order_a_refund_or_a_return_is_forwarded():
    """Paid at placing (a till, a web card) or paid later: Order Completed; units back in
    hand: Product Returned; money given back: Order Refunded."""
    assert track_name("order.placed", {"payment_status": "captured"}) == "Order Completed"
    assert track_name("order.placed", {"payment_status": "authorised"}) == "Order Completed"
    assert track_name("order.placed", {"payment_status": "pending"}) is None
    paid_later = {"from_status": "pending", "status": "captured"}
    assert track_name("order.payment_updated", paid_later) == "Order Completed"
    captured = {"from_status": "authorised", "status": "captured"}
    assert track_name("order.payment_updated", captured) is None
    assert track_name("order.completed", {"payment_status": "captured"}) is None
    assert track_name("order.cancelled", {"refund_due": True}) == "Order Refunded"
    assert track_name("order.cancelled", {"refund_due": False}) == "Order Cancelled"
    assert track_name("order.line_cancelled", {"refund_minor": 4990}) == "Order Refunded"
    assert track_name("return.requested", {"status": "received"}) == "Product Returned"
    assert track_name("return.requested", {"status": "requested"}) is None
    assert track_name("return.requested", {"status": "review_pending"}) is None
    assert track_name("return.approved", {"return_channel": "store"}) == "Product Returned"
    assert track_name("return.approved", {"return_channel": "post"}) is None
    assert track_name("return.received", {}) == "Product Returned"
    assert track_name("return.refunded", {}) == "Order Refunded"


def test_a_till_sale_is_an_order_completed_in_currency_units_with_its_products():
    envelope = _envelope(
        "order.placed",
        order_id=ORDER,
        channel="store",
        customer_ref="u-1042",
        currency="EUR",
        total_minor=14970,
        payment_status="captured",
        lines=[
            {"sku": "ROBE-ALMA-M", "quantity": 2, "method": "carry_out", "location": "LYON-01"},
            {"sku": "VESTE-LIN-L", "quantity": 1, "method": "carry_out", "location": "LYON-01"},
        ],
    )

    message = track_message(envelope, message_id="DLV-1", order=TILL_SALE, catalogue=CATALOGUE)

    assert message == {
        "type": "track",
        "event": "Order Completed",
        "messageId": "DLV-1",
        "timestamp": TIME,
        "userId": "u-1042",
        "properties": {
            "order_id": ORDER,
            "affiliation": "store/LYON-01",
            "total": 149.7,
            "revenue": 149.7,
            "currency": "EUR",
            "products": [
                {
                    "product_id": "ROBE-ALMA",
                    "sku": "ROBE-ALMA-M",
                    "name": "Robe Alma",
                    "category": "Robes",
                    "variant": "M noir",
                    "price": 49.9,
                    "quantity": 2,
                },
                {
                    "product_id": "VESTE-LIN",
                    "sku": "VESTE-LIN-L",
                    "name": "Veste lin",
                    "category": "Vestes",
                    "variant": "L écru",
                    "price": 49.9,
                    "quantity": 1,
                },
            ],
        },
        "context": {"channel": "server", "library": LIBRARY},
    }


def test_a_refunded_return_of_an_anonymous_sale_is_an_order_refunded_of_what_came_back():
    """No customer: the anonymous id is derived from the order, the same for its sale."""
    envelope = _envelope(
        "return.refunded",
        return_id="RET-1",
        order_id=ORDER,
        customer_ref=None,
        purchase_channel="web",
        return_channel="post",
        return_location="WH-CENTRE",
        status="refunded",
        lines=[_returned()],
        method="original_payment",
        amount_minor=4990,
        currency="EUR",
    )
    anonymous = dataclasses.replace(TILL_SALE, customer_ref=None)

    message = track_message(envelope, message_id="DLV-2", order=anonymous, catalogue=CATALOGUE)

    assert anonymous_id(ORDER) == "f08f33fa-3bf1-5964-a556-063485df2067"
    assert message == {
        "type": "track",
        "event": "Order Refunded",
        "messageId": "DLV-2",
        "timestamp": TIME,
        "anonymousId": "f08f33fa-3bf1-5964-a556-063485df2067",
        "properties": {
            "order_id": ORDER,
            "return_id": "RET-1",
            "affiliation": "post/WH-CENTRE",
            "total": 49.9,
            "currency": "EUR",
            "products": [
                {
                    "product_id": "ROBE-ALMA",
                    "sku": "ROBE-ALMA-M",
                    "name": "Robe Alma",
                    "category": "Robes",
                    "variant": "M noir",
                    "price": 49.9,
                    "quantity": 1,
                    "reason": "too_small",
                    "condition": "unworn",
                }
            ],
        },
        "context": {"channel": "server", "library": LIBRARY},
    }


def test_a_return_taken_at_a_counter_is_one_product_returned_with_every_line():
    """The order unknown (removed since) and a SKU the catalogue lost: what the event says."""
    envelope = _envelope(
        "return.requested",
        return_id="RET-2",
        order_id=ORDER,
        customer_ref="u-1042",
        purchase_channel="store",
        return_channel="store",
        return_location="LYON-01",
        status="received",
        lines=[_returned(), _returned(order_line_id="LINE-9", sku="OLD-1", reason="defective")],
        method="counter",
        value_minor=9980,
        currency="EUR",
    )

    message = track_message(envelope, message_id="DLV-3", order=None, catalogue=CATALOGUE)

    assert message == {
        "type": "track",
        "event": "Product Returned",
        "messageId": "DLV-3",
        "timestamp": TIME,
        "userId": "u-1042",
        "properties": {
            "order_id": ORDER,
            "return_id": "RET-2",
            "affiliation": "store/LYON-01",
            "currency": "EUR",
            "products": [
                {
                    "product_id": "ROBE-ALMA",
                    "sku": "ROBE-ALMA-M",
                    "name": "Robe Alma",
                    "category": "Robes",
                    "variant": "M noir",
                    "quantity": 1,
                    "reason": "too_small",
                    "condition": "unworn",
                },
                {
                    "product_id": "OLD-1",
                    "sku": "OLD-1",
                    "quantity": 1,
                    "reason": "defective",
                    "condition": "unworn",
                },
            ],
        },
        "context": {"channel": "server", "library": LIBRARY},
    }


# --- the endpoint -------------------------------------------------------------------------


def _segment_endpoint(client, key: str, url: str, write_key: str = "wk_live_0123456789abcdef"):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/webhooks/endpoints",
        json={"url": url, "event_types": FORWARDED, "format": "segment", "write_key": write_key},
        headers=auth(key),
    )


def test_a_segment_endpoint_shows_its_write_key_as_a_prefix_and_refuses_what_it_cannot_do(
    platform, client
):
    make_location(platform, "LYON-01")
    key = head_office_key(platform)

    made = _segment_endpoint(client, key, "https://api.segment.io")

    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["format"], body["secret"], body["write_key_prefix"]) == (
        "segment",
        None,
        "wk_liv…",
    )
    assert "0123456789abcdef" not in made.text
    assert endpoint_row(platform, body["id"]).write_key == "wk_live_0123456789abcdef"
    where = f"/v1/webhooks/endpoints/{body['id']}"
    changed = client.patch(where, json={"write_key": "wk_live_new_key_000000"}, headers=auth(key))
    assert (changed.status_code, changed.json()["write_key_prefix"]) == (200, "wk_liv…")
    assert endpoint_row(platform, body["id"]).write_key == "wk_live_new_key_000000"
    listed = client.get("/v1/webhooks/event-types", headers=auth(key)).json()
    assert "order.placed" in listed["segment"] and "order.allocated" not in listed["segment"]

    till = make_key(platform, "store", location="LYON-01", scopes=["webhooks:admin"])
    before = snapshot(platform)
    segment = {"url": "https://api.segment.io", "format": "segment", "write_key": "wk_1234567"}
    refusals = [
        ({**segment, "event_types": ["order.allocated"]}, 422, "event_type_not_forwarded"),
        ({**segment, "event_types": ["*"]}, 422, "event_type_not_forwarded"),
        ({**segment, "event_types": FORWARDED, "write_key": None}, 422, "invalid_write_key"),
        ({**segment, "event_types": FORWARDED, "write_key": "wk:1"}, 422, "validation_error"),
        ({**segment, "event_types": FORWARDED, "url": "https://x.io/?a=1"}, 422, None),
        ({**segment, "event_types": FORWARDED, "format": "xml"}, 422, "validation_error"),
        (
            {"url": "https://erp.example.com", "event_types": ["*"], "write_key": "wk_1234567"},
            422,
            "invalid_write_key",
        ),
    ]
    for payload, status, code in refusals:
        refused = client.post("/v1/webhooks/endpoints", json=payload, headers=auth(key))
        assert refused.status_code == status, (payload, refused.text)
        assert refused.json()["code"] == (code or "invalid_endpoint_url"), payload
    rotate = client.post(f"{where}/secret", json={"overlap_hours": 0}, headers=auth(key))
    assert (rotate.status_code, rotate.json()["code"]) == (409, "endpoint_not_signed")
    forbidden = _segment_endpoint(client, till, "https://api.segment.io")
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "webhooks_forbidden")
    assert client.get(where, headers=auth(till)).status_code == 403
    assert snapshot(platform) == before


class Tracking:
    """A tracking API that answers the statuses it is told, one per request, and keeps what
    it was sent."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.port = free_port()
        tracking = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                headers = {name.lower(): value for name, value in self.headers.items()}
                tracking.requests.append((self.path, headers, body))
                self.send_response(tracking.statuses.pop(0))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the tests read the requests themselves, not the server's log lines."""

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))

    def __enter__(self) -> Tracking:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def _placed(platform, *orders: str) -> None:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        for order_id in orders:
            line = OrderedLine(sku="ROBE-ALMA-M", quantity=1, method="carry_out", location="L")
            record_event(
                session,
                OrderPlaced(
                    order_id=order_id,
                    channel="store",
                    customer_ref=None,
                    from_status=None,
                    status="placed",
                    reason="",
                    currency="EUR",
                    total_minor=4990,
                    payment_status="captured",
                    cart_id=None,
                    lines=[line],
                ),
                actor=OPERATOR,
            )


def test_a_refused_write_key_holds_the_endpoint_and_a_refused_message_is_given_up_at_once(
    platform, client
):
    """401: every message would be refused, so the round stops calling; 400: this message
    would be refused again, so it goes to the dead-letter list without waiting 24 hours."""
    key = head_office_key(platform)
    with Tracking(401, 400, 400) as tracking:
        endpoint = _segment_endpoint(client, key, f"http://127.0.0.1:{tracking.port}/").json()
        _placed(platform, "ORDER-A", "ORDER-B")
        relay(platform)
        at = clock()

        first = send(platform, at)
        called_first = len(tracking.requests)
        at.advance(minutes=5)
        second = send(platform, at)
        at.advance(hours=2)
        third = send(platform, at)

    assert (first.failed, first.dead, called_first, len(tracking.requests)) == (2, 0, 1, 3)
    assert (second.failed, second.dead) == (2, 2)
    assert third.failed + third.delivered == 0
    path, headers, body = tracking.requests[0]
    made = deliveries(platform, endpoint["id"])
    assert path == "/v1/batch"
    assert (
        headers["authorization"]
        == "Basic " + base64.b64encode(b"wk_live_0123456789abcdef:").decode()
    )
    assert "webhook-signature" not in headers
    assert [message["messageId"] for message in body["batch"]] == [made[0].id]
    assert body["batch"][0]["event"] == "Order Completed" and body["sentAt"]
    assert [(d.status, d.dead_reason, d.attempts) for d in made] == [("dead", "refused", 2)] * 2


# --- end to end -------------------------------------------------------------------------------


def _timeline(server: LiveServer, headers: dict[str, str], user_id: str) -> list[dict[str, Any]]:
    found = httpx.get(
        f"{server.url}/v1/profiles/lookup", params={"user_id": user_id}, headers=headers
    )
    assert found.status_code == 200, found.text
    events = httpx.get(
        f"{server.url}/v1/profiles/{found.json()['id']}/events",
        params={"limit": 100},
        headers=headers,
    )
    assert events.status_code == 200, events.text
    return list(events.json()["items"])


def test_a_till_sale_and_its_refunded_return_reach_another_omnicanal_once_each(
    platform, client, request, tmp_path
):
    """The receiver is omnicanal's own tracking API, down at the first attempt; a delivery
    replayed after it arrived is stored once (its messageId is the delivery's id)."""
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "ROBE-ALMA")
    receive(platform, sku, "LYON-01", 5)
    till = make_key(platform, "store", location="LYON-01")
    key = head_office_key(platform)
    (tmp_path / "receiver").mkdir()
    receiver = make_platform("sqlite", tmp_path / "receiver", request)
    server = LiveServer(receiver)
    endpoint = _segment_endpoint(client, key, server.url, make_source(receiver, "store")).json()

    sale = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": sku, "quantity": 2}],
            "payment": {"provider": "adyen-pos", "reference": "pos_1", "status": "captured"},
            "customer_ref": "u-1042",
        },
        headers=auth(till),
    ).json()
    returned = client.post(
        "/v1/returns",
        json={
            "order_id": sale["id"],
            "lines": [
                {"order_line_id": sale["lines"][0]["id"], "quantity": 1, "reason": "too_small"}
            ],
        },
        headers=auth(till),
    ).json()
    client.post(f"/v1/returns/{returned['id']}/inspect", headers=auth(till))
    refunded = client.post(
        f"/v1/returns/{returned['id']}/refund", json={"method": "store_credit"}, headers=auth(till)
    )
    assert refunded.status_code == 200, refunded.text
    relay(platform)
    at = clock()
    try:
        down = send(platform, at)
        with server:
            at.advance(minutes=5)
            up = send(platform, at)
            made = deliveries(platform, endpoint["id"])
            with platform.db.transaction() as session:
                session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id == made[0].id)
                    .values(status="dead", dead_reason="gave_up")
                )
            replay = client.post(f"/v1/webhooks/deliveries/{made[0].id}/replay", headers=auth(key))
            assert replay.status_code == 200, replay.text
            again = send(platform, at)
            timeline = _timeline(server, profiles_key(receiver), "u-1042")
    finally:
        receiver.close()

    assert (down.delivered, up.delivered, again.delivered) == (0, 3, 1)
    assert [d.event_type for d in made] == FORWARDED
    assert {d.status for d in deliveries(platform)} == {"delivered"}
    assert sorted((e["name"], e["message_ref"]) for e in timeline) == sorted(
        zip(
            ["Order Completed", "Product Returned", "Order Refunded"],
            [d.id for d in made],
            strict=True,
        )
    )
    completed = next(e for e in timeline if e["name"] == "Order Completed")
    assert (completed["order_id"], completed["revenue_minor"]) == (sale["id"], 9980)
    assert completed["properties"]["affiliation"] == "store/LYON-01"
    assert completed["properties"]["products"] == [
        {
            "product_id": "ROBE-ALMA",
            "sku": sku,
            "name": "Produit ROBE-ALMA",
            "category": "Robes",
            "variant": "M noir",
            "price": 49.9,
            "quantity": 2,
        }
    ]
    refund = next(e for e in timeline if e["name"] == "Order Refunded")
    assert refund["properties"]["total"] == 49.9


# --- the command line and the back office -----------------------------------------------------


def test_a_segment_endpoint_is_added_from_the_cli_with_its_write_key_hidden(cli):  # noqa: F811
    _, env = cli

    added = run(
        env,
        "add",
        "https://api.segment.io",
        "--event",
        "order.placed",
        "--format",
        "segment",
        "--write-key",
        "wk_cli_0123456789",
    )
    missing = run(
        env, "add", "https://api.segment.io", "--event", "order.placed", "--format", "segment"
    )

    assert added.exit_code == 0, added.output
    assert "wk_cl…" in added.output and "wk_cli_0123456789" not in added.output
    assert "segment" in run(env, "list").output
    assert missing.exit_code == 2 and "invalid_write_key" in missing.output


def test_head_office_adds_a_segment_endpoint_in_french_from_the_back_office(
    platform,
    client,
    boss,  # noqa: F811
):
    token = _csrf(client.get(PAGE).text)
    fields = {"url": "https://api.segment.io", "event_types": "order.placed", "format": "segment"}

    missing = _post(client, PAGE, csrf=token, **fields)
    not_forwarded = _post(
        client, PAGE, csrf=token, **{**fields, "event_types": "order.allocated"}, write_key="wk_1"
    )
    added = _post(client, PAGE, csrf=token, **fields, write_key="wk_office_0123456789")

    assert missing.status_code == 422 and "clé d\u2019écriture" in missing.text
    assert (
        not_forwarded.status_code == 422
        and "n\u2019est pas transmis à Segment" in not_forwarded.text
    )
    assert added.status_code == 201, added.text
    assert "transmis en messages de suivi Segment" in added.text and "wk_off…" in added.text
    assert "wk_office_0123456789" not in added.text
    assert english_words(missing.text) == []
    # The new endpoint is listed with the event type it follows, a code left as it is.
    assert set(english_words(added.text)) == {
        "'order' in 'order.placed'",
        "'placed' in 'order.placed'",
    }
    (made,) = client.get(PAGE).text.split("/admin/webhooks/")[1:2]
    row = endpoint_row(platform, made.split('"')[0])
    assert (row.format, row.write_key, row.secret) == ("segment", "wk_office_0123456789", "")
