"""Returns and exchanges at the counter: the clerk finds the purchase by its receipt, the
customer or the item, takes it back, inspects it, refunds it or exchanges it in one step;
every refusal a French sentence that changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnicanal.catalog.gtin import make_gtin13
from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.inventory.models import StockMovement
from omnicanal.orders import service as orders
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.audit import AuditEntry
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from omnicanal.pricing import products as priced
from omnicanal.returns import service as returns
from omnicanal.returns.models import Return
from omnicanal.returns.schemas import ReviewIn
from tests.builders import auth, make_key, make_location, receive, snapshot
from tests.returns.builders import deliver
from tests.web.test_store_basket import csrf_of
from tests.web.test_store_pages import lyon, sign_in, zoe  # noqa: F401
from tests.web.test_store_selling import stock_at

M, L, M_BLUE = "ELISE-M-NAT", "ELISE-L-NAT", "ELISE-M-BLEU"
M_GTIN = make_gtin13("376123488001")
DELIVERY = {"name": "Zoé Martin", "line1": "3 rue de la Paix", "postcode": "69002", "city": "Lyon"}
CARD = {"provider": "adyen", "reference": "psp_0001", "status": "authorised"}


def make_elise(platform: Platform) -> None:
    """The linen dress "Robe en lin Élise": M and L natural at 89 €, M blue at 99 €; the web
    shop sends from the warehouse WH (five M); Lyon holds one L and one M blue, no M."""
    make_location(platform, "WH", kind="warehouse", channels=("web",), city="Saran")
    with platform.db.transaction() as session:
        priced.create_priced_products(
            session,
            products=[
                ProductIn(
                    code="ELISE",
                    name="Robe en lin Élise",
                    category="Robes",
                    variants=[
                        VariantIn(sku=M, gtin=M_GTIN, size="M", colour="naturel", price_minor=8900),
                        VariantIn(sku=L, size="L", colour="naturel", price_minor=8900),
                        VariantIn(sku=M_BLUE, size="M", colour="bleu", price_minor=9900),
                    ],
                )
            ],
            actor=OPERATOR,
            currency="EUR",
        )
    receive(platform, M, "WH", 5)
    receive(platform, L, "LYON", 1)
    receive(platform, M_BLUE, "LYON", 1)


@pytest.fixture
def shop(lyon, zoe):  # noqa: F811
    """Lyon and Villeurbanne with a clerk each, Zoé (known by her phone and e-mail), the dress
    Élise, and the web shop's key."""
    make_elise(lyon)
    return make_key(lyon, "web")


@pytest.fixture
def lea(shop, client):
    """Léa of the Lyon store, signed in."""
    sign_in(client, "lea@example.fr")
    return client


def web_order(
    client: TestClient,
    platform: Platform,
    key: str,
    sku: str = M,
    *,
    quantity: int = 1,
    customer_ref: str | None = "zoe",
    delivered_days_ago: int = 0,
) -> dict[str, Any]:
    """An order of the web shop, sent from the warehouse and delivered, paid."""
    body: dict[str, Any] = {
        "lines": [{"sku": sku, "quantity": quantity}],
        "delivery_address": DELIVERY,
        "payment": CARD,
        "fulfilment": {"method": "ship"},
    }
    if customer_ref is not None:
        body["customer_ref"] = customer_ref
    response = client.post("/v1/orders", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    order = response.json()
    # An hour into its last day: the rules count whole days begun.
    when = utcnow() - timedelta(days=delivered_days_ago, hours=-1) if delivered_days_ago else None
    deliver(platform, order, now=when)
    return dict(order)


def hidden_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posted to ``action``."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None, html
    return dict(re.findall(r'type="hidden" name="([a-z_0-9A-Z-]+)" value="([^"]*)"', form.group(1)))


def return_form(client: TestClient, order_id: str, **chosen: str) -> dict[str, str]:
    """The new-return form of the order with one unit of its first line chosen (or
    ``chosen``'s fields)."""
    page = client.get(f"/store/orders/{order_id}/return")
    assert page.status_code == 200, page.text
    fields = hidden_fields(page.text, f"/store/orders/{order_id}/return")
    line_id = re.findall(r'name="qty-([0-9A-Z]+)"', page.text)[0]
    return {
        **fields,
        f"qty-{line_id}": "1",
        f"reason-{line_id}": "too_small",
        f"condition-{line_id}": "unworn",
        **{name.replace("LINE", line_id): value for name, value in chosen.items()},
    }


def take_back(client: TestClient, order_id: str, **chosen: str) -> str:
    """Take one unit of the order's first line back; returns the return's page."""
    response = client.post(
        f"/store/orders/{order_id}/return",
        data=return_form(client, order_id, **chosen),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    path = response.headers["location"]
    assert re.fullmatch(r"/store/returns/[0-9A-Z]{26}", path)
    return str(path)


def act(client: TestClient, path: str, step: str, **fields: str):  # type: ignore[no-untyped-def]
    """Post one of the return page's forms with its hidden fields and ``fields``."""
    hidden = hidden_fields(client.get(path).text, f"{path}/{step}")
    return client.post(f"{path}/{step}", data={**hidden, **fields}, follow_redirects=False)


def return_id(path: str) -> str:
    return path.rsplit("/", 1)[1]


def returns_count(platform: Platform) -> int:
    with platform.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Return)) or 0)


