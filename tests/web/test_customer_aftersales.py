"""The customer page after a sale: the satisfaction the customer gave at their last return,
their returns and exchanges in French, the size to offer after a return for size, and the
web cart priced line by line with why its channel's price differs from the store's."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from omnicanal.carts import service as carts
from omnicanal.customers import service as customers
from omnicanal.platform.wiring import Platform
from omnicanal.web.rendering import Renderer, local_day
from tests.builders import auth, make_key, make_location, make_product, receive, snapshot
from tests.customers.support import make_source, send
from tests.pricing.builders import make_promotion, set_override
from tests.returns.builders import return_body, till_order
from tests.web.test_french_pages import english_words
from tests.web.test_store_pages import build_zoe, make_staff, sign_in

PARIS = ZoneInfo("Europe/Paris")


def given_zoe(platform: Platform, client: TestClient) -> dict[str, Any]:
    """Lyon (a clerk), Zoé with her web cart of two dresses in S, trousers in S, M and L with
    S and M in stock at Lyon, and Lyon's till key."""
    make_location(platform, "LYON", name="Magasin Lyon Part-Dieu")
    make_location(
        platform,
        "VIL",
        latitude=45.7719,
        longitude=4.8902,
        city="Villeurbanne",
        name="Magasin Villeurbanne",
    )
    make_staff(platform, "lea@example.fr")
    robe = build_zoe(platform, client)
    small, medium, large = make_product(platform, "PANTALON", sizes=("S", "M", "L"))
    receive(platform, small, "LYON", 2)
    receive(platform, medium, "LYON", 2)
    return {
        "robe": robe,
        "small": small,
        "medium": medium,
        "large": large,
        "till": make_key(platform, "store", location="LYON"),
    }


def brought_back(
    platform: Platform,
    client: TestClient,
    world: dict[str, Any],
    sku: str,
    *,
    reason: str = "too_small",
    satisfaction: int | None = 2,
) -> dict[str, Any]:
    """Zoé buys ``sku`` at the Lyon counter and brings it back there; the events reach her
    profile. Returns the return."""
    order = till_order(client, world["till"], (sku, 1), customer_ref="zoe")
    extra = {"satisfaction": satisfaction} if satisfaction is not None else {}
    response = client.post(
        "/v1/returns",
        json=return_body(order, reason=reason, **extra),
        headers=auth(world["till"]),
    )
    assert response.status_code == 201, response.text
    platform.relay().drain()
    return dict(response.json())


def customer_page(client: TestClient) -> tuple[str, str]:
    """The clerk finds Zoé and opens her page: (profile id, page)."""
    sign_in(client, "lea@example.fr")
    found = client.get("/store/customers", params={"q": "zoe@example.fr"})
    profile = re.search(r'href="/store/customers/([0-9A-Z]{26})"', found.text)
    assert profile is not None, found.text
    page = client.get(f"/store/customers/{profile.group(1)}")
    assert page.status_code == 200, page.text
    return profile.group(1), page.text


def section(page: str, title_id: str) -> str:
    """The text of the page's section labelled by ``title_id``."""
    return page.split(f'id="{title_id}"')[1].split("</section>")[0]


def test_the_page_says_the_last_satisfaction_with_its_day_and_reason_in_french(platform, client):
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["small"])

    _, page = customer_page(client)

    today = local_day(datetime.now(UTC), PARIS, "fr")
    assert f"Satisfaction : 2/5 au retour du {today} — Trop petit" in page
    assert "Moyenne" not in page  # one scored return: no average to give
    assert english_words(page) == []


def test_the_average_shows_once_the_customer_scored_two_returns(platform, client):
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["small"], satisfaction=2)
    brought_back(platform, client, world, world["medium"], reason="changed_mind", satisfaction=5)

    _, page = customer_page(client)

    today = local_day(datetime.now(UTC), PARIS, "fr")
    assert f"Satisfaction : 5/5 au retour du {today} — Changement d\u2019avis" in page
    assert "Moyenne de 3,5/5 sur 2 retours notés" in page


