"""The customer's own pages: the preference centre and one-click unsubscribe (RFC 8058),
through signed, expiring links; French and English; a clear page, never a 500, for a link
altered, expired or naming someone erased."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from omnicanal.engagement import links
from omnicanal.engagement.errors import ConsentLinkExpired, InvalidConsentLink
from omnicanal.engagement.models import CHANNELS
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.config import Settings
from omnicanal.privacy import service as privacy
from tests.builders import snapshot
from tests.engagement.consent_builders import answer, ledger_rows, make_person, states_of
from tests.web.test_french_pages import english_words

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


@pytest.fixture
def zoe(platform, client) -> str:  # type: ignore[no-untyped-def]
    return make_person(platform, client)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def preferences(platform, profile_id: str, *, days_ago: int = 0, language: str = "fr") -> str:  # type: ignore[no-untyped-def]
    """The path of the person's preference centre, its link signed ``days_ago``."""
    now = utcnow() - timedelta(days=days_ago)
    return path_of(links.preference_url(platform.settings, profile_id, language=language, now=now))


def unsubscribe(platform, profile_id: str, *, days_ago: int = 0) -> str:  # type: ignore[no-untyped-def]
    now = utcnow() - timedelta(days=days_ago)
    return path_of(links.unsubscribe_url(platform.settings, profile_id, now=now))


# --- the links -------------------------------------------------------------------------------


def test_a_preference_link_names_the_person_until_it_expires(platform, zoe):
    settings = Settings(secret_key="s" * 40, public_url="https://shop.example/omnicanal/")
    now = utcnow()
    url = links.preference_url(settings, zoe, language="en", now=now)
    token = urlsplit(url).path.rsplit("/", 1)[1]

    assert url.startswith("https://shop.example/omnicanal/preferences/")
    assert url.endswith("?lang=en")
    assert links.read_token(settings, token, now=now + timedelta(days=59)) == zoe
    with pytest.raises(ConsentLinkExpired):
        links.read_token(settings, token, now=now + timedelta(days=61))


def test_an_unsubscribe_link_lives_a_year_and_opens_no_preference_centre(platform, zoe):
    settings = Settings(secret_key="s" * 40)
    now = utcnow()
    token = urlsplit(links.unsubscribe_url(settings, zoe, now=now)).path.rsplit("/", 1)[1]

    assert links.read_token(settings, token, now=now + timedelta(days=300)) == zoe
    with pytest.raises(InvalidConsentLink):
        links.read_link(settings, token, now=now, kind=links.LinkKind.preferences)
    with pytest.raises(ConsentLinkExpired):
        links.read_token(settings, token, now=now + timedelta(days=366))


@pytest.mark.parametrize("damage", ["cut", "altered", "other_key", "empty", "huge", "not_ascii"])
def test_a_forged_link_is_refused(platform, zoe, damage):
    settings = Settings(secret_key="s" * 40)
    now = utcnow()
    token = links.sign_link(settings, zoe, kind=links.LinkKind.preferences, now=now)
    forged = {
        "cut": token[:-5],
        "altered": token[:10] + ("A" if token[10] != "A" else "B") + token[11:],
        "other_key": links.sign_link(
            Settings(secret_key="t" * 40), zoe, kind=links.LinkKind.preferences, now=now
        ),
        "empty": "",
        "huge": token * 20,
        "not_ascii": token + "é",
    }[damage]

    with pytest.raises(InvalidConsentLink):
        links.read_token(settings, forged, now=now)


# --- the preference centre -------------------------------------------------------------------


def test_the_page_shows_her_choices_in_french_with_orders_always_on(platform, client, zoe):
    answer(platform, zoe, "marketing", "email", granted=True)

    page = client.get(preferences(platform, zoe), headers=FRENCH)

    assert page.status_code == 200
    html = page.text
    assert "Vos préférences de contact" in html
    assert "Pour z\u2022\u2022\u2022@example.fr" in html
    assert 'id="marketing-email" name="marketing.email" checked' in html
    assert 'id="marketing-sms" name="marketing.sms">' in html
    assert "Toujours activés" in html
    assert english_words(html) == []
    assert page.headers["Content-Language"] == "fr"
    assert page.headers["Cache-Control"] == "no-store"  # her choices stay out of caches


def test_the_page_speaks_english_when_asked(platform, client, zoe):
    by_link = client.get(preferences(platform, zoe, language="en"))
    by_browser = client.get(
        preferences(platform, zoe, language="").split("?")[0],
        headers={"Accept-Language": "en-GB,en;q=0.8"},
    )

    for page in (by_link, by_browser):
        assert "Your contact preferences" in page.text
        assert page.headers["Content-Language"] == "en"


