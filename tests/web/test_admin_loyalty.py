"""Loyalty in the back office: head office reads and changes the programme's settings, finds
a member by card, phone or e-mail, reads their ledger a page at a time, and adjusts their
points with a reason from the list once confirmed (audited); a refusal changes nothing."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.schemas import AdjustmentIn
from omnicanal.platform import audit
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from tests.builders import snapshot
from tests.web.loyalty_world import PROGRAMME, balance_of, enrol_zoe, make_club
from tests.web.test_store_basket import csrf_of
from tests.web.test_store_pages import build_lyon, build_zoe, make_staff, sign_in


@pytest.fixture
def hugo(platform: Platform, client: TestClient) -> str:
    """The Club, Zoé a member with 200 points given her, Hugo of head office signed in;
    returns Zoé's member id."""
    build_lyon(platform)
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    build_zoe(platform, client)
    make_club(platform)
    member_id = enrol_zoe(platform)
    _give(platform, member_id, 200)
    sign_in(client, "hugo@example.fr")
    return member_id


def _give(platform: Platform, member_id: str, points: int, reason: str = "goodwill") -> None:
    with platform.db.transaction() as session:
        loyalty.adjust_points(
            session,
            member_id=member_id,
            data=AdjustmentIn(points=points, reason=reason),
            actor=OPERATOR,
        )


def _settings(platform: Platform):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return loyalty.get_programme(session, code=PROGRAMME, actor=OPERATOR)


def _form(page: str) -> dict[str, str]:
    """The settings form's fields as the page fills them (text, numbers, ticked boxes)."""
    form = page.split('id="settings-title"')[1].split("</form>")[0]
    fields = dict(
        re.findall(
            r'<input id="[^"]*" name="([^"]+)" type="(?:text|number)"[^>]*value="([^"]*)"', form
        )
    )
    fields.update(
        {name: "on" for name in re.findall(r'type="checkbox" name="([^"]+)" checked', form)}
    )
    for name, chosen in re.findall(
        r'<select id="[^"]*" name="([^"]+)">.*?<option value="([^"]*)" selected', form, re.S
    ):
        fields[name] = chosen
    return {name: value for name, value in fields.items() if value}


# --- the programme's settings ----------------------------------------------------------------


def test_head_office_reads_the_programme_in_french(platform, client, hugo):
    page = client.get("/admin/loyalty")

    assert page.status_code == 200
    assert "Club Lumière" in page.text
    assert "1 points par euro payé" in page.text
    assert "1,00\u00a0€ pour 100 points" in page.text
    assert "Les points attendent 30 jours avant de pouvoir être utilisés" in page.text
    assert "Argent (dès 200 points) · Or (dès 500 points)" in page.text
    assert 'value="1,5"' in page.text  # Gold's multiplier, as French writes it


def test_a_change_of_the_settings_is_saved_audited_and_applies_from_now_on(platform, client, hugo):
    """The return window becomes 14 days and shoes earn 3 points per euro on the app."""
    fields = _form(client.get("/admin/loyalty").text)
    fields.update(
        {
            "csrf": csrf_of(client, "/admin/loyalty"),
            "pending_days": "14",
            "rule-1-category": "Chaussures",
            "rule-1-channel": "app",
            "rule-1-rate": "3",
        }
    )

    saved = client.post(
        f"/admin/loyalty/programmes/{PROGRAMME}", data=fields, follow_redirects=False
    )
    after = client.get(saved.headers["location"])

    assert saved.status_code == 303, saved.text
    assert "Les réglages du programme sont enregistrés." in after.text
    programme = _settings(platform)
    assert programme.pending_days == 14
    assert [(r.category, r.channel, r.points_per_euro) for r in programme.earning_rules] == [
        ("Accessoires", None, Decimal(2)),
        ("Chaussures", "app", Decimal(3)),
    ]
    assert [(t.code, t.threshold, t.multiplier) for t in programme.tiers] == [
        ("silver", 200, Decimal(1)),
        ("gold", 500, Decimal("1.5")),
    ]
    with platform.db.reading() as session:
        [entry] = audit.list_entries(session, what="loyalty_programme")
    assert entry.actor == "operator:staff:hugo@example.fr"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"points_per_euro": "beaucoup"}, "Points par euro"),
        ({"tier-1-threshold": "200"}, "Paliers"),
        ({"pending_days": "-3"}, "Délai de retour"),
    ],
    ids=["a rate that is no number", "two tiers at one threshold", "a negative window"],
)
def test_wrong_settings_are_refused_by_name_and_change_nothing(
    platform, client, hugo, changes, named
):
    fields = _form(client.get("/admin/loyalty").text)
    fields.update({"csrf": csrf_of(client, "/admin/loyalty"), **changes})
    before = snapshot(platform)

    refused = client.post(f"/admin/loyalty/programmes/{PROGRAMME}", data=fields)

    assert refused.status_code == 422
    assert "Rien n\u2019a changé : vérifiez ces réglages." in refused.text
    assert f"<strong>{named}</strong>" in refused.text
    assert snapshot(platform) == before