def test_returns_and_exchanges_read_in_french_on_the_timeline(platform, client):
    """Taken at the counter, inspected, exchanged for the next size: each step in French
    words, with the items, the reason and the score."""
    world = given_zoe(platform, client)
    returned = brought_back(platform, client, world, world["small"])
    exchanged = client.post(
        f"/v1/returns/{returned['id']}/exchange",
        json={"lines": [{"sku": world["medium"], "quantity": 1}]},
        headers=auth(world["till"]),
    )
    assert exchanged.status_code == 200, exchanged.text
    platform.relay().drain()

    _, page = customer_page(client)

    returns = section(page, "returns-title")
    assert "Retours et échanges" in returns
    assert "Retour enregistré" in returns
    assert "Articles retournés contrôlés" in returns
    assert "Articles échangés" in returns
    assert "Produit PANTALON S noir → Produit PANTALON M noir" in returns
    assert "Trop petit" in returns and "2/5" in returns
    assert "return." not in returns
    assert english_words(page) == []


def test_a_customer_without_returns_reads_so(platform, client):
    given_zoe(platform, client)

    _, page = customer_page(client)

    assert "Aucun retour pour l\u2019instant." in section(page, "returns-title")
    assert 'id="satisfaction"' not in page
    assert 'id="exchange"' not in page


# --- an exchange to suggest ------------------------------------------------------------------


def test_after_trousers_too_small_the_clerk_is_offered_the_next_size_with_its_stock(
    platform, client
):
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["small"])

    _, page = customer_page(client)

    offer = section(page, "exchange-title")
    assert "Dernier retour : Produit PANTALON S noir (Trop petit)." in offer
    assert "Proposez la taille M du même article." in offer
    assert "2 ici" in offer
    assert f'name="sku" value="{world["medium"]}"' in offer
    assert "Ouvrir un panier avec la taille M" in offer


def test_the_offer_starts_a_basket_for_the_customer_with_the_next_size(platform, client):
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["small"])
    profile_id, page = customer_page(client)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None

    started = client.post(
        "/store/baskets",
        data={"csrf": csrf.group(1), "profile_id": profile_id, "sku": world["medium"]},
        follow_redirects=False,
    )

    assert started.status_code == 303, started.text
    cart_id = started.headers["location"].rsplit("/", 1)[1]
    with platform.db.reading() as session:
        basket = carts.get_cart(session, cart_id=cart_id, with_prices=False)
        references = customers.customer_references(session, profile_id=profile_id)
    assert [(line.sku, line.quantity) for line in basket.lines] == [(world["medium"], 1)]
    assert (basket.channel, basket.customer_ref in references) == ("store", True)


def test_trousers_too_large_are_offered_one_size_down(platform, client):
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["medium"], reason="too_large")

    _, page = customer_page(client)

    assert "Proposez la taille S du même article." in section(page, "exchange-title")


def test_a_size_out_of_stock_here_and_nearby_is_said_without_a_basket_to_start(platform, client):
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["medium"])

    _, page = customer_page(client)

    offer = section(page, "exchange-title")
    assert "La taille L n\u2019est en stock ni ici ni dans un magasin proche." in offer
    assert "Ouvrir un panier" not in offer


@pytest.mark.parametrize("reason", ["changed_mind", "defective"])
def test_no_size_is_offered_after_a_return_for_another_reason(platform, client, reason):
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["small"], reason=reason)

    _, page = customer_page(client)

    assert 'id="exchange"' not in page


def test_no_size_is_offered_once_the_return_was_exchanged(platform, client):
    """The customer already left with the other size: nothing left to suggest."""
    world = given_zoe(platform, client)
    returned = brought_back(platform, client, world, world["small"])
    client.post(
        f"/v1/returns/{returned['id']}/exchange",
        json={"lines": [{"sku": world["medium"], "quantity": 1}]},
        headers=auth(world["till"]),
    )
    platform.relay().drain()

    _, page = customer_page(client)

    assert 'id="exchange"' not in page


def test_a_basket_asked_for_an_unknown_size_changes_nothing(platform, client):
    """A forged offer (a SKU that does not exist) answers a French page and opens nothing."""
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["small"])
    profile_id, page = customer_page(client)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    before = snapshot(platform)

    refused = client.post(
        "/store/baskets",
        data={"csrf": csrf.group(1), "profile_id": profile_id, "sku": "PANTALON-XXL"},
        follow_redirects=False,
    )

    assert 400 <= refused.status_code < 500
    assert '<html lang="fr">' in refused.text
    assert snapshot(platform) == before