def test_saving_records_what_changed_with_the_link_and_browser_as_proof(platform, client, zoe):
    answer(platform, zoe, "marketing", "sms", granted=True)
    path = preferences(platform, zoe)

    saved = client.post(
        path,
        data={"action": "save", "marketing.email": "on", "profiling.push": "on"},
        headers={**FRENCH, "User-Agent": "Mobile Safari"},
        follow_redirects=False,
    )
    again = client.post(
        path,
        data={"action": "save", "marketing.email": "on", "profiling.push": "on"},
        follow_redirects=False,
    )

    assert saved.status_code == again.status_code == 303
    assert saved.headers["location"].endswith("&saved=1")
    assert states_of(platform, zoe) == {
        ("marketing", "email"): True,
        ("marketing", "sms"): False,
        ("profiling", "push"): True,
    }
    recorded = [row for row in ledger_rows(platform) if row.source == "preference_centre"]
    assert len(recorded) == 3  # the second post changed nothing
    proof = recorded[0].proof
    assert proof["form"] == "preference_centre"
    assert proof["user_agent"] == "Mobile Safari"
    assert (
        proof["token_id"]
        == links.read_link(
            platform.settings, path.split("/")[2].split("?")[0], now=utcnow()
        ).token_id
    )
    shown = client.get(saved.headers["location"], headers=FRENCH)
    assert "Vos choix sont enregistrés" in shown.text


def test_unsubscribing_from_everything_on_the_page(platform, client, zoe):
    answer(platform, zoe, "marketing", "email", granted=True)
    answer(platform, zoe, "transactional", "email", granted=True)

    client.post(preferences(platform, zoe), data={"action": "unsubscribe"}, follow_redirects=False)

    states = states_of(platform, zoe)
    assert all(not states[(p, c)] for p in ("marketing", "personalised_offers") for c in CHANNELS)
    assert states[("transactional", "email")] is True


def test_a_form_sent_from_another_site_changes_nothing(platform, client, zoe):
    before = snapshot(platform)

    response = client.post(
        preferences(platform, zoe),
        data={"action": "save", "marketing.email": "on"},
        headers={**FRENCH, "Sec-Fetch-Site": "cross-site"},
    )

    assert response.status_code == 403
    assert english_words(response.text) == []
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    ("link", "status", "says"),
    [
        ("expired", 410, "Ce lien a expiré"),
        ("forged", 404, "Ce lien n\u2019est pas valide"),
        ("unsubscribe_token", 404, "Ce lien n\u2019est pas valide"),
        ("erased", 404, "Ce lien ne mène plus nulle part"),
    ],
)
def test_a_link_that_cannot_be_used_gets_a_clear_french_page_and_changes_nothing(
    platform, client, zoe, link, status, says
):
    if link == "erased":
        with platform.db.transaction() as session:
            privacy.erase_person(session, profile_id=zoe, actor=OPERATOR)
    path = {
        "expired": preferences(platform, zoe, days_ago=61),
        "forged": preferences(platform, zoe)[:-12] + "?lang=fr",
        "unsubscribe_token": unsubscribe(platform, zoe).replace("/unsubscribe/", "/preferences/"),
        "erased": preferences(platform, zoe),
    }[link]
    before = snapshot(platform)

    shown = client.get(path, headers=FRENCH)
    posted = client.post(path, data={"action": "save", "marketing.email": "on"}, headers=FRENCH)

    for response in (shown, posted):
        assert response.status_code == status
        assert says in response.text
        assert english_words(response.text) == []
    assert snapshot(platform) == before


# --- one-click unsubscribe -------------------------------------------------------------------


