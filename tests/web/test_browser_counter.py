"""The walk-in scene at the counter, end to end in a real headless Chromium.

A clerk of the Lyon store signs in, types "robe lin elyse" (no accent, a typo) to find the
linen dress "Robe en lin Élise", adds the M to a basket for a customer who gives no name,
sees the L and the other colour with their stock here and in the nearest store, sells the
dress to be carried out and reads the receipt; the Lyon stock is one lower. The pages pass
the accessibility audit of ``test_browser``; screenshots at tablet (1024 px) and phone
(390 px) widths go where the other browser tests write theirs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.inventory import availability
from omnicanal.inventory.schemas import AvailabilityQuery
from omnicanal.network import service as network
from omnicanal.orders import service as orders
from omnicanal.platform.actors import OPERATOR
from omnicanal.pricing import products as priced
from omnicanal.staff import service as staff
from tests.builders import make_location, receive
from tests.conftest import LiveServer, make_platform
from tests.web.test_browser import (
    ARTIFACTS,
    PASSWORD,
    _audit,
    _sign_in,
    browser,  # noqa: F401  (the module's Chromium)
    playwright_api,
)

M_NATURAL, L_NATURAL, M_BLUE = "ROBE-LIN-M-NAT", "ROBE-LIN-L-NAT", "ROBE-LIN-M-BLEU"
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


def _dress(platform) -> None:  # type: ignore[no-untyped-def]
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
                        VariantIn(sku=M_NATURAL, size="M", colour="naturel", price_minor=8900),
                        VariantIn(sku=L_NATURAL, size="L", colour="naturel", price_minor=8900),
                        VariantIn(sku=M_BLUE, size="M", colour="bleu", price_minor=8900),
                    ],
                )
            ],
            actor=OPERATOR,
            currency="EUR",
        )


@pytest.fixture
def counter(tmp_path, request) -> Iterator[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """Lyon République and Villeurbanne 4 km away, the web warehouse, the linen dress: two M
    and one L natural in Lyon, two M blue in Villeurbanne, five M blue online; Léa, a clerk
    in Lyon."""
    platform = make_platform("sqlite", tmp_path, request)
    make_location(platform, "LYON-01", latitude=45.7623, longitude=4.8361)
    make_location(platform, "VIL-01", latitude=45.7719, longitude=4.8902, city="Villeurbanne")
    make_location(
        platform,
        "WH-SARAN",
        kind="warehouse",
        channels=("web",),
        latitude=47.9500,
        longitude=1.8700,
        city="Saran",
    )
    _dress(platform)
    receive(platform, M_NATURAL, "LYON-01", 2)
    receive(platform, L_NATURAL, "LYON-01", 1)
    receive(platform, M_BLUE, "VIL-01", 2)
    receive(platform, M_BLUE, "WH-SARAN", 5)
    with platform.db.transaction() as session:
        staff.create_staff(
            session,
            email="lea@maison-lumiere.example",
            password=PASSWORD,
            role=staff.Role.clerk,
            location_code="LYON-01",
            name="Léa",
        )
    with LiveServer(platform) as server:
        yield server.url, platform
    platform.close()


def _shots(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page at tablet and at phone width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, size in (("tablet", TABLET), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(TABLET)


def _lyon_stock(platform, sku: str) -> int:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        query = AvailabilityQuery(skus=[sku], locations=["LYON-01"])
        return availability.availability(session, query=query).items[0].available


def test_a_lyon_clerk_sells_a_dress_found_by_its_name_to_a_walk_in_customer(counter, browser):  # noqa: F811
    url, platform = counter
    expect = playwright_api.expect
    context = browser.new_context(base_url=url, viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "lea@maison-lumiere.example")
    problems: list[str] = []

    # The customer points at a dress; the clerk types its name as it comes, typo included.
    page.get_by_label("Trouver un produit").fill("robe lin elyse")
    page.locator('form[action="/store/products"]').get_by_role("button").click()
    expect(page.get_by_role("heading", name="1 produit trouvé")).to_be_visible()
    problems += _audit(page)
    _shots(page, "counter-product-search")

    # The M goes into a new basket for a customer who gives no name.
    page.get_by_role("button", name="Ajouter Robe en lin Élise M naturel au panier").click()
    expect(page).to_have_url(re.compile(r"/store/baskets/[0-9A-Z]{26}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Panier · Client de passage")
    line = page.locator("article.line").first
    expect(line).to_contain_text("Robe en lin Élise M naturel")
    expect(line).to_contain_text("89,00\u00a0€")

    # The other sizes and colours, with their stock here, in the nearest store and online.
    others = line.locator("table", has_text="Autres tailles et couleurs")
    size_l = others.locator("tr", has_text="L naturel")
    expect(size_l.locator("td").first).to_have_text("1")
    blue = others.locator("tr", has_text="M bleu")
    expect(blue.locator("td").first).to_have_text("0")
    expect(blue).to_contain_text("Store VIL-01, 4,3\u00a0km (2 disponibles)")
    expect(blue.locator("td").nth(2)).to_have_text("7")  # the stores serving the web, and Saran
    problems += _audit(page)
    _shots(page, "counter-basket")

    # Sold over the counter: the customer leaves with it.
    carry_out = page.locator("form", has=page.locator("#sell-carry_out-title"))
    carry_out.get_by_label("Numéro du ticket du terminal de paiement").fill("TPE-LYON-0107")
    carry_out.get_by_role("button", name="Vendre maintenant").click()
    expect(page).to_have_url(re.compile(r"/store/orders/[0-9A-Z]{26}/receipt$"))
    order_id = page.url.rsplit("/", 2)[1]
    receipt = page.locator("article.receipt")
    expect(receipt.get_by_role("heading", name="Ticket de caisse")).to_be_visible()
    expect(receipt).to_contain_text(order_id)
    expect(receipt).to_contain_text("Store LYON-01")
    expect(receipt).to_contain_text("Robe en lin Élise M naturel")
    expect(receipt).to_contain_text("TPE-LYON-0107")
    problems += _audit(page)
    _shots(page, "counter-receipt")
    page.emulate_media(media="print")
    assert not page.locator("header.bar").is_visible()
    assert page.locator("article.receipt").is_visible()
    context.close()

    assert problems == []
    assert _lyon_stock(platform, M_NATURAL) == 1
    with platform.db.reading() as session:
        sold = orders.get_order(session, order_id=order_id)
    assert sold.customer_ref is None and sold.location == "LYON-01"
    assert [(line.sku, line.method) for line in sold.lines] == [(M_NATURAL, "carry_out")]
