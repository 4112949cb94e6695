"""The KPI pages in a real headless Chromium: the three views of the back office and the
store manager's page render with their charts, pass the accessibility audit of
``test_browser`` and fit tablet and phone screens (screenshots where the other browser tests
write theirs); the operations view shows a new pickup without reloading the page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from omnicanal.platform.wiring import Platform
from omnicanal.staff import service as staff
from tests.builders import auth
from tests.conftest import LiveServer, make_platform
from tests.orders.builders import CAPTURED, Shop, checkout_body, line, make_shop
from tests.web.test_browser import (
    PASSWORD,
    _audit,
    _sign_in,
    browser,  # noqa: F401  (the module's Chromium)
    playwright_api,
)
from tests.web.test_browser_counter import TABLET
from tests.web.test_browser_returns import _shots


@dataclass(frozen=True)
class Chain:
    url: str
    platform: Platform
    shop: Shop


def _order(url: str, body: dict[str, object], key: str) -> dict[str, object]:
    response = httpx.post(f"{url}/v1/orders", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def chain(tmp_path, request) -> Iterator[Chain]:  # type: ignore[no-untyped-def]
    """make_shop's network with today's orders (a recognised web order, a till sale at
    Paris), relayed to the figures; head office and Lyon's manager."""
    platform = make_platform("sqlite", tmp_path, request)
    shop = make_shop(platform)
    with platform.db.transaction() as session:
        for email, role, store in (
            ("siege@maison-lumiere.example", staff.Role.head_office, None),
            ("manon@maison-lumiere.example", staff.Role.store_manager, "LYON-01"),
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
        _order(
            server.url,
            checkout_body(line(shop.robe, 2), customer_ref="email:ines@exemple.fr"),
            shop.web,
        )
        _order(server.url, {"lines": [line(shop.pull, 1)], "payment": CAPTURED}, shop.paris)
        platform.relay().drain()
        yield Chain(url=server.url, platform=platform, shop=shop)
    platform.close()


def test_the_three_views_and_the_store_managers_page_render_with_their_charts(chain, browser):  # noqa: F811
    expect = playwright_api.expect
    context = browser.new_context(base_url=chain.url, viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "siege@maison-lumiere.example")
    problems: list[str] = []

    page.goto("/admin/kpis/week")
    expect(page.get_by_role("heading", name="Les campagnes de la semaine")).to_be_visible()
    expect(page.locator("tr[data-metric='orders'] td").first).to_have_text("2")
    expect(page.locator("#sales-chart")).to_be_attached()
    problems += _audit(page)
    problems += _shots(page, "kpi-week")

    page.get_by_role("link", name="La stratégie du mois").click()
    expect(page.get_by_role("heading", name="La stratégie du mois")).to_be_visible()
    expect(page.locator("svg.france circle")).to_have_count(2)
    problems += _audit(page)
    problems += _shots(page, "kpi-month")

    page.get_by_role("link", name="Opérations en direct").click()
    expect(page.get_by_role("heading", name="Opérations en direct")).to_be_visible()
    problems += _audit(page)
    problems += _shots(page, "kpi-operations")
    context.close()

    context = browser.new_context(base_url=chain.url, viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "manon@maison-lumiere.example")
    page.get_by_role("link", name="Chiffres").click()
    expect(page.get_by_role("heading", name="Chiffres de Store LYON-01")).to_be_visible()
    expect(page.locator("tr[data-metric='orders'] td").nth(1)).to_have_text("2")
    problems += _audit(page)
    problems += _shots(page, "kpi-store")
    context.close()

    assert problems == []


def test_the_operations_view_shows_a_new_pickup_without_reloading_the_page(chain, browser):  # noqa: F811
    """A pickup placed through the API, made ready at Lyon and relayed appears in the open
    view; a value the page held before is still there: the page was not reloaded."""
    expect = playwright_api.expect
    context = browser.new_context(base_url=chain.url, viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "siege@maison-lumiere.example")
    page.goto("/admin/kpis/operations?store=LYON-01")
    expect(page.get_by_text("Aucun retrait en attente.")).to_be_visible()
    page.evaluate("window.openedOnce = 'toujours là'")

    order = _order(
        chain.url,
        checkout_body(line(chain.shop.jean, 1, "pickup", location="LYON-01")),
        chain.shop.web,
    )
    fulfilment = order["fulfilments"][0]["id"]  # type: ignore[index]
    for verb in ("pick", "ready"):
        moved = httpx.post(
            f"{chain.url}/v1/fulfilments/{fulfilment}/{verb}", headers=auth(chain.shop.lyon)
        )
        assert moved.status_code == 200, moved.text
    chain.platform.relay().drain()

    expect(page.locator("#pickups")).to_contain_text(str(order["id"]))
    expect(page.locator("#pickups-waiting")).to_have_text("1")
    assert page.evaluate("window.openedOnce") == "toujours là"
    assert int(page.locator("#live").get_attribute("data-refreshes") or "0") >= 1
    context.close()
