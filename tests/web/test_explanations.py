"""The engines' English explanations are said again in French on the pages: sourcing,
pricing, refusals, status reasons and identity matching; English pages keep them as they are."""

from __future__ import annotations

from omnicanal.web.explanations import Explainer
from omnicanal.web.i18n import load_translations
from omnicanal.web.rendering import money

FRENCH = Explainer(load_translations()["fr"], "fr", money)
ENGLISH = Explainer(load_translations()["en"], "en", money)


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
