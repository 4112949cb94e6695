"""Head office's moderation page (``/admin/product-reviews``): the waiting reviews in French,
oldest first, filtered by status, stars and channel; publishing, or rejecting with a reason,
once confirmed and audited; a wrong filter or form is a French 4xx page that changes nothing;
clerks are refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from omnicanal.platform import audit
from omnicanal.platform.wiring import Platform
from omnicanal.reviews.models import ProductReview
from tests.builders import snapshot
from tests.returns.builders import Shop, make_shop, till_order
from tests.reviews.builders import DRESS, INES, JACKET, make_customer, submit
from tests.web.test_admin_pages import _csrf, _post
from tests.web.test_french_pages import english_words
from tests.web.test_store_pages import make_staff, sign_in

PAGE = "/admin/product-reviews"


@pytest.fixture
def shop(platform, client) -> Shop:  # type: ignore[no-untyped-def]
    """The returns shop; Inès bought the dress at Lyon and reviewed it there (5 stars), then
    the jacket on the web (2 stars); a Lyon clerk and head office; head office signed in."""
    made = make_shop(platform)
    make_customer(platform, client)
    till_order(client, made.lyon, (made.robe_m, 1), customer_ref=INES)
    submit(client, made.lyon, product=DRESS, rating=5, title="Superbe robe")
    submit(client, made.web, product=JACKET, rating=2, title="Trop petite", text="<b>taille</b>")
    make_staff(platform, "lea@example.fr", location="LYON-01")
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")
    return made


def review_ids(platform: Platform) -> dict[str, str]:
    with platform.db.reading() as session:
        return {
            row.product_code: row.id
            for row in session.query(ProductReview).order_by(ProductReview.submitted_at)
        }


def status_of(platform: Platform, review_id: str) -> tuple[str, str | None]:
    with platform.db.reading() as session:
        row = session.get(ProductReview, review_id)
        assert row is not None
        return row.status, row.rejection_reason


def decide(client: TestClient, review_id: str, **fields: str):  # type: ignore[no-untyped-def]
    token = _csrf(client.get(PAGE).text)
    return _post(client, f"{PAGE}/{review_id}", csrf=token, **fields)


def test_the_queue_shows_the_waiting_reviews_oldest_first_in_french(platform, client, shop):
    page = client.get(PAGE)

    assert page.status_code == 200
    assert english_words(page.text) == []
    assert page.text.index("Superbe robe") < page.text.index("Trop petite")
    assert "2 avis correspondent à ces filtres" in page.text
    assert "A acheté le produit" in page.text  # the dress, bought at Lyon
    assert "Inès Martin" in page.text
    assert "&lt;b&gt;taille&lt;/b&gt;" in page.text  # a customer's words are text, not markup
    assert 'aria-label="5 étoiles sur 5"' in page.text


def test_the_queue_pages_with_a_cursor_the_longest_wait_first(platform, client, shop, monkeypatch):
    """One review a page: the dress first, the next page the jacket, with the way back to
    the first page; a cursor the page did not make is a French 400."""
    monkeypatch.setattr("omnicanal.web.admin.product_reviews.PAGE_SIZE", 1)

    first = client.get(PAGE)
    [following] = re.findall(r'href="([^"]*after=[^"]*)" rel="next"', first.text)
    second = client.get(following.replace("&amp;", "&"))
    forged = client.get(PAGE + "?page=2&after=c.nope")

    assert "Superbe robe" in first.text and "Trop petite" not in first.text
    assert "Trop petite" in second.text and "Superbe robe" not in second.text
    assert "Page 2 sur 2" in second.text and "Première page" in second.text
    assert 'rel="next"' not in second.text
    assert forged.status_code == 400 and english_words(forged.text) == []


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?rating=2", "Trop petite", "Superbe robe"),
        ("?channel=store", "Superbe robe", "Trop petite"),
        ("?status=published", "Aucun avis ne correspond", "Superbe robe"),
    ],
)
def test_the_filters_narrow_the_queue(platform, client, shop, query, shown, hidden):
    page = client.get(PAGE + query)

    assert page.status_code == 200
    assert shown in page.text and hidden not in page.text
    assert english_words(page.text) == []


@pytest.mark.parametrize(
    "query", ["?status=lost", "?rating=6", "?rating=un", "?channel=fax", "?page=0", "?page=x"]
)
def test_a_filter_outside_its_choices_is_a_french_400(platform, client, shop, query):
    page = client.get(PAGE + query)

    assert page.status_code == 400
    assert english_words(page.text) == []


def test_publishing_once_confirmed_shows_the_review_and_is_audited(platform, client, shop):
    dress = review_ids(platform)[DRESS]

    response = decide(client, dress, decision="publish", confirm="yes")

    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?done=published"
    assert status_of(platform, dress) == ("published", None)
    done = client.get(response.headers["location"])
    assert "L\u2019avis est publié." in done.text
    with platform.db.reading() as session:
        [entry] = audit.list_entries(session, what="product_review")
    assert entry.operation == f"product_review:{dress}:publish"
    assert entry.actor == "operator:staff:hugo@example.fr"


def test_rejecting_needs_a_reason_and_a_confirmation_and_then_is_made(platform, client, shop):
    jacket = review_ids(platform)[JACKET]
    before = snapshot(platform)

    no_reason = decide(client, jacket, decision="reject", confirm="yes")
    bad_reason = decide(client, jacket, decision="reject", reason="moche", confirm="yes")
    unconfirmed = decide(client, jacket, decision="reject", reason="off_topic")
    unknown = decide(client, jacket, decision="delete", confirm="yes")

    assert [r.status_code for r in (no_reason, bad_reason, unconfirmed, unknown)] == [
        400,
        400,
        422,
        400,
    ]
    assert all(english_words(r.text) == [] for r in (no_reason, unconfirmed, unknown))
    assert snapshot(platform) == before

    made = decide(client, jacket, decision="reject", reason="off_topic", confirm="yes")

    assert made.status_code == 303
    assert status_of(platform, jacket) == ("rejected", "off_topic")
    rejected = client.get(PAGE + "?status=rejected")
    assert "Hors sujet : ne parle pas du produit" in rejected.text
    assert english_words(rejected.text) == []


def test_a_decided_or_unknown_review_is_a_french_page_and_changes_nothing(platform, client, shop):
    dress = review_ids(platform)[DRESS]
    decide(client, dress, decision="publish", confirm="yes")
    before = snapshot(platform)

    again = decide(client, dress, decision="reject", reason="duplicate", confirm="yes")
    nowhere = decide(client, "01NOPE", decision="publish", confirm="yes")

    assert (again.status_code, nowhere.status_code) == (409, 404)
    assert english_words(again.text) == [] and english_words(nowhere.text) == []
    assert snapshot(platform) == before


def test_a_form_without_its_csrf_token_is_refused(platform, client, shop):
    dress = review_ids(platform)[DRESS]

    response = _post(client, f"{PAGE}/{dress}", decision="publish", confirm="yes")

    assert response.status_code == 403
    assert status_of(platform, dress) == ("pending", None)


def test_a_clerk_neither_sees_nor_decides_the_queue(platform, client, shop):
    dress = review_ids(platform)[DRESS]
    client.cookies.clear()
    sign_in(client, "lea@example.fr")
    token = _csrf(client.get("/store").text)

    page = client.get(PAGE)
    posted = _post(client, f"{PAGE}/{dress}", csrf=token, decision="publish", confirm="yes")

    assert (page.status_code, posted.status_code) == (403, 403)
    assert status_of(platform, dress) == ("pending", None)
    assert re.search(r"Superbe robe", page.text) is None
