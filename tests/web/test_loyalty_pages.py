"""Loyalty on the store's pages: the clerk sees Zoé's tier, points and reward on her page,
applies the reward to a basket in one tap and sells it, part paid with her points; a customer
joins the programme at the counter; every refusal a French sentence that changes nothing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.schemas import AdjustmentIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from tests.builders import snapshot
from tests.conftest import restored_world
from tests.customers.support import make_source, send
from tests.web.loyalty_world import (
    ZOE_CARD,
    balance_of,
    enrol_zoe,
    make_club,
    make_gold,
    publish_review,
    reward_of,
    zoe_profile,
)
from tests.web.test_store_basket import (
    M_NATURAL,
    csrf_of,
    make_dress,
    open_basket,
    sale_fields,
    sell,
)
from tests.web.test_store_pages import build_lyon, build_zoe, make_staff, sign_in

DRESS_WITH_REWARD = 8010
"""The dress at 89 € with Zoé's 10 % off dresses."""


@pytest.fixture
def club(platform: Platform, client: TestClient, request: pytest.FixtureRequest) -> str:
    """Lyon and Villeurbanne with their clerks, head office, the linen dress; Zoé, a Gold
    member of the Club with 534 points and 10 % off dresses to use; Inès, a customer who is
    not a member. Léa (Lyon) is signed in. Returns Zoé's member id."""

    def build() -> str:
        build_lyon(platform)
        make_staff(platform, "hugo@example.fr", role="head_office", location=None)
        build_zoe(platform, client)
        send(
            client,
            make_source(platform, "app"),
            {"type": "identify", "userId": "ines", "traits": {"email": "ines@example.fr"}},
        )
        make_dress(platform)
        make_club(platform, pending_days=0)
        member_id = enrol_zoe(platform)
        sign_in(client, "lea@example.fr")
        make_gold(platform, client, member_id)
        publish_review(platform, product_code="ROBE-LIN", rating=5, title="Parfaite")
        publish_review(platform, product_code="ROBE", rating=4, title="Jolie couleur")
        client.cookies.clear()
        return member_id

    member_id = restored_world(request, platform, build)
    sign_in(client, "lea@example.fr")
    return member_id


def _panel(page: str) -> str:
    return page.split('id="loyalty-title"')[1].split("</section>")[0]


def _apply(client: TestClient, profile: str, reward_id: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"{profile}/rewards/{reward_id}/apply",
        data={"csrf": csrf_of(client)},
        follow_redirects=False,
    )


# --- the customer page -----------------------------------------------------------------------


def test_zoes_page_shows_her_gold_tier_her_points_and_her_reward(platform, client, club):
    """Programme, card, member since, tier, points and what they are worth, the reward in
    French with its one-tap button; her average rating and last reviews."""
    page = client.get(zoe_profile(client))

    panel = _panel(page.text)
    assert page.status_code == 200
    assert "Club Lumière" in panel
    assert "FIDZOE0001" in panel  # the card as its number is written everywhere
    assert "Membre depuis" in panel
    assert re.search(r'id="loyalty-tier"><strong class="tier tier-gold">Or</strong>', panel)
    assert "534 points" in panel and "(d\u2019une valeur de 5,34\u00a0€)" in panel
    assert "10\u00a0% de remise sur Robes" in panel
    assert "Appliquer au panier" in panel
    assert "Moyenne 4,5/5 sur 2 avis" in panel
    assert "Robe en lin Élise — « Parfaite »" in panel


def test_the_clerk_applies_zoes_reward_and_sells_it_part_paid_with_her_points(
    platform, client, club
):
    """The done-when scene: one tap puts the reward on a new basket; the dress costs 80,10 €;
    500 points pay 5 € and the card terminal the rest; the receipt says both and the points
    the sale earns; the reward is used once, the balance and the ledger are right."""
    profile = zoe_profile(client)
    reward = reward_of(platform, club)

    applied = _apply(client, profile, reward.id)
    basket = applied.headers["location"]
    added = client.post(
        f"{basket}/lines", data={"csrf": csrf_of(client), "code": M_NATURAL}, follow_redirects=False
    )
    page = client.get(basket)
    fields = {
        **sale_fields(client, basket, "carry_out"),
        "loyalty_points": "500",
        "payment_reference": "T-77",
    }
    sold = sell(client, basket, fields)
    receipt = client.get(sold.headers["location"])
    platform.relay().drain()

    assert applied.status_code == 303, applied.text
    assert re.fullmatch(r"/store/baskets/[0-9A-Z]{26}", basket)
    assert added.status_code == 303
    assert reward.coupon_code in page.text
    assert "80,10\u00a0€" in page.text
    assert "Points de fidélité : 534 à utiliser, d\u2019une valeur de 5,34\u00a0€." in page.text
    assert sold.status_code == 303, sold.text
    assert "500 points · 5,00\u00a0€" in receipt.text
    assert "Terminal de paiement · 75,10\u00a0€" in receipt.text
    assert "112 points de fidélité gagnés avec cet achat" in receipt.text
    assert reward_of(platform, club).status == "used"
    assert balance_of(platform, club) == (534 - 500, 112, 0)
    with platform.db.reading() as session:
        [used] = loyalty.list_redemptions(session, actor=OPERATOR, member_id=club).items
        lines = loyalty.ledger_page(session, member_id=club, actor=OPERATOR).items
    assert (used.status, used.points, used.amount_minor, used.location) == (
        "captured",
        500,
        500,
        "LYON",
    )
    assert [(line.kind, line.points, line.pending_points) for line in lines[:2]] == [
        ("pending", 0, 112),
        ("redeem", -500, 0),
    ]


