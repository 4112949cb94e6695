"""The exchange scene at the counter, end to end in a real headless Chromium.

Zoé bought the linen dress "Robe en lin Élise" in M on the web shop; it came from the
warehouse and is too small. She brings it to the Lyon store with her receipt: the clerk
scans its QR code, takes the dress back, picks the L that Lyon holds, sees that nothing is to
pay and confirms the exchange in one step. Lyon's shelf gets the M and gives the L; a new sale
is made. The pages pass the accessibility audit of ``test_browser``; screenshots at tablet
and phone widths go where the other browser tests write theirs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from omnicanal.orders import service as orders
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.schemas import (
    Address,
    CheckoutIn,
    CheckoutLineIn,
    FulfilmentChoice,
    PaymentIn,
)
from omnicanal.returns import service as returns
from omnicanal.staff import service as staff
from tests.builders import make_location
from tests.conftest import LiveServer, make_platform
from tests.returns.builders import deliver
from tests.web.test_browser import (
    ARTIFACTS,
    PASSWORD,
    WEB,
    _audit,
    _sign_in,
    browser,  # noqa: F401  (the module's Chromium)
    playwright_api,
)
from tests.web.test_browser_counter import PHONE, TABLET
from tests.web.test_store_returns import L, M, make_elise
from tests.web.test_store_selling import stock_at


@pytest.fixture
def desk(tmp_path, request) -> Iterator[tuple[str, object, str]]:  # type: ignore[no-untyped-def]
    """Lyon and Villeurbanne, the web warehouse, the dress Élise (one L in Lyon); Léa, a
    clerk in Lyon; Zoé's web order of the M, delivered."""
    platform = make_platform("sqlite", tmp_path, request)
    make_location(platform, "LYON", latitude=45.7623, longitude=4.8361)
    make_location(platform, "VIL", latitude=45.7719, longitude=4.8902, city="Villeurbanne")
    make_elise(platform)
    with platform.db.transaction() as session:
        staff.create_staff(
            session,
            email="lea@maison-lumiere.example",
            password=PASSWORD,
            role=staff.Role.clerk,
            location_code="LYON",
            name="Léa",
        )
        order = orders.checkout(
            session,
            data=CheckoutIn(
                lines=[CheckoutLineIn(sku=M, quantity=1)],
                customer_ref="zoe.martin",
                fulfilment=FulfilmentChoice(method="ship"),
                delivery_address=Address(name="Zoé Martin", line1="14 rue Mercière", city="Lyon"),
                payment=PaymentIn(provider="adyen", reference="psp_42", status="captured"),
            ),
            actor=WEB,
            policy=OrderPolicy(),
        )
    deliver(platform, order.model_dump(mode="json"))
    with LiveServer(platform) as server:
        yield server.url, platform, order.id
    platform.close()


WIDER = "() => document.documentElement.scrollWidth"
# The outermost elements sticking out of the screen, to say what to fix.
STICKING_OUT = """width => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 1
    && e.parentElement.getBoundingClientRect().right <= width + 1)
  .slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.trim().slice(0, 40))"""


