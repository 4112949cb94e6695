"""The back office in the browser: head office sees orders, stock, customers and prices;
clerks and store managers are refused; French by default, English on request."""

from __future__ import annotations

import re

import pytest

from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import MovementIn, MovementKind, StockSettingsIn
from omnicanal.platform.actors import OPERATOR
from tests.builders import auth, make_location, make_product, receive
from tests.customers.support import make_source, profile_by, profiles_key, send
from tests.orders.builders import checkout_body, line, make_shop, place
from tests.pricing.builders import make_promotion, make_sku, set_override
from tests.web.test_store_pages import make_staff, sign_in


@pytest.fixture
def boss(platform, client):
    """A head-office member, signed in."""
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")
    return platform


def test_a_clerk_is_refused_the_back_office_with_a_clear_page(platform, client):
    make_location(platform, "LYON")
    make_staff(platform, "lea@example.fr")
    sign_in(client, "lea@example.fr")

    for path in ("/admin", "/admin/orders", "/admin/stock", "/admin/reviews", "/admin/prices"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "réservé au siège" in response.text


def test_the_back_office_needs_a_signed_in_member(platform, client):
    response = client.get("/admin/orders", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/store/login?next=/admin/orders"


# --- orders ------------------------------------------------------------------------------


def test_the_board_counts_orders_by_status_and_channel(boss, client):
    shop = make_shop(boss)
    for _ in range(2):
        place(boss, line(shop.robe))
    till = client.post(
        "/v1/orders",
        json={"lines": [line(shop.jean)], "payment": {**checkout_body()["payment"]}},
        headers=auth(shop.lyon),
    )
    assert till.status_code == 201, till.text

    page = client.get("/admin/orders")

    assert page.status_code == 200
    cell = re.search(
        r'href="(/admin/orders\?status=allocated&amp;channel=web)"[^>]*>(\d+)<', page.text
    )
    assert cell is not None and cell.group(2) == "2"
    store_cell = re.search(r"status=completed&amp;channel=store\"[^>]*>(\d+)<", page.text)
    assert store_cell is not None and store_cell.group(1) == "1"
    filtered = client.get("/admin/orders", params={"status": "allocated", "channel": "web"})
    assert filtered.text.count('href="/admin/orders/') == 2
    assert till.json()["id"] not in filtered.text


def test_the_order_page_shows_status_lines_totals_and_history(boss, client):
    shop = make_shop(boss)
    order = place(boss, line(shop.robe, 2))

    page = client.get(f"/admin/orders/{order.id}")

    assert page.status_code == 200
    assert "En préparation" in page.text
    assert "Produit ROBE-ALMA" in page.text
    assert "99,80\u00a0€" in page.text
    assert "Historique" in page.text
    assert "Passée" in page.text
    assert "WH-CENTRE" in page.text
    english = client.get(f"/admin/orders/{order.id}", params={"lang": "en"})
    assert "Being prepared" in english.text and "History" in english.text


def test_the_order_page_names_the_tills_terminal_and_a_payment_service_as_given(boss, client):
    """omnicanal's own provider codes read as words; a payment service's name as given."""
    shop = make_shop(boss)
    at_till = place(
        boss,
        line(shop.robe, 1),
        payment={"provider": "store_terminal", "reference": "TPE-3", "status": "captured"},
    )
    online = place(boss, line(shop.robe, 1))

    till_page = client.get(f"/admin/orders/{at_till.id}")
    online_page = client.get(f"/admin/orders/{online.id}")

    assert "Terminal de paiement · TPE-3" in till_page.text
    assert "store_terminal" not in till_page.text
    assert f"{online.payment.provider} · {online.payment.reference}" in online_page.text
    english = client.get(f"/admin/orders/{at_till.id}", params={"lang": "en"})
    assert "Card terminal · TPE-3" in english.text


def test_an_unknown_order_gets_a_clear_404(boss, client):
    page = client.get("/admin/orders/01NOPE")

    assert page.status_code == 404
    assert "Commande inconnue" in page.text
    assert "Traceback" not in page.text


def test_the_order_list_pages_through_the_orders(boss, client):
    shop = make_shop(boss)
    receive(boss, shop.robe, "WH-CENTRE", 10)
    for _ in range(27):
        place(boss, line(shop.robe))

    first = client.get("/admin/orders")
    next_link = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert next_link is not None
    second = client.get(next_link.group(1).replace("&amp;", "&"))

    assert first.text.count('href="/admin/orders/') == 25
    assert second.text.count('href="/admin/orders/') == 2


# --- stock -------------------------------------------------------------------------------


@pytest.fixture
def stocked(boss):
    """LYON holds a dress at zero, a jean under its threshold and a coat in plenty; PARIS
    holds dresses."""
    make_location(boss, "LYON")
    make_location(boss, "PARIS", latitude=48.8566, longitude=2.3522, city="Paris")
    robe, jean, coat = (make_product(boss, code)[0] for code in ("ROBE", "JEAN", "MANTEAU"))
    receive(boss, robe, "LYON", 1)
    with boss.db.transaction() as session:
        inventory.record_movement(
            session,
            data=MovementIn(sku=robe, location="LYON", kind=MovementKind.sale, quantity=1),
            actor=OPERATOR,
        )
    receive(boss, jean, "LYON", 2)
    receive(boss, coat, "LYON", 40)
    receive(boss, robe, "PARIS", 12)
    return robe, jean, coat


def test_the_stock_page_counts_low_and_out_skus_by_location(boss, client, stocked):
    page = client.get("/admin/stock")

    assert page.status_code == 200
    row = re.search(r"/admin/stock/LYON\">LYON</a>.*?</tr>", page.text, re.S)
    assert row is not None
    assert 'status=low_stock">1<' in row.group(0)
    assert 'status=out_of_stock">1<' in row.group(0)


def test_a_location_page_flags_the_sku_at_zero_as_out_and_the_one_under_threshold_as_low(
    boss, client, stocked
):
    robe, jean, coat = stocked

    page = client.get("/admin/stock/LYON")

    assert page.status_code == 200
    assert re.search(rf"{robe}.*?data-status=\"out_of_stock\">Rupture<", page.text, re.S)
    assert re.search(rf"{jean}.*?data-status=\"low_stock\">Stock bas<", page.text, re.S)
    assert coat not in page.text
    assert "Produit JEAN" in page.text
    only_out = client.get("/admin/stock/LYON", params={"status": "out_of_stock"})
    assert robe in only_out.text and jean not in only_out.text


def test_a_raised_threshold_makes_a_sku_low(boss, client, stocked):
    _, _, coat = stocked
    with boss.db.transaction() as session:
        inventory.update_stock_settings(
            session,
            sku=coat,
            location_code="LYON",
            data=StockSettingsIn(low_stock_threshold=50),
            actor=OPERATOR,
        )

    page = client.get("/admin/stock/LYON", params={"status": "low_stock"})

    assert coat in page.text


def test_an_unknown_location_gets_a_clear_404(boss, client):
    page = client.get("/admin/stock/NOWHERE")

    assert page.status_code == 404
    assert "Lieu inconnu" in page.text


def test_a_store_manager_sees_the_stock_of_their_own_store_only(platform, client, stocked):
    make_staff(platform, "max@example.fr", role="store_manager", location="LYON")
    client.cookies.clear()
    sign_in(client, "max@example.fr")

    assert client.get("/admin/stock/LYON").status_code == 200
    assert client.get("/admin/stock/PARIS").status_code == 403
    assert client.get("/admin/stock").status_code == 403


def test_the_sku_map_shows_every_location_holding_it_with_its_quantity(boss, client, stocked):
    robe, _, _ = stocked

    page = client.get("/admin/stock/sku", params={"q": robe})

    assert page.status_code == 200
    circles = re.findall(r'<circle [^>]*data-location="(\w+)" data-available="(\d+)"', page.text)
    assert sorted(circles) == [("LYON", "0"), ("PARIS", "12")]
    assert re.search(r"PARIS</a></th>\s*<td>Paris</td>\s*<td class=\"num\">12</td>", page.text)
    unknown = client.get("/admin/stock/sku", params={"q": "NOPE-1"})
    assert unknown.status_code == 404
    assert "NOPE-1" in unknown.text


# --- customers ---------------------------------------------------------------------------


@pytest.fixture
def conflict(boss, client):
    """One customer account seen with two loyalty cards: a review waits for a person."""
    app = make_source(boss, "app")
    send(
        client,
        app,
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID1"}},
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID2"}},
    )
    return profiles_key(boss)


def _csrf(html: str) -> str:
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token is not None
    return token.group(1)


def _post(client, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(
        path,
        data=fields,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def test_a_review_shows_both_profiles_and_merging_makes_one(boss, client, conflict):
    page = client.get("/admin/reviews")
    assert page.status_code == 200
    assert "Deux cartes de fidélité différentes" in page.text
    assert "FID1" in page.text and "FID2" in page.text
    review_id = re.search(r'action="/admin/reviews/(\w+)"', page.text).group(1)  # type: ignore[union-attr]

    decided = _post(
        client,
        f"/admin/reviews/{review_id}",
        csrf=_csrf(page.text),
        decision="merge",
        confirm="yes",
    )

    assert decided.status_code == 303
    assert decided.headers["location"] == "/admin/reviews?done=merged"
    assert (
        "Les deux profils n\u2019en font plus qu\u2019un."
        in client.get(decided.headers["location"]).text
    )
    first = profile_by(client, conflict, loyalty_card="FID1")["id"]
    assert first == profile_by(client, conflict, loyalty_card="FID2")["id"]


def test_a_review_from_the_public_web_key_says_why_in_french(boss, client):
    """The web shop's key (in every page) names two known customers in one message: the
    review's reason reads as a French sentence, not as its code."""
    store, web = make_source(boss, "store"), make_source(boss, "web")
    send(
        client,
        store,
        {"type": "identify", "anonymousId": "till-1", "traits": {"email": "ana@exemple.fr"}},
        {"type": "identify", "anonymousId": "till-2", "traits": {"phone": "+33612345678"}},
    )
    send(
        client,
        web,
        {
            "type": "identify",
            "anonymousId": "v-1",
            "traits": {"email": "ana@exemple.fr", "phone": "+33612345678"},
        },
    )

    page = client.get("/admin/reviews")

    assert page.status_code == 200
    assert "Une source publique (le site web) joint deux clients connus" in page.text
    assert "untrusted_source" not in page.text


def test_keeping_a_pair_apart_leaves_two_profiles(boss, client, conflict):
    page = client.get("/admin/reviews")
    review_id = re.search(r'action="/admin/reviews/(\w+)"', page.text).group(1)  # type: ignore[union-attr]

    _post(client, f"/admin/reviews/{review_id}", csrf=_csrf(page.text), decision="keep_apart")

    first = profile_by(client, conflict, loyalty_card="FID1")["id"]
    assert first != profile_by(client, conflict, loyalty_card="FID2")["id"]
    assert "Aucune revue en attente." in client.get("/admin/reviews").text


def test_a_decision_without_the_csrf_token_changes_nothing(boss, client, conflict):
    page = client.get("/admin/reviews")
    review_id = re.search(r'action="/admin/reviews/(\w+)"', page.text).group(1)  # type: ignore[union-attr]

    refused = _post(client, f"/admin/reviews/{review_id}", decision="merge")

    assert refused.status_code == 403
    first = profile_by(client, conflict, loyalty_card="FID1")["id"]
    assert first != profile_by(client, conflict, loyalty_card="FID2")["id"]
    assert review_id in client.get("/admin/reviews").text


def test_a_merge_can_be_undone_from_the_profile_merges(boss, client, conflict):
    page = client.get("/admin/reviews")
    review_id = re.search(r'action="/admin/reviews/(\w+)"', page.text).group(1)  # type: ignore[union-attr]
    _post(
        client,
        f"/admin/reviews/{review_id}",
        csrf=_csrf(page.text),
        decision="merge",
        confirm="yes",
    )
    merged = profile_by(client, conflict, loyalty_card="FID1")["id"]
    search = client.get("/admin/customers", params={"q": "FID1"})
    assert f'href="/store/customers/{merged}"' in search.text
    merges = client.get(f"/admin/customers/{merged}/merges")
    merge_id = re.search(r'name="merge_id" value="(\w+)"', merges.text).group(1)  # type: ignore[union-attr]

    undone = _post(
        client,
        f"/admin/customers/{merged}/unmerge",
        csrf=_csrf(merges.text),
        merge_id=merge_id,
        confirm="yes",
    )

    assert undone.status_code == 303
    assert "La fusion est défaite" in client.get(undone.headers["location"]).text
    first = profile_by(client, conflict, loyalty_card="FID1")["id"]
    assert first != profile_by(client, conflict, loyalty_card="FID2")["id"]


# --- prices, promotions, home ------------------------------------------------------------


def test_the_price_audit_lists_each_override_with_reason_and_author(boss, client):
    make_sku(boss, "ROBE-M", 4990)
    make_sku(boss, "JEAN-40", 7990)
    set_override(boss, "ROBE-M", "store", 3990, reason="Fin de série")

    page = client.get("/admin/prices")

    assert page.status_code == 200
    assert "ROBE-M" in page.text and "JEAN-40" not in page.text
    assert "39,90\u00a0€" in page.text and "49,90\u00a0€" in page.text
    assert "Fin de série" in page.text
    assert "ligne de commande du serveur" in page.text


def test_promotions_are_listed_by_phase_with_conditions_and_redemptions(boss, client):
    make_sku(boss, "ROBE-M", 4990)
    make_promotion(
        boss,
        "ETE10",
        "percent_off",
        percent=10,
        requires_coupon=True,
        usage_limit=100,
        channels=["web"],
    )
    make_promotion(boss, "NOEL", "free_shipping", starts_at="2099-12-01T00:00:00Z", name="Noël")

    page = client.get("/admin/promotions")

    assert page.status_code == 200
    active = page.text.split('id="phase-upcoming"')[0]
    assert "ETE10" in active and "10 % de remise" in active
    assert "Avec le code promo ETE10" in active
    assert "0 sur 100" in active
    upcoming = page.text.split('id="phase-upcoming"')[1].split('id="phase-ended"')[0]
    assert "NOEL" in upcoming and "Livraison offerte" in upcoming


def test_the_home_counts_todays_orders_and_draws_a_chart(boss, client):
    shop = make_shop(boss)
    place(boss, line(shop.robe))

    page = client.get("/admin")

    assert page.status_code == 200
    assert re.search(r'<span class="figure">1</span> commandes aujourd\u2019hui', page.text)
    assert page.text.count("<rect ") == 7
    english = client.get("/admin", params={"lang": "en"})
    assert "orders today" in english.text and 'lang="en"' in english.text
