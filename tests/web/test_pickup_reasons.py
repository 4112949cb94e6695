"""The counter says why a nearer store holding the items is not offered for click & collect,
on the customer page and on the basket page, in French."""

from __future__ import annotations

import re

import pytest

from omnicanal.platform.wiring import Platform
from tests.builders import receive
from tests.orders.test_pickup_exclusions import open_store
from tests.web.test_french_pages import english_words
from tests.web.test_store_basket import M_NATURAL, make_dress, open_basket
from tests.web.test_store_pages import lyon, sign_in, zoe  # noqa: F401
from tests.web.test_store_selling import profile_path


def nearby_stores(platform: Platform, sku: str) -> None:
    """Part-Dieu, outside the stores' network, and Croix-Rousse, without click & collect,
    each with two of ``sku`` on the shelf."""
    open_store(platform, "PART-DIEU", 45.7606, 4.8594, channels=())
    open_store(platform, "CROIX-ROUSSE", 45.7745, 4.8320, click_and_collect=False)
    for store in ("PART-DIEU", "CROIX-ROUSSE"):
        receive(platform, sku, store, 2)


def reasons(html: str) -> list[tuple[str, str, str]]:
    """(location, reason code, sentence) of each store listed as not offered, its spaces
    (the no-break one before "km" too) read as one space."""
    return [
        (location, reason, re.sub(r"\s+", " ", text).strip())
        for location, reason, text in re.findall(
            r'<li data-location="([\w-]+)" data-reason="(\w+)">(.*?)</li>', html, re.S
        )
    ]


def block(html: str) -> str:
    """The list of the stores not offered (the builders' store names are English words)."""
    found = re.search(r'<div class="pickup-excluded">.*?</div>', html, re.S)
    assert found is not None
    return found.group(0)


def test_the_customer_page_says_why_the_nearer_stores_are_not_offered(lyon, client, zoe):  # noqa: F811
    """Zoé's cart holds two dresses; Lyon has three and is offered."""
    nearby_stores(lyon, zoe)
    sign_in(client, "lea@example.fr")

    page = client.get(profile_path(client))

    assert page.status_code == 200
    assert re.search(r'name="pickup_store" value="LYON"', page.text)
    assert 'value="PART-DIEU"' not in page.text and 'value="CROIX-ROUSSE"' not in page.text
    assert reasons(page.text) == [
        (
            "CROIX-ROUSSE",
            "no_click_and_collect",
            'Magasin Croix-Rousse : pas de retrait en magasin <span class="muted">(1,2 km)</span>',
        ),
        (
            "PART-DIEU",
            "store_sales_only",
            "Magasin Part-Dieu : stock réservé à la vente en magasin "
            '<span class="muted">(1,9 km)</span>',
        ),
    ]
    assert "Ont aussi ces articles, mais ne sont pas proposés :" in page.text
    assert english_words(block(page.text)) == []


def test_the_reasons_read_in_english_on_request(lyon, client, zoe):  # noqa: F811
    nearby_stores(lyon, zoe)
    sign_in(client, "lea@example.fr")

    page = client.get(profile_path(client), params={"lang": "en"})

    assert "Magasin Croix-Rousse: no click &amp; collect" in page.text
    assert "Also holding these items, but not offered:" in page.text


@pytest.fixture
def basket(lyon, client):  # noqa: F811
    """Léa's basket with the natural linen dress in M, held in Lyon and nearby."""
    make_dress(lyon)
    nearby_stores(lyon, M_NATURAL)
    sign_in(client, "lea@example.fr")
    return open_basket(client, sku=M_NATURAL)


def test_the_basket_page_says_why_too(lyon, client, basket):  # noqa: F811
    page = client.get(basket)

    assert page.status_code == 200
    assert [(code, reason) for code, reason, _ in reasons(page.text)] == [
        ("CROIX-ROUSSE", "no_click_and_collect"),
        ("PART-DIEU", "store_sales_only"),
    ]
    assert "Magasin Part-Dieu : stock réservé à la vente en magasin" in page.text
    assert english_words(block(page.text)) == []


def test_a_basket_held_nowhere_else_lists_no_reason(lyon, client):  # noqa: F811
    make_dress(lyon)
    sign_in(client, "lea@example.fr")

    page = client.get(open_basket(client, sku=M_NATURAL))

    assert reasons(page.text) == []
    assert "ne sont pas proposés" not in page.text