def test_one_click_unsubscribes_from_marketing_and_offers_on_every_channel(platform, client, zoe):
    for channel in ("email", "sms", "push"):
        answer(platform, zoe, "marketing", channel, granted=True)
    answer(platform, zoe, "personalised_offers", "email", granted=True)

    response = client.post(
        unsubscribe(platform, zoe),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200
    states = states_of(platform, zoe)
    for purpose in ("marketing", "personalised_offers"):
        for channel in CHANNELS:
            assert states[(purpose, channel)] is False
    refusals = [row for row in ledger_rows(platform) if row.source == "unsubscribe_link"]
    assert len(refusals) == 2 * len(CHANNELS)
    assert {row.proof["form"] for row in refusals} == {"one_click"}


def test_one_click_as_multipart_form_data_and_a_second_click_changes_nothing(platform, client, zoe):
    answer(platform, zoe, "marketing", "email", granted=True)
    path = unsubscribe(platform, zoe)

    first = client.post(path, files={"List-Unsubscribe": (None, "One-Click")})
    size = len(ledger_rows(platform))
    second = client.post(path, files={"List-Unsubscribe": (None, "One-Click")})

    assert first.status_code == second.status_code == 200
    assert states_of(platform, zoe)[("marketing", "email")] is False
    assert len(ledger_rows(platform)) == size


def test_opening_the_unsubscribe_link_only_asks_to_confirm(platform, client, zoe):
    answer(platform, zoe, "marketing", "email", granted=True)
    path = unsubscribe(platform, zoe)
    before = snapshot(platform)

    page = client.get(path, headers=FRENCH)

    assert page.status_code == 200
    assert "Confirmer : me désabonner" in page.text
    assert english_words(page.text) == []
    assert snapshot(platform) == before

    confirmed = client.post(
        path, data={"List-Unsubscribe": "One-Click", "confirmed": "page"}, headers=FRENCH
    )
    assert confirmed.status_code == 200
    assert "Vous êtes désabonné" in confirmed.text
    assert states_of(platform, zoe)[("marketing", "email")] is False
    assert {row.proof.get("form") for row in ledger_rows(platform)} >= {"unsubscribe_page"}


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"", "application/x-www-form-urlencoded", 400),
        (b"List-Unsubscribe=Later", "application/x-www-form-urlencoded", 400),
        (b"List-Unsubscribe=One-Click%00", "application/x-www-form-urlencoded", 400),
        (b"\xff\xfe", "application/x-www-form-urlencoded", 400),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x", 400),
        (b"List-Unsubscribe=One-Click&" + b"x" * 20_000, "application/x-www-form-urlencoded", 413),
    ],
)
def test_a_post_that_does_not_ask_to_unsubscribe_changes_nothing(
    platform, client, zoe, content, content_type, status
):
    answer(platform, zoe, "marketing", "email", granted=True)
    before = snapshot(platform)

    response = client.post(
        unsubscribe(platform, zoe), content=content, headers={"Content-Type": content_type}
    )

    assert response.status_code == status
    assert snapshot(platform) == before


def test_a_preference_link_unsubscribes_in_one_click_too(platform, client, zoe):
    answer(platform, zoe, "marketing", "email", granted=True)
    token_path = preferences(platform, zoe).split("?")[0].replace("/preferences/", "/unsubscribe/")

    response = client.post(token_path, data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert states_of(platform, zoe)[("marketing", "email")] is False


def test_an_expired_or_forged_unsubscribe_link_is_refused(platform, client, zoe):
    before = snapshot(platform)

    expired = client.post(
        unsubscribe(platform, zoe, days_ago=400), data={"List-Unsubscribe": "One-Click"}
    )
    forged = client.post("/unsubscribe/abc.def.ghi", data={"List-Unsubscribe": "One-Click"})

    assert (expired.status_code, forged.status_code) == (410, 404)
    assert snapshot(platform) == before


# --- on a phone, in a real browser -----------------------------------------------------------


def test_on_a_phone_she_turns_news_by_sms_on_and_her_choice_is_saved(tmp_path, request):
    """390 px wide, in French, in a real headless Chromium: the page fits the screen, every
    box is labelled and readable (the audit of ``tests/web/test_browser``), one tap saves."""
    browser_tests = pytest.importorskip("tests.web.test_browser")  # skips without Chromium
    from fastapi.testclient import TestClient

    from omnicanal.api.app import create_app
    from tests.conftest import LiveServer, make_platform

    platform = make_platform("sqlite", tmp_path, request)
    with TestClient(create_app(platform, background=False)) as client:
        zoe = make_person(platform, client)
    answer(platform, zoe, "marketing", "email", granted=True)
    phone = {"width": 390, "height": 844}
    expect = browser_tests.playwright_api.expect
    try:
        with (
            LiveServer(platform) as server,
            browser_tests.playwright_api.sync_playwright() as driver,
        ):
            chromium = browser_tests.launch(driver)
            context = chromium.new_context(base_url=server.url, viewport=phone, locale="fr-FR")
            page = context.new_page()
            page.goto(preferences(platform, zoe))

            expect(page.get_by_role("heading", name="Vos préférences de contact")).to_be_visible()
            news = page.get_by_role("group", name="Actualités et offres")
            expect(news.get_by_label("E-mail")).to_be_checked()
            expect(news.get_by_label("Texto (SMS)")).not_to_be_checked()
            problems = browser_tests._audit(page)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            browser_tests.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(browser_tests.ARTIFACTS / "preferences-phone.png"), full_page=True
            )

            news.get_by_label("Texto (SMS)").check()
            page.get_by_role("button", name="Enregistrer mes choix").click()

            expect(page.get_by_role("status")).to_contain_text("Vos choix sont enregistrés")
            expect(news.get_by_label("Texto (SMS)")).to_be_checked()
            problems += browser_tests._audit(page)
            context.close()
            chromium.close()
    finally:
        platform.close()

    assert problems == []
    assert width <= phone["width"]
    assert states_of(platform, zoe) == {("marketing", "email"): True, ("marketing", "sms"): True}