def movements(platform: Platform, reference: str) -> list[tuple[str, str, int]]:
    with platform.db.reading() as session:
        rows = session.execute(
            select(StockMovement.kind, StockMovement.quantity)
            .where(StockMovement.reference == reference)
            .order_by(StockMovement.kind)
        ).all()
    return [(kind, reference, quantity) for kind, quantity in rows]


# --- finding the purchase ---------------------------------------------------------------------


def test_the_purchase_is_found_by_its_order_number_and_by_the_receipts_qr_code(lea, platform, shop):
    order = web_order(lea, platform, shop)

    typed = lea.get("/store/returns", params={"q": order["id"].lower()})
    scanned = lea.get("/store/returns", params={"q": f"omnicanal:order:{order['id']}"})

    for page in (typed, scanned):
        assert page.status_code == 200, page.text
        assert "1 achat trouvé" in page.text
        assert f'href="/store/orders/{order["id"]}/return"' in page.text
        assert "Site web" in page.text
        assert "1 \u00d7 Robe en lin Élise M naturel" in page.text
        assert '<td data-label="Client">Zoé</td>' in page.text


def test_the_purchase_is_found_by_the_customers_phone_written_another_way(lea, platform, shop):
    order = web_order(lea, platform, shop)

    for phone in ("06.12.34.56.78", "+33 6 12 34 56 78"):
        page = lea.get("/store/returns", params={"q": phone})

        assert page.status_code == 200, page.text
        assert "Client : Zoé" in page.text
        assert order["id"] in page.text


def test_a_scanned_gtin_finds_the_orders_holding_it_narrowed_to_the_customer(lea, platform, shop):
    """Two web orders hold the dress; the GTIN finds both, with Zoé's phone only hers."""
    hers = web_order(lea, platform, shop)
    other = web_order(lea, platform, shop, customer_ref=None)

    everyone = lea.get("/store/returns", params={"product": M_GTIN})
    narrowed = lea.get("/store/returns", params={"q": "0612345678", "product": M_GTIN})

    assert "2 achats trouvés" in everyone.text
    assert hers["id"] in everyone.text and other["id"] in everyone.text
    assert "1 achat trouvé" in narrowed.text
    assert hers["id"] in narrowed.text and other["id"] not in narrowed.text


def test_a_search_that_finds_nothing_says_so_in_french(lea, platform, shop):
    unknown_order = lea.get("/store/returns", params={"q": "omnicanal:order:" + "0" * 26})
    nobody = lea.get("/store/returns", params={"q": "07 00 00 00 00"})
    no_item = lea.get("/store/returns", params={"product": "0000000000000"})

    assert unknown_order.status_code == 404
    assert "Aucune commande n\u2019a ce numéro." in unknown_order.text
    assert nobody.status_code == 404
    assert "Rien ne correspond à « 07 00 00 00 00 »" in nobody.text
    assert no_item.status_code == 404
    assert "Aucun article n\u2019a ce GTIN ou ce SKU." in no_item.text


