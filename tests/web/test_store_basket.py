"""The counter basket: a clerk finds products by name or code, builds a basket for a walk-in
or a known customer, sells it any way, and gets the receipt; every refusal a French sentence
that changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from omnicanal.catalog.gtin import make_gtin13
from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.network import service as network
from omnicanal.orders import service as orders
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from omnicanal.pricing import products as priced
from tests.builders import receive, snapshot
from tests.conftest import free_port
from tests.mail_server import Inbox, smtp_server
from tests.pricing.builders import make_promotion
from tests.web.test_store_pages import lyon, make_staff, sign_in, zoe  # noqa: F401
from tests.web.test_store_selling import orders_count, profile_path, stock_at

M_NATURAL, L_NATURAL, M_BLUE = "ROBE-LIN-M-NAT", "ROBE-LIN-L-NAT", "ROBE-LIN-M-BLEU"
M_GTIN = make_gtin13("376123499001")


def make_dress(platform: Platform) -> None:
    """The linen dress "Robe en lin Élise" in M and L natural and M blue, at 89 €: two M and
    one L natural in Lyon, three M blue in Villeurbanne."""
    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
        priced.create_priced_products(
            session,
            products=[
                ProductIn(
                    code="ROBE-LIN",
                    name="Robe en lin Élise",
                    category="Robes",
                    variants=[
                        VariantIn(
                            sku=M_NATURAL, gtin=M_GTIN, size="M", colour="naturel", price_minor=8900
                        ),
                        VariantIn(sku=L_NATURAL, size="L", colour="naturel", price_minor=8900),
                        VariantIn(sku=M_BLUE, size="M", colour="bleu", price_minor=8900),
                    ],
                )
            ],
            actor=OPERATOR,
            currency="EUR",
        )
    receive(platform, M_NATURAL, "LYON", 2)
    receive(platform, L_NATURAL, "LYON", 1)
    receive(platform, M_BLUE, "VIL", 3)


@pytest.fixture
def dress(lyon):  # noqa: F811
    make_dress(lyon)
    return lyon


def csrf_of(client: TestClient, path: str = "/store") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def open_basket(client: TestClient, **fields: str) -> str:
    """A new basket (with the fields given); returns its path."""
    response = client.post(
        "/store/baskets", data={"csrf": csrf_of(client), **fields}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    path = response.headers["location"]
    assert re.fullmatch(r"/store/baskets/[0-9A-Z]{26}", path)
    return path


def sale_fields(client: TestClient, basket: str, method: str) -> dict[str, str]:
    """The hidden fields of one sale form of the basket page."""
    page = client.get(basket)
    assert page.status_code == 200, page.text
    form = re.search(rf'<form[^>]*sell"[^>]*>(?:(?!</form>).)*value="{method}"', page.text, re.S)
    assert form is not None, page.text
    return dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', form.group(0)))


def sell(client: TestClient, basket: str, fields: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(f"{basket}/sell", data=fields, follow_redirects=False)


@pytest.fixture
def lea(dress, client):
    """Léa of the Lyon store, signed in."""
    sign_in(client, "lea@example.fr")
    return client


# --- finding and building ---------------------------------------------------------------------


def test_a_product_is_found_by_its_name_without_accents_and_with_a_typo(lea):
    response = lea.get("/store/products", params={"q": "robe lin elyse"})

    assert response.status_code == 200
    assert "1 produit trouvé" in response.text
    assert "Robe en lin Élise · ROBE-LIN" in response.text
    assert "Ajouter Robe en lin Élise M naturel au panier" in response.text
    assert "« Ajouter » commence un panier pour un client de passage" in response.text


def test_a_name_that_matches_nothing_gets_a_french_sentence(lea):
    response = lea.get("/store/products", params={"q": "parapluie"})

    assert response.status_code == 404
    assert "Aucun produit ne s\u2019appelle comme « parapluie »" in response.text


def test_adding_from_the_search_opens_a_walk_in_basket_priced_for_the_store(lea):
    basket = open_basket(lea, sku=M_NATURAL)

    page = lea.get(basket)

    assert page.status_code == 200
    assert "Panier · Client de passage" in page.text
    assert "<dd>89,00\u00a0€</dd>" in page.text
    assert "2 ici · " in page.text
    alternatives = page.text[page.text.index("Autres tailles et couleurs") :]
    row_l = re.search(r"<tr>\s*<th scope=\"row\">L naturel.*?</tr>", alternatives, re.S)
    row_blue = re.search(r"<tr>\s*<th scope=\"row\">M bleu.*?</tr>", alternatives, re.S)
    assert row_l is not None and row_blue is not None
    assert '<td class="num">1</td>' in row_l.group(0)
    assert "Store VIL, 4,3\u00a0km" in row_blue.group(0)
    assert "(3 disponibles)" in row_blue.group(0)


def test_a_scanned_gtin_adds_to_the_basket_and_the_quantity_changes(lea):
    basket = open_basket(lea)
    csrf = csrf_of(lea, basket)

    scanned = lea.post(
        f"{basket}/lines", data={"csrf": csrf, "code": M_GTIN}, follow_redirects=False
    )
    again = lea.post(f"{basket}/lines", data={"csrf": csrf, "code": M_NATURAL, "quantity": "2"})

    assert scanned.status_code == 303
    assert again.status_code == 200
    assert "<dt>Quantité</dt><dd>3</dd>" in again.text
    changed = lea.post(f"{basket}/quantity", data={"csrf": csrf, "sku": M_NATURAL, "quantity": "1"})
    assert "<dt>Quantité</dt><dd>1</dd>" in changed.text
    removed = lea.post(f"{basket}/remove", data={"csrf": csrf, "sku": M_NATURAL})
    assert "Le panier est vide" in removed.text


def test_a_search_inside_the_basket_lists_the_products_with_add_buttons(lea):
    basket = open_basket(lea)

    page = lea.get(basket, params={"q": "ROBE LIN"})

    assert "1 produit trouvé" in page.text
    assert f'action="{basket}/lines"' in page.text


def test_a_promotion_is_explained_in_french_on_the_line(lea, dress):
    make_promotion(dress, "LIN20", "percent_off", percent=Decimal(20), name="Lin -20 %")
    basket = open_basket(lea, sku=M_NATURAL)

    page = lea.get(basket)

    assert "Remise en pourcentage « LIN20 » : \u221217,80\u00a0€ sur le panier" in page.text
    assert "<dd>71,20\u00a0€</dd>" in page.text
    assert "off the cart" not in page.text and "% off" not in page.text


def test_an_unknown_coupon_is_refused_in_french_and_changes_nothing(lea, dress):
    basket = open_basket(lea, sku=M_NATURAL)
    before = snapshot(dress)

    response = lea.post(f"{basket}/coupons", data={"csrf": csrf_of(lea, basket), "code": "NOPE"})

    assert response.status_code == 404
    assert "Ce code de réduction n\u2019existe pas." in response.text
    assert snapshot(dress) == before


def test_the_basket_page_speaks_english_on_request(lea):
    basket = open_basket(lea, sku=M_NATURAL)

    page = lea.get(basket, params={"lang": "en"})

    assert "Basket · Walk-in customer" in page.text
    assert "Other sizes and colours of Robe en lin Élise" in page.text


# --- selling ---------------------------------------------------------------------------------


def test_a_walk_in_basket_sold_as_carry_out_takes_the_stock_and_shows_the_receipt(lea, dress):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")

    response = sell(lea, basket, {**fields, "payment_reference": "TPE-0101"})

    assert response.status_code == 303, response.text
    receipt = response.headers["location"]
    assert re.fullmatch(r"/store/orders/[0-9A-Z]{26}/receipt", receipt)
    assert stock_at(dress, M_NATURAL, "LYON") == 1
    page = lea.get(receipt)
    order_id = receipt.split("/")[3]
    assert page.status_code == 200
    assert "Ticket de caisse" in page.text
    assert order_id in page.text
    assert "Store LYON" in page.text
    assert "Robe en lin Élise M naturel" in page.text
    assert "Terminal de paiement · encaissé · ticket n° TPE-0101" in page.text
    assert 'href="/static/print.css" media="print"' in page.text
    with dress.db.reading() as session:
        order = orders.get_order(session, order_id=order_id)
    assert order.channel == "store" and order.location == "LYON"
    assert order.customer_ref is None
    assert [f.status for f in order.fulfilments] == ["completed"]


def test_the_receipt_time_is_the_stores_local_time_written_the_french_way(lea, dress):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")
    receipt = sell(lea, basket, {**fields, "payment_reference": "TPE-0102"}).headers["location"]
    with dress.db.reading() as session:
        placed = orders.get_order(session, order_id=receipt.split("/")[3]).placed_at
    from babel.dates import format_datetime

    from omnicanal.platform.clock import as_utc

    expected = format_datetime(as_utc(placed), "medium", tzinfo="Europe/Paris", locale="fr")

    page = lea.get(receipt)

    assert f">{expected}</time>" in page.text


def test_a_sale_posted_twice_places_one_order(lea, dress):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = {**sale_fields(lea, basket, "carry_out"), "payment_reference": "TPE-0103"}

    first = sell(lea, basket, fields)
    second = sell(lea, basket, fields)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert orders_count(dress) == 1
    assert stock_at(dress, M_NATURAL, "LYON") == 1


def test_a_known_customers_basket_is_collected_in_another_store(lea, dress, zoe):  # noqa: F811
    basket = open_basket(lea, profile_id=profile_path(lea).rsplit("/", 1)[1], sku=M_BLUE)
    page = lea.get(basket)
    assert "Panier · Zoé" in page.text
    assert 'value="zoe@example.fr"' in page.text  # the receipt address, prefilled
    fields = sale_fields(lea, basket, "pickup")

    response = sell(
        lea,
        basket,
        {**fields, "pickup_store": "VIL", "payment_reference": "TPE-0104", "receipt_email": ""},
    )

    assert response.status_code == 303, response.text
    with dress.db.reading() as session:
        order = orders.get_order(session, order_id=response.headers["location"].split("/")[3])
    assert order.customer_ref == "zoe"
    assert [(line.method, line.location) for line in order.lines] == [("pickup", "VIL")]
    # The receipt gives the code Zoé shows at Villeurbanne's counter.
    (code,) = [f.pickup_code for f in order.fulfilments if f.method == "pickup"]
    receipt = lea.get(response.headers["location"]).text
    assert code is not None
    assert f'<strong class="pickup-code">{code}</strong>' in receipt
    assert "Pour retirer votre commande à" in receipt


def test_a_reservation_to_try_is_paid_later_in_the_store(lea, dress):
    basket = open_basket(lea, sku=M_BLUE)
    fields = sale_fields(lea, basket, "reserve_and_try")

    response = sell(lea, basket, {**fields, "pickup_store": "VIL", "payment_reference": ""})

    assert response.status_code == 303, response.text
    page = lea.get(response.headers["location"])
    assert "<dt>Paiement</dt><dd>En magasin, après l\u2019essayage · en attente</dd>" in page.text
    assert "réserver et essayer · Store VIL" in page.text


def test_a_home_delivery_from_the_basket_needs_the_address(lea, dress):
    receive(dress, M_NATURAL, "VIL", 5)  # a store keeps its last two units for its customers
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "endless_aisle")
    before = snapshot(dress)

    refused = sell(lea, basket, {**fields, "name": "Zoé", "payment_reference": "TPE-0105"})
    assert refused.status_code == 422
    assert "L\u2019adresse de livraison est incomplète" in refused.text
    assert snapshot(dress) == before

    address = {"name": "Zoé", "line1": "3 rue de la Paix", "postcode": "69002", "city": "Lyon"}
    sold = sell(lea, basket, {**fields, **address, "payment_reference": "TPE-0105"})
    assert sold.status_code == 303, sold.text


# --- refusals --------------------------------------------------------------------------------


def test_more_than_the_store_holds_is_refused_and_changes_nothing(lea, dress):
    basket = open_basket(lea, sku=L_NATURAL, quantity="2")
    fields = sale_fields(lea, basket, "carry_out")
    assert "Pas dans ce magasin en quantité voulue" in lea.get(basket).text
    before = snapshot(dress)

    response = sell(lea, basket, {**fields, "payment_reference": "TPE-0201"})

    assert response.status_code == 409
    assert "Pas assez de stock pour ce panier" in response.text
    assert snapshot(dress) == before


def test_an_empty_basket_cannot_be_sold(lea, dress):
    basket = open_basket(lea)
    before = snapshot(dress)

    response = sell(
        lea,
        basket,
        {"csrf": csrf_of(lea, basket), "method": "carry_out", "payment_reference": "TPE-1"},
    )

    assert response.status_code == 422
    assert "Le panier est vide : ajoutez un article avant de le vendre." in response.text
    assert snapshot(dress) == before


def test_a_wrong_receipt_address_is_refused_before_anything_is_sold(lea, dress):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")
    before = snapshot(dress)

    response = sell(
        lea, basket, {**fields, "payment_reference": "TPE-2", "receipt_email": "zoe@@example"}
    )

    assert response.status_code == 422
    assert "Cette adresse e-mail n\u2019est pas valide" in response.text
    assert snapshot(dress) == before


def test_a_sale_without_csrf_is_refused_and_places_nothing(lea, dress):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")
    before = snapshot(dress)

    response = sell(lea, basket, {**fields, "csrf": "forged", "payment_reference": "TPE-3"})

    assert response.status_code == 403
    assert "Ce formulaire a expiré" in response.text
    assert snapshot(dress) == before


def test_another_stores_clerk_may_not_use_a_walk_in_basket(lea, dress):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")
    lea.post("/store/logout", data={"csrf": fields["csrf"]})
    sign_in(lea, "victor@example.fr")
    before = snapshot(dress)

    page = lea.get(basket)
    added = lea.post(f"{basket}/lines", data={"csrf": csrf_of(lea), "sku": M_BLUE})

    assert page.status_code == added.status_code == 403
    assert "Ce panier appartient à un autre magasin" in page.text
    assert snapshot(dress) == before


def test_a_receipt_is_refused_to_another_stores_clerk(lea, dress):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")
    receipt = sell(lea, basket, {**fields, "payment_reference": "TPE-4"}).headers["location"]
    lea.post("/store/logout", data={"csrf": fields["csrf"]})
    sign_in(lea, "victor@example.fr")

    response = lea.get(receipt)

    assert response.status_code == 403
    assert "Ce ticket est celui d\u2019une vente d\u2019un autre magasin." in response.text


def test_head_office_without_a_store_cannot_open_a_basket(dress, client):
    make_staff(dress, "hq@example.fr", role="head_office", location=None)
    sign_in(client, "hq@example.fr")
    before = snapshot(dress)

    response = client.post("/store/baskets", data={"csrf": csrf_of(client), "sku": M_NATURAL})

    assert response.status_code == 403
    assert "seul le personnel d\u2019un magasin peut vendre" in response.text
    assert (
        "Le vendre : commencer un panier"
        not in client.get("/store/products", params={"q": M_NATURAL}).text
    )
    assert snapshot(dress) == before


@pytest.mark.parametrize(
    ("quantity", "status", "sentence"),
    [
        ("9" * 400, 422, "Saisissez une quantité entre 1 et 9999."),
        ("0", 422, "Saisissez une quantité entre 1 et 9999."),
        ("-3", 422, "Saisissez une quantité entre 1 et 9999."),
        ("١٢", 422, "Saisissez une quantité entre 1 et 9999."),  # Arabic-Indic digits
    ],
)
def test_a_quantity_out_of_bounds_is_refused_in_french(lea, dress, quantity, status, sentence):
    basket = open_basket(lea, sku=M_NATURAL)
    before = snapshot(dress)

    response = lea.post(
        f"{basket}/lines",
        data={"csrf": csrf_of(lea, basket), "sku": M_NATURAL, "quantity": quantity},
    )

    assert response.status_code == status
    assert sentence in response.text
    assert snapshot(dress) == before


@pytest.mark.parametrize("body", [b"code=ROBE%00", b"code=%ED%A0%80", b"sku=%FF"])
def test_hostile_characters_are_refused_before_reaching_the_basket(lea, dress, body):
    basket = open_basket(lea)
    before = snapshot(dress)

    response = lea.post(
        f"{basket}/lines",
        content=body + b"&csrf=" + csrf_of(lea, basket).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 400
    assert "caractères illisibles" in response.text
    assert snapshot(dress) == before


def test_an_unknown_code_is_refused_in_french(lea, dress):
    basket = open_basket(lea)

    response = lea.post(f"{basket}/lines", data={"csrf": csrf_of(lea, basket), "code": "NOPE-1"})

    assert response.status_code == 404
    assert "Aucun produit n\u2019a ce SKU ou ce GTIN." in response.text


def test_an_unknown_basket_gets_a_french_page(lea):
    response = lea.get("/store/baskets/01JUNKNOWN000000000000000")

    assert response.status_code == 404
    assert "Panier inconnu" in response.text


# --- the receipt by e-mail -------------------------------------------------------------------


@pytest.fixture
def inbox(dress) -> Iterator[Inbox]:
    """A real SMTP server, configured as the platform's relay."""
    with smtp_server() as server:
        dress.settings.smtp_url = server.url
        yield server
        dress.settings.smtp_url = None


