"""The loyalty scene at the counter, end to end in a real headless Chromium.

Zoé, a Gold member of the Club, comes to the Lyon store. The clerk finds her, reads her
tier, her points and her 10 % off dresses on her page, applies the offer to a basket in one
tap, scans a dress, pays 5 € of it with 500 of her points and the rest at the card terminal;
the receipt says so and what the purchase earns. Head office then reads the programme's
settings and Zoé's ledger, and adds points by hand with a reason. The pages pass the
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
from tests.web.loyalty_world import (
    balance_of,
    enrol_zoe,
    make_club,
    make_gold,
    publish_review,
    reward_of,
)
from tests.web.test_browser import (
    _audit,
    browser,  # noqa: F401  (the module's Chromium)
    playwright_api,
)
from tests.web.test_browser_counter import TABLET
from tests.web.test_browser_returns import _shots
from tests.web.test_store_basket import M_NATURAL, make_dress
from tests.web.test_store_pages import PASSWORD, build_lyon, build_zoe, make_staff, sign_in


@pytest.fixture
def club(tmp_path, request) -> Iterator[tuple[str, Platform, str]]:  # type: ignore[no-untyped-def]
    """Lyon and Villeurbanne, Léa (clerk in Lyon), head office, the linen dress; Zoé, Gold in
    the Club with 534 points, 10 % off dresses and two reviews. Yields the server's address,
    the platform and Zoé's member id."""
    platform = make_platform("sqlite", tmp_path, request)
    with TestClient(create_app(platform, background=False)) as client:
        build_lyon(platform)
        make_staff(platform, "hugo@example.fr", role="head_office", location=None)
        build_zoe(platform, client)
        make_dress(platform)
        make_club(platform, pending_days=0)
        member_id = enrol_zoe(platform)
        sign_in(client, "lea@example.fr")
        make_gold(platform, client, member_id)
        publish_review(platform, product_code="ROBE-LIN", rating=5, title="Parfaite")
        publish_review(platform, product_code="ROBE", rating=4, title="Jolie couleur")
    with LiveServer(platform) as server:
        yield server.url, platform, member_id
    platform.close()


def _sign_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/store/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_lyon_clerk_applies_zoes_reward_and_takes_her_points_then_head_office_reads_them(
    club,
    browser,  # noqa: F811
):
    url, platform, member_id = club
    expect = playwright_api.expect
    reward = reward_of(platform, member_id)
    context = browser.new_context(base_url=url, viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "lea@example.fr")
    problems: list[str] = []

    # Zoé's page: her tier, her points, her offer, her reviews.
    page.goto("/store/customers?q=zoe@example.fr")
    page.get_by_role("link", name=re.compile("Zoé")).first.click()
    panel = page.locator("section", has=page.locator("#loyalty-title"))
    expect(panel.locator("#loyalty-tier")).to_contain_text("Or")
    expect(panel.locator("#loyalty-available")).to_contain_text("534 points")
    expect(panel).to_contain_text("10\u00a0% de remise sur Robes")
    expect(panel).to_contain_text("Moyenne 4,5/5 sur 2 avis")
    problems += _audit(page)
    problems += _shots(page, "loyalty-customer")

    # One tap: the offer goes on a new counter basket; the dress is scanned.
    panel.get_by_role("button", name=re.compile("^Appliquer .* au panier$")).click()
    expect(page).to_have_url(re.compile(r"/store/baskets/[0-9A-Z]{26}$"))
    page.get_by_label("SKU ou GTIN", exact=True).fill(M_NATURAL)
    page.get_by_role("button", name="Ajouter", exact=True).click()
    expect(page.locator(".coupons")).to_contain_text(reward.coupon_code)
    expect(page.locator("#loyalty-points")).to_contain_text("534 à utiliser")
    problems += _audit(page)
    problems += _shots(page, "loyalty-basket")

    # 500 points pay 5 €, the card terminal the rest.
    sale = page.locator("form", has=page.locator("#sell-carry_out-title"))
    sale.get_by_label("Points à utiliser (facultatif)").fill("500")
    sale.get_by_label("Numéro du ticket du terminal de paiement").fill("T-77")
    sale.get_by_role("button", name="Vendre maintenant").click()
    expect(page).to_have_url(re.compile(r"/store/orders/[0-9A-Z]{26}/receipt"))
    expect(page.locator("#points-used")).to_contain_text("500 points · 5,00\u00a0€")
    expect(page.locator("#points-earned")).to_contain_text("112 points de fidélité gagnés")
    problems += _audit(page)
    problems += _shots(page, "loyalty-receipt")
    context.close()

    # Head office: the programme's settings, then Zoé's ledger and an adjustment.
    context = browser.new_context(base_url=url, viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "hugo@example.fr")
    page.goto("/admin/loyalty")
    expect(page.get_by_role("heading", name="Club Lumière")).to_be_visible()
    problems += _audit(page)
    problems += _shots(page, "loyalty-settings")
    page.get_by_role("link", name="Trouver un membre et ses points").click()
    page.get_by_label("Carte de fidélité, téléphone ou e-mail").fill("06 12 34 56 78")
    page.get_by_role("button", name="Trouver").click()
    expect(page.locator("#member-tier")).to_contain_text("Or")
    adjust = page.locator("form", has=page.get_by_role("button", name="Ajuster les points"))
    adjust.get_by_label("Ajouter des points").check()
    adjust.get_by_label("Points", exact=True).fill("20")
    adjust.get_by_label("Motif").select_option("complaint")
    adjust.get_by_role("checkbox", name=re.compile("Je confirme cet ajustement")).check()
    adjust.get_by_role("button", name="Ajuster les points").click()
    expect(page.get_by_role("status")).to_contain_text("Les points sont ajustés.")
    expect(page.locator("table.ledger")).to_contain_text("Réclamation réglée")
    problems += _audit(page)
    problems += _shots(page, "loyalty-member")
    context.close()

    assert problems == [], "\n".join(problems)
    assert reward_of(platform, member_id).status == "used"
    assert balance_of(platform, member_id)[0] == 534 - 500 + 20