def test_the_pages_of_the_store_link_to_the_returns(lea, platform, shop):
    order = web_order(lea, platform, shop)

    home = lea.get("/store")
    order_page = lea.get(f"/store/orders/{order['id']}")

    assert 'href="/store/returns"' in home.text
    assert f'href="/store/orders/{order["id"]}/return">Retour ou échange' in order_page.text


# --- taking a return back ----------------------------------------------------------------------


def test_a_web_order_taken_back_at_lyon_is_approved_and_restocked_in_lyon(lea, platform, shop):
    """Bought online, sent from the warehouse, brought to Lyon: approved at once, and the
    inspection puts the dress back on Lyon's shelf (the ledger says so), not the warehouse's."""
    order = web_order(lea, platform, shop)
    form = lea.get(f"/store/orders/{order['id']}/return")
    assert "1 unité peut être reprise" in form.text
    warehouse = stock_at(platform, M, "WH")

    path = take_back(lea, order["id"], satisfaction="4", note="trop petite")

    page = lea.get(path)
    assert "Accepté automatiquement par les règles de retour" in page.text
    assert "Magasin Store LYON" in page.text or "Store LYON" in page.text
    assert "4 / 5" in page.text
    assert stock_at(platform, M, "LYON") == 0
    inspected = act(lea, path, "inspect")
    assert inspected.status_code == 303, inspected.text
    assert stock_at(platform, M, "LYON") == 1
    assert stock_at(platform, M, "WH") == warehouse
    assert movements(platform, return_id(path)) == [("return_restock", return_id(path), 1)]
    assert "1 remis en vente" in lea.get(path).text
    with platform.db.reading() as session:
        audited = session.scalars(
            select(AuditEntry.operation).where(AuditEntry.resource_id == return_id(path))
        ).all()
    assert sorted(audited) == [
        f"store_return:{return_id(path)}:inspect",
        f"store_return_open:{order['id']}",
    ]


def test_a_return_outside_the_window_goes_to_head_office_with_the_reason_in_french(
    lea, platform, shop
):
    order = web_order(lea, platform, shop, delivered_days_ago=41)

    path = take_back(lea, order["id"])

    page = lea.get(path)
    assert page.status_code == 200
    assert "Envoyé au siège pour examen" in page.text
    reasons = re.search(r'<ul class="plain reasons">(.*?)</ul>', page.text, re.S)
    assert reasons is not None
    assert "Robe en lin Élise M naturel : " in reasons.group(1)
    assert "41 jours" in reasons.group(1) and "30 autorisés" in reasons.group(1)
    with platform.db.reading() as session:
        found = returns.get_return(session, return_id=return_id(path))
    assert found.status == "review_pending"
    assert [reason.code for reason in found.review_reasons] == ["outside_window"]
    assert 'action="' + path + '/inspect"' not in page.text
    assert 'action="' + path + '/refund"' not in page.text


def test_a_damaged_unit_never_goes_back_on_sale(lea, platform, shop):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    line_id = re.findall(r'name="resellable-([0-9A-Z]+)"', lea.get(path).text)[0]

    inspected = act(
        lea, path, "inspect", **{f"resellable-{line_id}": "0", f"damaged-{line_id}": "1"}
    )

    assert inspected.status_code == 303, inspected.text
    assert stock_at(platform, M, "LYON") == 0
    assert sorted(kind for kind, _, _ in movements(platform, return_id(path))) == [
        "adjustment",
        "return_restock",
    ]
    assert "1 mis au rebut" in lea.get(path).text


def test_a_return_declared_damaged_waits_for_head_office_then_goes_on(lea, platform, shop):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"], **{"condition-LINE": "damaged"})
    assert "Envoyé au siège pour examen" in lea.get(path).text
    with platform.db.transaction() as session:
        returns.review(
            session, return_id=return_id(path), data=ReviewIn(decision="approve"), actor=OPERATOR
        )

    page = lea.get(path)

    line_id = re.findall(r'name="damaged-([0-9A-Z]+)"', page.text)[0]
    assert f'name="damaged-{line_id}" type="number" min="0" max="1" value="1"' in page.text
    assert act(lea, path, "inspect").status_code == 303
    assert stock_at(platform, M, "LYON") == 0


# --- refunds ---------------------------------------------------------------------------------


