"""The promotions engine explains each adjustment and note as a reason code with parameters,
and the English sentence is the one that code says with those parameters, after storage too."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.platform.reasons import ENGLISH, Reason
from omnicanal.pricing.engine import Kind, Target, price
from omnicanal.pricing.reasons import PHRASES
from tests.builders import auth
from tests.pricing.builders import back_office_key, make_promotion, make_sku
from tests.pricing.test_engine import cart, line, promo
from tests.pricing.test_engine_properties import carts, promotions


def said_again(reason: Reason) -> str:
    """The reason's English, from its code and its parameters as an order stores them."""
    stored = json.loads(json.dumps(reason.as_dict()))
    return PHRASES[stored["code"]].say(stored["params"], ENGLISH)


def test_a_percentage_off_a_category_is_a_code_with_the_promotion_its_scope_and_amount():
    rules = [
        promo(
            "TEN",
            Kind.percent_off,
            percent=10,
            name="Soldes",
            target=Target.categories,
            categories={"Robes"},
        )
    ]

    result = price(cart(line("A", 1, 4990)), rules)

    (reason,) = result.reasons
    assert reason.code == "pricing.percent_off"
    assert reason.params == {
        "promotion": "TEN",
        "promotion_name": "Soldes",
        "percent": "10",
        "scope": "categories",
        "scope_items": ["Robes"],
        "amount": 499,
        "currency": "EUR",
    }
    assert reason.text == "Soldes (TEN): 10% off category Robes: -4,99 EUR"
    assert result.explanation == (reason.text,)
    assert result.adjustments[0].description == "10% off category Robes"


def test_each_kind_of_promotion_has_its_own_code():
    rules = [
        promo("PCT", Kind.percent_off, percent=5, priority=9),
        promo("CART5", Kind.amount_off, amount_minor=500, priority=8),
        promo(
            "UNIT1", Kind.amount_off, amount_minor=100, target=Target.skus, skus={"A"}, priority=7
        ),
        promo("B2G1", Kind.buy_x_get_y, buy_quantity=2, get_quantity=1, priority=6),
        promo("B1H", Kind.buy_x_get_y, get_percent=50, target=Target.skus, skus={"B"}, priority=5),
        promo("SET", Kind.bundle_price, bundle_skus=("A", "B"), amount_minor=1500, priority=4),
        promo("SHIP", Kind.free_shipping),
    ]

    result = price(cart(line("A", 3, 1000), line("B", 2, 1200), shipping_minor=490), rules)

    assert [reason.code for reason in result.reasons] == [
        "pricing.percent_off",
        "pricing.amount_off_cart",
        "pricing.amount_off_each_unit",
        "pricing.buy_x_get_y_free",
        "pricing.buy_x_get_y_percent_off",
        "pricing.bundle_price",
        "pricing.free_shipping",
    ]
    assert result.explanation == tuple(reason.text for reason in result.reasons)
    assert [said_again(reason) for reason in result.reasons] == list(result.explanation)


def test_a_coupon_that_did_not_apply_says_why_as_a_code():
    rules = [
        promo(
            "BIG50",
            Kind.amount_off,
            amount_minor=5000,
            requires_coupon=True,
            min_subtotal_minor=20000,
        )
    ]

    result = price(cart(line("A", 1, 4990), coupon_codes=frozenset({"BIG50"})), rules)

    (note,) = result.note_reasons
    assert note.code == "pricing.coupon_not_applied.minimum"
    assert note.params == {"coupon": "BIG50", "minimum": 20000, "currency": "EUR"}
    assert result.notes == ("Coupon BIG50 did not apply: needs a cart of at least 200,00 EUR.",)
    assert said_again(note) == result.notes[0]


@settings(max_examples=200, deadline=None)
@given(carts(), st.lists(promotions(channel_scoped=True), max_size=6))
def test_every_sentence_is_its_reason_said_again_from_stored_parameters(cart, rules):
    """Whatever the cart and promotions, each explanation line and note is what its code says
    with its parameters once stored as JSON: nothing is lost on the way to an order."""
    result = price(cart, rules)

    assert len(result.reasons) == len(result.explanation)
    assert [said_again(reason) for reason in result.reasons] == list(result.explanation)
    assert [said_again(note) for note in result.note_reasons] == list(result.notes)
    assert {reason.code for reason in (*result.reasons, *result.note_reasons)} <= set(PHRASES)


def test_a_quote_carries_the_reasons_beside_the_sentences(platform, client):
    make_sku(platform, "ROBE-M", 4990)
    make_promotion(platform, "ETE10", "percent_off", percent=10, name="Soldes")

    quote = client.post(
        "/v1/pricing/quote",
        json={"lines": [{"sku": "ROBE-M", "quantity": 1}]},
        headers=auth(back_office_key(platform)),
    )

    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert body["explanation"] == ["Soldes (ETE10): 10% off the cart: -4,99 EUR"]
    assert body["pricing_reasons"] == [
        {
            "code": "pricing.percent_off",
            "params": {
                "promotion": "ETE10",
                "promotion_name": "Soldes",
                "percent": "10",
                "scope": "cart",
                "amount": 499,
                "currency": "EUR",
            },
        }
    ]
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "pricing_reasons" in schema["PricedCart"]["properties"]
    assert set(schema["ReasonOut"]["properties"]) == {"code", "params"}
