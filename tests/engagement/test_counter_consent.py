"""The clerk's consent panel on the customer page: the customer's answer about news by e-mail
and SMS, read from the ledger and recorded in one tap at the clerk's till (a double tap
once); a refusal of personalised offers in the ledger stops the counter's suggestions."""

from __future__ import annotations

import re

import pytest

from omnicanal.staff import service as staff
from tests.builders import snapshot
from tests.engagement.consent_builders import answer, ledger_rows, states_of
from tests.web.test_french_pages import english_words
from tests.web.test_store_pages import build_lyon, build_zoe, make_staff, sign_in
from tests.web.test_store_selling import co_purchases, profile_path


@pytest.fixture
def counter(platform, client) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Léa of the Lyon store signed in; Zoé's page and her SKU."""
    build_lyon(platform)
    sku = build_zoe(platform, client)
    sign_in(client, "lea@example.fr")
    return profile_path(client), sku


def panel_of(html: str) -> str:
    start = html.index('id="consents"')
    return html[start : html.index("</section>", start)]


def button_form(html: str, channel: str, answer: str) -> dict[str, str]:
    """The hidden fields of the panel's button for ``channel`` and ``answer``."""
    for form in re.findall(r"<form[^>]*/consents\"[^>]*>(.*?)</form>", html, re.S):
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
        if fields.get("channel") == channel and fields.get("answer") == answer:
            return fields
    raise AssertionError(f"no button for {channel} {answer}")


def test_the_clerk_reads_her_answers_and_records_one_in_one_tap(platform, client, counter):
    path, _ = counter
    zoe = path.rsplit("/", 1)[1]
    page = client.get(path).text
    panel = panel_of(page)
    assert "Accord pour les actualités" in panel
    assert panel.count("Jamais demandé") == 2
    assert english_words(panel) == []

    response = client.post(
        f"{path}/consents", data=button_form(page, "sms", "yes"), follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"].endswith("#consents-title")
    assert states_of(platform, zoe) == {("marketing", "sms"): True}
    [row] = ledger_rows(platform)
    with platform.db.reading() as session:
        lea = next(a for a in staff.list_staff(session) if a.email == "lea@example.fr")
    assert (row.source, row.location_code, row.proof) == (
        "till",
        "LYON",
        {"form": "counter", "staff_id": lea.id},
    )
    after = panel_of(client.get(path).text)
    assert "Accepte" in after and "en caisse" in after and "LYON" in after


def test_a_double_tap_records_the_answer_once(platform, client, counter):
    path, _ = counter
    fields = button_form(client.get(path).text, "email", "no")

    first = client.post(f"{path}/consents", data=fields, follow_redirects=False)
    second = client.post(f"{path}/consents", data=fields, follow_redirects=False)

    assert first.status_code == second.status_code == 303
    assert len(ledger_rows(platform)) == 1


@pytest.mark.parametrize(
    "change",
    [{"channel": "post"}, {"channel": "fax"}, {"answer": "maybe"}, {"answer": ""}],
)
def test_a_hand_made_answer_is_refused_and_nothing_is_written(platform, client, counter, change):
    path, _ = counter
    fields = {**button_form(client.get(path).text, "email", "yes"), **change}
    before = snapshot(platform)

    response = client.post(f"{path}/consents", data=fields)

    assert response.status_code == 422
    assert "Choisissez la réponse du client" in response.text
    assert snapshot(platform) == before


def test_without_the_pages_csrf_token_nothing_is_written(platform, client, counter):
    path, _ = counter
    fields = {**button_form(client.get(path).text, "email", "yes"), "csrf": "forged"}
    before = snapshot(platform)

    response = client.post(f"{path}/consents", data=fields)

    assert response.status_code == 403
    assert snapshot(platform) == before


def test_head_office_without_a_store_sees_the_answers_but_records_none(platform, client, counter):
    path, _ = counter
    fields = button_form(client.get(path).text, "email", "yes")
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")
    page = client.get(path).text
    before = snapshot(platform)

    response = client.post(f"{path}/consents", data={**fields, "csrf": csrf(page)})

    assert 'action="' + path + '/consents"' not in page  # no button without a till
    assert response.status_code == 403
    assert "Votre compte n\u2019est rattaché à aucun magasin" in response.text
    assert snapshot(platform) == before


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_a_refusal_of_personalised_offers_in_the_ledger_stops_suggestions(
    platform, client, counter
):
    path, sku = counter
    co_purchases(platform, sku)
    assert "Produit CEINTURE" in client.get(path).text

    answer(platform, path.rsplit("/", 1)[1], "personalised_offers", "push", granted=False)
    page = client.get(path).text

    assert "Le client a refusé les offres personnalisées" in page
    assert "Produit CEINTURE" not in page
