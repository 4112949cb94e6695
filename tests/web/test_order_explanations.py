"""The order page explains the price and the sourcing in the clerk's language: from the reason
codes for an order placed now, from the English sentences read back for an older one."""

from __future__ import annotations

import re
from html import unescape

from omnicanal.platform.wiring import Platform
from tests.orders.builders import line, make_shop, place
from tests.orders.test_explanation_codes import forget_reasons
from tests.pricing.builders import make_promotion
from tests.web.test_french_pages import english_words
from tests.web.test_store_pages import make_staff, sign_in

PRICE = "Soldes (ETE10) : 10 % de remise sur tout le panier : \u221214,97\u00a0€"
SOURCING = [
    "WH-CENTRE (entrepôt, 328\u00a0km) envoie la ligne 1.",
    "PARIS-01 (magasin, 393\u00a0km) envoie la ligne 2.",
    "WH-CENTRE choisi plutôt que LYON-01 (magasin, 1,9\u00a0km) : les entrepôts passent avant "
    "les magasins.",
]


def explained(html: str) -> list[str]:
    """The explanation lines of an order page, as read."""
    items: list[str] = []
    for listing in re.findall(r'<ul class="plain muted">(.*?)</ul>', html, re.S):
        items += [unescape(item) for item in re.findall(r"<li>(.*?)</li>", listing, re.S)]
    return items


def an_order_with_a_promotion(platform: Platform) -> str:
    """A web order of two lines shipped from two sites, 10 % off; a clerk of Lyon signed in."""
    shop = make_shop(platform)
    make_promotion(platform, "ETE10", "percent_off", percent=10, name="Soldes")
    make_staff(platform, "lea@example.fr", location="LYON-01")
    return place(platform, line(shop.robe, 2), line(shop.pull)).id


def test_an_order_placed_now_is_explained_in_french_from_its_codes(platform, client):
    order_id = an_order_with_a_promotion(platform)
    sign_in(client, "lea@example.fr")

    page = client.get(f"/store/orders/{order_id}")

    assert page.status_code == 200
    assert explained(page.text) == [PRICE, *SOURCING]
    assert english_words("".join(f"<p>{item}</p>" for item in explained(page.text))) == []


def test_an_older_order_without_codes_is_explained_by_its_sentences_read_back(platform, client):
    order_id = an_order_with_a_promotion(platform)
    forget_reasons(platform, order_id)
    sign_in(client, "lea@example.fr")

    page = client.get(f"/store/orders/{order_id}")

    assert page.status_code == 200
    assert explained(page.text) == [PRICE, *SOURCING]


def test_head_office_reads_the_same_explanations(platform, client):
    order_id = an_order_with_a_promotion(platform)
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")

    page = client.get(f"/admin/orders/{order_id}")

    assert page.status_code == 200
    for sentence in [PRICE, *SOURCING]:
        assert sentence in unescape(page.text)


def test_an_english_page_says_the_codes_in_english_with_its_own_amounts(platform, client):
    order_id = an_order_with_a_promotion(platform)
    sign_in(client, "lea@example.fr")

    page = client.get(f"/store/orders/{order_id}", params={"lang": "en"})

    assert explained(page.text)[0] == "Soldes (ETE10): 10% off the cart: -€14.97"
