"""What a message's template reads, built from the truth when it is rendered: a real cart
priced live, a pickup's code and store hours, a parcel's carrier, a return's refund, stock
back at a store, and the person's latest of each for a preview."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from omnicanal.carts import service as carts
from omnicanal.carts.errors import UnknownCart
from omnicanal.carts.schemas import CartLineIn
from omnicanal.engagement import contexts, templates
from omnicanal.engagement.models import StockWatch
from omnicanal.fulfilment.schemas import ActionIn
from omnicanal.fulfilment.states import Action
from omnicanal.orders import service as orders
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from tests.builders import auth
from tests.engagement.template_builders import (
    make_customer,
    make_dress,
    make_store,
    with_defaults,
)
from tests.orders.builders import WEB, actor, line, make_cart, place
from tests.returns.builders import make_shop, return_body, web_order

INES = "email:ines@example.fr"


def _context(platform, kind: str, subject: str, profile_id: str | None, **extra):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return contexts.context_for(
            session,
            kind=kind,
            profile_id=profile_id,
            subject=subject,
            language="fr",
            now=utcnow(),
            extra=extra or None,
        )


def _act(platform, fulfilment_id: str, *actions: Action, data: ActionIn | None = None) -> None:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        for action in actions:
            orders.act(
                session, fulfilment_id=fulfilment_id, action=action, actor=OPERATOR, data=data
            )


def test_a_cart_reads_its_lines_priced_now_and_the_customers_first_name(platform):
    make_store(platform)
    sku = make_dress(platform)
    profile_id = make_customer(platform)
    cart_id = make_cart(platform, (sku, 2), customer_ref=INES)
    coupon = {"code": "RELANCE-7QX2M9", "percent": 10, "valid_until": "2026-03-21T22:00:00+00:00"}

    context = _context(platform, "abandoned_cart", f"carts/{cart_id}", profile_id, coupon=coupon)

    assert context["customer"] == {"first_name": "Inès", "name": "Inès Martin"}
    assert context["cart"]["lines"] == [
        {
            "sku": sku,
            "name": "Produit ROBE-ALMA",
            "size": "M",
            "colour": "noir",
            "quantity": 2,
            "unit_price_minor": 4990,
            "total_minor": 9980,
        }
    ]
    assert (context["cart"]["units"], context["cart"]["total_minor"]) == (2, 9980)
    assert context["cart"]["currency"] == "EUR"
    assert context["coupon"] == coupon
    assert context["zone"] == "Europe/Paris"


def test_a_cart_changed_since_the_message_was_planned_reads_as_it_is_now(platform):
    make_store(platform)
    sku = make_dress(platform)
    cart_id = make_cart(platform, (sku, 1), customer_ref=INES)
    before = _context(platform, "abandoned_cart", f"carts/{cart_id}", None)
    with platform.db.transaction() as session:
        carts.add_line(
            session, cart_id=cart_id, line=CartLineIn(sku=sku, quantity=2), actor=actor("web")
        )

    after = _context(platform, "abandoned_cart", f"carts/{cart_id}", None)

    assert before["cart"]["units"] == 1 and after["cart"]["units"] == 3
    assert after["cart"]["total_minor"] == 3 * 4990
    assert after["customer"] == {"first_name": "", "name": ""}


def test_a_pickup_reads_its_code_store_address_hours_and_deadline(platform):
    make_store(platform)
    sku = make_dress(platform)
    profile_id = make_customer(platform)
    order = place(platform, line(sku, 1, "pickup", location="LYON-01"), customer_ref=INES)
    fulfilment = order.fulfilments[0]
    _act(platform, fulfilment.id, Action.pick, Action.ready)

    context = _context(platform, "pickup_ready", f"fulfilments/{fulfilment.id}", profile_id)

    assert context["fulfilment"]["pickup_code"] == fulfilment.pickup_code
    assert context["fulfilment"]["status"] == "ready_for_pickup"
    assert context["fulfilment"]["due_at"] is not None
    assert context["store"]["name"] == "Lyon Presqu'île"
    assert context["store"]["address"] == "Lyon"
    assert context["store"]["hours"][5] == "samedi : 10:00\u201312:30, 14:00\u201319:00"
    assert context["store"]["hours"][6] == "dimanche : fermé"
    assert context["zone"] == "Europe/Paris"
    assert [(item["name"], item["quantity"]) for item in context["lines"]] == [
        ("Produit ROBE-ALMA", 1)
    ]
    assert context["order"]["number"] == order.id
    assert context["order"]["total_minor"] == order.total_minor


def test_a_reservation_to_try_reads_when_it_ends_in_the_stores_time(platform):
    with_defaults(platform)
    make_store(platform)
    sku = make_dress(platform)
    profile_id = make_customer(platform)
    order = place(platform, line(sku, 1, "reserve_and_try", location="LYON-01"), customer_ref=INES)
    fulfilment = order.fulfilments[0]

    context = _context(platform, "reservation_expiring", f"fulfilments/{fulfilment.id}", profile_id)
    with platform.db.reading() as session:
        rendered = templates.render(
            session,
            trigger_code="RESERVATION_EXPIRING",
            kind="reservation_expiring",
            language="fr",
            channel="sms",
            context=context,
        )

    assert fulfilment.due_at is not None
    due = datetime.fromisoformat(context["fulfilment"]["due_at"])
    assert due == fulfilment.due_at
    local = due.astimezone(ZoneInfo("Europe/Paris"))
    assert f"{local:%H:%M}" in rendered.text
    assert fulfilment.pickup_code is not None and fulfilment.pickup_code in rendered.text


def test_a_shipped_order_reads_its_carrier_and_tracking_number(platform):
    make_store(platform)
    sku = make_dress(platform)
    profile_id = make_customer(platform)
    order = place(platform, line(sku, 1), customer_ref=INES)
    fulfilment = order.fulfilments[0]
    _act(platform, fulfilment.id, Action.pick, Action.pack)
    _act(
        platform,
        fulfilment.id,
        Action.ship,
        data=ActionIn(carrier="colissimo", tracking_reference="6A12345678901"),
    )

    by_parcel = _context(platform, "order_shipped", f"fulfilments/{fulfilment.id}", profile_id)
    by_order = _context(platform, "order_delayed", f"orders/{order.id}", profile_id)

    for context in (by_parcel, by_order):
        assert context["fulfilment"]["carrier"] == "colissimo"
        assert context["fulfilment"]["tracking_reference"] == "6A12345678901"
        assert context["order"]["lines"][0]["name"] == "Produit ROBE-ALMA"
    assert "store" not in by_parcel  # a parcel sent home names no store


def test_a_return_reads_what_will_be_refunded(platform, client):
    shop = make_shop(platform)
    profile_id = make_customer(platform)
    order = web_order(client, platform, shop.web, (shop.robe_m, 2))
    opened = client.post("/v1/returns", json=return_body(order, (0, 1)), headers=auth(shop.web))
    assert opened.status_code == 201, opened.text

    context = _context(platform, "return_received", f"returns/{opened.json()['id']}", profile_id)

    assert context["returned"]["refund_minor"] == 4990
    assert context["returned"]["currency"] == "EUR"
    assert context["returned"]["refund_method"] is None
    assert [(item["name"], item["quantity"]) for item in context["returned"]["lines"]] == [
        ("Produit ROBE-ALMA", 1)
    ]


def test_stock_back_reads_the_product_and_the_store(platform):
    make_store(platform)
    sku = make_dress(platform)

    context = _context(platform, "back_in_stock", f"stock/{sku}@LYON-01", None)

    assert context["product"] == {
        "sku": sku,
        "name": "Produit ROBE-ALMA",
        "size": "M",
        "colour": "noir",
    }
    assert context["store"]["code"] == "LYON-01"
    assert context["store"]["today"] is not None


def test_a_win_back_reads_the_persons_computed_traits(platform):
    profile_id = make_customer(platform)

    context = _context(platform, "win_back", f"profiles/{profile_id}", profile_id)

    assert context["win_back"] == {
        "days": None,
        "last_order_at": None,
        "orders": 0,
        "favourite_category": None,
    }


def test_a_subject_that_no_longer_exists_says_so(platform):
    with pytest.raises(UnknownCart):
        _context(platform, "abandoned_cart", "carts/01JQ7Z00000000000000NOPE", None)


def test_a_persons_latest_subject_is_found_for_each_kind_and_none_without_one(platform):
    make_store(platform)
    sku = make_dress(platform)
    profile_id = make_customer(platform)
    with platform.db.reading() as session:
        nothing = {
            kind: contexts.latest_subject(session, kind=kind, profile_id=profile_id)
            for kind in (
                "abandoned_cart",
                "pickup_ready",
                "order_shipped",
                "return_refunded",
                "back_in_stock",
                "review_request",
            )
        }
    cart_id = make_cart(platform, (sku, 1), customer_ref=INES)
    pickup = place(platform, line(sku, 1, "pickup", location="LYON-01"), customer_ref=INES)
    with platform.db.transaction() as session:
        session.add(
            StockWatch(profile_id=profile_id, sku=sku, location_code="LYON-01", channel="web")
        )

    with platform.db.reading() as session:
        found = {
            kind: contexts.latest_subject(session, kind=kind, profile_id=profile_id)
            for kind in (
                "abandoned_cart",
                "pickup_ready",
                "back_in_stock",
                "review_request",
                "win_back",
            )
        }

    assert set(nothing.values()) == {None}
    assert found == {
        "abandoned_cart": f"carts/{cart_id}",
        "pickup_ready": f"fulfilments/{pickup.fulfilments[0].id}",
        "back_in_stock": f"stock/{sku}@LYON-01",
        "review_request": f"orders/{pickup.id}",
        "win_back": f"profiles/{profile_id}",
    }


def test_a_preview_of_a_pickup_uses_the_customers_own_parcel(platform):
    with_defaults(platform)
    make_store(platform)
    sku = make_dress(platform)
    profile_id = make_customer(platform)
    order = place(platform, line(sku, 1, "pickup", location="LYON-01"), customer_ref=INES, by=WEB)
    now = utcnow() + timedelta(minutes=1)

    with platform.db.reading() as session:
        rendered = templates.preview(
            session,
            trigger_code="PICKUP_READY",
            language="fr",
            channel="email",
            profile_id=profile_id,
            now=now,
        )

    code = order.fulfilments[0].pickup_code
    assert rendered.sample is False
    assert code is not None and f"Votre code de retrait : {code}" in rendered.text
    assert "jeudi : 10:00\u201320:00" in rendered.text
