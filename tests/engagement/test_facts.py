"""The platform's events become the facts the policy weighs, through real flows on a real
database: orders on any channel, carts checked out, returns at a counter, cancellations,
click & collect, stock running out and back, reviews."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from omnicanal.engagement.facts import InvalidFact, facts_from_event, record_fact
from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import as_utc
from omnicanal.platform.events import Event
from omnicanal.platform.ids import new_id
from tests.builders import auth
from tests.engagement.fact_builders import (
    all_facts,
    events_since,
    facts_of,
    last_seq,
    make_person,
    ship_cart,
)
from tests.returns.builders import CARD, CUSTOMER, DELIVERY, make_shop, return_body, web_order


@pytest.fixture
def shop(platform):  # type: ignore[no-untyped-def]
    return make_shop(platform)


@pytest.fixture
def ines(platform) -> str:  # type: ignore[no-untyped-def]
    return make_person(platform)


def _summary(facts) -> list[tuple[str, str | None, str | None, str | None]]:  # type: ignore[no-untyped-def]
    return [(f.kind, f.subject, f.channel, f.location_code) for f in facts]


def test_an_order_placed_online_is_a_purchase_by_its_customer(platform, client, shop, ines):
    seq = last_seq(platform)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    events = events_since(platform, seq)
    facts = facts_of(platform, events)

    assert _summary(facts) == [("purchased", f"orders/{order['id']}", "web", None)]
    (purchased,) = facts
    assert purchased.profile_id == ines
    placed = next(e for e in events if e.type == "order.placed")
    assert purchased.source_event_id == placed.id
    assert as_utc(purchased.occurred_at) == placed.time
    assert as_utc(purchased.recorded_at) >= placed.time
    assert purchased.detail["order_id"] == order["id"]


def test_a_sale_at_the_till_is_a_purchase_in_that_store(platform, client, shop, ines):
    seq = last_seq(platform)
    response = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.veste, "quantity": 1}],
            "customer_ref": "ines@example.fr",
            "payment": {"provider": "adyen-pos", "reference": "pos_1", "status": "captured"},
        },
        headers=auth(shop.lyon),
    )
    assert response.status_code == 201, response.text
    facts = facts_of(platform, events_since(platform, seq))
    assert _summary(facts) == [("purchased", f"orders/{response.json()['id']}", "store", "LYON-01")]
    assert facts[0].profile_id == ines


def _dress_in_a_cart(client, shop) -> dict:  # type: ignore[no-untyped-def]
    """Inès's web cart holding a dress."""
    response = client.post(
        "/v1/carts",
        json={"customer_ref": CUSTOMER, "lines": [{"sku": shop.robe_m, "quantity": 1}]},
        headers=auth(shop.web),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_checked_out_cart_is_closed_once_whatever_the_events_that_say_it(
    platform, client, shop, ines
):
    cart = _dress_in_a_cart(client, shop)
    seq = last_seq(platform)
    order_id = ship_cart(client, shop.web, cart["id"])["id"]
    events = events_since(platform, seq)
    assert {"order.placed", "cart.checked_out"} <= {e.type for e in events}
    facts = facts_of(platform, events)

    assert sorted(_summary(facts)) == [
        ("cart_closed", f"carts/{cart['id']}", "web", None),
        ("purchased", f"orders/{order_id}", "web", None),
    ]
    assert {f.profile_id for f in facts} == {ines}
    assert [f.kind for f in all_facts(platform)].count("cart_closed") == 1


def test_a_web_order_returned_at_a_store_counter_is_a_return_in_that_store(
    platform, client, shop, ines
):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    seq = last_seq(platform)
    taken = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon))
    assert taken.status_code == 201, taken.text
    facts = facts_of(platform, events_since(platform, seq))

    assert _summary(facts) == [("returned", f"orders/{order['id']}", "store", "LYON-01")]
    (returned,) = facts
    assert returned.profile_id == ines
    assert returned.detail["about"] == [f"returns/{taken.json()['id']}"]
    assert returned.detail["purchase_channel"] == "web"


