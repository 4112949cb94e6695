"""The engines' explanations are said in French on the pages: every reason code with its
parameters, and, for orders placed before the codes were kept, the English sentences read back
(sourcing, pricing, refusals); status reasons and identity matching too."""

from __future__ import annotations

from typing import Any

import pytest

from omnicanal.platform.reasons import ENGLISH as API_ENGLISH
from omnicanal.web.explanations import PHRASES, Explainer
from omnicanal.web.i18n import load_translations
from omnicanal.web.rendering import money
from tests.web.test_french_pages import english_words

FRENCH = Explainer(load_translations()["fr"], "fr", money)
ENGLISH = Explainer(load_translations()["en"], "en", money)

_LINE = {"line": "2", "quantity": 3, "sku": "JEAN-40"}
_PROMOTION = {"promotion": "ETE10", "promotion_name": "Soldes", "amount": 998, "currency": "EUR"}
_COUPON = {"coupon": "NOEL"}
_RIVAL = {"location": "WH-CENTRE", "rival": "LYON", "rival_kind": "store", "rival_km": 4.2}

EXAMPLES: dict[str, dict[str, Any]] = {
    "pricing.percent_off": {**_PROMOTION, "percent": "12.5", "scope": "cart"},
    "pricing.amount_off_cart": {**_PROMOTION, "amount_off": 1000},
    "pricing.amount_off_each_unit": {
        **_PROMOTION,
        "amount_off": 500,
        "scope": "skus",
        "scope_items": ["ROBE-M", "ROBE-L"],
    },
    "pricing.buy_x_get_y_free": {
        **_PROMOTION,
        "buy": 2,
        "get": 1,
        "scope": "categories",
        "scope_items": ["Robes"],
        "free": 1,
    },
    "pricing.buy_x_get_y_percent_off": {
        **_PROMOTION,
        "buy": 1,
        "get": 1,
        "get_percent": "50",
        "scope": "cart",
        "free": 2,
    },
    "pricing.bundle_price": {
        **_PROMOTION,
        "bundle": ["ROBE-L", "ROBE-M"],
        "bundle_price": 8000,
        "sets": 2,
    },
    "pricing.free_shipping": {**_PROMOTION, "amount": 490},
    "pricing.coupon_not_applied.currency": {**_COUPON, "for_currency": "CHF"},
    "pricing.coupon_not_applied.channel": {**_COUPON, "channel": "web"},
    "pricing.coupon_not_applied.not_started": _COUPON,
    "pricing.coupon_not_applied.ended": _COUPON,
    "pricing.coupon_not_applied.coupon_required": _COUPON,
    "pricing.coupon_not_applied.customer": {
        **_COUPON,
        "attribute": "tier",
        "allowed": ["gold", "silver"],
    },
    "pricing.coupon_not_applied.minimum": {**_COUPON, "minimum": 20000, "currency": "EUR"},
    "pricing.coupon_not_applied.exclusive_first": {**_COUPON, "exclusive": "VIP30"},
    "pricing.coupon_not_applied.no_shipping": _COUPON,
    "pricing.coupon_not_applied.nothing_qualifies": _COUPON,
    "sourcing.picked_up_at_chosen_store": {**_LINE, "location": "LYON", "available": 4},
    "sourcing.held_to_try_at_chosen_store": {**_LINE, "location": "LYON", "available": 4},
    "sourcing.carried_out_from_chosen_store": {**_LINE, "location": "LYON", "available": 4},
    "sourcing.location_required": {**_LINE, "method": "pickup"},
    "sourcing.location_not_available": {**_LINE, "location": "LYON"},
    "sourcing.pickup_not_available": {**_LINE, "location": "OUTLET"},
    "sourcing.store_service_not_available": {
        **_LINE,
        "location": "WH-CENTRE",
        "method": "reserve_and_try",
    },
    "sourcing.not_enough_at_chosen_store": {
        **_LINE,
        "location": "LYON",
        "available": 1,
        "wanted": 3,
    },
    "sourcing.no_split": _LINE,
    "sourcing.not_enough_to_ship": {**_LINE, "available": 2},
    "sourcing.too_many_locations": {**_LINE, "most": 3},
    "sourcing.no_coordinates": {},
    "sourcing.one_shipment": {
        "site": "WH-CENTRE",
        "site_kind": "warehouse",
        "site_km": 326,
        "lines": 3,
    },
    "sourcing.sends_lines": {"site": "LYON", "site_kind": "store", "lines": ["1", "3"]},
    "sourcing.chosen_over.fewer_shipments": _RIVAL,
    "sourcing.chosen_over.prefer_warehouses": _RIVAL,
    "sourcing.chosen_over.nearer": {**_RIVAL, "location_km": 1.5},
    "sourcing.chosen_over.channel_priority": _RIVAL,
    "sourcing.chosen_over.location_codes": _RIVAL,
    "sourcing.stores_keep_last_units": {
        "stores": ["LYON", "VIL"],
        "protected": 2,
        "sku": "ROBE-M",
        "line": "1",
    },
    "sourcing.many_stores_keep_last_units": {
        "stores": ["LYON", "VIL", "PARIS-01"],
        "more": 2,
        "protected": 2,
        "sku": "ROBE-M",
        "line": "1",
    },
    "sourcing.split": {
        **_LINE,
        "parts": ["WH-CENTRE", "LYON"],
        "parts_units": [2, 1],
        "parts_kind": ["warehouse", "store"],
        "parts_km": [326, 0.0],
    },
}
"""One decision of each code, as an engine gives it."""


