"""Declared events: each class reads back its own example, the catalogue page says what the
code declares, and every event a day of trading records is declared and fits its class."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from omnicanal.cli.main import app
from omnicanal.customers.schemas import ReviewDecision
from omnicanal.customers.service import merging
from omnicanal.events_catalogue import REGENERATE, catalogue_markdown, load_events
from omnicanal.fulfilment.events import FULFILMENT_STATUS_EVENTS
from omnicanal.fulfilment.schemas import ActionIn
from omnicanal.fulfilment.states import Action, FulfilmentStatus
from omnicanal.inventory import service as inventory
from omnicanal.inventory.events import StockReserved
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.network import service as network
from omnicanal.network.schemas import ChannelIn
from omnicanal.orders import service as orders
from omnicanal.orders.events import ORDER_STATUS_EVENTS, OrderPlaced
from omnicanal.orders.states import OrderStatus
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.bus import Consumer, deliver
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import (
    DomainEvent,
    DuplicateEventType,
    Event,
    OutboxEvent,
    UndeclaredEvent,
    record_event,
)
from omnicanal.platform.wiring import Platform
from omnicanal.pricing.overrides import end_override
from omnicanal.privacy.service import erase_person
from tests.builders import auth
from tests.customers.support import make_source, profile_by, profiles_key, send
from tests.orders.builders import WEB, checkout_body, line, make_coupon, make_shop, place
from tests.pricing.builders import set_override

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "events.md"
DECLARED = load_events()


@pytest.mark.parametrize("declared", DECLARED.values(), ids=list(DECLARED))
def test_each_event_class_reads_back_its_example(declared: type[DomainEvent]) -> None:
    """The example validates, says its subject, and dumps back to the same JSON."""
    event = declared.model_validate(declared.example)

    assert event.model_dump(mode="json", exclude_unset=True) == declared.example
    assert event.subject
    assert declared.version >= 1
    assert (declared.__doc__ or "").strip(), "its docstring is the catalogue's meaning"
    assert declared.model_config.get("frozen") is True


def test_every_order_and_fulfilment_status_has_its_event() -> None:
    """A move to any status records a declared ``order.<status>``/``fulfilment.<status>``."""
    assert set(ORDER_STATUS_EVENTS) == {status.value for status in OrderStatus}
    assert set(FULFILMENT_STATUS_EVENTS) == {status.value for status in FulfilmentStatus}


def test_the_catalogue_page_is_what_the_event_classes_declare() -> None:
    """docs/events.md is generated from the classes; a class changed means a page to redo."""
    assert CATALOGUE.read_text(encoding="utf-8") == catalogue_markdown(), (
        f"docs/events.md is stale: run `{REGENERATE}`"
    )


def test_the_cli_writes_the_catalogue(tmp_path: Path) -> None:
    """``omnicanal events catalogue --output PATH`` writes the page."""
    output = tmp_path / "events.md"

    result = CliRunner().invoke(app, ["events", "catalogue", "--output", str(output)])

    assert result.exit_code == 0, result.output
    assert output.read_text(encoding="utf-8") == catalogue_markdown()


def test_record_event_refuses_anything_but_a_declared_event(platform: Platform) -> None:
    """A plain dict is refused, and nothing reaches the outbox."""
    data: Any = {"type": "order.placed", "order_id": "O-1"}

    with pytest.raises(TypeError, match="DomainEvent"), platform.db.transaction() as session:
        record_event(session, data, actor=OPERATOR)

    with platform.db.reading() as session:
        assert session.scalars(select(OutboxEvent)).all() == []


def test_a_second_class_for_a_declared_type_is_refused_at_import() -> None:
    """Two classes cannot both be ``order.placed``."""
    with pytest.raises(DuplicateEventType, match=r"order\.placed"):

        class OrderPlacedAgain(DomainEvent):
            """Another order placed."""

            type = "order.placed"
            example: Any = {}

    assert DECLARED["order.placed"] is OrderPlaced
    assert load_events()["order.placed"] is OrderPlaced


def test_an_envelope_reads_back_its_payload_and_names_its_version() -> None:
    """``payload`` is the declared class; ``dataschema`` says the type's version."""
    reserved = StockReserved.model_validate(StockReserved.example)
    envelope = Event.of(reserved, source="/channels/web")

    assert envelope.payload == reserved
    assert envelope.subject == f"reservations/{reserved.id}"
    assert envelope.to_cloudevent()["dataschema"] == "urn:omnicanal:event:inventory.reserved:v1"
    unknown = Event(type="test.unknown", subject="tests/1", data={}, source="/channels/web")
    assert "dataschema" not in unknown.to_cloudevent()
    with pytest.raises(UndeclaredEvent):
        _ = unknown.payload


