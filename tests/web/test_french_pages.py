"""Every page of the store and the back office reads French from end to end: no English word,
no raw code, no "UTC", on a small world signed in as a clerk and as head office."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from omnicanal.platform.wiring import Platform
from tests.builders import make_location
from tests.customers.support import make_source, send
from tests.pricing.builders import make_promotion, set_override
from tests.reviews.builders import zoes_review
from tests.web.loyalty_world import french_scene
from tests.web.messages_world import message_scene
from tests.web.test_admin_returns import waiting_return
from tests.web.test_store_basket import M_NATURAL, make_dress, open_basket, sale_fields, sell
from tests.web.test_store_pages import build_zoe, make_staff, sign_in
from tests.web.test_store_selling import pickup_for

# Words that are English and not French; a French page shows none of them ("stock" is French
# too: "en stock", "le stock du magasin").
ENGLISH = frozenset(
    [
        "the",
        "and",
        "or",
        "of",
        "to",
        "for",
        "with",
        "from",
        "by",
        "at",
        "is",
        "are",
        "was",
        "be",
        "not",
        "no",
        "yes",
        "this",
        "that",
        "these",
        "you",
        "your",
        "order",
        "orders",
        "customer",
        "customers",
        "found",
        "price",
        "prices",
        "cancel",
        "cancelled",
        "placed",
        "allocated",
        "picking",
        "packed",
        "shipped",
        "delivered",
        "ready",
        "pickup",
        "collected",
        "released",
        "expired",
        "completed",
        "rejected",
        "held",
        "tried",
        "bought",
        "checked",
        "store",
        "web",
        "app",
        "call",
        "centre",
        "marketplace",
        "operator",
        "system",
        "staff",
        "created",
        "updated",
        "reserved",
        "reservation",
        "checkout",
        "delivery",
        "home",
        "sign",
        "password",
        "search",
        "product",
        "products",
        "size",
        "colour",
        "unknown",
        "error",
        "back",
        "discount",
        "off",
        "free",
        "shipping",
        "basket",
        "cart",
        "receipt",
        "paid",
        "payment",
        "captured",
        "authorised",
        "review",
        "reviews",
        "merge",
        "merged",
        "unmerge",
        "pending",
        "event",
        "events",
        "item",
        "items",
        "line",
        "lines",
        "quantity",
        "available",
        "none",
        "unit",
        "sold",
        "sale",
        "sell",
        "user_id",
        "loyalty_card",
        "phone",
        "email",
        "external_id",
        "anonymous_id",
        "anonymous",
        "identify",
        "identified",
        "track",
        "carry",
        "out",
        "try",
        "days",
        "hours",
        "minutes",
        "applied",
        "reason",
        "rule",
        "rules",
        "new",
        "open",
        "close",
    ]
)

# Proper names and codes that pages legitimately show as they are: the product, the names the
# builders give tracking sources, and "Back-office" and "Site web" (French as the trade says
# it; a bare "web" is still the raw channel code).
# "Or" is the loyalty programme's gold tier, in French.
ALLOWED = frozenset({"omnicanal", "Zoé", "Léa", "Or"})
ALLOWED_NAMES = ("test web", "test app", "Back-office", "back-office", "Site web")

CODE = re.compile(r"\b[A-Z0-9][A-Z0-9_-]*[0-9_-][A-Z0-9_-]*\b|\b[A-Z]{2,}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\bhttps?://\S+")
"""A web address is read as an address, not as words: its signed tokens are random letters."""
TOKEN = re.compile(r"[\w+/=.-]{16,}")
"""A secret or a token shown once (a webhook's ``whsec_…``) is random letters and digits, not
words: a run of 16 such characters with a digit in it."""
WORD = re.compile(r"[^\W\d]+")


def _without_tokens(text: str) -> str:
    return TOKEN.sub(lambda m: " " if any(c.isdigit() for c in m[0]) else m[0], text)


class VisibleText(HTMLParser):
    """The strings a person sees or hears: text nodes, and the titles, labels, placeholders
    and button captions."""

    SEEN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.strings: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        for name in self.SEEN_ATTRIBUTES:
            if values.get(name):
                self.strings.append(str(values[name]))
        is_button = tag == "button" or (
            tag == "input" and values.get("type") in ("submit", "button", "reset")
        )
        if is_button and values.get("value"):
            self.strings.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.strings.append(data.strip())


def english_words(html: str) -> list[str]:
    """The visible strings of ``html`` that hold an English word, each with the word."""
    parser = VisibleText()
    parser.feed(html)
    found: list[str] = []
    for string in parser.strings:
        if "UTC" in string:
            found.append(f"UTC in {string!r}")
        cleaned = _without_tokens(EMAIL.sub(" ", URL.sub(" ", string)))
        for name in ALLOWED_NAMES:
            cleaned = cleaned.replace(name, " ")
        cleaned = CODE.sub(" ", cleaned)
        for word in WORD.findall(cleaned):
            if word in ALLOWED:
                continue
            if word.lower() in ENGLISH:
                found.append(f"{word!r} in {string!r}")
    return found


def test_the_checker_sees_english_words_and_leaves_codes_and_names():
    html = (
        '<p>Commande <b>ROBE-LIN-M</b> de zoe@example.fr</p><button title="Cancel order">'
        'x</button><input type="submit" value="Valider"><script>var order = 1;</script>'
    )

    assert english_words(html) == ["'Cancel' in 'Cancel order'", "'order' in 'Cancel order'"]


def test_the_checker_reads_a_secret_as_a_secret_and_the_words_around_it():
    text = "<p>Secret : whsec_vr+68bY52/Qpvs57PfmgrxrOzE42asa6sSQNG3kd+Ns= order</p>"

    assert english_words(text) == [
        "'order' in 'Secret : whsec_vr+68bY52/Qpvs57PfmgrxrOzE42asa6sSQNG3kd+Ns= order'"
    ]


def test_the_checker_reads_a_web_address_as_an_address_and_the_words_around_it():
    text = "<p>Me désabonner : http://127.0.0.1:8000/unsubscribe/eyJ.axW.ZirsB0Of2Wi order</p>"

    assert english_words(text) == [
        "'order' in 'Me désabonner : http://127.0.0.1:8000/unsubscribe/eyJ.axW.ZirsB0Of2Wi order'"
    ]


def build_world(platform: Platform, client: TestClient) -> dict[str, str]:
    """Lyon and Villeurbanne with a clerk each, head office, Zoé with a web cart, a pickup and
    a reservation to try at Lyon, a counter sale with its receipt, a price override, a
    promotion, an identity review, the sale's dress brought back worn waiting for head
    office, Zoé's review of the dress waiting for moderation, and the loyalty Club (Zoé a
    member with points and a reward, a sale part paid with them, Inès not a member);
    returns the ids the pages need."""
    make_location(platform, "LYON", name="Magasin Lyon Part-Dieu")
    make_location(
        platform,
        "VIL",
        latitude=45.7719,
        longitude=4.8902,
        city="Villeurbanne",
        name="Magasin Villeurbanne",
    )
    make_staff(platform, "lea@example.fr")
    make_staff(platform, "victor@example.fr", location="VIL")
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sku = build_zoe(platform, client)
    make_dress(platform)
    pickup = pickup_for(platform, sku)
    pickup_for(platform, M_NATURAL, "reserve_and_try", reserve_days=2)
    set_override(platform, M_NATURAL, "store", 7900, reason="Fin de série")
    make_promotion(platform, "ETE10", "percent_off", percent=10, requires_coupon=True)
    send(
        client,
        make_source(platform, "app"),
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID1"}},
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID2"}},
    )
    sign_in(client, "lea@example.fr")
    basket = open_basket(client, sku=M_NATURAL)
    sold = sell(
        client, basket, {**sale_fields(client, basket, "carry_out"), "payment_reference": "T-1"}
    )
    assert sold.status_code == 303, sold.text
    order_id = sold.headers["location"].split("/")[3]
    search = client.get("/store/customers", params={"q": "zoe@example.fr"})
    profile = re.search(r'href="/store/customers/([0-9A-Z]{26})"', search.text)
    assert profile is not None
    zoes_review(platform)
    loyalty = french_scene(platform, client)
    return {
        **loyalty,
        "sku": sku,
        "basket": basket,
        "order": order_id,
        "profile": profile.group(1),
        "pickup": pickup,
        "return": waiting_return(platform, order_id, "LYON"),
    }


def store_pages(ids: dict[str, str]) -> list[str]:
    return [
        "/store",
        "/store/customers?q=zoe@example.fr",
        "/store/customers?q=0612345678",
        "/store/customers?q=07 00 00 00 00",
        f"/store/customers/{ids['profile']}",
        f"/store/products?q={M_NATURAL}",
        "/store/products?q=robe",
        "/store/products?q=0000000000000",
        "/store/queue/LYON",
        f"/store/queue/LYON?done={ids['pickup']}",
        "/store/queue/VIL",
        "/store/customers?q=zoe",
        ids["basket"],
        "/store/baskets/01NOPE",
        f"/store/orders/{ids['order']}",
        f"/store/orders/{ids['order']}/receipt",
        "/store/returns",
        f"/store/returns?q={ids['order']}",
        "/store/returns?q=06 12 34 56 78",
        f"/store/returns?product={M_NATURAL}",
        "/store/returns?q=personne",
        f"/store/orders/{ids['order']}/return",
        f"/store/returns/{ids['return']}",
        "/store/returns/01NOPE",
        ids["not_member"],
        ids["points_basket"],
        ids["points_receipt"],
        "/store/kpis",
    ]


def admin_pages(ids: dict[str, str]) -> list[str]:
    return [
        "/admin",
        "/admin/orders",
        f"/admin/orders/{ids['order']}",
        "/admin/orders/01NOPE",
        "/admin/stock",
        "/admin/stock/LYON",
        "/admin/stock/alerts",
        "/admin/stock/alerts?location=LYON&channel=store&category=Robes",
        "/admin/stock/alerts?category=Parapluies",
        "/admin/orders?store=LYON&channel=store",
        "/admin/orders?status=perdu",
        f"/admin/stock/sku?q={M_NATURAL}",
        "/admin/customers?q=zoe@example.fr",
        f"/admin/customers/{ids['profile']}/merges",
        "/admin/reviews",
        "/admin/prices",
        "/admin/promotions",
        "/admin/audit",
        "/admin/privacy?q=zoe@example.fr",
        "/admin/returns",
        "/admin/returns?status=lost",
        "/admin/returns/measures",
        "/admin/returns/measures?days=90",
        f"/admin/returns/{ids['return']}",
        f"/admin/returns/{ids['return']}/label",
        "/admin/returns/01NOPE",
        "/admin/loyalty",
        "/admin/loyalty?programme=NOPE",
        "/admin/loyalty/members",
        "/admin/loyalty/members?q=personne",
        f"/admin/loyalty/members/{ids['member']}",
        "/admin/loyalty/members/01NOPE",
        "/admin/product-reviews",
        "/admin/product-reviews?status=all&rating=5&channel=web",
        "/admin/product-reviews?rating=9",
        "/admin/kpis/week",
        "/admin/kpis/week?days=90&by=channel&metric=sales",
        "/admin/kpis/week?from=banane",
        "/admin/kpis/month?months=12&map=orders",
        "/admin/kpis/operations",
        "/admin/kpis/pilots/01NOPE",
        "/store/kpis?store=VIL",
    ]


@pytest.mark.parametrize("role", ["clerk", "head_office"])
def test_every_page_reads_french_without_an_english_word(platform, client, role):
    """Each page (its errors included) is read for English words and "UTC"."""
    ids = build_world(platform, client)
    paths = store_pages(ids)
    if role == "head_office":
        client.cookies.clear()
        sign_in(client, "hugo@example.fr")
        paths = [*admin_pages(ids), "/store", "/store/customers?q=zoe@example.fr"]
    client.cookies.clear()
    sign_in(client, "lea@example.fr" if role == "clerk" else "hugo@example.fr")

    found = {}
    for path in paths:
        page = client.get(path)
        assert page.status_code < 500, path
        assert '<html lang="fr">' in page.text, path
        words = english_words(page.text)
        if words:
            found[path] = words

    assert found == {}, "\n".join(f"{path}: {words}" for path, words in found.items())


def test_the_sign_in_page_reads_french(platform, client):
    assert english_words(client.get("/store/login").text) == []


@pytest.mark.parametrize("path", ["/store/nowhere", "/admin/nowhere/else"])
def test_an_unknown_page_answers_a_french_page_not_json(platform, client, path):
    make_location(platform, "LYON")
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")

    page = client.get(path)

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Cette page n\u2019existe pas." in page.text
    assert english_words(page.text) == []


def test_an_unknown_api_address_still_answers_a_problem(client):
    response = client.get("/v1/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_an_admin_deep_link_survives_the_sign_in(platform, client):
    """The sign-in comes back to the very page asked, its query included."""
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)

    asked = client.get("/admin/orders?status=allocated&channel=web", follow_redirects=False)
    form = client.get(asked.headers["location"])
    next_path = re.search(r'name="next" value="([^"]+)"', form.text)
    assert next_path is not None
    signed = client.post(
        "/store/login",
        data={
            "email": "hugo@example.fr",
            "password": "correct horse",
            "next": next_path.group(1).replace("&amp;", "&"),
        },
        follow_redirects=False,
    )

    assert signed.status_code == 303
    assert signed.headers["location"] == "/admin/orders?status=allocated&channel=web"


def test_the_sign_in_goes_to_no_other_site(platform, client):
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)

    signed = client.post(
        "/store/login",
        data={"email": "hugo@example.fr", "password": "correct horse", "next": "//evil.example"},
        follow_redirects=False,
    )

    assert signed.headers["location"] == "/store"


PLACEHOLDERS = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|(<textarea id=\"t-html\"[^>]*>).*?(</textarea>)", re.S
)
"""A message template's placeholders (``{{ customer.first_name }}``) and its HTML source, as
the template's editor shows them: code, as a SKU is."""