def test_an_inspected_return_is_refunded_to_the_card(lea, platform, shop):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    act(lea, path, "inspect")

    refunded = act(lea, path, "refund", refund_method="original_payment", refund_reference="RB-01")

    assert refunded.status_code == 303, refunded.text
    page = lea.get(path)
    assert '<dt>Remboursé</dt><dd class="total">89,00\u00a0€</dd>' in page.text
    assert "ticket de remboursement RB-01" in page.text
    with platform.db.reading() as session:
        assert orders.get_order(session, order_id=order["id"]).payment.status == "refunded"
        found = returns.get_return(session, return_id=return_id(path))
    assert found.refund is not None
    assert (found.refund.provider, found.refund.reference) == ("store_terminal", "RB-01")


def test_an_inspected_return_is_refunded_as_store_credit_and_the_balance_shown(lea, platform, shop):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    act(lea, path, "inspect")

    refunded = act(lea, path, "refund", refund_method="store_credit")

    assert refunded.status_code == 303, refunded.text
    page = lea.get(path)
    assert "En avoir" in page.text
    assert "<dt>Solde de l\u2019avoir maintenant</dt><dd>89,00\u00a0€</dd>" in page.text
    with platform.db.reading() as session:
        credit = returns.get_store_credit(session, customer_ref="zoe", currency="EUR")
    assert credit.balance_minor == 8900


def test_a_refund_to_the_card_needs_the_terminals_receipt_number(lea, platform, shop):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    act(lea, path, "inspect")
    before = snapshot(platform)

    refused = act(lea, path, "refund", refund_method="original_payment", refund_reference=" ")

    assert refused.status_code == 422
    assert "Saisissez le numéro du ticket de remboursement du terminal" in refused.text
    assert snapshot(platform) == before


# --- exchanges -------------------------------------------------------------------------------


def exchange_form(client: TestClient, path: str, sku: str, method: str = "carry_out") -> Any:
    """The exchange page for the return's first line swapped for ``sku``."""
    line_id = re.findall(r'name="new-([0-9A-Z]+)"', client.get(path).text)[0]
    return client.get(f"{path}/exchange", params={f"new-{line_id}": sku, "method": method})


def test_an_m_is_exchanged_for_an_l_from_lyons_shelf_in_one_step(lea, platform, shop):
    """The M comes back onto Lyon's shelf, the L leaves it, a new sale, no money moves."""
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    choices = lea.get(path)
    assert "À la place de Robe en lin Élise M naturel" in choices.text
    assert re.search(rf'value="{L}"> L naturel', choices.text)
    preview = exchange_form(lea, path, L)
    assert preview.status_code == 200, preview.text
    assert "Même prix : rien à payer, rien à rendre" in preview.text
    fields = hidden_fields(preview.text, f"{path}/exchange")

    exchanged = lea.post(f"{path}/exchange", data=fields, follow_redirects=False)

    assert exchanged.status_code == 303, exchanged.text
    assert stock_at(platform, L, "LYON") == 0
    assert stock_at(platform, M, "LYON") == 1
    with platform.db.reading() as session:
        found = returns.get_return(session, return_id=return_id(path))
        assert found.exchange_order_id is not None
        sale = orders.get_order(session, order_id=found.exchange_order_id)
    assert found.status == "exchanged"
    assert found.price_difference_minor == 0
    assert [(line.sku, line.quantity) for line in sale.lines] == [(L, 1)]
    assert sale.customer_ref == "zoe"
    page = lea.get(path)
    assert "Statut" in page.text
    assert f'href="/store/orders/{sale.id}/receipt"' in page.text
    assert "Même prix : aucun paiement, aucun remboursement." in page.text


def test_an_exchange_for_a_dearer_colour_needs_the_difference_paid_at_the_terminal(
    lea, platform, shop
):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    preview = exchange_form(lea, path, M_BLUE)
    assert "À payer par le client : 10,00\u00a0€" in preview.text
    fields = hidden_fields(preview.text, f"{path}/exchange")
    before = snapshot(platform)

    unpaid = lea.post(f"{path}/exchange", data=fields, follow_redirects=False)

    assert unpaid.status_code == 422
    assert "encaissez la différence au terminal" in unpaid.text
    assert snapshot(platform) == before
    paid = lea.post(
        f"{path}/exchange", data={**fields, "payment_reference": "TPE-77"}, follow_redirects=False
    )
    assert paid.status_code == 303, paid.text
    with platform.db.reading() as session:
        found = returns.get_return(session, return_id=return_id(path))
    assert found.price_difference_minor == 1000
    assert stock_at(platform, M_BLUE, "LYON") == 0
    assert "Différence payée par le client : 10,00\u00a0€" in lea.get(path).text


