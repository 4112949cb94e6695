"""Head office's webhooks pages (``/admin/webhooks``), in French: the endpoints and the notice
of one omnicanal disabled, an endpoint added with its secret shown once, disabled and enabled
once confirmed, its deliveries and dead-letter list, one delivery or all since a time
replayed; every change audited; a wrong form is a French 4xx page that changes nothing;
clerks are refused."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from omnicanal.platform import audit
from omnicanal.platform.clock import utcnow
from omnicanal.webhooks.models import WebhookDelivery, WebhookEndpoint
from omnicanal.webhooks.sending import SYSTEM
from omnicanal.webhooks.service import disable_endpoint
from tests.builders import make_location, snapshot
from tests.web.test_admin_pages import _csrf, _post
from tests.web.test_french_pages import english_words
from tests.web.test_store_pages import make_staff, sign_in
from tests.webhooks.builders import (
    deliveries,
    endpoint_row,
    head_office_key,
    make_endpoint,
    relay,
    scan,
)

PAGE = "/admin/webhooks"
RECEIVER = "http://127.0.0.1:9/omnicanal/webhooks"


@pytest.fixture
def boss(platform, client):  # type: ignore[no-untyped-def]
    """Head office signed in; a Lyon clerk exists too."""
    make_location(platform, "LYON")
    make_staff(platform, "lea@example.fr", location="LYON")
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")


@pytest.fixture
def endpoint(platform, client, boss):  # type: ignore[no-untyped-def]
    """An endpoint following the parcels' scans, with three waiting deliveries."""
    made = make_endpoint(client, head_office_key(platform), RECEIVER, ("test.parcel_scanned",))
    scan(platform, ("P1", 1), ("P1", 2), ("P2", 1))
    relay(platform)
    return made


def _dead(platform, endpoint_id):  # type: ignore[no-untyped-def]
    """Every delivery of the endpoint given up (24 hours of retries, without the wait)."""
    with platform.db.transaction() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .values(status="dead", dead_reason="gave_up", dead_at=utcnow(), last_status_code=503)
        )


def test_the_endpoints_are_listed_in_french_with_the_notice_of_one_disabled_for_failing(
    platform, client, endpoint
):
    failing = make_endpoint(client, head_office_key(platform), RECEIVER, ("*",))
    with platform.db.transaction() as session:
        row = session.get(WebhookEndpoint, failing["id"])
        assert row is not None
        row.failing_since, row.failures = utcnow() - timedelta(hours=49), 31
        disable_endpoint(session, row, reason="failing", by=SYSTEM, now=utcnow())

    page = client.get(PAGE)

    assert page.status_code == 200
    assert english_words(page.text) == []
    assert RECEIVER in page.text and "test.parcel_scanned" in page.text
    assert "Désactivé automatiquement le" in page.text
    assert "aucune réponse 2xx depuis le" in page.text
    assert "Désactivé par omnicanal : il restait en échec" in page.text
    assert endpoint["secret"] not in page.text


def test_an_endpoint_added_shows_its_secret_once_and_is_audited(platform, client, boss):
    token = _csrf(client.get(PAGE).text)

    added = _post(
        client,
        PAGE,
        csrf=token,
        url=RECEIVER,
        event_types="test.parcel_scanned webhook.*",
        description="ERP du siège",
    )

    assert added.status_code == 201, added.text
    assert english_words(added.text) == []
    with platform.db.reading() as session:
        (row,) = session.query(WebhookEndpoint).all()
        (entry,) = audit.list_entries(session, what="webhook_endpoint")
    assert row.secret in added.text and "affiché cette seule fois" in added.text
    assert row.event_types == ["test.parcel_scanned", "webhook.*"]
    assert (entry.actor, entry.resource_id) == ("operator:staff:hugo@example.fr", row.id)
    assert row.secret not in client.get(PAGE).text


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"url": "http://erp.exemple.fr/flux", "event_types": "*"}, "ne peut pas recevoir"),
        ({"url": "https://moi:secret@erp.exemple.fr/", "event_types": "*"}, "sans identifiant"),
        ({"url": "pas une adresse", "event_types": "*"}, "ne peut pas recevoir"),
        ({"url": RECEIVER, "event_types": "commande.passee"}, "aucun événement n\u2019a le type"),
        ({"url": RECEIVER, "event_types": "  "}, "au moins un type"),
        ({"url": "", "event_types": "*"}, "donnez l\u2019adresse"),
        ({"url": RECEIVER, "event_types": "*", "description": "d" * 501}, "500 caractères"),
        ({"url": RECEIVER, "event_types": " ".join(["*"] * 101)}, "100 types"),
    ],
)
def test_a_refused_form_is_a_french_422_that_adds_nothing(platform, client, boss, fields, said):
    token = _csrf(client.get(PAGE).text)
    before = snapshot(platform)

    refused = _post(client, PAGE, csrf=token, **fields)

    assert refused.status_code == 422
    assert said in refused.text
    assert english_words(refused.text) == []
    assert snapshot(platform) == before


def test_a_form_without_its_token_is_refused_and_adds_nothing(platform, client, boss):
    before = snapshot(platform)

    refused = _post(client, PAGE, csrf="forged", url=RECEIVER, event_types="*")

    assert refused.status_code == 403
    assert snapshot(platform) == before