def test_the_message_pages_read_french_without_an_english_word(platform, client):
    """The back office's message pages, on messages the engagement module planned, sent,
    withheld and withdrawn itself, with a segment and a customer's preview; their errors
    too."""
    make_location(platform, "LYON", name="Magasin Lyon Part-Dieu")
    make_location(platform, "VIL", city="Villeurbanne", name="Magasin Villeurbanne")
    make_staff(platform, "lea@example.fr")
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    ids = message_scene(platform, client, build_zoe(platform, client))
    client.cookies.clear()
    sign_in(client, "hugo@example.fr")
    segment = {
        "csrf": re.findall(
            r'name="csrf" value="([^"]+)"', client.get("/admin/messages/segments/new").text
        )[0],
        "code": "FIDELES",
        "name": "Les fidèles",
        "rule-0-field": "computed.orders",
        "rule-0-op": "gte",
        "rule-0-value": "1",
    }
    assert client.post("/admin/messages/segments/new", data=segment).status_code == 200
    template = "/admin/messages/templates/ABANDONED_CART/fr/email"
    paths = [
        "/admin/messages",
        "/admin/messages?days=7",
        "/admin/messages?days=12",
        "/admin/messages/log",
        "/admin/messages/log?status=withheld&kind=abandoned_cart&channel=email",
        "/admin/messages/log?status=perdu",
        "/admin/messages/withheld",
        "/admin/messages/mailbox",
        *(f"/admin/messages/{ids[name]}" for name in ("sent", "withheld", "withdrawn")),
        "/admin/messages/01NOPE",
        "/admin/messages/triggers",
        "/admin/messages/triggers/ABANDONED_CART",
        "/admin/messages/triggers/PICKUP_READY",
        "/admin/messages/triggers/WIN_BACK",
        "/admin/messages/triggers/NOPE",
        template,
        f"{template}?q=zoe@example.fr",
        f"{template}?customer={ids['zoe']}",
        "/admin/messages/templates/PICKUP_READY/fr/sms",
        "/admin/messages/templates/NOPE/fr/email",
        "/admin/messages/segments",
        "/admin/messages/segments/new",
        "/admin/messages/segments/FIDELES",
        "/admin/messages/segments/NOPE",
        "/admin/messages/policy",
    ]

    found = {}
    for path in paths:
        page = client.get(path)
        assert page.status_code < 500, path
        assert '<html lang="fr">' in page.text, path
        words = english_words(PLACEHOLDERS.sub(r" \1\2", page.text))
        if words:
            found[path] = words

    assert found == {}, "\n".join(f"{path}: {words}" for path, words in found.items())