def test_an_exchange_can_be_sent_home_with_the_address_typed(lea, platform, shop):
    receive(platform, L, "WH", 3)
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    preview = exchange_form(lea, path, L, method="endless_aisle")
    assert 'name="line1"' in preview.text
    fields = hidden_fields(preview.text, f"{path}/exchange")

    sent = lea.post(f"{path}/exchange", data={**fields, **DELIVERY}, follow_redirects=False)

    assert sent.status_code == 303, sent.text
    with platform.db.reading() as session:
        found = returns.get_return(session, return_id=return_id(path))
        assert found.exchange_order_id is not None
        sale = orders.get_order(session, order_id=found.exchange_order_id)
    assert [line.method for line in sale.lines] == ["endless_aisle"]
    assert stock_at(platform, L, "LYON") == 1


# --- once only -------------------------------------------------------------------------------


def test_a_return_posted_twice_is_taken_once(lea, platform, shop):
    order = web_order(lea, platform, shop, quantity=2)
    fields = return_form(lea, order["id"])

    first = lea.post(f"/store/orders/{order['id']}/return", data=fields, follow_redirects=False)
    second = lea.post(f"/store/orders/{order['id']}/return", data=fields, follow_redirects=False)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert returns_count(platform) == 1


def test_a_refund_posted_twice_is_made_once(lea, platform, shop):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    act(lea, path, "inspect")
    fields = {
        **hidden_fields(lea.get(path).text, f"{path}/refund"),
        "refund_method": "store_credit",
    }

    first = lea.post(f"{path}/refund", data=fields, follow_redirects=False)
    second = lea.post(f"{path}/refund", data=fields, follow_redirects=False)

    assert first.status_code == second.status_code == 303
    with platform.db.reading() as session:
        credit = returns.get_store_credit(session, customer_ref="zoe", currency="EUR")
    assert credit.balance_minor == 8900
    assert len(credit.entries) == 1


def test_an_exchange_posted_twice_sells_once(lea, platform, shop):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    fields = hidden_fields(exchange_form(lea, path, L).text, f"{path}/exchange")

    first = lea.post(f"{path}/exchange", data=fields, follow_redirects=False)
    second = lea.post(f"{path}/exchange", data=fields, follow_redirects=False)

    assert first.status_code == second.status_code == 303
    with platform.db.reading() as session:
        placed = orders.list_orders(session, limit=10).items
    assert len(placed) == 2  # the web order and one exchange sale
    assert stock_at(platform, L, "LYON") == 0


# --- who may, and what is refused ------------------------------------------------------------


def test_a_clerk_of_another_store_may_not_see_or_change_lyons_return(lea, platform, shop):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    lyon_fields = hidden_fields(lea.get(path).text, f"{path}/inspect")
    lea.cookies.clear()
    sign_in(lea, "victor@example.fr")
    csrf = csrf_of(lea)
    before = snapshot(platform)

    page = lea.get(path)
    inspect = lea.post(f"{path}/inspect", data={**lyon_fields, "csrf": csrf})
    refund = lea.post(f"{path}/refund", data={"csrf": csrf, "refund_method": "store_credit"})
    cancel = lea.post(f"{path}/cancel", data={"csrf": csrf, "confirm": "yes"})
    listed = lea.get("/store/returns")

    assert page.status_code == inspect.status_code == refund.status_code == 404
    assert cancel.status_code == 404
    assert "Retour inconnu : il n\u2019existe pas, ou un autre magasin le traite." in page.text
    assert return_id(path) not in listed.text
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    ("fields", "status", "sentence"),
    [
        ({"qty-LINE": "99999999999999"}, 422, "Saisissez un nombre d\u2019unités"),
        ({"qty-LINE": "2"}, 409, "Plus d\u2019unités que le client ne peut encore en rapporter"),
        ({"qty-LINE": "0"}, 422, "Choisissez au moins un article."),
        ({"qty-01NOPE": "1", "reason-01NOPE": "too_small"}, 422, "ne fait pas partie de cet"),
        ({"reason-LINE": "bored"}, 422, "Une partie du formulaire est illisible"),
        ({"satisfaction": "9"}, 422, "Une partie du formulaire est illisible"),
    ],
    ids=["huge", "too many", "none", "unknown line", "unknown reason", "satisfaction"],
)
def test_a_wrong_return_form_is_refused_in_french_and_changes_nothing(
    lea, platform, shop, fields, status, sentence
):
    order = web_order(lea, platform, shop)
    form = return_form(lea, order["id"], **fields)
    before = snapshot(platform)

    response = lea.post(f"/store/orders/{order['id']}/return", data=form)

    assert response.status_code == status, response.text
    assert sentence in response.text
    assert '<html lang="fr">' in response.text
    assert snapshot(platform) == before


