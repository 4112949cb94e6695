"""An order keeps its pricing and sourcing explanations twice: the English sentences, and the
same reasons as codes with parameters; orders placed before the codes were kept read NULL."""

from __future__ import annotations

from sqlalchemy import update

from omnicanal.fulfilment.sourcing.reasons import PHRASES as SOURCING
from omnicanal.orders.models import Order
from omnicanal.platform.reasons import ENGLISH
from omnicanal.platform.wiring import Platform
from omnicanal.pricing.reasons import PHRASES as PRICING
from tests.builders import auth
from tests.orders.builders import checkout_body, line, make_shop, place
from tests.pricing.builders import make_promotion


def forget_reasons(platform: Platform, order_id: str) -> None:
    """The order as one placed before migration 0014: sentences only."""
    with platform.db.transaction() as session:
        session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(pricing_reasons=None, sourcing_reasons=None)
        )


def test_an_order_keeps_each_sentence_as_a_code_with_its_parameters(platform, client):
    shop = make_shop(platform)
    make_promotion(platform, "ETE10", "percent_off", percent=10, name="Soldes")

    response = client.post(
        "/v1/orders",
        json=checkout_body(line(shop.robe, 2), line(shop.pull)),
        headers=auth(shop.web),
    )

    assert response.status_code == 201, response.text
    order = client.get(f"/v1/orders/{response.json()['id']}", headers=auth(shop.web)).json()
    assert order["pricing_explanation"] == ["Soldes (ETE10): 10% off the cart: -14,97 EUR"]
    assert order["pricing_reasons"] == [
        {
            "code": "pricing.percent_off",
            "params": {
                "promotion": "ETE10",
                "promotion_name": "Soldes",
                "percent": "10",
                "scope": "cart",
                "amount": 1497,
                "currency": "EUR",
            },
        }
    ]
    assert [r["code"] for r in order["sourcing_reasons"]] == [
        "sourcing.sends_lines",
        "sourcing.sends_lines",
        "sourcing.chosen_over.prefer_warehouses",
    ]
    assert [
        SOURCING[reason["code"]].say(reason["params"], ENGLISH)
        for reason in order["sourcing_reasons"]
    ] == order["sourcing_explanation"]


def test_an_order_placed_before_the_codes_reads_null_reasons_and_its_sentences(platform, client):
    shop = make_shop(platform)
    placed = place(platform, line(shop.robe))
    forget_reasons(platform, placed.id)

    order = client.get(f"/v1/orders/{placed.id}", headers=auth(shop.web)).json()

    assert order["pricing_reasons"] is None and order["sourcing_reasons"] is None
    assert order["sourcing_explanation"] == placed.sourcing_explanation


def test_a_line_sourced_again_adds_its_reasons_after_the_first_ones(platform, client):
    shop = make_shop(platform)
    placed = place(platform, line(shop.jean, 1))
    (fulfilment,) = placed.fulfilments

    after = client.post(
        f"/v1/fulfilments/{fulfilment.id}/reject-line",
        json={"line_id": fulfilment.lines[0].id, "reason": "damaged"},
        headers=auth(shop.lyon),
    ).json()

    assert after["sourcing_explanation"][: len(placed.sourcing_explanation)] == (
        placed.sourcing_explanation
    )
    assert len(after["sourcing_reasons"]) == len(after["sourcing_explanation"])
    assert [
        SOURCING[reason["code"]].say(reason["params"], ENGLISH)
        for reason in after["sourcing_reasons"]
    ] == after["sourcing_explanation"]


def test_an_older_order_sourced_again_keeps_null_reasons(platform, client):
    """Its page reads every sentence back, the new ones too, rather than half of them."""
    shop = make_shop(platform)
    placed = place(platform, line(shop.jean, 1))
    forget_reasons(platform, placed.id)
    (fulfilment,) = placed.fulfilments

    after = client.post(
        f"/v1/fulfilments/{fulfilment.id}/reject-line",
        json={"line_id": fulfilment.lines[0].id, "reason": "damaged"},
        headers=auth(shop.lyon),
    ).json()

    assert len(after["sourcing_explanation"]) > len(placed.sourcing_explanation)
    assert after["sourcing_reasons"] is None


def test_every_code_an_order_may_store_is_a_known_phrase():
    """The pricing and sourcing codes never collide: an order's code names one phrase."""
    assert not set(PRICING) & set(SOURCING)
    assert all(code.startswith("pricing.") for code in PRICING)
    assert all(code.startswith("sourcing.") for code in SOURCING)
