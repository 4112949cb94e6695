"""A NUL or bytes that are not UTF-8 in a page's form, query string or path: a French 400 page,
never a 500, and nothing changed."""

from __future__ import annotations

import pytest

from tests.builders import make_location, snapshot
from tests.web.test_store_pages import make_staff, sign_in

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
FRENCH = "caractères illisibles"


@pytest.fixture
def clerk(platform, client):  # type: ignore[no-untyped-def]
    """Léa, a Lyon clerk, signed in; and Hélène of the head office."""
    make_location(platform, "LYON")
    make_staff(platform, "lea@example.fr")
    make_staff(platform, "helene@example.fr", role="head_office", location=None)
    sign_in(client, "lea@example.fr")
    return client


def assert_refused_in_french(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert FRENCH in response.text


@pytest.mark.parametrize("query", ["q=Zo%00e", "q=%ED%A0%80", "q=%C3", "lang=fr%00"])
def test_a_bad_character_in_the_customer_search_is_a_french_400(platform, clerk, query):
    """The search box of the store with a NUL or a lone surrogate."""
    before = snapshot(platform)

    response = clerk.get(f"/store/customers?{query}")

    assert_refused_in_french(response)
    assert snapshot(platform) == before


@pytest.mark.parametrize("path", ["/store/products?q=ROBE%00", "/store/customers/01%00"])
def test_a_bad_character_in_a_product_search_or_a_path_is_a_french_400(platform, clerk, path):
    """The product search and a customer's page address."""
    response = clerk.get(path)

    assert_refused_in_french(response)


@pytest.mark.parametrize(
    "path", ["/admin/customers?q=%00", "/admin/stock/sku?q=%ED%A0%80", "/admin/orders?date=%00"]
)
def test_a_bad_character_in_a_back_office_query_is_a_french_400(platform, client, path):
    """The head office's searches refuse the same characters."""
    make_staff(platform, "helene@example.fr", role="head_office", location=None)
    sign_in(client, "helene@example.fr")

    response = client.get(path)

    assert_refused_in_french(response)


@pytest.mark.parametrize("email", ["lea%00@example.fr", "lea%ED%A0%80@example.fr"])
def test_a_bad_character_in_the_sign_in_form_is_a_french_400_and_signs_nobody_in(
    platform, client, email
):
    """The sign-in form read through the one form reader."""
    make_location(platform, "LYON")
    make_staff(platform, "lea@example.fr")
    before = snapshot(platform)

    response = client.post(
        "/store/login",
        content=f"email={email}&password=correct+horse&next=/store",
        headers=FORM,
        follow_redirects=False,
    )

    assert_refused_in_french(response)
    assert snapshot(platform) == before


def test_a_bad_character_in_a_posted_form_of_a_signed_in_clerk_is_a_french_400(platform, clerk):
    """A form behind the sign-in (signing out) with a NUL changes nothing."""
    before = snapshot(platform)

    response = clerk.post(
        "/store/logout", content="csrf=x%00y", headers=FORM, follow_redirects=False
    )

    assert_refused_in_french(response)
    assert snapshot(platform) == before
