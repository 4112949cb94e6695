"""Selling the customer's open cart at the counter, the clerk's order page, suggestions,
and moving the store's queue on."""

from __future__ import annotations

import re

import pytest
from babel.dates import format_datetime
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartLineIn
from omnicanal.inventory import availability
from omnicanal.inventory.schemas import AvailabilityQuery
from omnicanal.orders import service as orders
from omnicanal.orders.models import Order
from omnicanal.orders.schemas import CheckoutIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc
from omnicanal.platform.wiring import Platform
from tests.builders import make_product, receive, snapshot
from tests.customers.support import make_source, send
from tests.web.test_store_pages import WEB, lyon, make_staff, sign_in, zoe  # noqa: F401

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DESK = Actor(key_id=None, channel="web", name="test web", scopes=frozenset({"*"}))


def profile_path(client: TestClient) -> str:
    search = client.get("/store/customers", params={"q": "zoe@example.fr"})
    found = re.search(r'href="(/store/customers/[0-9A-Z]{26})"', search.text)
    assert found is not None
    return found.group(1)


def sale_form(client: TestClient, path: str, method: str) -> dict[str, str]:
    """The hidden fields of one sale form of the customer page."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    form = re.search(rf'<form[^>]*sell"[^>]*>(?:(?!</form>).)*value="{method}"', page.text, re.S)
    assert form is not None, page.text
    fields = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', form.group(0)))
    return fields


def post(client: TestClient, path: str, fields: dict[str, str]):
    return client.post(f"{path}/sell", data=fields, follow_redirects=False)


def orders_count(platform: Platform) -> int:
    with platform.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Order)) or 0)


def stock_at(platform: Platform, sku: str, location: str) -> int:
    with platform.db.reading() as session:
        query = AvailabilityQuery(skus=[sku], locations=[location])
        return availability.availability(session, query=query).items[0].available


@pytest.fixture
def at_counter(lyon, client, zoe):  # noqa: F811
    """Léa of the Lyon store, signed in, on Zoé's page."""
    sign_in(client, "lea@example.fr")
    return profile_path(client)


def test_a_carry_out_sale_places_the_order_and_takes_the_store_stock(lyon, client, zoe, at_counter):  # noqa: F811
    fields = sale_form(client, at_counter, "carry_out")

    response = post(client, at_counter, {**fields, "payment_reference": "TPE-0001"})

    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/store/orders/")
    assert stock_at(lyon, zoe, "LYON") == 1
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "vente en magasin" in page.text
    assert "Terminée</h2>" in page.text
    assert "Produit ROBE S noir" in page.text
    assert "(lea@example.fr)" in page.text


def test_an_endless_aisle_sale_posted_twice_places_one_order(lyon, client, zoe, at_counter):  # noqa: F811
    receive(lyon, zoe, "VIL", 5)
    fields = sale_form(client, at_counter, "endless_aisle")
    address = {"name": "Zoé", "line1": "3 rue de la Paix", "postcode": "69002", "city": "Lyon"}
    body = {**fields, **address, "payment_reference": "TPE-0002"}

    first = post(client, at_counter, body)
    second = post(client, at_counter, body)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert orders_count(lyon) == 1
    page = client.get(first.headers["location"])
    assert "rayon infini" in page.text
    assert "3 rue de la Paix" in page.text


def test_a_click_and_collect_lists_the_stores_holding_the_cart_nearest_first(
    lyon,  # noqa: F811
    client,
    zoe,  # noqa: F811
    at_counter,
):
    receive(lyon, zoe, "VIL", 2)
    page = client.get(at_counter)
    assert re.search(
        r'value="LYON"[^>]*checked> Store LYON <span class="muted">0,0\u00a0km', page.text
    )
    assert 'value="VIL"' in page.text and "4,3\u00a0km" in page.text
    fields = sale_form(client, at_counter, "pickup")

    response = post(
        client, at_counter, {**fields, "pickup_store": "VIL", "payment_reference": "TPE-3"}
    )

    assert response.status_code == 303
    order = client.get(response.headers["location"]).text
    assert "retrait en magasin · VIL" in order


def test_a_sale_without_csrf_is_refused_and_places_nothing(lyon, client, zoe, at_counter):  # noqa: F811
    fields = sale_form(client, at_counter, "carry_out")
    before = snapshot(lyon)

    response = post(
        client, at_counter, {**fields, "csrf": "forged", "payment_reference": "TPE-0001"}
    )

    assert response.status_code == 403
    assert "Ce formulaire a expiré" in response.text
    assert snapshot(lyon) == before


