"""Head office's fixes from the Lyon trial: stock alerts ranked and paged with list filters,
the orders board filtered from lists, and the identity review queue read in a few queries."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from tests.builders import make_location, make_product, receive
from tests.customers.support import make_source, send
from tests.inventory.test_ranked_alerts import make_in_category, sell
from tests.orders.builders import line, make_shop, place
from tests.web.test_admin_pages import boss  # noqa: F401
from tests.web.test_french_pages import english_words
from tests.web.test_store_pages import make_staff, sign_in


@pytest.fixture
def alerting(boss):  # noqa: F811
    """LYON sells over its counter only, PARIS online too. LYON: a dress sold out fast (20
    sold), a coat low and never sold; PARIS: a bag (another category) sold out (1 sold)."""
    make_location(boss, "LYON", channels=("store",), name="Magasin Lyon")
    make_location(
        boss, "PARIS", latitude=48.8566, longitude=2.3522, city="Paris", name="Magasin Paris"
    )
    robe, coat = (make_product(boss, code)[0] for code in ("ROBE", "MANTEAU"))
    bag = make_in_category(boss, "SAC", "Sacs")
    receive(boss, robe, "LYON", 20)
    sell(boss, robe, "LYON", 20)
    receive(boss, coat, "LYON", 1)
    receive(boss, bag, "PARIS", 1)
    sell(boss, bag, "PARIS", 1)
    return robe, coat, bag


def rows(html: str) -> list[tuple[str, str, str]]:
    """(priority, SKU, location) of each line of the alerts table, in order."""
    return re.findall(
        r'<tr class="alert-\w+" data-priority="(\w+)">.*?<a href="/admin/stock/sku\?q=[^"]+">'
        r"([^<]+)</a>.*?<a href=\"/admin/stock/([\w-]+)\">",
        html,
        re.S,
    )


# --- stock alerts ------------------------------------------------------------------------------


def test_the_alerts_page_puts_the_fast_seller_first_with_its_priority_in_french(
    boss,  # noqa: F811
    client,
    alerting,
):
    robe, coat, bag = alerting

    page = client.get("/admin/stock/alerts")

    assert page.status_code == 200
    assert rows(page.text) == [
        ("high", robe, "LYON"),
        ("normal", bag, "PARIS"),
        ("dormant", coat, "LYON"),
    ]
    assert ">Haute<" in page.text and ">Sans vente récente<" in page.text
    assert "3 articles à réapprovisionner" in page.text
    assert re.search(r'<td class="num">20</td>\s*<td class="num">—</td>', page.text) is None
    assert english_words(page.text) == []


def test_the_alerts_filters_are_lists_of_the_networks_choices(boss, client, alerting):  # noqa: F811
    page = client.get("/admin/stock/alerts")

    for name in ("location", "channel", "category", "status"):
        assert re.search(rf'<select id="f-{name}" name="{name}">', page.text), name
    assert '<option value="PARIS" >PARIS · Magasin Paris</option>' in page.text
    assert '<option value="Sacs" >Sacs</option>' in page.text
    assert '<option value="web" >' in page.text
    assert "<input" not in page.text.split('role="search"')[1].split("</form>")[0]


def test_the_alerts_are_filtered_by_channel_category_and_location(boss, client, alerting):  # noqa: F811
    _, coat, bag = alerting

    web = client.get("/admin/stock/alerts", params={"channel": "web"})
    bags = client.get("/admin/stock/alerts", params={"category": "Sacs"})
    lyon = client.get("/admin/stock/alerts", params={"location": "LYON", "status": "low_stock"})

    assert rows(web.text) == [("normal", bag, "PARIS")]
    assert rows(bags.text) == [("normal", bag, "PARIS")]
    assert rows(lyon.text) == [("dormant", coat, "LYON")]
    assert '<option value="LYON" selected>' in lyon.text


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        (
            {"category": "Parapluies"},
            "« Parapluies » ne fait pas partie des choix de « Catégorie »",
        ),
        ({"location": "NOWHERE"}, "« NOWHERE » ne fait pas partie des choix de « Lieu »"),
        ({"channel": "fax"}, "« fax » ne fait pas partie des choix de « Canal »"),
        ({"status": "gone"}, "« gone » ne fait pas partie des choix de « Alerte »"),
        ({"page": "deux"}, "« deux » n\u2019est pas un numéro de page."),
    ],
)
def test_a_value_outside_the_lists_gets_a_french_400(boss, client, alerting, query, sentence):  # noqa: F811
    page = client.get("/admin/stock/alerts", params=query)

    assert page.status_code == 400
    assert sentence in page.text
    assert english_words(page.text) == []


def many_alerts(platform: Platform, count: int) -> list[str]:
    """``count`` sizes of one T-shirt, each with one unit at LYON (low), in one go."""
    skus = make_product(platform, "TSHIRT", sizes=tuple(f"T{n:02d}" for n in range(count)))
    with platform.db.transaction() as session:
        for sku in skus:
            inventory.record_movement(
                session,
                data=MovementIn(sku=sku, location="LYON", kind=MovementKind.receipt, quantity=1),
                actor=OPERATOR,
            )
    return skus


def test_the_alerts_come_fifty_a_page_with_links_between_pages(boss, client):  # noqa: F811
    make_location(boss, "LYON")
    many_alerts(boss, 53)

    first = client.get("/admin/stock/alerts")
    next_link = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert next_link is not None
    second = client.get(next_link.group(1).replace("&amp;", "&"))

    assert len(rows(first.text)) == 50
    assert len(rows(second.text)) == 3
    assert "Page 2 sur 2" in second.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert re.findall(
        r"<td class=\"num\">(\d+)</td>\s*<td><span class=\"priority", second.text
    ) == [
        "51",
        "52",
        "53",
    ]


def test_a_location_page_is_ranked_and_paged_too(boss, client):  # noqa: F811
    make_location(boss, "LYON")
    many_alerts(boss, 53)

    page = client.get("/admin/stock/LYON")
    last = client.get("/admin/stock/LYON", params={"page": "2"})

    assert page.status_code == 200 and len(rows(page.text)) == 0  # no location column here
    assert page.text.count('data-priority="dormant"') == 50
    assert last.text.count('data-priority="dormant"') == 3
    assert client.get("/admin/stock/LYON", params={"page": "0"}).status_code == 400


def test_the_stock_page_links_to_the_ranked_alerts(boss, client, alerting):  # noqa: F811
    page = client.get("/admin/stock")

    assert 'href="/admin/stock/alerts"' in page.text


# --- the orders board's filters ----------------------------------------------------------------


def test_the_orders_board_filters_are_lists(boss, client):  # noqa: F811
    shop = make_shop(boss)
    place(boss, line(shop.robe))

    page = client.get("/admin/orders")

    form = page.text.split('role="search"')[1].split("</form>")[0]
    assert '<select id="f-status" name="status">' in form
    assert '<select id="f-channel" name="channel">' in form
    assert '<select id="f-store" name="store">' in form
    assert re.findall(r"<input[^>]*>", form) == [
        '<input id="f-date" name="date" type="date" value="">'
    ]
    assert '<option value="call_centre" >' in form  # every channel, with orders or not
    assert '<option value="LYON-01" >LYON-01 · ' in form


def test_a_chosen_store_and_channel_stay_selected(boss, client):  # noqa: F811
    make_shop(boss)

    page = client.get("/admin/orders", params={"store": "LYON-01", "channel": "store"})

    assert page.status_code == 200
    assert '<option value="LYON-01" selected>' in page.text
    assert '<option value="store" selected>' in page.text


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ({"status": "lost"}, "« lost » ne fait pas partie des choix de « Statut »"),
        ({"channel": "fax"}, "« fax » ne fait pas partie des choix de « Canal »"),
        ({"store": "lyon-01"}, "« lyon-01 » ne fait pas partie des choix de « Magasin »"),
    ],
)
def test_an_unknown_board_filter_gets_a_french_400(boss, client, query, sentence):  # noqa: F811
    make_shop(boss)

    page = client.get("/admin/orders", params=query)

    assert page.status_code == 400
    assert sentence in page.text
    assert english_words(page.text) == []


# --- the identity review queue -----------------------------------------------------------------


def conflicts(platform: Platform, client, people: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Each person seen with two loyalty cards (FIDA1 and FIDA2 for "A"): one review waiting
    per person."""
    app = make_source(platform, "app")
    for person in people:
        send(
            client,
            app,
            {"type": "identify", "userId": person, "traits": {"loyalty_card": f"FID{person}1"}},
            {"type": "identify", "userId": person, "traits": {"loyalty_card": f"FID{person}2"}},
        )


