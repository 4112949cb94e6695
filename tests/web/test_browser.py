"""The counter scene, end to end in a real headless Chromium driven by Playwright.

A clerk of the Lyon store finds Zoé by the phone she says aloud ("06.12.34.56.78"), sees the
dress in size M left in her web cart, finds that size in the nearest store and sends it to
her home (an endless-aisle order); head office then sees that order on the orders board with
the same status. A clerk of another store is refused the Lyon queue. Screenshots of the main
pages go to ``artifacts/screenshots`` (or ``$OMNICANAL_TEST_ARTIFACTS``).

Chromium comes from Debian's ``chromium`` package (``OMNICANAL_TEST_CHROMIUM`` names it; CI
installs it); the test skips with the reason when it is not there.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartIn, CartLineIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from omnicanal.tracking import service as tracking
from omnicanal.tracking.service import SourceKind
from omnicanal.tracking.spec import ParsedMessage, parse_message
from omnicanal.web import staff
from tests.builders import make_location, make_product, receive
from tests.conftest import LiveServer, make_platform

CHROMIUM = os.environ.get("OMNICANAL_TEST_CHROMIUM") or shutil.which("chromium")
ARTIFACTS = Path(
    os.environ.get("OMNICANAL_TEST_ARTIFACTS")
    or Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
)
# As the machine's closed network wants it: no background calls home, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "comptoir-lyon-2026"
WEB = dataclasses.replace(OPERATOR, channel="web", name="web shop")

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser tests need Playwright (pip install -e '.[test]')"
)
if not CHROMIUM or not Path(CHROMIUM).exists():
    if os.environ.get("OMNICANAL_TEST_CHROMIUM"):
        raise RuntimeError(f"OMNICANAL_TEST_CHROMIUM names {CHROMIUM}, which does not exist")
    pytest.skip(
        "the browser tests need Debian's chromium (apt-get install chromium)",
        allow_module_level=True,
    )


@dataclasses.dataclass
class Shop:
    url: str
    platform: Platform
    dress_m: str


def _identify(platform: Platform) -> None:
    """Zoé signed in on the web shop with her phone, email and home address."""
    with platform.db.transaction() as session:
        source, _ = tracking.create_source(session, kind=SourceKind.web, name="Site web")
        raw = {
            "type": "identify",
            "userId": "zoe.martin",
            "anonymousId": "cookie-zoe",
            "traits": {
                "first_name": "Zoé",
                "last_name": "Martin",
                "email": "zoe.martin@exemple.fr",
                "phone": "+33 6 12 34 56 78",
                "address": {"street": "14 rue Mercière", "postal_code": "69002", "city": "Lyon"},
            },
            "messageId": "zoe-login",
        }
        parsed = parse_message(raw, index=0, received_at=utcnow(), max_bytes=None)
        assert isinstance(parsed, ParsedMessage)
        tracking.ingest(session, source=source, messages=[parsed], received_at=utcnow())


@pytest.fixture
def shop(tmp_path, request) -> Iterator[Shop]:  # type: ignore[no-untyped-def]
    """Lyon République, Villeurbanne 4 km away, the web warehouse; the dress in M gone in
    Lyon, two left in Villeurbanne, more in the warehouse."""
    platform = make_platform("sqlite", tmp_path, request)
    make_location(platform, "LYON-01", latitude=45.7623, longitude=4.8361)
    make_location(platform, "VIL-01", latitude=45.7719, longitude=4.8902, city="Villeurbanne")
    dress_s, dress_m = make_product(platform, "ROBE-LIN", sizes=("S", "M"))
    receive(platform, dress_s, "LYON-01", 3)
    make_location(
        platform,
        "WH-SARAN",
        kind="warehouse",
        channels=("web",),
        latitude=47.9500,
        longitude=1.8700,
        city="Saran",
    )
    receive(platform, dress_m, "VIL-01", 2)
    receive(platform, dress_m, "WH-SARAN", 5)
    _identify(platform)
    with platform.db.transaction() as session:
        carts.create_cart(
            session,
            data=CartIn(customer_ref="zoe.martin", lines=[CartLineIn(sku=dress_m, quantity=1)]),
            actor=WEB,
            currency="EUR",
        )
        for email, role, store in (
            ("lea@maison-lumiere.example", staff.Role.clerk, "LYON-01"),
            ("victor@maison-lumiere.example", staff.Role.clerk, "VIL-01"),
            ("siege@maison-lumiere.example", staff.Role.head_office, None),
        ):
            staff.create_staff(
                session,
                email=email,
                password=PASSWORD,
                role=role,
                location_code=store,
                name=email.split("@")[0].title(),
            )
    with LiveServer(platform) as server:
        yield Shop(url=server.url, platform=platform, dress_m=dress_m)
    platform.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _tablet(browser, url: str):  # type: ignore[no-untyped-def]
    """A new tablet-sized browser session, in French like the store's tablets."""
    context = browser.new_context(
        base_url=url, viewport={"width": 1180, "height": 820}, locale="fr-FR"
    )
    return context, context.new_page()


