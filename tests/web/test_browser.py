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
from omnicanal.staff import service as staff
from omnicanal.tracking import service as tracking
from omnicanal.tracking.service import SourceKind
from omnicanal.tracking.spec import ParsedMessage, parse_message
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


PATIENCE_MS = 120_000
"""How long a page, a click or an expectation may take: long enough for a loaded machine,
so that no browser test depends on the machine's speed."""


class PatientBrowser:
    """Chromium whose contexts and pages wait :data:`PATIENCE_MS` rather than 30 s."""

    def __init__(self, chromium: object) -> None:
        self._chromium = chromium

    def new_context(self, **options: object) -> object:
        context = self._chromium.new_context(**options)  # type: ignore[attr-defined]
        context.set_default_timeout(PATIENCE_MS)
        context.set_default_navigation_timeout(PATIENCE_MS)
        return context

    def new_page(self, **options: object) -> object:
        page = self._chromium.new_page(**options)  # type: ignore[attr-defined]
        page.set_default_timeout(PATIENCE_MS)
        page.set_default_navigation_timeout(PATIENCE_MS)
        return page

    def __getattr__(self, name: str) -> object:
        return getattr(self._chromium, name)


def launch(driver: object) -> PatientBrowser:
    """Chromium from ``driver`` (a sync Playwright), patient as :class:`PatientBrowser`."""
    playwright_api.expect.set_options(timeout=PATIENCE_MS)
    chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)  # type: ignore[attr-defined]
    return PatientBrowser(chromium)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as driver:
        chromium = launch(driver)
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
    # The audit log says who placed that order, from the Lyon clerk's session.
    page.goto("/admin/audit")
    expect(page.locator("main")).to_contain_text(order_id)
    _shot(page, "admin-audit")
    # Her data, as she may ask for it: found by her phone typed with dots.
    page.goto("/admin/privacy?kind=phone&value=06.12.34.56.78")
    expect(page.get_by_role("link", name=re.compile("JSON"))).to_be_visible()
    _shot(page, "admin-privacy")
    context.close()

    with shop.platform.db.reading() as session:
        from omnicanal.orders import service as orders

        placed = orders.get_order(session, order_id=order_id)
    assert placed.channel == "store"
    assert [line.sku for line in placed.lines] == [shop.dress_m]
    assert {f.location for f in placed.fulfilments} == {"WH-SARAN"}


# In the page: every visible form control named, every chart with a text alternative, one
# h1, and text contrast at least WCAG AA (4.5:1, or 3:1 for large text) against the first
# opaque background behind it.
AUDIT = """
() => {
  const problems = [];
  const shown = (el) =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  for (const el of document.querySelectorAll("input, select, textarea, button")) {
    if (el.type === "hidden" || !shown(el)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby") || (el.tagName === "BUTTON" && el.textContent.trim());
    if (!named) problems.push("unlabelled control: " + el.outerHTML.slice(0, 100));
  }
  for (const svg of document.querySelectorAll("svg")) {
    if (svg.getAttribute("aria-hidden") === "true") continue;
    if (!svg.getAttribute("aria-label") && !svg.querySelector("title")
        && !svg.getAttribute("aria-labelledby")) problems.push("svg without a text alternative");
  }
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(h1 + " h1 headings");
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = (el) => {
    for (let at = el; at; at = at.parentElement) {
      const c = rgb(getComputedStyle(at).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || !shown(el)) continue;
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text) continue;
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const a = luminance(rgb(style.color)), b = luminance(behind(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push("contrast " + ratio.toFixed(2) + ": " + el.textContent.trim().slice(0, 40));
    }
  }
  return problems;
}
"""


def _audit(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{page.url}: {problem}" for problem in page.evaluate(AUDIT)]


def test_the_pages_work_with_the_keyboard_and_a_screen_reader(shop, browser):
    context, page = _tablet(browser, shop.url)
    page.goto("/store/login")

    # The sign-in form is filled without a mouse: the e-mail field has the focus already
    # (autofocus is applied at the first rendering after the load: waited for, at most 5 s).
    page.wait_for_function("document.activeElement && document.activeElement.id", timeout=5000)
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type("lea@maison-lumiere.example")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.id, s.outlineStyle, s.boxShadow]; })()"
    )
    assert focused[0] == "password"
    assert focused[1] != "none" or focused[2] != "none", "the focused field must show it"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    playwright_api.expect(page).to_have_url(re.compile(r"/store$"))

    # On a page without a search box, the first Tab reaches the skip link, which works.
    page.goto("/store/queue")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    problems = _audit(page)
    page.goto("/store/customers?q=06.12.34.56.78")
    problems += _audit(page)
    page.get_by_role("link", name="Zoé Martin").click()
    problems += _audit(page)
    for path in (f"/store/products?q={shop.dress_m}", "/store/queue", "/store/customers?q=x"):
        page.goto(path)
        problems += _audit(page)
    context.close()

    context, page = _tablet(browser, shop.url)
    _sign_in(page, "siege@maison-lumiere.example")
    for path in (
        "/admin",
        "/admin/orders",
        "/admin/stock",
        "/admin/stock/LYON-01",
        f"/admin/stock/sku?q={shop.dress_m}",
        "/admin/customers?q=martin",
        "/admin/reviews",
        "/admin/prices",
        "/admin/promotions",
        "/admin/audit",
        "/admin/privacy?kind=phone&value=06.12.34.56.78",
    ):
        page.goto(path)
        problems += _audit(page)
    context.close()

    assert problems == []


def test_the_audit_finds_what_it_looks_for(browser):
    """The page audit is not vacuous: it reports each kind of problem it checks."""
    page = browser.new_page()
    page.set_content(
        '<h1>Une</h1><h1>Deux</h1><p style="color:#bbb">texte pâle</p><p>lisible</p>'
        '<input name="q"><label for="ok">Nom</label><input id="ok"><svg><circle r="3"/></svg>'
    )

    problems = page.evaluate(AUDIT)
    page.close()

    assert len(problems) == 4, problems
    assert problems[0].startswith('unlabelled control: <input name="q"')
    assert problems[1:3] == ["svg without a text alternative", "2 h1 headings"]
    assert problems[3].startswith("contrast 1.9") and problems[3].endswith("texte pâle")


def test_signing_out_in_the_browser_ends_the_session_on_the_server(shop, browser):
    """The page loads under the strict Content-Security-Policy with no violation; after
    "Se déconnecter", the same cookie put back in a fresh browser opens nothing."""
    context, page = _tablet(browser, shop.url)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    _sign_in(page, "lea@maison-lumiere.example")
    home = page.goto("/store")
    assert home is not None
    headers = home.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    cookie = next(c for c in context.cookies() if c["name"] == "omnicanal_staff")

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/store/login"))

    replay, again = _tablet(browser, shop.url)
    replay.add_cookies([cookie])
    again.goto("/store")
    assert "/store/login" in again.url
    assert not [text for text in violations if "Content Security Policy" in text]
    context.close()
    replay.close()