def test_a_home_delivery_without_its_address_changes_nothing(lyon, client, zoe, at_counter):  # noqa: F811
    fields = sale_form(client, at_counter, "endless_aisle")
    before = snapshot(lyon)

    response = post(
        client,
        at_counter,
        {
            **fields,
            "name": "Zoé",
            "line1": "",
            "postcode": "",
            "city": "Lyon",
            "payment_reference": "TPE-4",
        },
    )

    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert "L\u2019adresse de livraison est incomplète" in response.text
    assert snapshot(lyon) == before


def test_more_than_the_store_holds_is_refused_and_changes_nothing(lyon, client, zoe, at_counter):  # noqa: F811
    with lyon.db.transaction() as session:
        cart = carts.find_open_cart(session, customer_ref="zoe")
        carts.add_line(session, cart_id=cart.id, line=CartLineIn(sku=zoe, quantity=5), actor=WEB)
    fields = sale_form(client, at_counter, "carry_out")
    before = snapshot(lyon)

    response = post(client, at_counter, {**fields, "payment_reference": "TPE-5"})

    assert response.status_code == 409
    assert "Pas assez de stock pour ce panier" in response.text
    assert snapshot(lyon) == before


def test_a_cart_already_checked_out_cannot_be_sold_again(lyon, client, zoe, at_counter):  # noqa: F811
    receive(lyon, zoe, "VIL", 5)
    fields = sale_form(client, at_counter, "carry_out")
    with lyon.db.transaction() as session:
        orders.checkout(
            session,
            data=CheckoutIn.model_validate(
                {
                    "cart_id": fields["cart_id"],
                    "delivery_address": {"name": "Zoé", "city": "Lyon"},
                    "payment": {"provider": "adyen", "reference": "psp_1", "status": "authorised"},
                }
            ),
            actor=DESK,
        )
    before = snapshot(lyon)

    response = post(client, at_counter, {**fields, "payment_reference": "TPE-6"})

    assert response.status_code == 409
    assert "Ce panier a déjà été commandé" in response.text
    assert snapshot(lyon) == before


def test_head_office_without_a_store_cannot_sell(lyon, client, zoe):  # noqa: F811
    make_staff(lyon, "hq@example.fr", role="head_office", location=None)
    sign_in(client, "hq@example.fr")
    path = profile_path(client)
    page = client.get(path)
    assert "seul le personnel d\u2019un magasin peut vendre" in page.text
    assert 'value="carry_out"' not in page.text
    with lyon.db.reading() as session:
        cart_id = carts.find_open_cart(session, customer_ref="zoe").id
    before = snapshot(lyon)

    response = post(
        client,
        path,
        {
            "csrf": csrf_of(client),
            "sale_key": "k1",
            "cart_id": cart_id,
            "method": "carry_out",
            "payment_reference": "TPE-7",
        },
    )

    assert response.status_code == 403
    assert 'role="alert"' in response.text
    assert snapshot(lyon) == before


def test_an_unknown_customer_cannot_be_sold_to(lyon, client, zoe, at_counter):  # noqa: F811
    fields = sale_form(client, at_counter, "carry_out")

    response = post(client, "/store/customers/01JUNKNOWN000000000000000", fields)

    assert response.status_code == 404
    assert "Client inconnu" in response.text


# --- stock at a glance ----------------------------------------------------------------------


def add_to_cart(platform: Platform, sku: str, quantity: int) -> None:
    with platform.db.transaction() as session:
        cart = carts.find_open_cart(session, customer_ref="zoe")
        carts.add_line(
            session, cart_id=cart.id, line=CartLineIn(sku=sku, quantity=quantity), actor=WEB
        )


def a_bag(platform: Platform, *, at: str | None = "VIL", quantity: int = 4) -> str:
    """A bag in Zoé's cart, held only at ``at`` (nowhere if None); returns its SKU."""
    (bag,) = make_product(platform, "SAC")
    if at is not None:
        receive(platform, bag, at, quantity)
    add_to_cart(platform, bag, 1)
    return bag


def cart_row(page: str, item: str) -> str:
    """The cart table's row of ``item``."""
    found = re.search(rf'<tr[^>]*>\s*<th scope="row">{re.escape(item)}.*?</tr>', page, re.S)
    assert found is not None, page
    return found.group(0)


