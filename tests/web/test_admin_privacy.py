"""The customer's rights in the back office: head office finds a person by any identifier,
downloads what is held about her, and erases her after a confirmation; no one else may."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
from sqlalchemy import select

from omnicanal.privacy.models import Erasure
from tests.builders import auth, snapshot
from tests.privacy.test_rights import CAMILLE_EMAIL, build_scene
from tests.web.test_admin_pages import _csrf, _post
from tests.web.test_store_pages import make_staff, sign_in

ZOE_EMAIL = "zoe.martin@exemple.fr"


@pytest.fixture
def zoe(platform, client):
    """Zoé (two web orders, a cart, a till visit) and Camille; head office signed in."""
    scene = build_scene(platform, client)
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")
    return scene


def _find(client, kind: str, value: str, **params: str):  # type: ignore[no-untyped-def]
    return client.get("/admin/privacy", params={"kind": kind, "value": value, **params})


def _erasure_form(client, zoe):  # type: ignore[no-untyped-def]
    page = _find(client, "email", ZOE_EMAIL)
    assert page.status_code == 200, page.text
    action = f"/admin/privacy/{zoe.zoe}/erase"
    assert f'action="{action}"' in page.text
    return action, _csrf(page.text)


# --- finding and exporting -----------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78"])
def test_head_office_finds_zoe_by_her_phone_in_any_french_format(zoe, client, phone):
    """The page names her, lists her identifiers and counts what is held, in French."""
    page = _find(client, "phone", phone)

    assert page.status_code == 200
    assert "Zoé Martin" in page.text
    assert zoe.zoe in page.text
    assert ZOE_EMAIL in page.text and "FID20931" in page.text
    assert "2 commandes" in page.text and "1 panier" in page.text
    assert "Télécharger en JSON" in page.text
    assert CAMILLE_EMAIL not in page.text


def test_the_page_speaks_english_on_request(zoe, client):
    """``?lang=en``: the same person, in English."""
    page = _find(client, "loyalty_card", "FID-20931", lang="en")

    assert page.status_code == 200
    assert "2 orders" in page.text and "Download as JSON" in page.text
    assert "Erase this person" in page.text


def test_an_identifier_nobody_has_says_so_in_a_sentence(zoe, client):
    """404 with a French sentence, never a stack trace; no erasure form."""
    page = _find(client, "email", "personne@exemple.fr")

    assert page.status_code == 404
    assert "Aucune personne ne correspond à cet identifiant (e-mail)" in page.text
    assert "/erase" not in page.text


@pytest.mark.parametrize(
    ("kind", "value"),
    [("phone", "not a phone"), ("favourite_colour", "blue"), ("email", "x" * 300)],
)
def test_a_bad_identifier_or_kind_is_refused_with_a_400(zoe, client, kind, value):
    """A value that is not an identifier of its kind, or an unknown kind: 400, a sentence."""
    page = _find(client, kind, value)

    assert page.status_code == 400
    assert 'role="alert"' in page.text
    assert "Traceback" not in page.text


def test_the_json_download_holds_everything_about_her_with_a_named_attachment(zoe, client):
    """The link of the page serves her export as a JSON file named after her profile."""
    page = _find(client, "phone", "0612345678")
    link = re.search(r'href="(/admin/privacy/\w+/export\?format=json)"', page.text)
    assert link is not None

    download = client.get(link.group(1))

    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json"
    disposition = download.headers["content-disposition"]
    named = rf'attachment; filename="omnicanal-{zoe.zoe}-\d{{4}}-\d\d-\d\d\.json"'
    assert re.fullmatch(named, disposition)
    assert download.headers["cache-control"] == "no-store"
    export = download.json()
    assert ZOE_EMAIL in {row["value"] for row in export["identifiers"]}
    assert sorted(order["id"] for order in export["orders"]) == sorted(zoe.order_ids[:2])
    assert CAMILLE_EMAIL not in json.dumps(export)


def test_the_csv_download_is_a_zip_that_opens(zoe, client):
    """One CSV per kind, her e-mail among her identifiers."""
    download = client.get(f"/admin/privacy/{zoe.zoe}/export", params={"format": "csv"})

    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert {"person.csv", "identifiers.csv", "orders.csv", "carts.csv"} <= set(archive.namelist())
    rows = csv.DictReader(io.StringIO(archive.read("identifiers.csv").decode("utf-8-sig")))
    assert ZOE_EMAIL in {row["value"] for row in rows}


def test_an_unknown_export_format_or_profile_gets_a_clear_page(zoe, client):
    """400 for a format that is neither JSON nor CSV, 404 for a profile nobody has."""
    bad_format = client.get(f"/admin/privacy/{zoe.zoe}/export", params={"format": "xlsx"})
    nobody = client.get("/admin/privacy/01ARZ3NDEKTSV4RRFFQ69G5FAV/export")

    assert bad_format.status_code == 400
    assert "n\u2019est pas un format d\u2019export" in bad_format.text
    assert nobody.status_code == 404
    assert "Client inconnu" in nobody.text


# --- erasure -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"reason": "request", "confirmation": ""},
        {"reason": "request", "confirmation": "oui"},
        {"reason": "because", "confirmation": "EFFACER"},
    ],
    ids=["no word", "wrong word", "unknown reason"],
)
def test_an_erasure_without_its_confirmation_changes_nothing(zoe, platform, client, fields):
    """No word, a wrong word or a reason that is not one of ours: 400, she is still there."""
    action, token = _erasure_form(client, zoe)
    before = snapshot(platform)

    refused = _post(client, action, csrf=token, **fields)

    assert refused.status_code == 400
    assert "Rien n\u2019a été effacé" in refused.text
    assert snapshot(platform) == before
    assert _find(client, "email", ZOE_EMAIL).status_code == 200


def test_an_erasure_without_the_csrf_token_changes_nothing(zoe, platform, client):
    """The pages' form rule: no token, no erasure."""
    action, _token = _erasure_form(client, zoe)
    before = snapshot(platform)

    refused = _post(client, action, reason="request", confirmation="EFFACER")

    assert refused.status_code == 403
    assert snapshot(platform) == before


