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


def _shots(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, size in (("tablet", TABLET), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(TABLET)


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
    _shots(page, "returns-find")

    # The M is taken back: too small, unworn.
    page.get_by_role("link", name="Retour ou échange").last.click()
    expect(page.get_by_text("1 unité peut être reprise")).to_be_visible()
    page.get_by_label("Motif").select_option("too_small")
    problems += _audit(page)
    _shots(page, "returns-new")
    page.get_by_role("button", name="Prendre le retour").click()
    expect(page).to_have_url(re.compile(r"/store/returns/[0-9A-Z]{26}$"))
    expect(page.get_by_text("Accepté automatiquement par les règles de retour")).to_be_visible()
    problems += _audit(page)
    _shots(page, "returns-return")

    # The L that Lyon holds, taken here: the difference is shown before anything is sold.
    exchange = page.locator("form", has=page.locator("#exchange-title"))
    exchange.get_by_role("radio", name=re.compile(r"^L naturel")).check()
    exchange.get_by_role("button", name="Voir la différence de prix").click()
    expect(
        page.get_by_role("heading", name="Même prix : rien à payer, rien à rendre")
    ).to_be_visible()
    problems += _audit(page)
    _shots(page, "returns-exchange")
    page.get_by_role("button", name="Confirmer l\u2019échange").click()
    expect(page).to_have_url(re.compile(r"/store/returns/[0-9A-Z]{26}$"))
    expect(page.get_by_role("heading", name="Échangé", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Son ticket")).to_be_visible()
    problems += _audit(page)
    _shots(page, "returns-exchanged")
    return_id = page.url.rsplit("/", 1)[1]
    context.close()

    assert problems == []
    assert stock_at(platform, L, "LYON") == 0
    assert stock_at(platform, M, "LYON") == 1
    with platform.db.reading() as session:
        done = returns.get_return(session, return_id=return_id)
    assert done.status == "exchanged"
    assert done.price_difference_minor == 0