def test_a_consumer_declares_event_classes_or_all_events() -> None:
    """Neither, or both, is refused; a consumer wants exactly its classes' types."""
    with pytest.raises(ValueError, match="either"):
        Consumer(name="test.none", handler=lambda _s, _e: None)
    with pytest.raises(ValueError, match="either"):
        Consumer(
            name="test.both", events=(OrderPlaced,), all_events=True, handler=lambda _s, _e: None
        )
    placed = Consumer(name="test.placed", events=(OrderPlaced,), handler=lambda _s, _e: None)
    assert placed.wants("order.placed") and not placed.wants("order.placed.v2")
    assert not placed.wants("order.cancelled")


def test_a_consumer_of_declared_classes_is_not_handed_data_that_does_not_fit(
    platform: Platform,
) -> None:
    """An event whose strings an erasure nulled is skipped (and marked handled), not retried."""
    handled: list[str] = []
    consumer = Consumer(
        name="test.placed", events=(OrderPlaced,), handler=lambda _s, e: handled.append(e.id)
    )
    redacted = Event(
        type="order.placed", subject="orders/O-1", data={"order_id": None}, source="/channels/web"
    )
    fitting = Event.of(OrderPlaced.model_validate(OrderPlaced.example), source="/channels/web")

    assert deliver(platform.db, consumer, redacted) is True
    assert deliver(platform.db, consumer, redacted) is False
    assert deliver(platform.db, consumer, fitting) is True

    assert handled == [fitting.id]