def _read_back(code: str) -> Any:
    return FRENCH.pricing if code.startswith("pricing.") else FRENCH.sourcing


def test_every_reason_code_of_the_engines_has_an_example_here():
    """A new code gets its example, and so the checks below."""
    assert set(EXAMPLES) == set(PHRASES)


@pytest.mark.parametrize("code", sorted(PHRASES))
def test_every_reason_code_is_said_in_french_and_in_english(code):
    phrase, params = PHRASES[code], EXAMPLES[code]

    french = FRENCH.say(code, params)
    english = ENGLISH.say(code, params)

    catalog = load_translations()["fr"]
    if phrase.plural is None:
        translated = catalog.gettext(phrase.message) != phrase.message
    else:
        translated = catalog.ngettext(phrase.message, phrase.plural, 2) != phrase.plural
    assert translated, "the code's message has no French in explanations.po"
    assert french is not None and english is not None
    assert french != english
    assert english_words(f"<p>{french}</p>") == []


@pytest.mark.parametrize("code", sorted(PHRASES))
def test_an_older_orders_english_sentence_reads_as_its_code_does(code):
    """An order placed before the codes were kept shows the same French, read back from its
    English sentence."""
    sentence = PHRASES[code].say(EXAMPLES[code], API_ENGLISH)

    assert _read_back(code)(sentence) == FRENCH.say(code, EXAMPLES[code])
    assert ENGLISH.sourcing(sentence) == sentence


def test_a_reason_reads_in_french_with_the_readers_numbers_and_words():
    shipped = {"code": "sourcing.one_shipment", "params": EXAMPLES["sourcing.one_shipment"]}
    nearer = {
        "code": "sourcing.chosen_over.nearer",
        "params": EXAMPLES["sourcing.chosen_over.nearer"],
    }
    promotion = {"code": "pricing.percent_off", "params": EXAMPLES["pricing.percent_off"]}

    assert FRENCH.sourcing(shipped) == (
        "Un seul envoi : WH-CENTRE (entrepôt, 326\u00a0km) peut envoyer les 3 lignes entières."
    )
    assert FRENCH.sourcing(nearer) == (
        "WH-CENTRE choisi plutôt que LYON (magasin, 4,2\u00a0km) : il est plus près de "
        "l\u2019adresse de livraison (1,5\u00a0km contre 4,2\u00a0km)."
    )
    assert FRENCH.pricing(promotion) == (
        "Soldes (ETE10) : 12,5 % de remise sur tout le panier : \u22129,98\u00a0€"
    )
    assert ENGLISH.pricing(promotion) == "Soldes (ETE10): 12.5% off the cart: -€9.98"