def test_the_receipt_is_emailed_when_the_customer_gives_an_address(lea, dress, inbox):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")

    response = sell(
        lea,
        basket,
        {**fields, "payment_reference": "TPE-0301", "receipt_email": " Zoe@Example.FR "},
    )

    assert response.status_code == 303, response.text
    receipt = response.headers["location"]
    assert receipt.endswith("/receipt?email=sent")
    order_id = receipt.split("/")[3]
    ((recipients, message),) = inbox.wait_for(1)
    assert recipients == ["zoe@example.fr"]
    assert message["Subject"] == f"Votre ticket {order_id}, Store LYON"
    body = message.get_content()
    assert "1 \u00d7 Robe en lin Élise M naturel (ROBE-LIN-M-NAT) 89,00\u00a0€" in body
    assert "Terminal de paiement, encaissé, ticket n° TPE-0301" in body
    assert "Merci de votre visite." in body
    assert (
        "Pour un retour ou un échange, présentez ce numéro de commande dans l\u2019un de nos "
        f"magasins : {order_id}"
    ) in body
    assert "Le ticket a été envoyé au client par e-mail." in lea.get(receipt).text


def test_the_receipt_page_emails_it_again_on_request(lea, dress, inbox):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")
    receipt = sell(lea, basket, {**fields, "payment_reference": "TPE-0302"}).headers["location"]
    assert inbox.messages == []
    csrf = csrf_of(lea, receipt)

    refused = lea.post(f"{receipt}/email", data={"csrf": csrf, "email": "pas-une-adresse"})
    sent = lea.post(f"{receipt}/email", data={"csrf": csrf, "email": "zoe@example.fr"})

    assert refused.status_code == 422
    assert "Cette adresse e-mail n\u2019est pas valide : corrigez-la." in refused.text
    assert sent.status_code == 200
    assert "Le ticket a été envoyé au client par e-mail." in sent.text
    assert len(inbox.wait_for(1)) == 1


def test_without_a_mail_server_the_sale_is_made_and_the_page_says_no_email_went(lea, dress):
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")

    response = sell(
        lea, basket, {**fields, "payment_reference": "TPE-0303", "receipt_email": "zoe@example.fr"}
    )

    assert response.headers["location"].endswith("/receipt?email=off")
    page = lea.get(response.headers["location"])
    assert (
        "Aucun e-mail n\u2019a été envoyé : cette installation n\u2019a pas de serveur" in page.text
    )
    assert orders_count(dress) == 1


def test_a_mail_server_that_does_not_answer_leaves_the_sale_made(lea, dress):
    dress.settings.smtp_url = f"smtp://127.0.0.1:{free_port()}"
    basket = open_basket(lea, sku=M_NATURAL)
    fields = sale_fields(lea, basket, "carry_out")

    response = sell(
        lea, basket, {**fields, "payment_reference": "TPE-0304", "receipt_email": "zoe@example.fr"}
    )

    assert response.headers["location"].endswith("/receipt?email=failed")
    assert "L\u2019e-mail n\u2019a pas pu être envoyé" in lea.get(response.headers["location"]).text
    assert orders_count(dress) == 1