def test_a_confirmed_erasure_forgets_her_and_records_who_did_it(zoe, platform, client):
    """Typing EFFACER erases her: the page shows the record (id, when, by whom), she is no
    longer found by any identifier, Camille is untouched."""
    action, token = _erasure_form(client, zoe)

    erased = _post(client, action, csrf=token, reason="objection", confirmation=" effacer ")

    assert erased.status_code == 303
    page = client.get(erased.headers["location"])
    with platform.db.reading() as session:
        erasure = session.scalars(select(Erasure)).one()
    assert erasure.profile_ids and zoe.zoe in erasure.profile_ids
    assert erasure.reason == "objection"
    assert "hugo@example.fr" in erasure.requested_by
    assert "La personne est effacée." in page.text
    assert "Procès-verbal d\u2019effacement" in page.text
    assert erasure.id in page.text and "hugo@example.fr" in page.text
    assert "Le client s\u2019est opposé au traitement" in page.text
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", page.text)  # Babel's French short date
    for kind, value in (
        ("email", ZOE_EMAIL),
        ("phone", "06 12 34 56 78"),
        ("user_id", "zoe.martin"),
    ):
        assert _find(client, kind, value).status_code == 404, kind
    assert _find(client, "email", CAMILLE_EMAIL).status_code == 200
    assert client.get(f"/admin/privacy/{zoe.zoe}/export").status_code == 404


def test_past_erasures_are_listed_newest_first(zoe, platform, client):
    """The list shows each erasure, also those the API made."""
    by_api = client.post(f"/v1/profiles/{zoe.camille}/erase", headers=auth(zoe.privacy))
    assert by_api.status_code == 200, by_api.text
    action, token = _erasure_form(client, zoe)
    _post(client, action, csrf=token, reason="request", confirmation="EFFACER")

    page = client.get("/admin/privacy")

    ids = re.findall(r'<th scope="row"><code>(\w+)</code></th>', page.text)
    with platform.db.reading() as session:
        newest_first = [
            row.id for row in session.scalars(select(Erasure).order_by(Erasure.erased_at.desc()))
        ]
    assert ids == newest_first and len(ids) == 2
    assert "Le client a demandé à être oublié" in page.text


# --- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "store_manager"])
def test_store_staff_are_refused_the_page_the_downloads_and_the_erasure(platform, client, role):
    """A clerk or a store manager gets the 403 page everywhere; she stays as she is."""
    scene = build_scene(platform, client)
    make_staff(platform, "lea@example.fr", role=role, location="LYON-01")
    sign_in(client, "lea@example.fr")
    token = _csrf(client.get("/store").text)
    before = snapshot(platform)

    page = _find(client, "email", ZOE_EMAIL)
    download = client.get(f"/admin/privacy/{scene.zoe}/export")
    erase = _post(
        client,
        f"/admin/privacy/{scene.zoe}/erase",
        csrf=token,
        reason="request",
        confirmation="EFFACER",
    )

    for response in (page, download, erase):
        assert response.status_code == 403
        assert "réservé au siège" in response.text
    assert ZOE_EMAIL not in page.text + download.text
    assert snapshot(platform) == before


def test_head_office_is_let_in(zoe, client):
    """The same page opens for head office, with its link in the back-office menu."""
    page = client.get("/admin/privacy")

    assert page.status_code == 200
    assert 'href="/admin/privacy"' in page.text
    assert "Données personnelles" in page.text
    assert "Personne n\u2019a encore été effacé." in page.text
