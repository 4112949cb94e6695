"""The back office's message pages, end to end in a real headless Chromium.

Head office opens Messages from the back office's navigation: the chart of the days is drawn
and the unjust messages read 0; the withheld list says in French why Zoé's reminder was kept
back; the local mailbox opens Inès's reminder with what was sent; the cart reminder's French
e-mail is previewed with Zoé's own data, found by her e-mail; the log, the triggers, a
segment and the policy are opened. The pages pass the
accessibility audit of ``test_browser``; screenshots at tablet (1024 px) and phone (390 px)
widths go where the other browser tests write theirs, and no page is wider than the screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from omnicanal.api.app import create_app
from omnicanal.platform.wiring import Platform
from tests.conftest import LiveServer, make_platform
from tests.web.messages_world import message_scene
from tests.web.test_browser import (
    _audit,
    browser,  # noqa: F401  (the module's Chromium)
    playwright_api,
)
from tests.web.test_browser_counter import TABLET
from tests.web.test_browser_loyalty import _sign_in
from tests.web.test_browser_returns import _shots
from tests.web.test_store_pages import build_lyon, build_zoe, make_staff


@pytest.fixture
def messages(tmp_path, request) -> Iterator[tuple[str, Platform, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """Lyon, head office, Zoé and Inès and their messages (``messages_world``). Yields the
    server's address, the platform and the messages' ids."""
    platform = make_platform("sqlite", tmp_path, request)
    with TestClient(create_app(platform, background=False)) as client:
        build_lyon(platform)
        make_staff(platform, "hugo@example.fr", role="head_office", location=None)
        ids = message_scene(platform, client, build_zoe(platform, client))
    with LiveServer(platform) as server:
        yield server.url, platform, ids
    platform.close()


def test_head_office_reads_the_days_the_reasons_the_mailbox_and_a_preview(
    messages,
    browser,  # noqa: F811
):
    url, _platform, ids = messages
    expect = playwright_api.expect
    context = browser.new_context(base_url=url, viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "hugo@example.fr")
    problems: list[str] = []

    # From the back office's navigation to the overview: the chart and the unjust figure.
    page.goto("/admin")
    page.get_by_role("navigation", name="Back-office").get_by_role("link", name="Messages").click()
    expect(page).to_have_url(re.compile(r"/admin/messages$"))
    chart = page.get_by_role("img", name=re.compile("^Messages par jour sur les 30 derniers"))
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_name(re.compile("envoyés : 1, retenus : 1, retirés : 1"))
    assert page.locator("svg.days rect").count() == 3
    expect(page.locator("#unjust-count")).to_have_text("0")
    expect(page.locator("#reason-counts")).to_contain_text("Retenu : retour")
    problems += _audit(page)
    problems += _shots(page, "messages-overview")

    # The withheld list, in French, each with its reason as it stood.
    page.get_by_role("link", name="Retenus et retirés").first.click()
    rows = page.locator("table.withheld tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Retenu : retour il y a 2 jours")
    expect(rows.nth(0)).to_contain_text("Zoé")
    expect(rows.nth(1)).to_contain_text("Retiré : le panier a été acheté")
    problems += _audit(page)
    problems += _shots(page, "messages-withheld")

    # The local mailbox opens Inès's reminder: what was sent, the HTML in its sealed frame.
    page.get_by_role("link", name="Boîte locale").click()
    page.get_by_role("link", name="Inès, votre panier vous attend").click()
    expect(page).to_have_url(re.compile(rf"/admin/messages/{ids['sent']}$"))
    expect(page.locator("#message-text")).to_contain_text("Bonjour Inès")
    frame = page.locator("iframe.message-html")
    expect(frame).to_have_attribute("sandbox", "")
    expect(page.frame_locator("iframe.message-html").locator("body")).to_contain_text("Inès")
    problems += _audit(page)
    problems += _shots(page, "messages-message")

    # The cart reminder's French e-mail, previewed with Zoé's own data.
    page.get_by_role("link", name="Déclencheurs").click()
    page.get_by_role("link", name="Relance panier abandonné").click()
    page.get_by_role("link", name="E-mail en français").click()
    page.get_by_label("Client : téléphone, e-mail, carte de fidélité ou nom").fill("zoe@example.fr")
    page.get_by_role("button", name="Rechercher").click()
    page.locator("#preview-matches").get_by_role("link", name="Zoé").click()
    expect(page.locator("#preview")).to_contain_text("Tel que Zoé le recevrait maintenant")
    expect(page.locator("#preview-text")).to_contain_text("Bonjour Zoé")
    problems += _audit(page)
    problems += _shots(page, "messages-template")

    # The other pages hold on a tablet and a phone too.
    for path, name in [
        ("/admin/messages/log", "messages-log"),
        ("/admin/messages/triggers", "messages-triggers"),
        ("/admin/messages/triggers/ABANDONED_CART", "messages-trigger"),
        ("/admin/messages/segments/new", "messages-segment"),
        ("/admin/messages/policy", "messages-policy"),
    ]:
        page.goto(path)
        problems += _audit(page)
        problems += _shots(page, name)
    context.close()

    assert problems == [], "\n".join(problems)