def test_a_nul_byte_is_refused_before_reaching_the_return(lea, platform, shop):
    order = web_order(lea, platform, shop)
    form = return_form(lea, order["id"], note="trop\x00petite")
    before = snapshot(platform)

    response = lea.post(f"/store/orders/{order['id']}/return", data=form)

    assert response.status_code == 400
    assert "Cette demande contient des caractères illisibles" in response.text
    assert snapshot(platform) == before


def test_an_order_not_yet_delivered_has_nothing_to_take_back(lea, platform, shop):
    response = lea.post(
        "/v1/orders",
        json={
            "lines": [{"sku": M, "quantity": 1}],
            "delivery_address": DELIVERY,
            "payment": CARD,
            "fulfilment": {"method": "ship"},
        },
        headers=auth(shop),
    )
    order_id = response.json()["id"]
    page = lea.get(f"/store/orders/{order_id}/return")
    assert "Rien de cette commande ne peut être repris maintenant" in page.text
    line_id = re.findall(r"<legend>.*?</legend>", page.text, re.S)
    assert line_id
    before = snapshot(platform)

    refused = lea.post(
        f"/store/orders/{order_id}/return",
        data={
            **hidden_fields(page.text, f"/store/orders/{order_id}/return"),
            f"qty-{response.json()['lines'][0]['id']}": "1",
            f"reason-{response.json()['lines'][0]['id']}": "too_small",
        },
    )

    assert refused.status_code == 409
    assert "Rien de cette commande n\u2019est encore arrivé chez le client" in refused.text
    assert snapshot(platform) == before


def test_a_cancellation_needs_its_confirmation(lea, platform, shop):
    order = web_order(lea, platform, shop)
    path = take_back(lea, order["id"])
    before = snapshot(platform)

    unconfirmed = act(lea, path, "cancel")

    assert unconfirmed.status_code == 422
    assert "Cochez la case pour confirmer l\u2019annulation." in unconfirmed.text
    assert snapshot(platform) == before
    confirmed = act(lea, path, "cancel", confirm="yes", note="la cliente la garde")
    assert confirmed.status_code == 303
    with platform.db.reading() as session:
        assert returns.get_return(session, return_id=return_id(path)).status == "cancelled"
    assert "1 unité peut être reprise" in lea.get(f"/store/orders/{order['id']}/return").text


def test_an_unknown_return_or_order_gets_a_french_page(lea, platform, shop):
    missing_return = lea.get("/store/returns/01NOPE")
    missing_order = lea.get("/store/orders/01NOPE/return")

    assert missing_return.status_code == missing_order.status_code == 404
    assert "Retour inconnu" in missing_return.text
    assert "Commande inconnue." in missing_order.text


def test_head_office_without_a_store_is_told_returns_are_taken_in_stores(shop, platform, client):
    from tests.web.test_store_pages import make_staff

    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")

    page = client.get("/store/returns")

    assert page.status_code == 403
    assert "les retours sont pris par le personnel d\u2019un magasin" in page.text


# --- French from end to end --------------------------------------------------------------------