def test_a_used_reward_is_not_offered_again_and_cannot_be_applied_twice(platform, client, club):
    """Once sold, the reward leaves the page; a second tap from an old page changes
    nothing."""
    profile = zoe_profile(client)
    reward = reward_of(platform, club)
    basket = _apply(client, profile, reward.id).headers["location"]
    client.post(f"{basket}/lines", data={"csrf": csrf_of(client), "code": M_NATURAL})
    fields = {**sale_fields(client, basket, "carry_out"), "payment_reference": "T-78"}
    assert sell(client, basket, fields).status_code == 303
    platform.relay().drain()
    before = snapshot(platform)

    again = _apply(client, profile, reward.id)

    assert again.status_code == 409
    assert "Cette récompense a déjà été utilisée : elle ne sert qu\u2019une fois." in again.text
    assert reward.coupon_code not in _panel(again.text)
    assert "Aucune récompense à utiliser pour l\u2019instant." in _panel(again.text)
    assert snapshot(platform) == before


def test_someone_elses_reward_is_refused_and_changes_nothing(platform, client, club):
    """Inès cannot use Zoé's reward: it is not hers."""
    reward = reward_of(platform, club)
    search = client.get("/store/customers", params={"q": "ines@example.fr"})
    ines = re.search(r'href="(/store/customers/[0-9A-Z]{26})"', search.text)
    assert ines is not None
    before = snapshot(platform)

    refused = _apply(client, ines.group(1), reward.id)

    assert refused.status_code == 404
    assert "Cette récompense n\u2019est pas (plus) celle du client." in refused.text
    assert snapshot(platform) == before


def test_a_customer_who_is_not_a_member_joins_in_one_tap_with_a_card(platform, client, club):
    """Inès joins at the Lyon counter; a second tap (a double click) makes no second
    membership."""
    search = client.get("/store/customers", params={"q": "ines@example.fr"})
    found = re.search(r'href="(/store/customers/[0-9A-Z]{26})"', search.text)
    assert found is not None
    profile = found.group(1)
    before = client.get(profile)
    fields = {"csrf": csrf_of(client), "programme": "CLUB", "card_number": "fid 0042"}

    joined = client.post(f"{profile}/loyalty", data=fields, follow_redirects=False)
    twice = client.post(f"{profile}/loyalty", data=fields, follow_redirects=False)
    after = client.get(profile)

    assert "Pas membre du programme de fidélité." in _panel(before.text)
    assert "Inscrire au programme" in _panel(before.text)
    assert joined.status_code == 303 and twice.status_code == 303
    panel = _panel(after.text)
    assert "FID0042" in panel
    assert "0 point" in panel
    assert "Aucun palier atteint pour l\u2019instant" in panel
    with platform.db.reading() as session:
        member = loyalty.find_member(
            session, actor=OPERATOR, programme="CLUB", card_number="FID0042"
        )
    assert (member.joined_channel, member.joined_location) == ("store", "LYON")


def test_a_card_that_belongs_to_someone_else_is_refused_in_french(platform, client, club):
    search = client.get("/store/customers", params={"q": "ines@example.fr"})
    profile = re.search(r'href="(/store/customers/[0-9A-Z]{26})"', search.text)
    assert profile is not None
    before = snapshot(platform)

    refused = client.post(
        f"{profile.group(1)}/loyalty",
        data={"csrf": csrf_of(client), "programme": "CLUB", "card_number": ZOE_CARD},
        follow_redirects=False,
    )

    assert refused.status_code == 409
    assert "Cette carte de fidélité appartient déjà à un autre membre." in _panel(refused.text)
    assert snapshot(platform) == before


# --- paying with points ------------------------------------------------------------------------


def _zoes_basket(client: TestClient) -> str:
    profile_id = zoe_profile(client).rsplit("/", 1)[1]
    return open_basket(client, profile_id=profile_id, sku=M_NATURAL)


def _give(platform: Platform, member_id: str, points: int) -> None:
    with platform.db.transaction() as session:
        loyalty.adjust_points(
            session,
            member_id=member_id,
            data=AdjustmentIn(points=points, reason="goodwill"),
            actor=OPERATOR,
        )