# --- a member, their ledger, an adjustment -------------------------------------------------------


@pytest.mark.parametrize("typed", ["fid-zoe-0001", "06 12 34 56 78", "Zoe@Example.fr"])
def test_a_member_is_found_by_card_phone_or_e_mail(platform, client, hugo, typed):
    found = client.get("/admin/loyalty/members", params={"q": typed}, follow_redirects=False)

    assert found.status_code == 303
    assert found.headers["location"] == f"/admin/loyalty/members/{hugo}"


def test_nobody_found_says_so_in_french(platform, client, hugo):
    page = client.get("/admin/loyalty/members", params={"q": "07 00 00 00 00"})

    assert page.status_code == 404
    assert "Aucun membre n\u2019a cette carte, ce téléphone ou cet e-mail." in page.text


def test_the_ledger_reads_in_french_newest_first_a_page_at_a_time(platform, client, hugo):
    """30 more adjustments: 31 lines, 25 on the first page, the oldest (the welcome
    points) on the second."""
    for _ in range(30):
        _give(platform, hugo, 1, reason="correction")

    first = client.get(f"/admin/loyalty/members/{hugo}")
    older = re.search(r'href="(/admin/loyalty/members/[^"]+\?after=[^"]+)" rel="next"', first.text)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&"))

    assert first.status_code == 200 and second.status_code == 200
    assert re.search(r'id="member-tier">Aucun palier atteint', first.text)
    assert 'id="member-available">230 <span class="muted">(2,30\u00a0€)' in first.text
    ledger = first.text.split('id="ledger-title"')[1]
    assert ledger.count("<tr>") - 1 == 25
    assert "Points ajustés à la main" in ledger and "Correction d\u2019une erreur" in ledger
    assert "+1" in ledger
    rest = second.text.split('id="ledger-title"')[1]
    assert rest.count("<tr>") - 1 == 6
    assert "Geste commercial" in rest
    assert 'rel="next"' not in rest


def test_an_unknown_member_or_page_gets_a_french_sentence(platform, client, hugo):
    unknown = client.get("/admin/loyalty/members/01NOPE")
    bad_page = client.get(f"/admin/loyalty/members/{hugo}", params={"after": "pas-un-curseur"})

    assert unknown.status_code == 404
    assert "Membre inconnu : cette adhésion n\u2019existe pas." in unknown.text
    assert bad_page.status_code == 400
    assert "Cette page du relevé n\u2019existe pas : voici les dernières lignes." in bad_page.text


def _adjust(client: TestClient, member_id: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"csrf": csrf_of(client, f"/admin/loyalty/members/{member_id}"), **fields}
    return client.post(
        f"/admin/loyalty/members/{member_id}/adjust", data=data, follow_redirects=False
    )


def test_points_added_by_hand_with_a_reason_are_confirmed_and_audited(platform, client, hugo):
    done = _adjust(client, hugo, direction="add", points="50", reason="complaint", confirm="yes")
    page = client.get(done.headers["location"])

    assert done.status_code == 303, done.text
    assert "Les points sont ajustés." in page.text
    assert "Réclamation réglée" in page.text
    assert balance_of(platform, hugo) == (250, 0, 0)
    with platform.db.reading() as session:
        [entry] = audit.list_entries(session, what="loyalty_adjust")
    assert (entry.actor, entry.resource_id) == ("operator:staff:hugo@example.fr", hugo)


@pytest.mark.parametrize(
    ("fields", "status", "sentence"),
    [
        (
            {"direction": "add", "points": "50", "reason": "complaint"},
            422,
            "cochez la case pour confirmer",
        ),
        (
            {"direction": "add", "points": "50", "reason": "parce que", "confirm": "yes"},
            422,
            "choisissez le motif de l\u2019ajustement",
        ),
        (
            {"direction": "add", "points": "0", "reason": "complaint", "confirm": "yes"},
            422,
            "tapez un nombre entier de points",
        ),
        (
            {"direction": "take", "points": "900", "reason": "abuse", "confirm": "yes"},
            409,
            "le membre n\u2019a pas autant de points à utiliser",
        ),
    ],
    ids=["not confirmed", "a reason off the list", "no point", "more than the balance"],
)
def test_a_refused_adjustment_changes_nothing(platform, client, hugo, fields, status, sentence):
    before = snapshot(platform)

    refused = _adjust(client, hugo, **fields)

    assert refused.status_code == status, refused.text
    assert sentence in refused.text
    assert snapshot(platform) == before
    assert balance_of(platform, hugo) == (200, 0, 0)