def test_a_return_authorised_by_post_is_a_return_only_once_its_parcel_arrives(
    platform, client, shop, ines
):
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    seq = last_seq(platform)
    authorised = client.post("/v1/returns", json=return_body(order), headers=auth(shop.web))
    assert authorised.status_code == 201, authorised.text
    assert facts_of(platform, events_since(platform, seq)) == []

    seq = last_seq(platform)
    token = authorised.json()["authorisation"]["token"]
    received = client.post("/v1/returns", json={"token": token}, headers=auth(shop.warehouse))
    assert received.status_code == 200, received.text
    facts = facts_of(platform, events_since(platform, seq))
    assert _summary(facts) == [("returned", f"orders/{order['id']}", "post", "WH-CENTRE")]


def test_a_cancelled_order_is_a_cancellation_about_its_fulfilments(platform, client, shop, ines):
    placed = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "delivery_address": DELIVERY,
            "payment": CARD,
            "fulfilment": {"method": "ship"},
        },
        headers=auth(shop.web),
    ).json()
    seq = last_seq(platform)
    cancelled = client.post(
        f"/v1/orders/{placed['id']}/cancel",
        json={"reason": "changé d'avis"},
        headers=auth(shop.web),
    )
    assert cancelled.status_code == 200, cancelled.text
    facts = facts_of(platform, events_since(platform, seq))

    assert _summary(facts) == [("cancelled", f"orders/{placed['id']}", "web", None)]
    assert facts[0].profile_id == ines
    assert facts[0].detail["about"] == [f"fulfilments/{f['id']}" for f in placed["fulfilments"]]


def test_a_click_and_collect_order_collected_at_the_store_is_collected(
    platform, client, shop, ines
):
    order = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.veste, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "payment": CARD,
            "fulfilment": {"method": "pickup", "location": "LYON-01"},
        },
        headers=auth(shop.web),
    ).json()
    (fulfilment,) = order["fulfilments"]
    path = f"/v1/fulfilments/{fulfilment['id']}"
    for verb in ("pick", "ready"):
        assert client.post(f"{path}/{verb}", headers=auth(shop.lyon)).status_code == 200
    seq = last_seq(platform)
    collected = client.post(
        f"{path}/collect", json={"pickup_code": fulfilment["pickup_code"]}, headers=auth(shop.lyon)
    )
    assert collected.status_code == 200, collected.text
    facts = facts_of(platform, events_since(platform, seq))

    assert _summary(facts) == [("collected", f"fulfilments/{fulfilment['id']}", "store", "LYON-01")]
    assert facts[0].profile_id == ines
    assert facts[0].detail["about"] == [f"orders/{order['id']}"]


def test_stock_running_out_and_coming_back_at_a_store_are_facts_about_that_stock(platform, shop):
    seq = last_seq(platform)
    for kind, quantity in ((MovementKind.sale, 3), (MovementKind.receipt, 10)):
        with platform.db.transaction() as session:
            inventory.record_movement(
                session,
                data=MovementIn(sku=shop.robe_l, location="LYON-01", kind=kind, quantity=quantity),
                actor=OPERATOR,
            )
    facts = facts_of(platform, events_since(platform, seq))

    subject = f"stock/{shop.robe_l}@LYON-01"
    assert _summary(facts) == [
        ("stock_out", subject, "back_office", "LYON-01"),
        ("stock_back", subject, "back_office", "LYON-01"),
    ]
    assert {f.profile_id for f in facts} == {None}


def test_a_review_is_a_fact_about_its_reviewer(platform, client, shop, ines):
    seq = last_seq(platform)
    sent = client.post(
        "/v1/reviews",
        json={"product_code": "ROBE-ALMA", "customer_ref": CUSTOMER, "rating": 5},
        headers=auth(shop.web),
    )
    assert sent.status_code == 201, sent.text
    facts = facts_of(platform, events_since(platform, seq, prefix="review."))

    assert [(f.kind, f.subject, f.profile_id) for f in facts] == [
        ("reviewed", f"reviews/{sent.json()['id']}", ines)
    ]
    assert facts[0].detail["product_code"] == "ROBE-ALMA"