def page_statements(platform: Platform, client, path: str) -> int:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = platform.db.read_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_the_review_queue_reads_the_same_few_queries_for_one_review_or_many(boss, client):  # noqa: F811
    """No query per review: the cards of every pair are read together."""
    conflicts(boss, client, ["A"])
    one = page_statements(boss, client, "/admin/reviews")
    conflicts(boss, client, ["B", "C", "D"])
    four = page_statements(boss, client, "/admin/reviews")

    page = client.get("/admin/reviews")
    assert four == one
    assert page.text.count('<section class="card review"') == 4
    for person in "ABCD":
        assert f"FID{person}1" in page.text and f"FID{person}2" in page.text


def test_a_review_card_shows_the_name_and_the_profile_it_is_part_of_now(boss, client):  # noqa: F811
    app = make_source(boss, "app")
    send(
        client,
        app,
        {
            "type": "identify",
            "userId": "zoe",
            "traits": {"first_name": "Zoé", "last_name": "Martin"},
        },
        {"type": "identify", "userId": "zoe", "traits": {"loyalty_card": "FID1"}},
        {
            "type": "identify",
            "userId": "zoe",
            "traits": {"loyalty_card": "FID2", "first_name": "Zoë"},
        },
    )

    page = client.get("/admin/reviews")

    assert page.status_code == 200
    assert re.search(r'<h3><a href="/store/customers/[0-9A-Z]{26}">Zoë Martin</a></h3>', page.text)


def test_a_clerk_still_cannot_open_the_alerts(platform, client):
    make_location(platform, "LYON")
    make_staff(platform, "lea@example.fr")
    sign_in(client, "lea@example.fr")

    assert client.get("/admin/stock/alerts").status_code == 403