# --- the cart's prices -----------------------------------------------------------------------


def test_each_cart_line_shows_its_price_in_store(platform, client):
    given_zoe(platform, client)

    _, page = customer_page(client)

    cart = section(page, "cart-title")
    assert "Prix en magasin" in cart
    assert '99,80\u00a0€ <span class="muted">(49,90\u00a0€ l\u2019unité)</span>' in cart
    assert "Le prix n\u2019est pas le même" not in cart


def test_a_web_price_of_its_own_is_shown_with_the_audits_reason(platform, client):
    """The web sells the dress 39,90 € ("Soldes en ligne"), the store at its list price: the
    line says both prices and why, the total says the web's."""
    world = given_zoe(platform, client)
    set_override(platform, world["robe"], "web", 3990, reason="Soldes en ligne")

    _, page = customer_page(client)

    cart = section(page, "cart-title")
    assert "Site web : 79,80\u00a0€" in cart
    assert "Site web : prix propre au canal (Soldes en ligne)" in cart
    assert "En magasin : prix catalogue" in cart
    assert "Le prix n\u2019est pas le même sur Site web qu\u2019en magasin" in cart
    assert '<strong>99,80\u00a0€</strong> <span class="muted">(Site web : 79,80\u00a0€)' in cart
    assert english_words(page) == []


def test_a_store_price_of_its_own_is_explained_too(platform, client):
    world = given_zoe(platform, client)
    set_override(platform, world["robe"], "store", 4500, reason="Fin de série")

    _, page = customer_page(client)

    cart = section(page, "cart-title")
    assert "90,00\u00a0€" in cart
    assert "Site web : 99,80\u00a0€" in cart
    assert "Site web : prix catalogue" in cart
    assert "En magasin : prix propre au canal (Fin de série)" in cart


def test_a_promotion_of_the_web_only_is_named(platform, client):
    world = given_zoe(platform, client)
    make_promotion(platform, "WEB10", "percent_off", percent=10, channels=["web"])

    _, page = customer_page(client)

    cart = section(page, "cart-title")
    assert "Site web : 89,82\u00a0€" in cart
    assert "Site web : promotion WEB10" in cart
    assert world["robe"] in cart


# --- head office -----------------------------------------------------------------------------


def test_the_admin_profile_card_says_the_satisfaction_in_french(platform, client):
    """The back office's profile card (``admin/_profile.html``), given the 360° view."""
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["small"], satisfaction=2)
    brought_back(platform, client, world, world["medium"], reason="too_large", satisfaction=4)
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    profile_id, _ = customer_page(client)
    with platform.db.reading() as session:
        profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
    request = Request(
        {"type": "http", "method": "GET", "path": "/admin", "headers": [], "app": client.app}
    )

    card = Renderer().text(
        request, "admin/_profile.html", {"profile": profile, "zone": PARIS}, language="fr"
    )

    today = local_day(datetime.now(UTC), PARIS, "fr")
    assert f"Satisfaction : 4/5 au retour du {today} — Trop grand" in card
    assert "Moyenne de 3,0/5 sur 2 retours notés" in card
    assert english_words(card) == []


def test_the_review_queue_shows_the_satisfaction_on_the_customers_card(platform, client):
    """Zoé's second loyalty card waits for head office's review: her card in the queue says
    the score she gave at her return, in French."""
    world = given_zoe(platform, client)
    brought_back(platform, client, world, world["small"], satisfaction=2)
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    app = make_source(platform, "app")
    send(
        client,
        app,
        {"type": "identify", "userId": "zoe", "traits": {"loyalty_card": "FIDZ1"}},
        {"type": "identify", "userId": "zoe", "traits": {"loyalty_card": "FIDZ2"}},
    )
    sign_in(client, "hugo@example.fr")

    page = client.get("/admin/reviews")

    today = local_day(datetime.now(UTC), PARIS, "fr")
    assert page.status_code == 200, page.text
    assert page.text.count('<section class="card review"') == 1
    assert page.text.count(f"Satisfaction : 2/5 au retour du {today} — Trop petit") == 1
    assert english_words(page.text) == []