def _trade(platform: Platform, client: TestClient) -> None:
    """Stores, a catalogue and stock; a channel; prices; carts; orders of every method taken
    through their lifecycles; customers identified, merged, unmerged, reviewed."""
    shop = make_shop(platform)
    with platform.db.transaction() as session:
        zalando = ChannelIn(code="zalando", name="Zalando", kind="marketplace")
        network.create_channel(session, data=zalando, actor=OPERATOR)
        network.set_channel_locations(
            session, channel_code="zalando", location_codes=["WH-CENTRE"], actor=OPERATOR
        )
    make_coupon(platform, "BIENVENUE")
    override = set_override(platform, shop.robe, "app", 3990)
    with platform.db.transaction() as session:
        end_override(session, override_id=override.id, reason="price match over", actor=OPERATOR)
    settings = client.put(
        f"/v1/inventory/{shop.pull}/locations/PARIS-01/settings",
        json={"safety_stock": 1},
        headers=auth(shop.paris),
    )
    assert settings.status_code < 300, settings.text
    with platform.db.transaction() as session:
        inventory.count_stock(
            session, lines=[(shop.pull, "OUTLET", 3)], actor=OPERATOR, reason="inventory"
        )

    def cart(**body: Any) -> str:
        response = client.post("/v1/carts", json=body, headers=auth(shop.web))
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    visitor = cart(anonymous_id="cookie-1", lines=[{"sku": shop.robe, "quantity": 1}])
    path = f"/v1/carts/{visitor}"
    client.post(f"{path}/lines", json={"sku": shop.jean, "quantity": 1}, headers=auth(shop.web))
    client.patch(f"{path}/lines/{shop.jean}", json={"quantity": 2}, headers=auth(shop.web))
    client.delete(f"{path}/lines/{shop.jean}", headers=auth(shop.web))
    client.post(f"{path}/coupons", json={"code": "BIENVENUE"}, headers=auth(shop.web))
    client.delete(f"{path}/coupons/BIENVENUE", headers=auth(shop.web))
    ines = cart(customer_ref="email:ines@example.fr", lines=[{"sku": shop.pull, "quantity": 1}])
    for anonymous_id, customer_ref in (("cookie-1", "email:ines@example.fr"), ("cookie-2", "u-2")):
        if anonymous_id == "cookie-2":
            cart(anonymous_id="cookie-2", lines=[{"sku": shop.robe, "quantity": 1}])
        merged = client.post(
            "/v1/carts/merge",
            json={"anonymous_id": anonymous_id, "customer_ref": customer_ref},
            headers=auth(shop.web),
        )
        assert merged.status_code == 200, merged.text
    checkout = client.post(
        "/v1/orders",
        json={**checkout_body(), "lines": None, "cart_id": ines, "coupons": ["BIENVENUE"]},
        headers=auth(shop.web),
    )
    assert checkout.status_code == 201, checkout.text

    def act(fulfilment_id: str, *actions: Action) -> None:
        with platform.db.reading() as session:
            code = orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id).pickup_code
        for action in actions:
            with platform.db.transaction() as session:
                orders.act(
                    session,
                    fulfilment_id=fulfilment_id,
                    action=action,
                    actor=WEB,
                    data=ActionIn(pickup_code=code) if action is Action.collect else None,
                )

    pickup = place(platform, line(shop.jean, 1, "pickup", location="LYON-01"))
    act(pickup.fulfilments[0].id, Action.pick, Action.ready, Action.check_in, Action.collect)
    shipped = place(platform, line(shop.pull, 1))
    act(shipped.fulfilments[0].id, Action.pick, Action.pack, Action.ship, Action.deliver)
    tried = place(platform, line(shop.jean, 1, "reserve_and_try", location="PARIS-01"))
    act(tried.fulfilments[0].id, Action.try_on, Action.release)
    held = place(platform, line(shop.jean, 1, "reserve_and_try", location="PARIS-01"))
    bought = place(platform, line(shop.pull, 1, "reserve_and_try", location="PARIS-01"))
    response = client.post(
        f"/v1/fulfilments/{bought.fulfilments[0].id}/buy",
        json={"payment": {"provider": "adyen-pos", "reference": "pos_1", "status": "captured"}},
        headers=auth(shop.paris),
    )
    assert response.status_code == 200, response.text
    split = place(
        platform, line(shop.jean, 1, "pickup", location="LYON-01"), line(shop.pull, 1, "ship")
    )
    [parcel] = [f for f in split.fulfilments if f.method == "ship"]
    act(parcel.id, Action.pick, Action.pack, Action.ship)
    rejected = place(platform, line(shop.jean, 1))
    response = client.post(
        f"/v1/fulfilments/{rejected.fulfilments[0].id}/reject-line",
        json={"line_id": rejected.fulfilments[0].lines[0].id, "reason": "damaged"},
        headers=auth(shop.lyon),
    )
    assert response.status_code == 200, response.text
    paid = place(platform, line(shop.robe))
    captured = client.post(
        f"/v1/orders/{paid.id}/payment", json={"status": "captured"}, headers=auth(shop.web)
    )
    assert captured.status_code == 200, captured.text
    cancelled = client.post(f"/v1/orders/{paid.id}/cancel", headers=auth(shop.web))
    assert cancelled.status_code == 200, cancelled.text
    reserved = client.post(
        "/v1/reservations", json={"sku": shop.robe, "quantity": 1}, headers=auth(shop.web)
    )
    assert reserved.status_code == 201, reserved.text
    for sku, location, kind, quantity in (
        (shop.pull, "OUTLET", MovementKind.sale, 3),
        (shop.jean, "PARIS-01", MovementKind.cycle_count, 0),
    ):
        with platform.db.transaction() as session:
            inventory.record_movement(
                session,
                data=MovementIn(sku=sku, location=location, kind=kind, quantity=quantity),
                actor=OPERATOR,
            )
    later = utcnow() + timedelta(days=60)
    with platform.db.transaction() as session:
        orders.expire_overdue(session, now=later)
    with platform.db.transaction() as session:
        inventory.release_expired(session, actor=OPERATOR, now=later)
    assert held.fulfilments

    web, app_source = make_source(platform, "web", trust="app_login"), make_source(platform, "app")
    headers = profiles_key(platform)
    send(
        client,
        web,
        {"type": "page", "anonymousId": "cookie-anne", "name": "Accueil"},
        {
            "type": "identify",
            "userId": "anne",
            "anonymousId": "cookie-anne",
            "traits": {"email": "anne@example.fr", "first_name": "Anne"},
        },
        {
            "type": "identify",
            "userId": "camille",
            "traits": {"email": "camille@example.fr", "first_name": "Camille"},
        },
    )
    send(
        client,
        app_source,
        {"type": "identify", "anonymousId": "install-b", "traits": {"loyalty_card": "FID5005"}},
    )
    send(client, web, {"type": "identify", "userId": "anne", "traits": {"loyalty_card": "FID5005"}})
    anne = profile_by(client, headers, email="anne@example.fr")["id"]
    unmerged = client.post(f"/v1/profiles/{anne}/unmerge", headers=headers)
    assert unmerged.status_code == 200, unmerged.text
    send(
        client,
        app_source,
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID1"}},
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID2"}},
    )
    [review] = client.get("/v1/identity-reviews", headers=headers).json()["items"]
    with platform.db.transaction() as session:
        merging.decide_review(
            session, review_id=review["id"], decision=ReviewDecision.keep_apart, actor=OPERATOR
        )
    platform.relay().drain()