@pytest.mark.parametrize(
    ("code", "one", "many"),
    [
        ("sourcing.one_shipment", {"lines": 1}, {"lines": 2}),
        ("sourcing.sends_lines", {"lines": ["1"]}, {"lines": ["1", "2"]}),
        ("sourcing.stores_keep_last_units", {"stores": ["LYON"]}, {"stores": ["LYON", "VIL"]}),
        ("sourcing.many_stores_keep_last_units", {"more": 1}, {"more": 2}),
    ],
)
def test_a_count_changes_the_french_words(code, one, many):
    single = FRENCH.say(code, {**EXAMPLES[code], **one})
    plural = FRENCH.say(code, {**EXAMPLES[code], **many})

    assert single is not None and plural is not None
    assert single.split() != plural.split()[: len(single.split())] or len(single) != len(plural)
    assert english_words(f"<p>{single}</p><p>{plural}</p>") == []


def test_an_unknown_code_or_parameters_of_another_shape_are_left_out():
    assert FRENCH.sourcing({"code": "sourcing.teleported", "params": {}}) is None
    assert FRENCH.sourcing({"code": "sourcing.split", "params": {"line": "1"}}) is None
    assert FRENCH.pricing({"code": "pricing.percent_off", "params": {"percent": "x"}}) is None


def test_a_store_sale_is_explained_in_french():
    sentence = (
        "Line 1 (2 x ROBE-M) leaves with the customer from LYON, the store the customer chose "
        "(3 units available)."
    )

    assert FRENCH.sourcing(sentence) == (
        "Ligne 1 (2 \u00d7 ROBE-M) : emportée par le client à LYON, le magasin choisi "
        "(3 unités disponible(s))."
    )
    assert ENGLISH.sourcing(sentence) == sentence


def test_a_choice_between_sites_says_the_kind_and_distance_the_french_way():
    sentence = (
        "WH-CENTRE chosen over LYON (store, 4.2 km): it is nearer the delivery address "
        "(1.5 km against 4.2 km)."
    )

    assert FRENCH.sourcing(sentence) == (
        "WH-CENTRE choisi plutôt que LYON (magasin, 4,2\u00a0km) : il est plus près de "
        "l\u2019adresse de livraison (1,5\u00a0km contre 4,2\u00a0km)."
    )


def test_a_sentence_of_unknown_shape_is_left_out_of_a_french_page():
    assert FRENCH.sourcing("Something the engine will say one day.") is None
    assert FRENCH.detail("Cannot go from placed to fulfilled.") is None


def test_a_shortfall_refusal_is_said_in_french_with_the_other_lines_counted():
    detail = (
        "Line 2 (3 x JEAN-40): LYON has 1 unit available, 3 wanted. "
        "(1 more line(s) cannot be sourced either.)"
    )

    assert FRENCH.detail(detail) == (
        "Ligne 2 (3 \u00d7 JEAN-40) : LYON a 1 unité disponible(s), 3 demandée(s). "
        "(1 autre ligne ne peut pas être servie non plus.)"
    )


def test_a_promotion_applied_is_explained_with_its_amount_in_euros():
    assert FRENCH.pricing("Soldes (ETE10): 10% off the cart: -9,98 EUR") == (
        "Soldes (ETE10) : 10 % de remise sur tout le panier : \u22129,98\u00a0€"
    )
    assert FRENCH.pricing("Coupon NOEL did not apply: nothing in the cart qualifies.") == (
        "Le code promo NOEL ne s\u2019applique pas : aucun article du panier n\u2019y a droit."
    )


def test_the_platforms_own_reasons_are_translated_and_a_persons_are_kept():
    assert FRENCH.reason("sold over the counter") == "vendu au comptoir"
    assert FRENCH.reason("fulfilment release") == "étape de la préparation : remettre en rayon"
    assert FRENCH.reason("customer changed their mind") == "customer changed their mind"


def test_an_identity_match_reason_names_the_comparison_in_french():
    assert FRENCH.match_reason("family name Dupont ~ DUPONT: exact, +8.1") == (
        "nom de famille Dupont ~ DUPONT : identique, +8,1"
    )
    said = (
        "birth year in the email 1966 ~ giraud.thomas66@free.fr: agrees with the birth year, +5.3"
    )
    assert FRENCH.match_reason(said) == (
        "année de naissance dans l'e-mail 1966 ~ giraud.thomas66@free.fr : "
        "concorde avec l'année de naissance, +5,3"
    )