def cells(row: str) -> list[str]:
    """The data cells of a table row, tags removed."""
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
    ]


def form_html(page: str, method: str) -> str:
    """The sale form of ``method`` on the customer page."""
    for form in re.findall(r'<form[^>]*/sell".*?</form>', page, re.S):
        if f'name="method" value="{method}"' in form:
            return form
    raise AssertionError(f"no {method} form in the page")


def test_a_line_missing_here_shows_the_nearest_store_holding_it_and_blocks_sell_now(
    lyon,  # noqa: F811
    client,
    zoe,  # noqa: F811
    at_counter,
):
    """The bag is not at Lyon: the row says 0 here and Villeurbanne 4,3 km away has 4; Sell
    now is disabled and names the bag, the other two ways to sell stay open."""
    a_bag(lyon)

    page = client.get(at_counter).text

    bag = cart_row(page, "Produit SAC M noir")
    assert 'class="out"' in bag and "manque ici" in bag
    assert cells(bag) == [
        "SAC-M",
        "1",
        "0",
        "Store VIL, 4,3\u00a0km (4 disponibles)",
        "4",
        "49,90\u00a0€",
    ]
    dress = cart_row(page, "Produit ROBE S noir")
    assert "manque ici" not in dress
    assert cells(dress) == [
        zoe,
        "2",
        "3",
        "Aucun autre magasin n\u2019en a assez",
        "3",
        "99,80\u00a0€ (49,90\u00a0€ l\u2019unité)",
    ]
    sell_now = form_html(page, "carry_out")
    assert '<button type="submit" disabled aria-describedby="sell-here-missing">' in sell_now
    assert "Produit SAC M noir : 0 ici pour 1 demandé" in sell_now
    assert "Produit ROBE S noir" not in sell_now
    home = form_html(page, "endless_aisle")
    assert "disabled" not in home
    assert '<button type="submit">Commander en livraison à domicile</button>' in home
    assert "disabled" not in form_html(page, "pickup")


def test_a_cart_fully_in_stock_here_can_be_sold_now(lyon, client, zoe, at_counter):  # noqa: F811
    page = client.get(at_counter).text

    sell_now = form_html(page, "carry_out")
    assert "disabled" not in sell_now
    assert '<button type="submit">Vendre maintenant</button>' in sell_now
    assert "manque ici" not in page
    assert "sell-home-short" not in page


def test_sell_now_posted_anyway_for_a_line_missing_here_is_still_refused(
    lyon,  # noqa: F811
    client,
    zoe,  # noqa: F811
    at_counter,
):
    """The disabled button is a help, not the guard: the server refuses and changes nothing."""
    a_bag(lyon)
    fields = sale_form(client, at_counter, "carry_out")
    before = snapshot(lyon)

    response = post(client, at_counter, {**fields, "payment_reference": "TPE-8"})

    assert response.status_code == 409
    assert "Pas assez de stock pour ce panier" in response.text
    assert "Produit SAC M noir : 0 ici pour 1 demandé" in response.text
    assert snapshot(lyon) == before


def test_the_cart_distances_read_the_english_way_in_english(lyon, client, zoe, at_counter):  # noqa: F811
    a_bag(lyon)

    page = client.get(at_counter, params={"lang": "en"}).text

    bag = cart_row(page, "Produit SAC M noir")
    assert "missing here" in bag
    assert cells(bag) == ["SAC-M", "1", "0", "Store VIL, 4.3\u00a0km (4 available)", "4", "€49.90"]
    assert "Produit SAC M noir: 0 here for 1 wanted" in form_html(page, "carry_out")
    assert "4,3" not in page


def test_a_line_available_nowhere_online_is_said_by_the_home_delivery_form(
    lyon,  # noqa: F811
    client,
    zoe,  # noqa: F811
    at_counter,
):
    a_bag(lyon, at=None)

    page = client.get(at_counter).text

    bag = cart_row(page, "Produit SAC M noir")
    assert cells(bag) == [
        "SAC-M",
        "1",
        "0",
        "Aucun autre magasin n\u2019en a assez",
        "0 insuffisant",
        "49,90\u00a0€",
    ]
    home = form_html(page, "endless_aisle")
    assert "Stock en ligne insuffisant" in home
    assert "Produit SAC M noir : 0 en ligne pour 1 demandé" in home
    assert "Produit ROBE S noir" not in home
    assert 'aria-describedby="sell-home-short"' in home