def test_an_order_for_nobody_known_is_still_a_fact_about_its_subject(platform, client, shop):
    seq = last_seq(platform)
    web_order(client, platform, shop.web, (shop.robe_m, 1), customer_ref="email:nobody@example.fr")
    facts = facts_of(platform, events_since(platform, seq))
    assert [(f.kind, f.profile_id) for f in facts] == [("purchased", None)]


def test_an_event_delivered_twice_makes_its_facts_once(platform, client, shop, ines):
    seq = last_seq(platform)
    web_order(client, platform, shop.web, (shop.robe_m, 1))
    events = events_since(platform, seq)
    first = facts_of(platform, events)
    again = facts_of(platform, events)

    assert len(first) == 1
    assert again == []
    assert len(all_facts(platform)) == 1


def test_events_that_bring_no_fact_record_nothing(platform, client, shop, ines):
    seq = last_seq(platform)
    client.post("/v1/carts", json={"customer_ref": CUSTOMER}, headers=auth(shop.web))
    events = events_since(platform, seq)
    assert events
    assert facts_of(platform, events) == []
    assert all_facts(platform) == []


def test_a_fact_from_a_clock_running_fast_is_held_to_when_it_was_learned(platform):
    learned = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    with platform.db.transaction() as session:
        fact = record_fact(
            session,
            profile_id=None,
            kind="complaint",
            occurred_at=learned + timedelta(days=3),
            recorded_at=learned,
        )
        assert fact is not None
        assert as_utc(fact.occurred_at) == learned


def test_an_unknown_kind_of_fact_is_refused_and_nothing_is_recorded(platform):
    with pytest.raises(InvalidFact), platform.db.transaction() as session:
        record_fact(session, profile_id=None, kind="happy", occurred_at=datetime.now(UTC))
    assert all_facts(platform) == []


def test_an_event_no_class_reads_as_a_fact_brings_none(platform):
    stray = Event(type="order.placed.v0", subject="orders/x", data={}, source="/channels/web")
    with platform.db.transaction() as session:
        assert facts_from_event(session, stray, region="FR") == []


def test_two_workers_closing_one_cart_at_once_record_one_closing(platform):
    """Two consumers' workers hear one cart closed (the order placed, the cart checked out)
    at the same moment: the first to commit records the closing, the other learns it is
    known, even though neither could see the other's fact when it began."""
    subject = f"carts/{new_id()}"
    first_wrote, second_writing = threading.Event(), threading.Event()
    recorded: dict[str, object] = {}

    def close(name: str) -> None:
        with platform.db.transaction() as session:
            if name == "second":
                first_wrote.wait(10)
                second_writing.set()
            recorded[name] = record_fact(
                session,
                profile_id=None,
                kind="cart_closed",
                occurred_at=datetime.now(UTC),
                subject=subject,
                source_event_id=new_id(),
            )
            if name == "first":
                first_wrote.set()
                second_writing.wait(10)
                time.sleep(0.3)  # the second's INSERT meets this uncommitted fact

    threads = [threading.Thread(target=close, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    closings = [f for f in all_facts(platform) if f.subject == subject]
    assert len(closings) == 1
    assert recorded["first"] is not None
    assert recorded["second"] is None


def test_a_checkout_writes_its_two_facts_in_one_statement_and_its_cart_event_none(
    platform, client, shop, ines
):
    cart = _dress_in_a_cart(client, shop)
    seq = last_seq(platform)
    ship_cart(client, shop.web, cart["id"])
    events = events_since(platform, seq)
    placed = next(e for e in events if e.type == "order.placed")
    checked_out = next(e for e in events if e.type == "cart.checked_out")
    inserts: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO ENGAGEMENT_FACTS"):
            inserts.append(statement)

    event.listen(platform.db.write_engine, "before_cursor_execute", count)
    try:
        with platform.db.transaction() as session:
            new = facts_from_event(session, placed, region="FR")
            again = facts_from_event(session, checked_out, region="FR")
    finally:
        event.remove(platform.db.write_engine, "before_cursor_execute", count)

    assert sorted(f.kind for f in new) == ["cart_closed", "purchased"]
    assert again == []
    assert len(inserts) == 1  # the cart's closing was known: nothing to write for the second