def _sign_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/store/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_lyon_clerk_sends_the_size_missing_in_store_to_the_customers_home(shop, browser):
    context, page = _tablet(browser, shop.url)
    _sign_in(page, "lea@maison-lumiere.example")
    _shot(page, "store-home")

    # The customer gives her phone number; the clerk types it the way she says it.
    page.get_by_label("Trouver un client").fill("06.12.34.56.78")
    page.get_by_role("button", name="Rechercher").first.click()
    expect = playwright_api.expect
    expect(page.get_by_role("heading", name="1 client trouvé")).to_be_visible()
    _shot(page, "store-customer-search")
    page.get_by_role("link", name="Zoé Martin").click()

    # Her web cart: the dress in M, priced by the same engine.
    cart = page.locator("section", has=page.locator("#cart-title"))
    expect(cart).to_contain_text(shop.dress_m)
    expect(cart).to_contain_text("49,90")
    expect(page.locator("#identity-title")).to_be_visible()
    _shot(page, "clerk-customer")
    customer_url = page.url

    # Is the size here? No: the nearest store has it, 4 km away.
    cart.get_by_role("link", name=shop.dress_m).click()
    here = page.locator("dt", has_text="Ici").locator("xpath=following-sibling::dd[1]")
    expect(here).to_have_text("0")
    nearby = page.locator("tr", has_text="Store VIL-01")
    expect(nearby).to_contain_text("4,3\u00a0km")
    expect(nearby.locator("td").last).to_have_text("2")
    _shot(page, "store-product")

    # Endless aisle: sent to her home from where the stock is; the address is prefilled.
    page.goto(customer_url)
    home = page.locator("form", has=page.locator("#sell-home-title"))
    expect(home.get_by_label("Numéro et rue")).to_have_value("14 rue Mercière")
    expect(home.get_by_label("Code postal")).to_have_value("69002")
    home.get_by_label("Numéro du ticket du terminal de paiement").fill("TPE-LYON-0042")
    home.get_by_role("button", name="Commander en livraison à domicile").click()
    expect(page).to_have_url(re.compile(r"/store/orders/[0-9A-Z]{26}$"))
    order_id = page.url.rsplit("/", 1)[1]
    clerk_status = page.locator("#order-title").inner_text().split(":", 1)[1].strip()
    expect(page.locator("main")).to_contain_text("WH-SARAN")
    _shot(page, "store-order")

    # The clerk's queue is theirs; another store's clerk is refused it.
    page.goto("/store/queue")
    expect(page).to_have_url(re.compile(r"/store/queue/LYON-01$"))
    _shot(page, "store-queue")
    context.close()

    context, page = _tablet(browser, shop.url)
    _sign_in(page, "victor@maison-lumiere.example")
    refused = page.goto("/store/queue/LYON-01")
    assert refused is not None and refused.status == 403
    expect(page.get_by_role("alert")).to_contain_text("Cette file appartient au magasin LYON-01")
    context.close()

    # Head office sees the order on the board, with the same status.
    context, page = _tablet(browser, shop.url)
    _sign_in(page, "siege@maison-lumiere.example")
    page.goto("/admin/orders?channel=store")
    _shot(page, "admin-orders")
    page.get_by_role("link", name=order_id).click()
    expect(page).to_have_url(re.compile(f"/admin/orders/{order_id}$"))
    expect(page.locator(".status").first).to_have_text(clerk_status)
    expect(page.locator("main")).to_contain_text("TPE-LYON-0042")
    _shot(page, "admin-order")
    page.goto(f"/admin/stock/sku?q={shop.dress_m}")
    expect(page.locator("svg circle").first).to_be_visible()
    _shot(page, "admin-sku-map")
    context.close()

    with shop.platform.db.reading() as session:
        from omnicanal.orders import service as orders

        placed = orders.get_order(session, order_id=order_id)
    assert placed.channel == "store"
    assert [line.sku for line in placed.lines] == [shop.dress_m]
    assert {f.location for f in placed.fulfilments} == {"WH-SARAN"}