def test_head_office_sees_the_stores_and_online_stock_without_here(lyon, client, zoe):  # noqa: F811
    a_bag(lyon)
    make_staff(lyon, "hq@example.fr", role="head_office", location=None)
    sign_in(client, "hq@example.fr")

    page = client.get(profile_path(client)).text

    assert ">Ici<" not in page
    assert "Un magasin qui en a assez" in page
    assert "manque ici" not in page
    assert cells(cart_row(page, "Produit SAC M noir")) == [
        "SAC-M",
        "1",
        "Store VIL (4 disponibles)",
        "4",
        "49,90\u00a0€",
    ]


def test_the_cart_stock_is_read_in_bulk_whatever_the_number_of_lines(
    lyon,  # noqa: F811
    client,
    zoe,  # noqa: F811
    at_counter,
):
    """Two more lines add no stock query: all the cart's SKUs are read at once."""

    def stock_reads() -> int:
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            statements.append(statement)

        engine = lyon.db.read_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(at_counter).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return sum("FROM stock_levels" in statement for statement in statements)

    one_line = stock_reads()
    assert one_line > 0
    a_bag(lyon)
    (belt,) = make_product(lyon, "CEINTURE")
    add_to_cart(lyon, belt, 1)

    assert stock_reads() == one_line


# --- suggestions ---------------------------------------------------------------------------


def co_purchases(platform: Platform, robe: str) -> tuple[str, str]:
    """Two past orders with the dress and a belt, one with a scarf; returns (belt, scarf)."""
    (belt,) = make_product(platform, "CEINTURE")
    (scarf,) = make_product(platform, "FOULARD")
    for sku in (belt, scarf, robe):
        receive(platform, sku, "LYON", 5)
    for extra in (belt, belt, scarf):
        orders_body = CheckoutIn.model_validate(
            {
                "lines": [{"sku": robe, "quantity": 1}, {"sku": extra, "quantity": 1}],
                "delivery_address": {"name": "X", "city": "Lyon"},
                "payment": {"provider": "adyen", "reference": "psp_2", "status": "authorised"},
            }
        )
        with platform.db.transaction() as session:
            orders.checkout(session, data=orders_body, actor=DESK)
    return belt, scarf


def test_the_page_suggests_what_others_bought_with_the_cart(lyon, client, zoe, at_counter):  # noqa: F811
    co_purchases(lyon, zoe)

    page = client.get(at_counter).text

    suggestions = page[page.index("Souvent achetés ensemble") :]
    assert suggestions.index("Produit CEINTURE") < suggestions.index("Produit FOULARD")
    assert "acheté avec ces articles dans 2 commandes" in suggestions


def test_no_suggestion_for_a_customer_who_refused_personalised_offers(lyon, client, zoe):  # noqa: F811
    co_purchases(lyon, zoe)
    send(
        client,
        make_source(lyon, "web"),
        {
            "type": "identify",
            "userId": "zoe",
            "traits": {"personalised_offers": False},
            "timestamp": "2026-02-03T11:00:00Z",
        },
    )
    sign_in(client, "lea@example.fr")

    page = client.get(profile_path(client)).text

    assert "Le client a refusé les offres personnalisées" in page
    assert "refusées" in page
    assert "Produit CEINTURE" not in page


# --- the queue -----------------------------------------------------------------------------


def pickup_for(platform: Platform, sku: str, method: str = "pickup", **choice: object) -> str:
    """An order collected or tried on at Lyon; returns its fulfilment id."""
    payment = (
        {}
        if method == "reserve_and_try"
        else {"payment": {"provider": "adyen", "reference": "psp_3", "status": "authorised"}}
    )
    data = CheckoutIn.model_validate(
        {
            "lines": [
                {
                    "sku": sku,
                    "quantity": 1,
                    "fulfilment": {"method": method, "location": "LYON", **choice},
                }
            ],
            **payment,
        }
    )
    with platform.db.transaction() as session:
        return orders.checkout(session, data=data, actor=DESK).fulfilments[0].id


def csrf_of(client: TestClient) -> str:
    """The CSRF token of the signed-in session, as its pages carry it."""
    page = client.get("/store")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def queue_csrf(client: TestClient) -> str:
    page = client.get("/store/queue/LYON")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def fulfilment_status(platform: Platform, fulfilment_id: str) -> str:
    with platform.db.reading() as session:
        return orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id).status