def _outbox(platform: Platform, after: int = 0) -> list[OutboxEvent]:
    with platform.db.reading() as session:
        return list(
            session.scalars(
                select(OutboxEvent).where(OutboxEvent.seq > after).order_by(OutboxEvent.seq)
            )
        )


def test_every_event_a_day_of_trading_records_is_declared_and_fits_its_class(
    platform: Platform, client: TestClient
) -> None:
    """Every outbox row's type has a class, and its data validates against that class; then
    an erasure records its own declared event (and nulls the strings naming the person in
    theirs, which their consumers then skip)."""
    _trade(platform, client)

    rows = _outbox(platform)
    types = {row.type for row in rows}
    assert types - set(DECLARED) == set()
    for row in rows:
        assert row.to_event().payload == DECLARED[row.type].model_validate(row.data)
    assert {
        "network.channel_locations_set",
        "pricing.override_ended",
        "pricing.coupon_redeemed",
        "inventory.settings_changed",
        "inventory.stock_counted",
        "inventory.reservation_expired",
        "inventory.reservation_shortfall",
        "inventory.out_of_stock",
        "cart.merged",
        "cart.assigned",
        "cart.checked_out",
        "order.payment_updated",
        "order.line_resourced",
        "order.cancelled",
        "order.partially_fulfilled",
        "fulfilment.bought",
        "fulfilment.collected",
        "fulfilment.delivered",
        "fulfilment.released",
        "fulfilment.expired",
        "fulfilment.line_rejected",
        "customer.profiles_merged",
        "customer.profiles_unmerged",
        "customer.identified",
        "customer.identity_review_decided",
    } <= types

    camille = profile_by(client, profiles_key(platform), email="camille@example.fr")["id"]
    with platform.db.transaction() as session:
        erase_person(session, profile_id=camille, actor=OPERATOR)
    assert platform.relay().drain() >= 1

    [erased] = _outbox(platform, after=rows[-1].seq)
    assert erased.to_event().payload == DECLARED["customer.erased"].model_validate(erased.data)