def test_disabling_once_confirmed_dead_letters_what_waits_then_enabling_again(
    platform, client, endpoint
):
    where = f"{PAGE}/{endpoint['id']}"
    token = _csrf(client.get(where).text)

    unconfirmed = _post(client, f"{where}/state", csrf=token, active="no")
    assert unconfirmed.status_code == 422 and "cochez la case" in unconfirmed.text
    assert endpoint_row(platform, endpoint["id"]).active

    disabled = _post(client, f"{where}/state", csrf=token, active="no", confirm="yes")

    assert (disabled.status_code, disabled.headers["location"]) == (303, f"{where}?done=disabled")
    row = endpoint_row(platform, endpoint["id"])
    assert (row.active, row.disabled_reason) == (False, "requested")
    assert {(d.status, d.dead_reason) for d in deliveries(platform)} == {
        ("dead", "endpoint_disabled")
    }
    page = client.get(disabled.headers["location"])
    assert "Le point de réception est désactivé" in page.text
    assert "Désactivé par le siège" in page.text
    assert english_words(page.text) == []

    enabled = _post(client, f"{where}/state", csrf=token, active="yes", confirm="yes")
    assert enabled.status_code == 303
    assert endpoint_row(platform, endpoint["id"]).active
    with platform.db.reading() as session:
        entries = audit.list_entries(session, what="webhook_endpoint")
    assert len(entries) == 3  # made (by the API key), disabled, enabled


def test_the_dead_letter_list_is_shown_and_one_or_all_since_a_time_replayed(
    platform, client, endpoint
):
    _dead(platform, endpoint["id"])
    where = f"{PAGE}/{endpoint['id']}"
    page = client.get(where)
    assert page.status_code == 200
    assert english_words(page.text) == []
    assert "Envois abandonnés" in page.text and "réponse 503" in page.text
    assert page.text.count('name="delivery"') == 3
    first = deliveries(platform)[0]
    token = _csrf(page.text)

    one = _post(client, f"{where}/replay", csrf=token, delivery=first.id)
    assert (one.status_code, one.headers["location"]) == (303, f"{where}?done=replayed")
    assert [d.status for d in deliveries(platform)] == ["pending", "dead", "dead"]

    paris = utcnow().astimezone(ZoneInfo("Europe/Paris")) - timedelta(hours=1)
    everything = _post(
        client, f"{where}/replay", csrf=token, since=paris.strftime("%Y-%m-%dT%H:%M")
    )
    assert everything.status_code == 303
    assert {d.status for d in deliveries(platform)} == {"pending"}
    assert {d.replays for d in deliveries(platform)} == {1}
    with platform.db.reading() as session:
        assert len(audit.list_entries(session, what="webhook_delivery")) == 1
        assert len(audit.list_entries(session, what="webhook_endpoint")) == 2
    replayed = client.get(everything.headers["location"])
    assert "Les envois abandonnés seront renvoyés." in replayed.text

    again = _post(client, f"{where}/replay", csrf=token, delivery=first.id)
    assert again.status_code == 409 and "déjà été renvoyé" in again.text


@pytest.mark.parametrize(
    ("since", "status", "said"),
    [
        ("hier", 422, "n\u2019est pas une date"),
        ("9999-01-01T00:00", 422, "n\u2019est pas une date"),
        ("", 422, "n\u2019est pas une date"),
    ],
)
def test_a_wrong_replay_time_is_a_french_page_that_changes_nothing(
    platform, client, endpoint, since, status, said
):
    _dead(platform, endpoint["id"])
    where = f"{PAGE}/{endpoint['id']}"
    token = _csrf(client.get(where).text)
    before = snapshot(platform)

    refused = _post(client, f"{where}/replay", csrf=token, since=since)

    assert refused.status_code == status and said in refused.text
    assert english_words(refused.text) == []
    assert snapshot(platform) == before


def test_unknown_endpoints_deliveries_and_filters_are_french_pages(platform, client, endpoint):
    token = _csrf(client.get(PAGE).text)
    other = make_endpoint(client, head_office_key(platform), RECEIVER, ("*",))
    _dead(platform, endpoint["id"])
    (first, *_) = deliveries(platform)

    unknown = client.get(f"{PAGE}/NOPE")
    bad_filter = client.get(f"{PAGE}/{endpoint['id']}?status=lost")
    elsewhere = _post(client, f"{PAGE}/{other['id']}/replay", csrf=token, delivery=first.id)

    assert unknown.status_code == 404 and "Point de réception inconnu" in unknown.text
    assert bad_filter.status_code == 400 and "n\u2019est pas un des choix" in bad_filter.text
    assert elsewhere.status_code == 404 and "Envoi inconnu" in elsewhere.text
    assert first.status == "dead" and deliveries(platform)[0].status == "dead"
    for page in (unknown, bad_filter, elsewhere):
        assert english_words(page.text) == []


def test_a_clerk_is_refused_the_webhooks_pages(platform, client, endpoint):
    client.cookies.clear()
    sign_in(client, "lea@example.fr")

    listed = client.get(PAGE)
    one = client.get(f"{PAGE}/{endpoint['id']}")

    assert listed.status_code == one.status_code == 403
    assert endpoint["url"] not in listed.text