def test_a_clerk_moves_a_pickup_through_the_queue(lyon, client, zoe):  # noqa: F811
    fulfilment_id = pickup_for(lyon, zoe)
    sign_in(client, "lea@example.fr")

    with lyon.db.reading() as session:
        code = orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id).pickup_code
    for action, status in (
        ("pick", "picking"),
        ("ready", "ready_for_pickup"),
        ("collect", "collected"),
    ):
        # Handing over asks for the pickup code the customer shows.
        response = client.post(
            f"/store/queue/LYON/fulfilments/{fulfilment_id}/{action}",
            data={"csrf": queue_csrf(client), "pickup_code": code or ""},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        assert fulfilment_status(lyon, fulfilment_id) == status


def test_an_invalid_step_is_refused_with_a_clear_message(lyon, client, zoe):  # noqa: F811
    fulfilment_id = pickup_for(lyon, zoe)
    sign_in(client, "lea@example.fr")

    response = client.post(
        f"/store/queue/LYON/fulfilments/{fulfilment_id}/collect",
        data={"csrf": queue_csrf(client)},
    )

    assert response.status_code == 409
    assert "Cette étape n\u2019est pas possible pour cette commande maintenant" in response.text
    assert fulfilment_status(lyon, fulfilment_id) == "allocated"


def test_a_queue_step_without_csrf_changes_nothing(lyon, client, zoe):  # noqa: F811
    fulfilment_id = pickup_for(lyon, zoe)
    sign_in(client, "lea@example.fr")

    response = client.post(f"/store/queue/LYON/fulfilments/{fulfilment_id}/pick", data={})

    assert response.status_code == 403
    assert fulfilment_status(lyon, fulfilment_id) == "allocated"


def test_the_queue_shows_reservations_to_try_with_their_expiry(lyon, client, zoe):  # noqa: F811
    fulfilment_id = pickup_for(lyon, zoe, "reserve_and_try", reserve_days=2)
    sign_in(client, "lea@example.fr")

    page = client.get("/store/queue/LYON").text

    section = page[page.index("Réservations à essayer") : page.index("Commandes à préparer")]
    assert "Réservée pour essayage" in section and "Produit ROBE S noir" in section
    with lyon.db.reading() as session:
        due = orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id).due_at
    assert due is not None
    local = format_datetime(as_utc(due), "medium", tzinfo="Europe/Paris", locale="fr")
    assert local in section and "UTC" not in section
    response = client.post(
        f"/store/queue/LYON/fulfilments/{fulfilment_id}/try_on",
        data={"csrf": queue_csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert fulfilment_status(lyon, fulfilment_id) == "tried"


def test_a_clerk_of_another_store_cannot_move_its_queue(lyon, client, zoe):  # noqa: F811
    fulfilment_id = pickup_for(lyon, zoe)
    sign_in(client, "victor@example.fr")

    response = client.post(
        f"/store/queue/LYON/fulfilments/{fulfilment_id}/pick", data={"csrf": csrf_of(client)}
    )

    assert response.status_code == 403
    assert fulfilment_status(lyon, fulfilment_id) == "allocated"


def test_a_tried_item_is_bought_with_the_terminal_receipt_and_not_without(lyon, client, zoe):  # noqa: F811
    fulfilment_id = pickup_for(lyon, zoe, "reserve_and_try", reserve_days=2)
    sign_in(client, "lea@example.fr")
    step = f"/store/queue/LYON/fulfilments/{fulfilment_id}"
    client.post(f"{step}/try_on", data={"csrf": queue_csrf(client)}, follow_redirects=False)

    unpaid = client.post(f"{step}/buy", data={"csrf": queue_csrf(client)})
    assert unpaid.status_code == 422
    assert fulfilment_status(lyon, fulfilment_id) == "tried"

    paid = client.post(
        f"{step}/buy",
        data={"csrf": queue_csrf(client), "payment_reference": "TPE-0042"},
        follow_redirects=False,
    )
    assert paid.status_code == 303, paid.text
    assert fulfilment_status(lyon, fulfilment_id) == "bought"
    with lyon.db.reading() as session:
        view = orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id)
        order = orders.get_order(session, order_id=view.order_id)
    assert order.payment.reference == "TPE-0042"
    assert order.payment.status == "captured"