def test_the_basket_offers_the_points_zoe_has_up_to_its_total(platform, client, club):
    basket = _zoes_basket(client)

    page = client.get(basket)

    assert "Jusqu\u2019à 534 points peuvent payer ce panier." in page.text
    assert 'name="loyalty_points" type="number" min="0" max="534"' in page.text


def test_points_alone_pay_the_whole_basket_without_the_card_terminal(platform, client, club):
    """With 10,534 points, the 89 € dress is paid with 8,900 of them: no terminal number; the
    receipt says points paid it all, and the sale earns nothing on what points paid."""
    _give(platform, club, 10_000)
    basket = _zoes_basket(client)
    page = client.get(basket)
    fields = {**sale_fields(client, basket, "carry_out"), "loyalty_points": "8900"}

    sold = sell(client, basket, fields)
    receipt = client.get(sold.headers["location"])
    platform.relay().drain()

    assert "Jusqu\u2019à 8\u202f900 points peuvent payer ce panier." in page.text
    assert sold.status_code == 303, sold.text
    assert "8\u202f900 points · 89,00\u00a0€" in receipt.text
    assert "Terminal de paiement" not in receipt.text
    assert "points de fidélité gagnés" not in receipt.text
    assert balance_of(platform, club) == (10_534 - 8_900, 0, 0)


@pytest.mark.parametrize(
    ("points", "terminal", "status", "sentence"),
    [
        ("abc", "T-1", 422, "Tapez les points à utiliser en nombre entier"),
        ("9999", "T-1", 409, "Le client n\u2019a pas autant de points à utiliser."),
        ("300", "", 422, "Les points ne paient pas tout le panier"),
    ],
    ids=["not a number", "more than she has", "the rest unpaid"],
)
def test_a_refused_payment_with_points_sells_nothing_and_holds_nothing(
    platform, client, club, points, terminal, status, sentence
):
    basket = _zoes_basket(client)
    fields = {
        **sale_fields(client, basket, "carry_out"),
        "loyalty_points": points,
        "payment_reference": terminal,
    }
    before = snapshot(platform)

    refused = sell(client, basket, fields)

    assert refused.status_code == status, refused.text
    assert sentence in refused.text
    assert snapshot(platform) == before
    assert balance_of(platform, club) == (534, 0, 0)


def test_points_worth_more_than_the_basket_are_refused(platform, client, club):
    """An 89 € basket cannot take 9,000 points: they would pay more than it costs."""
    _give(platform, club, 10_000)
    basket = _zoes_basket(client)
    fields = {**sale_fields(client, basket, "carry_out"), "loyalty_points": "9000"}
    before = snapshot(platform)

    refused = sell(client, basket, fields)

    assert refused.status_code == 422, refused.text
    assert "Ces points valent plus que le panier : utilisez-en moins." in refused.text
    assert snapshot(platform) == before


def test_a_sale_paid_with_points_posted_twice_holds_the_points_once(platform, client, club):
    """A double click or a refresh replays the first sale: one order, one redemption."""
    basket = _zoes_basket(client)
    fields = {
        **sale_fields(client, basket, "carry_out"),
        "loyalty_points": "200",
        "payment_reference": "T-9",
    }

    first = sell(client, basket, fields)
    second = sell(client, basket, fields)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert balance_of(platform, club) == (334, 0, 0)
    with platform.db.reading() as session:
        held = loyalty.list_redemptions(session, actor=OPERATOR, member_id=club).items
    assert [(r.points, r.status) for r in held] == [(200, "captured")]


def test_without_a_programme_the_page_still_shows_the_customers_reviews(platform, client):
    """A retailer with no loyalty programme: Zoé's page shows her reviews, nothing to join."""
    build_lyon(platform)
    build_zoe(platform, client)
    make_dress(platform)
    publish_review(platform, product_code="ROBE-LIN", rating=4, title="Bien coupée")
    sign_in(client, "lea@example.fr")

    page = client.get(zoe_profile(client))

    assert '<h2 id="loyalty-title">Avis sur les produits</h2>' in page.text
    assert "Moyenne 4,0/5 sur 1 avis" in _panel(page.text)
    assert "Inscrire au programme" not in page.text


def test_without_a_programme_or_a_review_there_is_no_panel(platform, client):
    build_lyon(platform)
    build_zoe(platform, client)
    sign_in(client, "lea@example.fr")

    page = client.get(zoe_profile(client))

    assert page.status_code == 200
    assert 'id="loyalty-title"' not in page.text


def test_the_panel_reads_in_english_on_request(platform, client, club):
    page = client.get(zoe_profile(client), params={"lang": "en"})

    panel = _panel(page.text)
    assert '<strong class="tier tier-gold">Gold</strong>' in panel
    assert "534 points" in panel and "(worth €5.34)" in panel
    assert "10% off Robes" in panel
    assert "Apply to the basket" in panel
