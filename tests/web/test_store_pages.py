"""The clerk app in the browser: sign in, find a customer and their cart, the store's queue,
French by default and English on request."""

from __future__ import annotations

import dataclasses
import re

import pytest
from fastapi.testclient import TestClient

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartIn, CartLineIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from omnicanal.staff import service as staff
from tests.builders import make_location, make_product, receive
from tests.customers.support import make_source, send

PASSWORD = "correct horse"
WEB = dataclasses.replace(OPERATOR, channel="web", name="web shop")


def make_staff(
    platform: Platform, email: str, role: str = "clerk", location: str | None = "LYON"
) -> str:
    """A staff account; returns its email."""
    with platform.db.transaction() as session:
        staff.create_staff(
            session,
            email=email,
            password=PASSWORD,
            role=staff.Role(role),
            location_code=location,
            name=email.split("@")[0].title(),
        )
    return email


def sign_in(client: TestClient, email: str) -> None:
    response = client.post(
        "/store/login",
        content=f"email={email}&password=correct+horse&next=/store",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/store"


@pytest.fixture
def lyon(platform):
    """Two stores, Lyon and Villeurbanne, and a clerk of each."""
    return build_lyon(platform)


def build_lyon(platform: Platform) -> Platform:
    make_location(platform, "LYON")
    make_location(platform, "VIL", latitude=45.7719, longitude=4.8902, city="Villeurbanne")
    make_staff(platform, "lea@example.fr")
    make_staff(platform, "victor@example.fr", location="VIL")
    return platform


@pytest.fixture
def zoe(lyon, client):
    """Zoé, known by her phone from the till and her account on the web, with a web cart."""
    return build_zoe(lyon, client)


def build_zoe(lyon: Platform, client: TestClient) -> str:
    sku = make_product(lyon, "ROBE", sizes=("S", "M"))[0]
    receive(lyon, sku, "LYON", 3)
    send(
        client,
        make_source(lyon, "web"),
        {
            "type": "identify",
            "userId": "zoe",
            "anonymousId": "cookie-z",
            "traits": {"phone": "+33612345678", "email": "zoe@example.fr", "first_name": "Zoé"},
            "timestamp": "2026-02-02T11:00:00Z",
        },
    )
    with lyon.db.transaction() as session:
        carts.create_cart(
            session,
            data=CartIn(customer_ref="zoe", lines=[CartLineIn(sku=sku, quantity=2)]),
            actor=WEB,
            currency="EUR",
        )
    return sku


def test_pages_need_a_signed_in_staff_member(lyon, client):
    """The sign-in page is asked to come back to the very page, its query included."""
    response = client.get("/store/customers?q=0612345678", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/store/login?next=/store/customers%3Fq%3D0612345678"


def test_a_wrong_password_is_refused_with_a_clear_message(lyon, client):
    response = client.post(
        "/store/login",
        content="email=lea@example.fr&password=nope",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 401
    assert "E-mail inconnu ou mot de passe erroné." in response.text
    assert "omnicanal_staff" not in response.cookies


def test_a_clerk_signs_in_and_lands_on_the_store_home(lyon, client):
    sign_in(client, "lea@example.fr")

    response = client.get("/store")

    assert response.status_code == 200
    assert "Trouver un client" in response.text
    assert "Lea · LYON" in response.text


def test_a_clerk_finds_a_customer_by_a_phone_typed_with_dots(lyon, client, zoe):
    sign_in(client, "lea@example.fr")

    response = client.get("/store/customers", params={"q": "06.12.34.56.78"})

    assert response.status_code == 200
    assert "1 client trouvé" in response.text
    assert "Zoé" in response.text
    assert "reconnu par téléphone" in response.text


def test_an_unknown_customer_gets_a_clear_message(lyon, client, zoe):
    sign_in(client, "lea@example.fr")

    response = client.get("/store/customers", params={"q": "07 00 00 00 00"})

    assert response.status_code == 404
    assert response.text.count("Aucun client ne correspond à « 07 00 00 00 00 »") == 1
    assert "Traceback" not in response.text


def test_the_customer_page_shows_the_open_web_cart(lyon, client, zoe):
    sign_in(client, "lea@example.fr")
    search = client.get("/store/customers", params={"q": "zoe@example.fr"})
    profile_path = re.search(r'href="(/store/customers/[0-9A-Z]{26})"', search.text)
    assert profile_path is not None

    page = client.get(profile_path.group(1))

    assert page.status_code == 200
    assert "Panier en cours" in page.text
    assert "Produit ROBE S noir" in page.text
    assert zoe in page.text
    assert "Canal : Site web" in page.text or "Canal: Site web" in page.text


def test_a_product_shows_stock_here_and_in_the_nearest_store(lyon, client, zoe):
    sign_in(client, "lea@example.fr")

    response = client.get("/store/products", params={"q": zoe})

    assert response.status_code == 200
    assert '<dt>Ici</dt><dd class="">3</dd>' in response.text
    assert (
        '<td>Store VIL</td><td class="num">4,3\u00a0km</td><td class="num">0</td>' in response.text
    )


def test_distances_read_the_english_way_in_english(lyon, client, zoe):
    """4.3 km in English where the French page says 4,3 km."""
    sign_in(client, "lea@example.fr")

    response = client.get("/store/products", params={"q": zoe, "lang": "en"})

    assert '<td class="num">4.3\u00a0km</td>' in response.text
    assert "4,3" not in response.text


def test_a_clerk_finds_a_customer_by_name_without_the_accent(lyon, client, zoe):
    """ "zoe martin" finds Zoé Martin; the result says it was found by name, and how alike."""
    send(
        client,
        make_source(lyon, "app"),
        {
            "type": "identify",
            "userId": "u-zm",
            "traits": {"first_name": "Zoé", "last_name": "Martin"},
            "timestamp": "2026-02-02T11:00:00Z",
        },
    )
    sign_in(client, "lea@example.fr")

    response = client.get("/store/customers", params={"q": "zoe martin"})

    assert response.status_code == 200
    assert "1 client trouvé" in response.text
    assert "Zoé Martin" in response.text
    assert "reconnu par nom (ressemblance 100 %)" in response.text


def test_an_unknown_product_gets_a_clear_message(lyon, client):
    sign_in(client, "lea@example.fr")

    response = client.get("/store/products", params={"q": "0000000000000"})

    assert response.status_code == 404
    assert "Aucun produit n\u2019a le SKU ou le GTIN" in response.text


def test_a_clerk_opens_their_own_store_queue(lyon, client):
    sign_in(client, "lea@example.fr")

    response = client.get("/store/queue")

    assert response.status_code == 200
    assert "Retraits en attente" in response.text


def test_a_clerk_of_another_store_is_refused_the_queue(lyon, client):
    sign_in(client, "victor@example.fr")

    response = client.get("/store/queue/LYON")

    assert response.status_code == 403
    assert "Cette file appartient au magasin LYON" in response.text


def test_the_pages_speak_french_by_default(lyon, client):
    response = client.get("/store/login")

    assert '<html lang="fr">' in response.text
    assert "Se connecter" in response.text


def test_english_is_chosen_with_the_switch_and_remembered(lyon, client):
    response = client.get("/store/login", params={"lang": "en"})

    assert '<html lang="en">' in response.text
    assert "Sign in" in response.text
    assert client.get("/store/login").text.count('<html lang="en">') == 1


def test_english_is_chosen_from_the_browser_language(lyon, client):
    response = client.get("/store/login", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})

    assert '<html lang="en">' in response.text


def test_the_stylesheet_is_served_by_omnicanal_itself(client):
    response = client.get("/static/style.css")

    assert response.status_code == 200
    assert "focus-visible" in response.text


def test_amounts_are_written_the_way_each_language_writes_them(lyon, client, zoe):
    sign_in(client, "lea@example.fr")
    search = client.get("/store/customers", params={"q": "zoe@example.fr"})
    profile_path = re.search(r'href="(/store/customers/[0-9A-Z]{26})"', search.text)
    assert profile_path is not None

    french = client.get(profile_path.group(1), params={"lang": "fr"})
    english = client.get(profile_path.group(1), params={"lang": "en"})

    assert "<strong>99,80\u00a0€</strong>" in french.text
    assert "<strong>€99.80</strong>" in english.text