def test_every_return_page_reads_french_without_an_english_word(lea, platform, shop):
    """The search, the new return, a return at each step with its forms, and the exchange
    page for each way of getting the new items: no English word, no "UTC"."""
    from tests.web.test_french_pages import english_words

    receive(platform, L, "WH", 3)
    order = web_order(lea, platform, shop)
    exchanged = web_order(lea, platform, shop)
    refunded = web_order(lea, platform, shop)
    received = take_back(lea, order["id"], satisfaction="5")
    swapped = take_back(lea, exchanged["id"])
    line_id = re.findall(r'name="new-([0-9A-Z]+)"', lea.get(swapped).text)[0]
    preview = exchange_form(lea, swapped, M_BLUE)
    lea.post(
        f"{swapped}/exchange",
        data={**hidden_fields(preview.text, f"{swapped}/exchange"), "payment_reference": "T-9"},
    )
    paid_back = take_back(lea, refunded["id"])
    act(lea, paid_back, "inspect")
    act(lea, paid_back, "refund", refund_method="store_credit")
    first_line = re.findall(r'name="new-([0-9A-Z]+)"', lea.get(received).text)[0]
    paths = [
        "/store/returns",
        f"/store/returns?q={order['id']}",
        "/store/returns?q=06 12 34 56 78",
        f"/store/returns?product={M_GTIN}",
        f"/store/returns?q=0612345678&product={M_GTIN}",
        f"/store/returns?q=0612345678&product={M_BLUE}-NOPE",
        f"/store/orders/{order['id']}/return",
        received,
        swapped,
        paid_back,
        *(
            f"{received}/exchange?new-{first_line}={sku}&method={method}"
            for sku, method in ((L, "carry_out"), (M_BLUE, "pickup"), (L, "endless_aisle"))
        ),
        f"{received}/exchange?new-{line_id}={L}",
        f"/store/orders/{exchanged['id']}",
    ]

    found = {}
    for path in paths:
        page = lea.get(path)
        assert page.status_code < 500, path
        assert '<html lang="fr">' in page.text, path
        # The builders name the stores "Store LYON" and "Store VIL": data, not the page's words.
        words = english_words(re.sub(r"Store (LYON|VIL)", "Magasin", page.text))
        if words:
            found[path] = words

    assert found == {}, "\n".join(f"{path}: {words}" for path, words in found.items())


# --- a parcel received by post ------------------------------------------------------------------


def _postal_authorisation(client: TestClient, platform: Platform, key: str) -> dict[str, Any]:
    """Zoé's web order, and a postal return of it authorised online by the web shop."""
    order = web_order(client, platform, key)
    line = order["lines"][0]["id"]
    body = {
        "order_id": order["id"],
        "method": "post",
        "lines": [{"order_line_id": line, "quantity": 1, "reason": "too_small"}],
    }
    response = client.post("/v1/returns", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_parcel_scanned_at_the_counter_is_received_here_once(lea, platform, shop):
    authorised = _postal_authorisation(lea, platform, shop)
    token = authorised["authorisation"]["token"]
    fields = {**hidden_fields(lea.get("/store/returns").text, "/store/returns/parcels")}

    first = lea.post(
        "/store/returns/parcels", data={**fields, "token": token}, follow_redirects=False
    )
    again = lea.post(
        "/store/returns/parcels", data={**fields, "token": token}, follow_redirects=False
    )

    assert first.status_code == 303, first.text
    assert first.headers["location"] == f"/store/returns/{authorised['id']}"
    assert again.headers["location"] == first.headers["location"]
    with platform.db.reading() as session:
        received = returns.get_return(session, return_id=authorised["id"])
    assert (received.status, received.location) == ("received", "LYON")
    assert [entry.to_status for entry in received.history].count("received") == 1
    page = lea.get(first.headers["location"]).text
    assert "Reçu" in page or "reçu" in page


def test_a_label_that_is_not_ours_is_refused_in_french_and_changes_nothing(lea, platform, shop):
    _postal_authorisation(lea, platform, shop)
    fields = hidden_fields(lea.get("/store/returns").text, "/store/returns/parcels")
    before = snapshot(platform)

    forged = lea.post("/store/returns/parcels", data={**fields, "token": "pas.une.etiquette"})
    empty = lea.post(
        "/store/returns/parcels",
        data={
            **hidden_fields(lea.get("/store/returns").text, "/store/returns/parcels"),
            "token": "",
        },
    )

    assert forged.status_code == 422
    assert "pas une autorisation de retour de chez nous" in forged.text
    assert empty.status_code == 422
    assert snapshot(platform) == before