def _shots(page, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Screenshots at tablet and phone widths; a page wider than the screen is a problem."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width, size in (("tablet", TABLET), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        wide = page.evaluate(WIDER)
        if wide > size["width"]:
            culprits = page.evaluate(STICKING_OUT, size["width"])
            problems.append(f"{name}: {wide} px wide on a {size['width']} px {width}: {culprits}")
    page.set_viewport_size(TABLET)
    return problems


def test_a_lyon_clerk_exchanges_a_web_order_for_another_size_in_one_step(desk, browser):  # noqa: F811
    url, platform, order_id = desk
    expect = playwright_api.expect
    context = browser.new_context(base_url=url, viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "lea@maison-lumiere.example")
    problems: list[str] = []

    # From the store home to the return desk; the receipt's QR code is scanned.
    page.get_by_role("link", name="Prendre un retour ou un échange").click()
    page.get_by_label("Numéro de ticket ou de commande, ou le client").fill(
        f"omnicanal:order:{order_id}"
    )
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("heading", name="1 achat trouvé")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Robe en lin Élise M naturel")
    problems += _audit(page)
    problems += _shots(page, "returns-find")

    # The M is taken back: too small, unworn.
    page.get_by_role("link", name="Retour ou échange").last.click()
    expect(page.get_by_text("1 unité peut être reprise")).to_be_visible()
    page.get_by_label("Motif").select_option("too_small")
    problems += _audit(page)
    problems += _shots(page, "returns-new")
    page.get_by_role("button", name="Prendre le retour").click()
    expect(page).to_have_url(re.compile(r"/store/returns/[0-9A-Z]{26}$"))
    expect(page.get_by_text("Accepté automatiquement par les règles de retour")).to_be_visible()
    problems += _audit(page)
    problems += _shots(page, "returns-return")

    # The L that Lyon holds, taken here: the difference is shown before anything is sold.
    exchange = page.locator("form", has=page.locator("#exchange-title"))
    exchange.get_by_role("radio", name=re.compile(r"^L naturel")).check()
    exchange.get_by_role("button", name="Voir la différence de prix").click()
    expect(
        page.get_by_role("heading", name="Même prix : rien à payer, rien à rendre")
    ).to_be_visible()
    problems += _audit(page)
    problems += _shots(page, "returns-exchange")
    page.get_by_role("button", name="Confirmer l\u2019échange").click()
    expect(page).to_have_url(re.compile(r"/store/returns/[0-9A-Z]{26}$"))
    expect(page.get_by_role("heading", name="Échangé", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Son ticket")).to_be_visible()
    problems += _audit(page)
    problems += _shots(page, "returns-exchanged")
    return_id = page.url.rsplit("/", 1)[1]
    context.close()

    assert problems == []
    assert stock_at(platform, L, "LYON") == 0
    assert stock_at(platform, M, "LYON") == 1
    with platform.db.reading() as session:
        done = returns.get_return(session, return_id=return_id)
    assert done.status == "exchanged"
    assert done.price_difference_minor == 0


# --- the whole scene of the issue ------------------------------------------------------------


@pytest.fixture
def scene(tmp_path, request) -> Iterator[tuple[str, object, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """Lyon, the warehouse WH-CENTRE where postal returns arrive, the dress Élise; Léa (clerk
    in Lyon), Malik (clerk at the warehouse), head office; Zoé, known by her phone from the
    web shop, who bought the M online twice, both delivered."""
    from fastapi.testclient import TestClient

    from omnicanal.api.app import create_app
    from tests.builders import auth, make_key
    from tests.customers.support import make_source, send
    from tests.returns.builders import make_warehouse

    platform = make_platform("sqlite", tmp_path, request)
    make_location(platform, "LYON", latitude=45.7623, longitude=4.8361)
    make_warehouse(platform)
    make_elise(platform)
    with platform.db.transaction() as session:
        for email, role, place in (
            ("lea@maison-lumiere.example", staff.Role.clerk, "LYON"),
            ("malik@maison-lumiere.example", staff.Role.clerk, "WH-CENTRE"),
            ("siege@maison-lumiere.example", staff.Role.head_office, None),
        ):
            staff.create_staff(
                session, email=email, password=PASSWORD, role=role, location_code=place, name=email
            )
    web_key = make_key(platform, "web")
    with TestClient(create_app(platform, background=False)) as client:
        send(
            client,
            make_source(platform, "web"),
            {
                "type": "identify",
                "userId": "zoe.martin",
                "traits": {
                    "phone": "+33612345678",
                    "email": "zoe@example.fr",
                    "first_name": "Zoé",
                    "last_name": "Martin",
                },
            },
        )
        ids = {}
        for name in ("exchanged", "posted"):
            body = {
                "lines": [{"sku": M, "quantity": 1}],
                "customer_ref": "zoe.martin",
                "delivery_address": {
                    "name": "Zoé Martin",
                    "line1": "14 rue Mercière",
                    "city": "Lyon",
                },
                "payment": {"provider": "adyen", "reference": f"psp_{name}", "status": "captured"},
                "fulfilment": {"method": "ship"},
            }
            placed = client.post("/v1/orders", json=body, headers=auth(web_key))
            assert placed.status_code == 201, placed.text
            deliver(platform, placed.json())
            ids[name] = placed.json()["id"]
        ids["web_key"] = web_key
    platform.relay().drain()
    with LiveServer(platform) as server:
        yield server.url, platform, ids
    platform.close()


def test_the_counter_scene_return_exchange_postal_refund_and_the_crm(scene, browser):  # noqa: F811
    """The issue's scene: the Lyon clerk finds Zoé's web order by her phone, the rules approve
    the return, she swaps the M for Lyon's L in one step (the M goes on Lyon's shelf); Zoé's
    profile shows the return, its satisfaction and the exchange; head office's measures count
    the exchange; a postal return authorised online is received at the warehouse by its QR
    label and refunded to her card."""
    from fastapi.testclient import TestClient

    from omnicanal.api.app import create_app
    from tests.builders import auth

    url, platform, ids = scene
    expect = playwright_api.expect
    problems: list[str] = []

    # Léa, at the Lyon counter: Zoé gives her phone number, written her own way.
    context = browser.new_context(base_url=url, viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "lea@maison-lumiere.example")
    page.goto("/store/returns")
    page.get_by_label("Numéro de ticket ou de commande, ou le client").fill("06.12.34.56.78")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("heading", name="2 achats trouvés")).to_be_visible()
    problems += _audit(page)
    problems += _shots(page, "scene-find-by-phone")
    page.locator(f'a[href="/store/orders/{ids["exchanged"]}/return"]').click()
    page.get_by_label("Motif").select_option("too_small")
    page.get_by_label("Satisfaction du client (facultatif)").select_option("2")
    page.get_by_role("button", name="Prendre le retour").click()
    expect(page.get_by_text("Accepté automatiquement par les règles de retour")).to_be_visible()
    exchange = page.locator("form", has=page.locator("#exchange-title"))
    exchange.get_by_role("radio", name=re.compile(r"^L naturel")).check()
    exchange.get_by_role("button", name="Voir la différence de prix").click()
    page.get_by_role("button", name="Confirmer l\u2019échange").click()
    expect(page.get_by_role("heading", name="Échangé", exact=True)).to_be_visible()
    exchanged_id = page.url.rsplit("/", 1)[1]
    assert stock_at(platform, M, "LYON") == 1
    assert stock_at(platform, L, "LYON") == 0

    # Her profile, once the events have reached it: the return, its score, the exchange.
    platform.relay().drain()
    page.goto("/store/customers?q=0612345678")
    page.get_by_role("link", name=re.compile("Zoé")).first.click()
    expect(page.get_by_text("Satisfaction : 2/5 au retour du")).to_be_visible()
    expect(page.get_by_text("Retour enregistré").first).to_be_visible()
    expect(page.get_by_text("Articles échangés").first).to_be_visible()
    problems += _audit(page)
    problems += _shots(page, "scene-profile")
    context.close()

    # Head office: the exchange counts in the exchange/refund ratio.
    office = browser.new_context(base_url=url, viewport=TABLET, locale="fr-FR")
    page = office.new_page()
    _sign_in(page, "siege@maison-lumiere.example")
    page.goto("/admin/returns/measures?days=30")
    expect(page.locator("#exchange-ratio")).to_have_text(re.compile(r"^100\s?%$"))
    problems += _audit(page)
    problems += _shots(page, "scene-measures")

    # The second dress goes back by post: authorised online, its label printed.
    with TestClient(create_app(platform, background=False)) as client:
        order = client.get(f"/v1/orders/{ids['posted']}", headers=auth(ids["web_key"])).json()
        authorised = client.post(
            "/v1/returns",
            json={
                "order_id": order["id"],
                "method": "post",
                "lines": [
                    {"order_line_id": order["lines"][0]["id"], "quantity": 1, "reason": "too_large"}
                ],
            },
            headers=auth(ids["web_key"]),
        )
    assert authorised.status_code == 201, authorised.text
    postal = authorised.json()
    page.goto(f"/admin/returns/{postal['id']}/label")
    expect(page.locator("svg").first).to_be_visible()
    problems += _audit(page)
    problems += _shots(page, "scene-postal-label")
    office.close()

    # Malik, at the warehouse, scans the label on the parcel, inspects and refunds the card.
    warehouse = browser.new_context(base_url=url, viewport=TABLET, locale="fr-FR")
    page = warehouse.new_page()
    _sign_in(page, "malik@maison-lumiere.example")
    page.goto("/store/returns")
    page.get_by_label("Étiquette de retour du colis").fill(postal["authorisation"]["token"])
    page.get_by_role("button", name="Recevoir le colis").click()
    expect(page).to_have_url(re.compile(rf"/store/returns/{postal['id']}$"))
    page.get_by_role("button", name="Enregistrer le contrôle").click()
    page.get_by_label(re.compile("numéro du ticket de remboursement", re.I)).fill("REF-7781")
    page.get_by_role("button", name="Rembourser").click()
    expect(page.get_by_role("heading", name="Remboursé", exact=True)).to_be_visible()
    problems += _audit(page)
    problems += _shots(page, "scene-postal-refunded")
    warehouse.close()

    assert problems == []
    with platform.db.reading() as session:
        exchanged = returns.get_return(session, return_id=exchanged_id)
        refunded = returns.get_return(session, return_id=postal["id"])
        paid = orders.get_order(session, order_id=ids["posted"])
    assert exchanged.status == "exchanged"
    assert exchanged.satisfaction == 2
    assert (refunded.status, refunded.location) == ("refunded", "WH-CENTRE")
    assert refunded.refund is not None and refunded.refund.reference == "REF-7781"
    assert paid.payment.status == "refunded"
    assert stock_at(platform, M, "WH-CENTRE") == 1
