"""Customers who look alike in the search are told apart (city, last purchase, masked e-mail
and phone, loyalty card), and head office confirms before it merges or unmerges people."""

from __future__ import annotations

import re

import pytest

from tests.builders import auth, make_key, make_location, make_product, receive
from tests.customers.support import make_source, profile_by, send
from tests.web.test_admin_pages import _csrf, _post, boss, conflict  # noqa: F401
from tests.web.test_french_pages import english_words
from tests.web.test_store_pages import make_staff, sign_in

TWO_ZOES = (
    {
        "type": "identify",
        "userId": "zoe-lyon",
        "traits": {
            "first_name": "Zoé",
            "last_name": "Martin",
            "email": "zoe.martin@exemple.fr",
            "phone": "06 12 34 56 78",
            "loyalty_card": "FID4821",
            "address": {"street": "14 rue Mercière", "postal_code": "69002", "city": "Lyon"},
        },
    },
    {
        "type": "identify",
        "userId": "zoe-villeurbanne",
        "traits": {
            "first_name": "Zoé",
            "last_name": "Martin",
            "email": "zmartin@autre.fr",
            "phone": "07 98 76 54 32",
            "address": {
                "street": "3 cours Émile Zola",
                "postal_code": "69100",
                "city": "Villeurbanne",
            },
        },
    },
)


@pytest.fixture
def two_zoes(platform, client):
    """Two Zoé Martin, one in Lyon who bought at the Lyon store, one in Villeurbanne."""
    make_location(platform, "LYON", name="Magasin Lyon Part-Dieu")
    make_staff(platform, "lea@example.fr")
    send(client, make_source(platform, "app"), *TWO_ZOES)
    (robe,) = make_product(platform, "ROBE")
    receive(platform, robe, "LYON", 2)
    till = make_key(platform, "store", location="LYON")
    sold = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": robe, "quantity": 1}],
            "customer_ref": "zoe-lyon",
            "payment": {"provider": "adyen-pos", "reference": "pos_1", "status": "captured"},
        },
        headers=auth(till),
    )
    assert sold.status_code == 201, sold.text
    return platform


def _results(page: str) -> dict[str, str]:
    """Each result of the search page by the profile it links to."""
    items = re.findall(r'<li class="card">(.*?)</li>', page, re.S)
    found = {}
    for item in items:
        link = re.search(r'href="/store/customers/([0-9A-Z]{26})"', item)
        assert link is not None
        found[link.group(1)] = item
    return found


def test_two_customers_of_the_same_name_are_told_apart(two_zoes, client):
    sign_in(client, "lea@example.fr")

    page = client.get("/store/customers", params={"q": "zoe martin"})

    assert page.status_code == 200
    results = list(_results(page.text).values())
    assert len(results) == 2
    lyon = next(item for item in results if "z\u2022\u2022\u2022@exemple.fr" in item)
    villeurbanne = next(item for item in results if "z\u2022\u2022\u2022@autre.fr" in item)
    assert "<dd>Lyon</dd>" in lyon and "<dd>Villeurbanne</dd>" in villeurbanne
    assert "\u2022\u2022\u202256 78" in lyon and "\u2022\u2022\u202254 32" in villeurbanne
    assert "FID4821" in lyon and "FID4821" not in villeurbanne
    assert "En magasin · Magasin Lyon Part-Dieu" in lyon
    assert "Aucun pour l\u2019instant" in villeurbanne
    # Masked: the whole e-mail and phone are not read out at the counter.
    for whole in ("zoe.martin@exemple.fr", "zmartin@autre.fr", "06 12 34 56 78", "+33612345678"):
        assert not any(whole in item for item in results)
    assert english_words(page.text.replace("Store LYON", "")) == []


def test_one_customer_found_by_phone_shows_the_same_facts(two_zoes, client):
    sign_in(client, "lea@example.fr")

    page = client.get("/store/customers", params={"q": "07.98.76.54.32"})

    (item,) = _results(page.text).values()
    assert "<dd>Villeurbanne</dd>" in item and "\u2022\u2022\u202254 32" in item


# --- merge and unmerge ask to confirm ------------------------------------------------------


def _review_id(page: str) -> str:
    found = re.search(r'action="/admin/reviews/(\w+)"', page)
    assert found is not None
    return found.group(1)


def test_merging_a_pair_asks_to_confirm_and_changes_nothing_without(boss, client, conflict):  # noqa: F811
    page = client.get("/admin/reviews").text
    assert 'name="confirm" value="yes" required' in page
    review_id = _review_id(page)

    refused = _post(client, f"/admin/reviews/{review_id}", csrf=_csrf(page), decision="merge")

    assert refused.status_code == 422
    assert "Rien n\u2019a été changé : cochez la case pour confirmer" in refused.text
    assert english_words(refused.text) == []
    first = profile_by(client, conflict, loyalty_card="FID1")["id"]
    assert first != profile_by(client, conflict, loyalty_card="FID2")["id"]
    assert review_id in client.get("/admin/reviews").text

    merged = _post(
        client, f"/admin/reviews/{review_id}", csrf=_csrf(page), decision="merge", confirm="yes"
    )

    assert merged.status_code == 303
    first = profile_by(client, conflict, loyalty_card="FID1")["id"]
    assert first == profile_by(client, conflict, loyalty_card="FID2")["id"]


def test_unmerging_asks_to_confirm_and_changes_nothing_without(boss, client, conflict):  # noqa: F811
    page = client.get("/admin/reviews").text
    _post(
        client,
        f"/admin/reviews/{_review_id(page)}",
        csrf=_csrf(page),
        decision="merge",
        confirm="yes",
    )
    merged = profile_by(client, conflict, loyalty_card="FID1")["id"]
    merges = client.get(f"/admin/customers/{merged}/merges").text
    assert 'name="confirm" value="yes" required' in merges
    merge_id = re.search(r'name="merge_id" value="(\w+)"', merges)
    assert merge_id is not None
    path = f"/admin/customers/{merged}/unmerge"

    refused = _post(client, path, csrf=_csrf(merges), merge_id=merge_id.group(1))

    assert refused.status_code == 422
    assert "cochez la case pour confirmer" in refused.text
    assert profile_by(client, conflict, loyalty_card="FID2")["id"] == merged

    undone = _post(client, path, csrf=_csrf(merges), merge_id=merge_id.group(1), confirm="yes")

    assert undone.status_code == 303
    assert profile_by(client, conflict, loyalty_card="FID2")["id"] != merged
